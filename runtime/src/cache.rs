//! The output cache: `.sluice/cache/<fingerprint>/` holds a step's outputs (`outputs/<name>`)
//! and metrics. An entry is built in a temporary folder, made read-only (files 0444, folders
//! 0555), moved in with one rename when the step succeeded, and made valid by its `COMPLETE`
//! marker, written last (to a temporary name, then renamed). `CONTENTS` (written before the
//! marker) lists each output file's path, size and SHA-256; the marker holds the folder's tree
//! hash over them. An entry is reused only when its outputs still hash to it (the list is read
//! only to say which file differs, so checking a large entry does not parse it). Hashes come from the hash cache when a file's (path, size, mtime,
//! inode) did not change, so checking an unchanged entry reads no file.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sluice_compiler::fingerprint::canonical::hex;
use sluice_compiler::fingerprint::{HashCache, IgnoreRules, PathHash, TreeHasher};

/// Name of the marker file.
pub const MARKER: &str = "COMPLETE";

/// Name of the file listing the outputs' files with their hashes.
pub const CONTENTS: &str = "CONTENTS";

/// Version of the marker: 2 records content hashes (1 recorded sizes only).
pub const MARKER_VERSION: u32 = 2;

/// Entries with more files than this are checked on every core; smaller ones on one thread.
const PARALLEL_FILES: usize = 2_000;

/// One file of an entry's outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Path under `outputs/`, with `/` (`model/weights.bin`; a file output is just its name).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

/// What a complete entry holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Marker format version ([`MARKER_VERSION`]).
    pub version: u32,
    /// The fingerprint the outputs belong to.
    pub fingerprint: String,
    /// The run that produced them.
    pub run: i64,
    /// The step (in that run) that produced them.
    pub step: String,
    /// When they were stored, Unix ms.
    pub created_ms: i64,
    /// Output names.
    pub outputs: Vec<String>,
    /// How many files are under `outputs/` (each listed in `CONTENTS`).
    pub files: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// The content hash of `outputs/` as a folder (as sluice hashes any folder), over the
    /// files `CONTENTS` lists.
    pub tree: String,
}

impl Marker {
    /// A marker for outputs about to be stored (files and tree are filled in when they are).
    pub fn new(fingerprint: &str, run: i64, step: &str, outputs: Vec<String>) -> Marker {
        Marker {
            version: MARKER_VERSION,
            fingerprint: fingerprint.to_string(),
            run,
            step: step.to_string(),
            created_ms: crate::time::now_ms(),
            outputs,
            files: 0,
            bytes: 0,
            tree: String::new(),
        }
    }
}

/// How a cached output differs from what its step stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The file's content is not what was stored (same size or not).
    Changed,
    /// The file was not among the outputs.
    Added,
    /// The file is gone.
    Removed,
}

/// One altered file of a cache entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alteration {
    /// The output (`clean`).
    pub output: String,
    /// The file inside it (`data/part-1.csv`; empty when the output is a file).
    pub file: String,
    /// What happened to it.
    pub change: Change,
}

impl Alteration {
    /// `file `data.csv` changed` (or `its content changed` for a file output).
    pub fn describe(&self) -> String {
        let what = match self.change {
            Change::Changed => "changed",
            Change::Added => "added",
            Change::Removed => "removed",
        };
        if self.file.is_empty() {
            match self.change {
                Change::Changed => "its content changed".to_string(),
                _ => format!("it was {what}"),
            }
        } else {
            format!("file `{}` {what}", self.file)
        }
    }
}

/// The state of a cache entry.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryState {
    /// No complete entry (never stored, removed, or cut short before its marker).
    Missing,
    /// Its outputs are those its step stored.
    Intact(Marker),
    /// Its outputs were altered since they were stored (each alteration, sorted by path;
    /// `unreadable` when they could not be read at all).
    Altered {
        /// The marker of the entry.
        marker: Marker,
        /// What differs.
        changes: Vec<Alteration>,
        /// Why the outputs could not be read, when they could not.
        unreadable: Option<String>,
    },
    /// Stored by an older sluice that recorded no content hashes: it cannot be checked.
    Unverifiable {
        /// The run that stored it.
        run: i64,
    },
}

impl EntryState {
    /// What differs, in a few words: `output `o`: file `data.csv` changed, file `x` added`.
    pub fn summary(&self) -> String {
        const SHOWN: usize = 5;
        match self {
            EntryState::Missing => "they are no longer in the cache".to_string(),
            EntryState::Intact(_) => "they are intact".to_string(),
            EntryState::Unverifiable { .. } => "they were stored without content hashes".to_string(),
            EntryState::Altered { unreadable: Some(why), .. } => format!("they cannot be read: {why}"),
            EntryState::Altered { changes, .. } => {
                let mut parts: Vec<String> = changes
                    .iter()
                    .take(SHOWN)
                    .map(|a| format!("output `{}`: {}", a.output, a.describe()))
                    .collect();
                if changes.len() > SHOWN {
                    parts.push(format!("and {} more", changes.len() - SHOWN));
                }
                if parts.is_empty() { "they were altered".to_string() } else { parts.join(", ") }
            }
        }
    }

    /// Why the step runs again, in words, one per alteration (nothing for an intact entry).
    pub fn reasons(&self) -> Vec<String> {
        const SHOWN: usize = 20;
        match self {
            EntryState::Missing | EntryState::Intact(_) => Vec::new(),
            EntryState::Unverifiable { run } => vec![format!(
                "its outputs from run {run} were stored without content hashes (by an older sluice), so they cannot be checked"
            )],
            EntryState::Altered { marker, unreadable: Some(why), .. } => {
                vec![format!("its cached outputs from run {} cannot be checked: {why}", marker.run)]
            }
            EntryState::Altered { marker, changes, .. } => {
                let mut out: Vec<String> = changes
                    .iter()
                    .take(SHOWN)
                    .map(|a| {
                        format!(
                            "cached output `{}` of run {} was altered: {}",
                            a.output,
                            marker.run,
                            a.describe()
                        )
                    })
                    .collect();
                if changes.len() > SHOWN {
                    out.push(format!("... and {} more altered files", changes.len() - SHOWN));
                }
                if out.is_empty() {
                    // Same files, yet another tree hash: only a renamed or re-sized file does this.
                    out.push(format!("cached outputs of run {} were altered", marker.run));
                }
                out
            }
        }
    }
}

/// Why a step's outputs could not be stored.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct CommitError {
    /// What failed.
    pub error: std::io::Error,
    /// The size of the outputs (as far as they were counted): what storing them needs.
    pub bytes: u64,
}

/// The cache of one state folder.
#[derive(Debug, Clone)]
pub struct OutputCache {
    dir: PathBuf,
    tmp: PathBuf,
    /// Test seam: the marker write fails with this error (a full disk, without filling one).
    #[cfg(test)]
    fail_marker: Option<std::io::ErrorKind>,
}

impl OutputCache {
    /// The cache in `dir`, using `tmp` for entries on their way out.
    pub fn new(dir: PathBuf, tmp: PathBuf) -> OutputCache {
        OutputCache {
            dir,
            tmp,
            #[cfg(test)]
            fail_marker: None,
        }
    }

    /// The folder of an entry.
    pub fn entry_dir(&self, fingerprint: &str) -> PathBuf {
        self.dir.join(fingerprint)
    }

    /// Where output `name` of the step with this fingerprint is kept.
    pub fn output_path(&self, fingerprint: &str, name: &str) -> PathBuf {
        self.entry_dir(fingerprint).join("outputs").join(name)
    }

    /// The metrics kept with an entry.
    pub fn metrics_path(&self, fingerprint: &str) -> PathBuf {
        self.entry_dir(fingerprint).join("metrics.jsonl")
    }

    /// The marker of a complete entry for `fingerprint`, not checking its outputs.
    pub fn marker(&self, fingerprint: &str) -> Option<Marker> {
        let text = fs::read(self.entry_dir(fingerprint).join(MARKER)).ok()?;
        let marker: Marker = serde_json::from_slice(&text).ok()?;
        (marker.fingerprint == fingerprint && marker.version == MARKER_VERSION).then_some(marker)
    }

    /// The state of the entry of `fingerprint`: its outputs are hashed (file hashes from
    /// `hashes` when the files did not change) and compared with its marker.
    pub fn verify(&self, fingerprint: &str, hashes: &HashCache) -> EntryState {
        let Ok(text) = fs::read(self.entry_dir(fingerprint).join(MARKER)) else {
            return EntryState::Missing;
        };
        let marker: Marker = match serde_json::from_slice(&text) {
            Ok(m) => m,
            // A marker of another format: an older one (it has a run), else torn.
            Err(_) => {
                return match serde_json::from_slice::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("run").and_then(serde_json::Value::as_i64))
                {
                    Some(run) => EntryState::Unverifiable { run },
                    None => EntryState::Missing,
                };
            }
        };
        if marker.fingerprint != fingerprint {
            return EntryState::Missing;
        }
        if marker.version != MARKER_VERSION {
            return EntryState::Unverifiable { run: marker.run };
        }
        let outputs = self.entry_dir(fingerprint).join("outputs");
        match hash_outputs(&outputs, hashes, marker.files, false) {
            Ok(h) if h.hash == marker.tree => EntryState::Intact(marker),
            Ok(h) => {
                let changes = alterations(&self.contents(fingerprint).unwrap_or_default(), &h);
                EntryState::Altered { marker, changes, unreadable: None }
            }
            Err(why) => EntryState::Altered { marker, changes: Vec::new(), unreadable: Some(why) },
        }
    }

    /// Moves the entry built in `staged` into the cache as the entry of `marker.fingerprint`,
    /// replacing whatever was there, and writes its marker with the outputs' hashes (kept in
    /// `hashes` too, so checking the entry later reads nothing). `staged` holds `outputs/` and
    /// optionally `metrics.jsonl`. When the entry cannot be completed (a full disk), nothing of
    /// it is left in the cache.
    pub fn commit(&self, staged: &Path, marker: Marker, hashes: &HashCache) -> Result<(), CommitError> {
        let mut bytes = 0;
        self.commit_counting(staged, marker, hashes, &mut bytes).map_err(|error| CommitError { error, bytes })
    }

    fn commit_counting(
        &self,
        staged: &Path,
        mut marker: Marker,
        hashes: &HashCache,
        bytes: &mut u64,
    ) -> std::io::Result<()> {
        // Outputs are on disk before the marker says they are there, and read-only from now on.
        seal(staged, bytes)?;
        let entry = self.entry_dir(&marker.fingerprint);
        fs::create_dir_all(&self.dir)?;
        let old = if fs::symlink_metadata(&entry).is_ok() {
            fs::create_dir_all(&self.tmp)?;
            let aside = self.tmp.join(format!("old-{}-{}", marker.fingerprint, std::process::id()));
            let _ = remove_tree(&aside);
            fs::rename(&entry, &aside)?;
            Some(aside)
        } else {
            None
        };
        fs::rename(staged, &entry)?;
        let finished = self.finish_entry(&entry, &mut marker, hashes);
        if finished.is_err() {
            // An entry without its marker is never reused; remove it now, as it may be what
            // filled the disk.
            let _ = remove_tree(&entry);
        }
        if let Some(old) = old {
            let _ = remove_tree(&old);
        }
        finished
    }

    /// Hashes the outputs of a moved-in entry (at their final paths, so the hash cache knows
    /// them there) and writes its marker. A marker that a crash leaves empty or torn does not
    /// parse, and the step simply runs again (as it does when a lost folder rename takes the
    /// marker with it).
    fn finish_entry(&self, entry: &Path, marker: &mut Marker, hashes: &HashCache) -> std::io::Result<()> {
        let h =
            hash_outputs(&entry.join("outputs"), hashes, usize::MAX, true).map_err(std::io::Error::other)?;
        let contents: Vec<OutputFile> = h
            .files
            .iter()
            .map(|f| OutputFile { path: f.display_path(), size: f.size, sha256: hex(&f.hash) })
            .collect();
        marker.files = contents.len();
        marker.bytes = h.total_bytes();
        marker.tree = h.hash.clone();
        fs::write(entry.join(CONTENTS), serde_json::to_vec(&contents).map_err(std::io::Error::other)?)?;
        let tmp_marker = entry.join(format!("{MARKER}.tmp"));
        let bytes = serde_json::to_vec(&marker).map_err(std::io::Error::other)?;
        #[cfg(test)]
        if let Some(kind) = self.fail_marker {
            return Err(std::io::Error::from(kind));
        }
        fs::write(&tmp_marker, bytes)?;
        fs::rename(&tmp_marker, entry.join(MARKER))
    }

    /// The files of an entry's outputs as stored: path, size, SHA-256 (`None` when the list
    /// is missing or damaged).
    pub fn contents(&self, fingerprint: &str) -> Option<Vec<OutputFile>> {
        let text = fs::read(self.entry_dir(fingerprint).join(CONTENTS)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Removes entries that never got their marker (a crash, a full disk between the move and
    /// the marker): they are never reused and only take space. Call it holding the lock.
    /// Returns the number of entries removed.
    pub fn remove_incomplete(&self) -> usize {
        let Ok(entries) = fs::read_dir(&self.dir) else { return 0 };
        let mut removed = 0;
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() && !path.join(MARKER).is_file() && remove_tree(&path).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

/// The content hash of an entry's `outputs/` folder (every file counts, links are followed).
/// `files` is how many files it is expected to hold (to pick the number of threads).
fn hash_outputs(
    dir: &Path,
    hashes: &HashCache,
    files: usize,
    settled: bool,
) -> Result<std::sync::Arc<PathHash>, String> {
    let threads =
        if files > PARALLEL_FILES { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { 1 };
    let hasher = TreeHasher::with_threads(hashes, threads);
    let hasher = if settled { hasher.settled() } else { hasher };
    let h = hasher.hash(dir, IgnoreRules::None).map_err(|e| e.to_string())?;
    if h.is_dir { Ok(h) } else { Err(format!("`{}` is not a folder", dir.display())) }
}

/// The files that differ between what a marker lists and what is there now.
fn alterations(stored: &[OutputFile], now: &PathHash) -> Vec<Alteration> {
    let now: Vec<(String, u64, String)> =
        now.files.iter().map(|f| (f.display_path(), f.size, hex(&f.hash))).collect();
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    let alteration = |path: &str, change| {
        let (output, file) = path.split_once('/').unwrap_or((path, ""));
        Alteration { output: output.to_string(), file: file.to_string(), change }
    };
    while i < stored.len() || j < now.len() {
        match (stored.get(i), now.get(j)) {
            (Some(s), Some(n)) if s.path == n.0 => {
                if s.size != n.1 || s.sha256 != n.2 {
                    out.push(alteration(&s.path, Change::Changed));
                }
                i += 1;
                j += 1;
            }
            (Some(s), Some(n)) if s.path.as_bytes() < n.0.as_bytes() => {
                out.push(alteration(&s.path, Change::Removed));
                i += 1;
            }
            (Some(s), None) => {
                out.push(alteration(&s.path, Change::Removed));
                i += 1;
            }
            (_, Some(n)) => {
                out.push(alteration(&n.0, Change::Added));
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// Syncs every file of a staged entry and makes its outputs read-only: files 0444, folders
/// 0555 (links are left alone: what they point at is not the cache's).
/// `bytes` counts the size of the files.
fn seal(staged: &Path, bytes: &mut u64) -> std::io::Result<()> {
    let mut dirs = vec![staged.to_path_buf()];
    let mut sealed_dirs = Vec::new();
    while let Some(d) = dirs.pop() {
        for e in fs::read_dir(&d)? {
            let e = e?;
            let ty = e.file_type()?;
            let p = e.path();
            if ty.is_dir() {
                dirs.push(p.clone());
                sealed_dirs.push(p);
            } else if ty.is_file() {
                let f = fs::File::open(&p)?;
                let meta = f.metadata()?;
                *bytes += meta.len();
                f.sync_all()?;
                set_mode(&p, &meta, 0o444)?;
            }
        }
    }
    // Deepest first, so each folder is still writable while its children are sealed. The
    // entry's own folder stays writable: the marker is written into it.
    for d in sealed_dirs.iter().rev() {
        set_mode(d, &fs::symlink_metadata(d)?, 0o555)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(p: &Path, m: &fs::Metadata, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = m.permissions();
    perms.set_mode(mode);
    fs::set_permissions(p, perms)
}

#[cfg(not(unix))]
fn set_mode(p: &Path, m: &fs::Metadata, _mode: u32) -> std::io::Result<()> {
    if m.is_file() {
        let mut perms = m.permissions();
        perms.set_readonly(true);
        fs::set_permissions(p, perms)?;
    }
    Ok(())
}

/// Removes a file or folder tree, read-only files and folders included.
pub fn remove_tree(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => match fs::remove_dir_all(path) {
            // A read-only folder (a cached output) keeps its entries: open it up, then retry.
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                make_writable(path);
                fs::remove_dir_all(path)
            }
            other => other,
        },
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Gives the owner write access to `dir` and every folder under it (not following links).
fn make_writable(dir: &Path) {
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        if let Ok(m) = fs::symlink_metadata(&d) {
            let mut perms = m.permissions();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                perms.set_mode(perms.mode() | 0o700);
            }
            #[cfg(not(unix))]
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            let _ = fs::set_permissions(&d, perms);
        }
        if let Ok(entries) = fs::read_dir(&d) {
            dirs.extend(
                entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(fp: &str) -> Marker {
        Marker::new(fp, 1, "s", vec!["o".into()])
    }

    fn stage(root: &Path, files: &[(&str, &str)]) -> PathBuf {
        let staged = root.join("staged");
        for (rel, text) in files {
            let p = staged.join("outputs").join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        staged
    }

    fn intact(state: EntryState) -> Marker {
        match state {
            EntryState::Intact(m) => m,
            other => panic!("not intact: {other:?}"),
        }
    }

    /// Writes `text` over a read-only cached file, as a tampering user (or a root process) can.
    fn overwrite(p: &Path, text: &str) {
        let mut perms = fs::metadata(p).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(p, perms).unwrap();
        fs::write(p, text).unwrap();
    }

    #[test]
    fn commit_records_hashes_and_verify_finds_each_alteration() {
        let d = tempfile::tempdir().unwrap();
        let cache = OutputCache::new(d.path().join("cache"), d.path().join("tmp"));
        let hashes = HashCache::new();
        assert_eq!(cache.verify("f1", &hashes), EntryState::Missing);
        let staged = stage(d.path(), &[("o/sub/a.txt", "abc"), ("o/b.txt", "b")]);
        cache.commit(&staged, marker("f1"), &hashes).unwrap();
        let m = intact(cache.verify("f1", &hashes));
        assert_eq!((m.files, m.bytes), (2, 4));
        let files = cache.contents("f1").unwrap();
        assert_eq!(
            files.iter().map(|f| (f.path.as_str(), f.size)).collect::<Vec<_>>(),
            [("o/b.txt", 1), ("o/sub/a.txt", 3)]
        );
        assert_eq!(files[1].sha256, sluice_compiler::fingerprint::canonical::sha256_hex(b"abc"));
        // The outputs were hashed at their final place: checking them again reads nothing.
        assert_eq!(hashes.len(), 2);

        // A byte flip of the same size (a moment later: a file's time has the file system
        // clock's resolution, a few milliseconds).
        std::thread::sleep(std::time::Duration::from_millis(30));
        let a = cache.output_path("f1", "o").join("sub/a.txt");
        overwrite(&a, "abd");
        let EntryState::Altered { changes, .. } = cache.verify("f1", &hashes) else { panic!() };
        assert_eq!(
            changes,
            [Alteration { output: "o".into(), file: "sub/a.txt".into(), change: Change::Changed }]
        );
        overwrite(&a, "abc");
        intact(cache.verify("f1", &hashes));

        // A file added, and one replaced by another of the same size (a new inode).
        make_writable(&cache.entry_dir("f1"));
        fs::write(cache.output_path("f1", "o").join("new.txt"), "n").unwrap();
        fs::remove_file(cache.output_path("f1", "o").join("b.txt")).unwrap();
        fs::write(cache.output_path("f1", "o").join("b.txt"), "B").unwrap();
        let state = cache.verify("f1", &hashes);
        assert_eq!(
            state.reasons(),
            [
                "cached output `o` of run 1 was altered: file `b.txt` changed",
                "cached output `o` of run 1 was altered: file `new.txt` added"
            ]
        );
        fs::remove_file(cache.output_path("f1", "o").join("sub/a.txt")).unwrap();
        let EntryState::Altered { changes, .. } = cache.verify("f1", &hashes) else { panic!() };
        assert!(changes.contains(&Alteration {
            output: "o".into(),
            file: "sub/a.txt".into(),
            change: Change::Removed
        }));

        // A new commit replaces the entry, read-only folders and all.
        let staged = stage(d.path(), &[("o/c.txt", "c")]);
        cache.commit(&staged, marker("f1"), &hashes).unwrap();
        assert_eq!(intact(cache.verify("f1", &hashes)).files, 1);
        assert!(!d.path().join("tmp").read_dir().unwrap().any(|_| true), "the old entry was left aside");
    }

    #[cfg(unix)]
    #[test]
    fn cached_outputs_are_read_only() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let cache = OutputCache::new(d.path().join("cache"), d.path().join("tmp"));
        let staged = stage(d.path(), &[("o/sub/a.txt", "abc"), ("f.bin", "x")]);
        cache.commit(&staged, marker("f1"), &HashCache::new()).unwrap();
        let mode = |p: PathBuf| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(cache.output_path("f1", "o").join("sub/a.txt")), 0o444);
        assert_eq!(mode(cache.output_path("f1", "f.bin")), 0o444);
        assert_eq!(mode(cache.output_path("f1", "o").join("sub")), 0o555);
        assert_eq!(mode(cache.output_path("f1", "o")), 0o555);
        assert_eq!(mode(cache.entry_dir("f1").join("outputs")), 0o555);
        // And they can still be removed whole.
        remove_tree(&cache.entry_dir("f1")).unwrap();
        assert!(!cache.entry_dir("f1").exists());
    }

    #[test]
    fn torn_old_and_missing_markers() {
        let d = tempfile::tempdir().unwrap();
        let cache = OutputCache::new(d.path().join("cache"), d.path().join("tmp"));
        let hashes = HashCache::new();
        cache.commit(&stage(d.path(), &[("o/a", "a")]), marker("f1"), &hashes).unwrap();
        let marker_path = cache.entry_dir("f1").join(MARKER);
        let text = fs::read(&marker_path).unwrap();
        // A torn marker (a crash before it reached the disk) does not count.
        fs::write(&marker_path, &text[..text.len() / 2]).unwrap();
        assert_eq!(cache.verify("f1", &hashes), EntryState::Missing);
        fs::write(&marker_path, "").unwrap();
        assert_eq!(cache.verify("f1", &hashes), EntryState::Missing);
        // A marker of sluice's first format (sizes only) cannot be checked.
        fs::write(
            &marker_path,
            r#"{"version":1,"fingerprint":"f1","run":4,"step":"s","created_ms":0,"outputs":["o"],"files":[["outputs/o/a",1]]}"#,
        )
        .unwrap();
        assert_eq!(cache.verify("f1", &hashes), EntryState::Unverifiable { run: 4 });
        assert!(cache.verify("f1", &hashes).reasons()[0].contains("without content hashes"));
        // Without its marker an entry does not count, and is removed as incomplete.
        fs::remove_file(&marker_path).unwrap();
        assert_eq!(cache.verify("f1", &hashes), EntryState::Missing);
        assert_eq!(cache.remove_incomplete(), 1);
        assert!(!cache.entry_dir("f1").exists());
    }

    #[test]
    fn a_marker_that_cannot_be_written_leaves_no_entry() {
        let d = tempfile::tempdir().unwrap();
        let mut cache = OutputCache::new(d.path().join("cache"), d.path().join("tmp"));
        cache.fail_marker = Some(std::io::ErrorKind::StorageFull);
        let err =
            cache.commit(&stage(d.path(), &[("o/a", "abc")]), marker("f1"), &HashCache::new()).unwrap_err();
        assert_eq!(err.error.kind(), std::io::ErrorKind::StorageFull);
        assert_eq!(err.bytes, 3);
        assert!(!cache.entry_dir("f1").exists(), "an entry without marker was left in the cache");
    }
}
