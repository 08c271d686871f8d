//! `sluice datastore upload|download|list|rm` over any [`Store`]: what the arguments name,
//! the overwrite rule of the SDK's `Datastore.upload_files` (a file already there is skipped,
//! with a note, unless `overwrite`), bounded parallel transfers, and integrity checks.
//!
//! Nothing half-written is ever visible: an upload is one request or uncommitted blocks until
//! the last; a download goes to a temporary file beside its destination, checked, flushed and
//! renamed. A transfer stops at its first failure (running ones are dropped); what completed
//! stays, so running the command again finishes the rest.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};

use super::local::TempFile;
use super::paths::{self, LocalSource, Pattern};
use super::progress::TransferReporter;
use super::{ByteCounter, DatastoreError, Entry, PutOutcome, Store, format_bytes};

/// Destinations checked one by one (a request each) up to this many; above, the common folder
/// is listed once.
const HEAD_LIMIT: usize = 64;

/// `sluice datastore upload`.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    /// Files, folders and patterns on this machine.
    pub sources: Vec<PathBuf>,
    /// Folder on the datastore (`""`: its root).
    pub target_path: String,
    /// Replace files that are there.
    pub overwrite: bool,
}

/// `sluice datastore download`.
#[derive(Debug, Clone)]
pub struct DownloadRequest {
    /// Paths and patterns on the datastore (none: everything).
    pub paths: Vec<String>,
    /// Local folder to write into.
    pub target: PathBuf,
    /// Replace local files that are there.
    pub overwrite: bool,
}

/// `sluice datastore rm`.
#[derive(Debug, Clone)]
pub struct RemoveRequest {
    /// Paths and patterns on the datastore.
    pub paths: Vec<String>,
    /// Delete folders with everything in them.
    pub recursive: bool,
    /// Only say what would be deleted.
    pub dry_run: bool,
}

/// What a transfer did.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Files transferred (or deleted).
    pub files: Vec<String>,
    /// Bytes transferred.
    pub bytes: u64,
    /// Files left alone because they were there (no `--overwrite`).
    pub skipped: usize,
    /// Downloads whose MD5 the service did not hold: only their size was compared.
    pub size_checked: usize,
    /// The container (or folder) was created.
    pub created_container: bool,
    /// Wall time.
    pub elapsed: Duration,
}

impl Summary {
    /// `64 files (1.00 GiB) uploaded to datastore `lake` in 3.2s (320 MiB/s); 2 skipped`.
    pub fn line(&self, verb: &str, place: &str) -> String {
        let n = self.files.len();
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 && self.bytes > 0 {
            format!(" ({}/s)", format_bytes((self.bytes as f64 / secs) as u64))
        } else {
            String::new()
        };
        let mut line = format!(
            "{n} file{} ({}) {verb} {place} in {}{rate}",
            if n == 1 { "" } else { "s" },
            format_bytes(self.bytes),
            crate::time::format_duration(self.elapsed.as_millis() as i64),
        );
        if self.skipped > 0 {
            line.push_str(&format!("; {} skipped (already there; --overwrite replaces them)", self.skipped));
        }
        if self.size_checked > 0 {
            line.push_str(&format!(
                "; {} had no MD5 on the service, so only their size was checked",
                self.size_checked
            ));
        }
        line
    }
}

fn counter(reporter: &Arc<dyn TransferReporter>, total: &Arc<AtomicU64>) -> ByteCounter {
    let (reporter, total) = (Arc::clone(reporter), Arc::clone(total));
    Arc::new(move |n| {
        total.fetch_add(n, Ordering::Relaxed);
        reporter.bytes(n);
    })
}

/// Uploads files, folders and patterns to `store` under `req.target_path`.
pub async fn upload(
    store: &Store,
    req: &UploadRequest,
    jobs: usize,
    reporter: Arc<dyn TransferReporter>,
) -> Result<Summary, DatastoreError> {
    let start = Instant::now();
    let target = paths::clean(&req.target_path, "--target-path")?;
    let mut sources = paths::local_sources(&req.sources)?;
    leave_out_store(store, &mut sources, reporter.as_ref());
    let by_dest = destinations(&target, &sources)?;
    let mut summary = Summary { created_container: store.ensure_container().await?, ..Summary::default() };
    if summary.created_container {
        reporter.note(&match store {
            Store::Azure(a) => format!("created container `{}` in account `{}`", a.container, a.account),
            Store::Local(l) => format!("created folder {} for datastore `{}`", l.root.display(), l.name),
        });
    }
    let existing = if req.overwrite { HashMap::new() } else { existing(store, &by_dest, jobs).await? };
    let mut todo = Vec::new();
    for (dest, s) in &by_dest {
        match existing.get(dest) {
            Some(there) => {
                summary.skipped += 1;
                reporter.note(&skipped_note(dest, store.name(), there.size, s.size));
            }
            None => todo.push((dest.clone(), *s)),
        }
    }
    reporter.start("uploading", todo.len(), todo.iter().map(|(_, s)| s.size).sum());
    let total = Arc::new(AtomicU64::new(0));
    let results = stream::iter(todo.into_iter().map(|(dest, s)| {
        let count = counter(&reporter, &total);
        async move {
            let outcome = store.put_file(&s.file, s.size, &dest, req.overwrite, count).await;
            (dest, s.size, outcome)
        }
    }))
    .buffer_unordered(jobs.max(1));
    let outcome = drain(results, |(dest, size, outcome)| match outcome {
        Ok(PutOutcome::Written { .. }) => {
            reporter.done(&format!("uploaded {dest} ({})", format_bytes(size)));
            summary.files.push(dest);
            Ok(())
        }
        Ok(PutOutcome::Exists) => {
            summary.skipped += 1;
            reporter.note(&format!(
                "skipped {dest}: it appeared on datastore `{}` meanwhile (--overwrite replaces it)",
                store.name()
            ));
            Ok(())
        }
        Err(e) => Err(e),
    })
    .await;
    reporter.finish();
    summary.bytes = total.load(Ordering::Relaxed);
    summary.elapsed = start.elapsed();
    outcome.map(|()| summary)
}

/// Leaves out the files of a local datastore inside a folder being uploaded (`upload .` into a
/// built-in datastore under `.sluice/`), which would take copies of itself.
fn leave_out_store(store: &Store, sources: &mut Vec<LocalSource>, reporter: &dyn TransferReporter) {
    let Store::Local(l) = store else { return };
    let Ok(root) = l.root.canonicalize() else { return };
    let before = sources.len();
    sources.retain(|s| !s.file.canonicalize().is_ok_and(|f| f.starts_with(&root)));
    let left = before - sources.len();
    if left > 0 {
        reporter.note(&format!(
            "left out {left} file{} already in the folder of datastore `{}` ({})",
            if left == 1 { "" } else { "s" },
            l.name,
            l.root.display()
        ));
    }
}

/// Each source by its path on the datastore; two sources for one path are a usage error.
fn destinations<'a>(
    target: &str,
    sources: &'a [LocalSource],
) -> Result<BTreeMap<String, &'a LocalSource>, DatastoreError> {
    let mut by_dest: BTreeMap<String, &LocalSource> = BTreeMap::new();
    for s in sources {
        let dest = paths::join(target, &s.relative);
        paths::clean(&dest, "a destination")?;
        if let Some(other) = by_dest.insert(dest.clone(), s) {
            return Err(DatastoreError::Usage(format!(
                "`{}` and `{}` would both be uploaded as `{dest}` (a file goes under its own name; to keep the folders between, give their parent folder or a quoted pattern such as 'data/**/*.csv')",
                other.file.display(),
                s.file.display()
            )));
        }
    }
    Ok(by_dest)
}

/// The note for a destination that is there already.
fn skipped_note(dest: &str, store: &str, there: u64, here: u64) -> String {
    let differs = if there == here {
        String::new()
    } else {
        format!("; it differs in size: {} there, {} here", format_bytes(there), format_bytes(here))
    };
    format!("skipped {dest}: already on datastore `{store}`{differs} (--overwrite replaces it)")
}

/// Which destinations hold a file already: one request each for a few, else one listing of
/// their common folder.
async fn existing(
    store: &Store,
    dests: &BTreeMap<String, &LocalSource>,
    jobs: usize,
) -> Result<HashMap<String, Entry>, DatastoreError> {
    if dests.len() <= HEAD_LIMIT {
        let found: Vec<Result<Option<Entry>, DatastoreError>> =
            stream::iter(dests.keys().map(|d| store.head(d))).buffer_unordered(jobs.max(1)).collect().await;
        let mut out = HashMap::new();
        for f in found {
            if let Some(e) = f? {
                out.insert(e.path.clone(), e);
            }
        }
        return Ok(out);
    }
    let common = common_folder(dests.keys().map(String::as_str));
    Ok(store
        .list(&common)
        .await?
        .into_iter()
        .filter(|e| dests.contains_key(&e.path))
        .map(|e| (e.path.clone(), e))
        .collect())
}

/// The deepest folder holding every path.
fn common_folder<'a>(mut paths: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = paths.next() else { return String::new() };
    let mut common: Vec<&str> = first.split('/').collect();
    common.pop();
    for p in paths {
        let segs: Vec<&str> = p.split('/').collect();
        let n = common.iter().zip(&segs[..segs.len() - 1]).take_while(|(a, b)| a == b).count();
        common.truncate(n);
    }
    common.join("/")
}

/// Feeds each result to `each` until one fails; the rest are dropped (canceled).
async fn drain<T>(
    results: impl futures_util::Stream<Item = T>,
    mut each: impl FnMut(T) -> Result<(), DatastoreError>,
) -> Result<(), DatastoreError> {
    let mut results = std::pin::pin!(results);
    while let Some(r) = results.next().await {
        each(r)?;
    }
    Ok(())
}

/// Files on the datastore and where each goes, relative to the target folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Folders {
    /// A path naming a folder takes everything in it, placed under the folder's name.
    Whole,
    /// A path naming a folder is an error that asks for `--recursive`.
    Refuse,
}

/// What the arguments name on the datastore: `(file, path relative to a target)`, sorted.
async fn resolve(
    store: &Store,
    args: &[String],
    folders: Folders,
) -> Result<Vec<(Entry, String)>, DatastoreError> {
    let mut out: BTreeMap<String, (Entry, String)> = BTreeMap::new();
    let args: Vec<String> = if args.is_empty() { vec![String::new()] } else { args.to_vec() };
    for arg in &args {
        if paths::is_pattern(arg) {
            let pattern = Pattern::parse(arg, "the pattern")?;
            let before = out.len();
            for e in store.list(&pattern.base).await? {
                if pattern.matches(&e.path) {
                    let rel = pattern.relative(&e.path).to_string();
                    out.insert(e.path.clone(), (e, rel));
                }
            }
            if out.len() == before {
                return Err(DatastoreError::NotFound {
                    datastore: store.name().to_string(),
                    path: arg.clone(),
                    hint: Some("the pattern matches no file".to_string()),
                });
            }
            continue;
        }
        let path = paths::clean(arg, "the path")?;
        if path.is_empty() {
            for e in store.list("").await? {
                let rel = e.path.clone();
                out.insert(e.path.clone(), (e, rel));
            }
            continue;
        }
        if let Some(e) = store.head(&path).await? {
            let rel = paths::file_name(&path).to_string();
            out.insert(path, (e, rel));
            continue;
        }
        let inside = store.list(&path).await?;
        if inside.is_empty() {
            return Err(not_found(store, &path).await);
        }
        if folders == Folders::Refuse {
            return Err(DatastoreError::Usage(format!(
                "`{path}` is a folder of {} file{} on datastore `{}`: pass --recursive to delete them all",
                inside.len(),
                if inside.len() == 1 { "" } else { "s" },
                store.name()
            )));
        }
        let name = paths::file_name(&path);
        for e in inside {
            let rel = paths::join(name, e.path[path.len()..].trim_start_matches('/'));
            out.insert(e.path.clone(), (e, rel));
        }
    }
    Ok(out.into_values().collect())
}

/// "Nothing at `raw/sales.cvs`; did you mean `raw/sales.csv`?"
async fn not_found(store: &Store, path: &str) -> DatastoreError {
    let parent = path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
    let hint = match store.list(parent).await {
        Ok(entries) => {
            let mut names: Vec<String> = entries
                .iter()
                .map(|e| {
                    let rel = if parent.is_empty() { e.path.as_str() } else { &e.path[parent.len() + 1..] };
                    paths::join(parent, rel.split('/').next().unwrap_or(rel))
                })
                .collect();
            names.dedup();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            sluice_compiler::suggest::did_you_mean(path, &refs)
        }
        Err(_) => None,
    };
    DatastoreError::NotFound { datastore: store.name().to_string(), path: path.to_string(), hint }
}

/// The files that paths and patterns name, for `sluice datastore list`.
pub async fn list(store: &Store, args: &[String]) -> Result<Vec<Entry>, DatastoreError> {
    Ok(resolve(store, args, Folders::Whole).await?.into_iter().map(|(e, _)| e).collect())
}

/// Downloads what the paths and patterns name into `req.target`.
pub async fn download(
    store: &Store,
    req: &DownloadRequest,
    jobs: usize,
    reporter: Arc<dyn TransferReporter>,
) -> Result<Summary, DatastoreError> {
    let start = Instant::now();
    let files = resolve(store, &req.paths, Folders::Whole).await?;
    let mut summary = Summary::default();
    let mut todo = Vec::new();
    let mut seen: HashMap<PathBuf, String> = HashMap::new();
    for (entry, rel) in files {
        let dest = local_destination(&req.target, &rel).ok_or_else(|| {
            DatastoreError::Usage(format!(
                "`{}` cannot be written under {}",
                entry.path,
                req.target.display()
            ))
        })?;
        if let Some(other) = seen.insert(dest.clone(), entry.path.clone()) {
            return Err(DatastoreError::Usage(format!(
                "`{other}` and `{}` would both be written to {}",
                entry.path,
                dest.display()
            )));
        }
        if !req.overwrite && std::fs::symlink_metadata(&dest).is_ok() {
            summary.skipped += 1;
            reporter.note(&format!("skipped {}: already here (--overwrite replaces it)", dest.display()));
            continue;
        }
        todo.push((entry, dest));
    }
    reporter.start("downloading", todo.len(), todo.iter().map(|(e, _)| e.size).sum());
    let total = Arc::new(AtomicU64::new(0));
    let results = stream::iter(todo.into_iter().map(|(entry, dest)| {
        let count = counter(&reporter, &total);
        async move {
            let outcome = fetch(store, &entry, &dest, req.overwrite, count).await;
            (entry, dest, outcome)
        }
    }))
    .buffer_unordered(jobs.max(1));
    let outcome = drain(results, |(entry, dest, outcome)| match outcome {
        Ok(Some(checked)) => {
            if !checked {
                summary.size_checked += 1;
            }
            reporter.done(&format!(
                "downloaded {} -> {} ({})",
                entry.path,
                dest.display(),
                format_bytes(entry.size)
            ));
            summary.files.push(entry.path);
            Ok(())
        }
        Ok(None) => {
            summary.skipped += 1;
            reporter.note(&format!(
                "skipped {}: it appeared meanwhile (--overwrite replaces it)",
                dest.display()
            ));
            Ok(())
        }
        Err(e) => Err(e),
    })
    .await;
    reporter.finish();
    summary.bytes = total.load(Ordering::Relaxed);
    summary.elapsed = start.elapsed();
    outcome.map(|()| summary)
}

/// `target/rel`, when `rel` stays inside `target`.
fn local_destination(target: &Path, rel: &str) -> Option<PathBuf> {
    let mut dest = target.to_path_buf();
    for seg in rel.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." || seg.contains('\\') {
            return None;
        }
        dest.push(seg);
    }
    Some(dest)
}

/// Downloads one file into place; `Some(md5 checked)`, or `None` when the destination appeared
/// meanwhile. An integrity failure is downloaded again once.
async fn fetch(
    store: &Store,
    entry: &Entry,
    dest: &Path,
    overwrite: bool,
    count: ByteCounter,
) -> Result<Option<bool>, DatastoreError> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| DatastoreError::local(parent, e))?;
    }
    let mut attempt = 0;
    loop {
        let tmp = TempFile::beside(dest);
        match store.get_file(entry, tmp.path(), count.clone()).await {
            Ok(fetched) => return Ok(tmp.commit(dest, overwrite)?.then_some(fetched.md5_checked)),
            Err(DatastoreError::Integrity { .. }) if attempt == 0 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Deletes what the paths and patterns name (a folder only with `recursive`).
pub async fn remove(
    store: &Store,
    req: &RemoveRequest,
    reporter: Arc<dyn TransferReporter>,
) -> Result<Summary, DatastoreError> {
    let start = Instant::now();
    let folders = if req.recursive { Folders::Whole } else { Folders::Refuse };
    if req.paths.is_empty() {
        return Err(DatastoreError::Usage("name what to delete (a path or pattern)".to_string()));
    }
    if req.paths.iter().any(|p| p.trim_matches('/').is_empty()) && !req.recursive {
        return Err(DatastoreError::Usage(
            "`/` is the whole datastore: pass --recursive to delete everything on it".to_string(),
        ));
    }
    let files: Vec<String> =
        resolve(store, &req.paths, folders).await?.into_iter().map(|(e, _)| e.path).collect();
    let mut summary = Summary::default();
    // Deleting shows no bar: one line per file, in both displays.
    if req.dry_run {
        for f in &files {
            reporter.note(&format!("would delete {f}"));
        }
        summary.files = files;
        summary.elapsed = start.elapsed();
        return Ok(summary);
    }
    let gone = store.delete(&files).await;
    for f in gone.as_deref().unwrap_or_default() {
        reporter.note(&format!("deleted {f}"));
    }
    summary.files = gone?;
    summary.elapsed = start.elapsed();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_folders() {
        assert_eq!(common_folder(["raw/a/x.csv", "raw/a/y.csv"].into_iter()), "raw/a");
        assert_eq!(common_folder(["raw/a/x.csv", "raw/b/y.csv"].into_iter()), "raw");
        assert_eq!(common_folder(["x.csv", "raw/b/y.csv"].into_iter()), "");
        assert_eq!(common_folder(std::iter::empty()), "");
    }

    #[test]
    fn local_destinations_stay_inside() {
        assert_eq!(local_destination(Path::new("out"), "a/b.csv"), Some(PathBuf::from("out/a/b.csv")));
        assert_eq!(local_destination(Path::new("out"), "a/../../b"), None);
        assert_eq!(local_destination(Path::new("out"), "a//b"), None);
    }
}
