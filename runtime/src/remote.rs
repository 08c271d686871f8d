//! Data a run reads from or writes to a cloud datastore (issue 12, items 3 to 5).
//!
//! A data reference on an `azure_blob` or `adls_gen2` datastore is identified by a listing:
//! each blob's MD5 (or, lacking one, its ETag) and size, never by downloading it. A step that
//! runs gets a local copy, fetched once into `.sluice/remote/<identity>/` (a temporary folder
//! renamed into place when every file arrived and matched its MD5, so nothing half-written is
//! ever there); an unchanged blob is never downloaded twice. `download` and `mount` modes both
//! get that cached copy.
//!
//! An output on a cloud datastore is uploaded after its step succeeded and before its outputs
//! enter the cache; a failed upload fails the step and removes what it had written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use futures_util::stream::{self, StreamExt};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use sluice_compiler::fingerprint::tree::{FileEntry, tree_hash};
use sluice_compiler::fingerprint::{
    DataResolver, FileKey, HashCache, IgnoreRules, PathHash, RemoteIdentity, TreeHasher, data,
};
use sluice_compiler::ir::{DataLocation, DatastoreKind, Workspace};

use crate::dataset::{DatasetVersion, Registry};
use crate::datastore::{self, DatastoreError, Entry, NetOptions, PutOutcome, Store, paths};
use crate::state::StateDir;

/// Files fetched or published at once.
const JOBS: usize = 8;

/// A file or folder on a cloud datastore, as a listing showed it.
#[derive(Debug)]
pub struct RemoteData {
    /// The datastore, opened.
    pub store: Arc<Store>,
    /// The path on it (no leading or trailing `/`).
    pub path: String,
    /// True for a folder (a prefix).
    pub is_dir: bool,
    /// Its files.
    pub entries: Vec<Entry>,
    /// Its identity: one entry per file with the service's MD5 (or ETag) and size.
    pub identity: Arc<PathHash>,
}

/// The name a step sees for data at `path` on `datastore`: the path's last segment (the
/// datastore's name for its root).
pub fn data_name(datastore: &str, path: &str) -> String {
    let last = paths::file_name(path.trim_end_matches('/'));
    if last.is_empty() { datastore.to_string() } else { last.to_string() }
}

impl RemoteData {
    /// The name the step sees (see [`data_name`]).
    pub fn name(&self) -> String {
        data_name(self.store.name(), &self.path)
    }

    /// Where the local copy is kept under the state folder's `remote/`.
    pub fn cache_path(&self, remote_dir: &Path) -> PathBuf {
        remote_dir.join(&self.identity.hash).join(self.name())
    }

    /// `datastore `x`, path `p``, for messages.
    pub fn describe(&self) -> String {
        format!("`{}` on datastore `{}`", self.path, self.store.name())
    }
}

/// The identity of listed files: per file, SHA-256 of `md5:<hex>` or `etag:<etag>`.
fn identity_of(label: String, prefix: &str, is_dir: bool, entries: &[Entry]) -> Arc<PathHash> {
    let files: Vec<FileEntry> = entries
        .iter()
        .map(|e| {
            let tag = match (&e.md5, &e.etag) {
                (Some(m), _) => format!("md5:{}", datastore::md5_hex(m)),
                (None, Some(t)) => format!("etag:{}", t.trim_matches('"')),
                (None, None) => format!("size:{}", e.size),
            };
            let rel = if is_dir {
                e.path.strip_prefix(prefix).unwrap_or(&e.path).trim_start_matches('/').to_string()
            } else {
                String::new()
            };
            FileEntry {
                rel: PathBuf::from(rel),
                size: e.size,
                hash: Sha256::digest(tag.as_bytes()).into(),
                key: FileKey { size: e.size, mtime_s: 0, mtime_ns: 0, inode: 0, dev: 0 },
            }
        })
        .collect();
    let mut files = files;
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    let hash = tree_hash(&files);
    Arc::new(PathHash { path: PathBuf::from(label), is_dir, hash, files })
}

/// Where data was found.
#[derive(Debug, Clone)]
pub enum Located {
    /// On this machine (a dataset on a local datastore), with its hashed files.
    Local(PathBuf, Option<Arc<PathHash>>),
    /// On a cloud datastore.
    Remote(Arc<RemoteData>),
}

/// Data found, with the fields it adds to the input's identity.
#[derive(Debug, Clone)]
pub struct Found {
    /// Where it is.
    pub located: Located,
    /// Identity fields (`content`; for a dataset `resolved` and `kind`).
    pub fields: serde_json::Map<String, Json>,
    /// For a registered dataset: its name and the version used.
    pub dataset: Option<(String, u32)>,
}

/// Looks up data not on this machine for a plan: opens datastores, lists them once per path,
/// reads the dataset registry.
pub struct Resolver<'a> {
    workspace: &'a Workspace,
    state: &'a StateDir,
    hashes: &'a HashCache,
    net: NetOptions,
    stores: Mutex<HashMap<String, Result<Arc<Store>, String>>>,
    found: Mutex<HashMap<String, Result<Found, String>>>,
    registry: OnceLock<Registry>,
}

impl<'a> Resolver<'a> {
    /// A resolver for a plan of a pipeline of `workspace`, with its state in `state`.
    pub fn new(workspace: &'a Workspace, state: &'a StateDir, hashes: &'a HashCache) -> Self {
        Resolver {
            workspace,
            state,
            hashes,
            net: NetOptions::default(),
            stores: Mutex::new(HashMap::new()),
            found: Mutex::new(HashMap::new()),
            registry: OnceLock::new(),
        }
    }

    fn registry(&self) -> &Registry {
        self.registry.get_or_init(|| Registry::new(self.state))
    }

    /// The datastore `name`, opened once.
    pub fn store(&self, name: &str) -> Result<Arc<Store>, String> {
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        stores
            .entry(name.to_string())
            .or_insert_with(|| {
                datastore::open(self.workspace, name, self.net).map(Arc::new).map_err(|e| e.to_string())
            })
            .clone()
    }

    /// True when `name` is a declared cloud datastore.
    pub fn is_cloud(&self, name: &str) -> bool {
        self.workspace
            .datastore(name)
            .is_some_and(|d| matches!(d.kind, DatastoreKind::AzureBlob | DatastoreKind::AdlsGen2))
    }

    /// What `location` is, when it is data this resolver knows (a cloud datastore's path, a
    /// registered dataset); `None` otherwise.
    pub fn locate(&self, location: &DataLocation) -> Option<Result<Found, String>> {
        let key = match location {
            DataLocation::Datastore { datastore, path } if self.is_cloud(datastore.as_str()) => {
                format!("ds\0{}\0{}", datastore.value, path.value)
            }
            DataLocation::Dataset { name, version } => {
                format!("dataset\0{}\0{}", name.value, version.as_deref().unwrap_or("latest"))
            }
            DataLocation::Asset(a) => format!("asset\0{}", a.value),
            _ => return None,
        };
        if let Some(f) = self.found.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Some(f.clone());
        }
        let found = match location {
            DataLocation::Datastore { datastore, path } => {
                self.list(datastore.as_str(), path.as_str()).map(|r| Found {
                    fields: content(&r.identity.hash),
                    located: Located::Remote(r),
                    dataset: None,
                })
            }
            DataLocation::Dataset { name, version } => self.dataset(name.as_str(), version.as_deref()),
            DataLocation::Asset(a) => match parse_asset(a.as_str()) {
                Some((name, version)) => self.dataset(name, version),
                None => Err(format!(
                    "`{}` is not of the form `azureml:NAME:VERSION` or `azureml:NAME@latest`",
                    a.value
                )),
            },
            _ => return None,
        };
        self.found.lock().unwrap_or_else(|p| p.into_inner()).insert(key, found.clone());
        Some(found)
    }

    /// Lists `path` on the cloud datastore `name`: a file if one is there, else a folder.
    pub fn list(&self, name: &str, path: &str) -> Result<Arc<RemoteData>, String> {
        let store = self.store(name)?;
        let clean = paths::clean(path, "path").map_err(|e| e.to_string())?;
        let listed = on_own_runtime({
            let store = store.clone();
            let clean = clean.clone();
            async move {
                if !clean.is_empty()
                    && let Some(e) = store.head(&clean).await?
                {
                    return Ok((false, vec![e]));
                }
                Ok((true, store.list(&clean).await?))
            }
        })
        .map_err(|e| e.to_string())?;
        let (is_dir, entries) = listed;
        if entries.is_empty() {
            return Err(format!(
                "nothing at `{clean}` on datastore `{name}`; upload it with `sluice datastore upload --datastore {name} --target-path {clean} FILES`"
            ));
        }
        let identity = identity_of(format!("{name}:{clean}"), &clean, is_dir, &entries);
        Ok(Arc::new(RemoteData { store, path: clean, is_dir, entries, identity }))
    }

    /// A registered dataset's version (`None`: the latest).
    fn dataset(&self, name: &str, version: Option<&str>) -> Result<Found, String> {
        let v = self.registry().resolve(name, version)?;
        self.dataset_version(name, &v)
    }

    /// Where the data a dataset version pins is: the copy kept in `.sluice/remote/<content>/`
    /// (made when a local dataset is registered, or when cloud data was fetched), else the
    /// data in place if it still is what the version pins.
    pub fn dataset_version(&self, name: &str, v: &DatasetVersion) -> Result<Found, String> {
        let kept = self.state.dir.join("remote").join(&v.content);
        let located = if kept.is_dir() {
            let path = kept.join(data_name(&v.datastore, &v.path));
            let listing = TreeHasher::new(self.hashes).hash(&path, IgnoreRules::None).ok();
            Located::Local(path, listing)
        } else {
            let (located, now) = self.current(v)?;
            if now != v.content {
                return Err(format!(
                    "dataset `{name}` version {} pins the content of `{}:{}` as it was when registered; it changed since and no copy of it is kept here; register the data again (`sluice dataset register --name {name} --{} {}:{}`) to make a new version",
                    v.version,
                    v.datastore,
                    v.path,
                    v.kind.as_str(),
                    v.datastore,
                    v.path
                ));
            }
            located
        };
        let mut fields = content(&v.content);
        // Named for `azureml:` inputs too, so a change says which dataset and versions.
        fields.insert("dataset".into(), name.into());
        fields.insert("resolved".into(), v.version.into());
        fields.insert("kind".into(), v.kind.as_str().into());
        Ok(Found { located, fields, dataset: Some((name.to_string(), v.version)) })
    }

    /// Where a dataset version's data is now and its content identity.
    pub fn current(&self, v: &DatasetVersion) -> Result<(Located, String), String> {
        if self.is_cloud(&v.datastore) {
            let r = self.list(&v.datastore, &v.path)?;
            let hash = r.identity.hash.clone();
            return Ok((Located::Remote(r), hash));
        }
        let loc = DataLocation::Datastore {
            datastore: synthetic_name(&v.datastore),
            path: synthetic_name(&v.path),
        };
        let local = data::resolve(&loc, self.workspace).map_err(|e| e.to_string())?;
        let h = TreeHasher::new(self.hashes)
            .hash(&local.path, IgnoreRules::None)
            .map_err(|e| format!("dataset data `{}:{}`: {e}", v.datastore, v.path))?;
        Ok((Located::Local(local.path, Some(h.clone())), h.hash.clone()))
    }
}

impl DataResolver for Resolver<'_> {
    /// Data that cannot be looked up (no credential, a 403, the service down) is known by where
    /// it is only; the plan names the failure as the step's problem (it cannot run), so `plan`
    /// still shows every step.
    fn identity(&self, location: &DataLocation) -> Option<Result<RemoteIdentity, String>> {
        self.locate(location).and_then(Result::ok).map(|f| {
            Ok(RemoteIdentity {
                fields: f.fields,
                listing: match f.located {
                    Located::Remote(r) => Some(r.identity.clone()),
                    Located::Local(_, h) => h,
                },
            })
        })
    }
}

fn content(hash: &str) -> serde_json::Map<String, Json> {
    let mut m = serde_json::Map::new();
    m.insert("content".into(), json!(hash));
    m
}

/// A name not written in any file (a dataset's datastore and path come from the registry).
fn synthetic_name(value: &str) -> sluice_compiler::ir::Name {
    sluice_compiler::ir::Name {
        value: value.to_string(),
        file: sluice_compiler::source::FileId(0),
        span: sluice_compiler::source::Span::point(0),
    }
}

/// `azureml:NAME:VERSION` or `azureml:NAME@latest` (also without `azureml:`).
pub fn parse_asset(text: &str) -> Option<(&str, Option<&str>)> {
    let rest = text.strip_prefix("azureml:").unwrap_or(text);
    if let Some(name) = rest.strip_suffix("@latest") {
        return (!name.is_empty() && !name.contains(':')).then_some((name, None));
    }
    let (name, version) = rest.split_once(':')?;
    (!name.is_empty() && !version.is_empty() && !version.contains(':')).then_some((name, Some(version)))
}

/// Runs a datastore operation on a runtime of its own, on a thread of its own (the caller may
/// be inside another runtime, where blocking on one is not allowed).
pub fn on_own_runtime<T: Send>(
    op: impl std::future::Future<Output = Result<T, DatastoreError>> + Send,
) -> Result<T, DatastoreError> {
    std::thread::scope(|s| {
        s.spawn(|| datastore::block_on(op))
            .join()
            .unwrap_or_else(|_| Err(DatastoreError::Usage("the transfer thread stopped".to_string())))
    })
}

/// Runs the future `make` returns to its end (or to Ctrl-C / SIGTERM) on a runtime and a thread
/// of their own, so a transfer's futures never need to be sendable between the run loop's
/// tasks; called from a blocking task of the run.
pub fn apart<T: Send, F: std::future::Future<Output = Result<T, String>>>(
    make: impl FnOnce() -> F + Send,
) -> Result<T, String> {
    std::thread::scope(|s| {
        s.spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the transfer threads: {e}"))?;
            // Ctrl-C or SIGTERM stops the transfer (its temporary files are removed by the
            // next run, which clears `.sluice/tmp`), as it stops the run's steps.
            let r = rt.block_on(async {
                tokio::select! {
                    r = make() => r,
                    () = datastore::stop_signal() => Err("canceled".to_string()),
                }
            });
            rt.shutdown_timeout(std::time::Duration::from_secs(5));
            r
        })
        .join()
        .unwrap_or_else(|_| Err("the transfer thread stopped".to_string()))
    })
}

/// An input of a step whose data is fetched before the step runs.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// The input's name.
    pub input: String,
    /// The data.
    pub data: Arc<RemoteData>,
    /// For a registered dataset: its name and version.
    pub dataset: Option<(String, u32)>,
}

/// What [`fetch`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetched {
    /// The copy was already in the cache: nothing downloaded.
    Cached,
    /// Downloaded: files and bytes.
    Downloaded(usize, u64),
}

/// Makes sure the local copy of `data` is at `data.cache_path(remote_dir)`: downloaded into a
/// temporary folder under `tmp_dir`, each file checked against the listing's MD5, then renamed
/// into place whole.
pub async fn fetch(data: &RemoteData, remote_dir: &Path, tmp_dir: &Path) -> Result<Fetched, String> {
    let entry_dir = remote_dir.join(&data.identity.hash);
    if entry_dir.is_dir() {
        return Ok(Fetched::Cached);
    }
    let name = data.name();
    let tmp = tmp_dir.join(format!("remote-{}-{}", &data.identity.hash[..16], unique()));
    let result = download_into(data, &tmp.join(&name)).await;
    let bytes = match result {
        Ok(b) => b,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(format!("cannot download {}: {e}", data.describe()));
        }
    };
    let io = |e: std::io::Error, p: &Path| {
        format!("cannot keep the copy of {} in {}: {e}", data.describe(), p.display())
    };
    std::fs::create_dir_all(remote_dir).map_err(|e| io(e, remote_dir))?;
    if let Err(e) = std::fs::rename(&tmp, &entry_dir) {
        let _ = std::fs::remove_dir_all(&tmp);
        // Another step of this run fetched the same data first.
        if !entry_dir.is_dir() {
            return Err(io(e, &entry_dir));
        }
        return Ok(Fetched::Cached);
    }
    Ok(Fetched::Downloaded(data.entries.len(), bytes))
}

async fn download_into(data: &RemoteData, dest: &Path) -> Result<u64, DatastoreError> {
    let jobs: Vec<(Entry, PathBuf)> = data
        .entries
        .iter()
        .map(|e| {
            let path = if data.is_dir {
                let rel = e.path.strip_prefix(&data.path).unwrap_or(&e.path).trim_start_matches('/');
                rel.split('/')
                    .filter(|s| !s.is_empty() && *s != "." && *s != "..")
                    .fold(dest.to_path_buf(), |p, s| p.join(s))
            } else {
                dest.to_path_buf()
            };
            (e.clone(), path)
        })
        .collect();
    let results = stream::iter(jobs.into_iter().map(|(entry, path)| {
        let store = data.store.clone();
        async move {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| DatastoreError::local(parent, e))?;
            }
            let noop: datastore::ByteCounter = Arc::new(|_| {});
            // An integrity failure (a byte changed on the wire) is tried once more.
            match store.get_file(&entry, &path, noop.clone()).await {
                Err(DatastoreError::Integrity { .. }) => store.get_file(&entry, &path, noop).await?,
                other => other?,
            };
            Ok::<u64, DatastoreError>(entry.size)
        }
    }))
    .buffer_unordered(JOBS);
    let mut results = Box::pin(results);
    let mut total = 0;
    while let Some(r) = results.next().await {
        total += r?;
    }
    Ok(total)
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Where an output is published once its step succeeds.
#[derive(Debug, Clone)]
pub struct Publish {
    /// The output's name.
    pub output: String,
    /// The datastore.
    pub store: Arc<Store>,
    /// The path on it: a folder, or a file when `as_file`.
    pub path: String,
    /// The output is one file written to `path` itself (a file-to-file transfer).
    pub as_file: bool,
}

/// Uploads `src` (a file or folder) as `target` says, overwriting what is there. Stops at the
/// first failure and deletes what it had written, so a failed publish leaves nothing of it.
pub async fn publish(target: &Publish, src: &Path) -> Result<(usize, u64), String> {
    let place = format!("`{}` on datastore `{}`", target.path, target.store.name());
    let files = local_files(src, &target.path, target.as_file)
        .map_err(|e| format!("cannot read output `{}` to upload it: {e}", target.output))?;
    let store = target.store.clone();
    store.ensure_container().await.map_err(|e| format!("cannot publish to {place}: {e}"))?;
    let written: Arc<Mutex<Vec<String>>> = Arc::default();
    // After a failure no new file starts; those under way finish, so `written` is complete.
    let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let count = files.len();
    let mut results = Box::pin(
        stream::iter(files.into_iter().map(|(file, size, dest)| {
            let (written, store, failed) = (written.clone(), store.clone(), failed.clone());
            async move {
                if failed.load(std::sync::atomic::Ordering::Relaxed) {
                    return Ok(0);
                }
                let noop: datastore::ByteCounter = Arc::new(|_| {});
                let r = store.put_file(&file, size, &dest, true, noop).await;
                match &r {
                    Ok(PutOutcome::Written { .. }) => {
                        written.lock().unwrap_or_else(|p| p.into_inner()).push(dest)
                    }
                    Ok(PutOutcome::Exists) => {}
                    Err(_) => failed.store(true, std::sync::atomic::Ordering::Relaxed),
                }
                r.map(|_| size)
            }
        }))
        .buffer_unordered(JOBS),
    );
    let mut total = 0;
    let mut failure = None;
    while let Some(r) = results.next().await {
        match r {
            Ok(n) => total += n,
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    drop(results);
    let Some(e) = failure else {
        return Ok((count, total));
    };
    let written = std::mem::take(&mut *written.lock().unwrap_or_else(|p| p.into_inner()));
    let undo = if written.is_empty() {
        String::new()
    } else {
        match store.delete(&written).await {
            Ok(_) => format!("; the {} file(s) it had written were removed", written.len()),
            Err(e2) => format!(
                "; {} file(s) it had written could not be removed ({e2}): delete them with `sluice datastore rm --datastore {} --recursive {}`",
                written.len(),
                store.name(),
                target.path
            ),
        }
    };
    Err(format!("cannot upload output `{}` to {place}: {e}{undo}", target.output))
}

/// The files under `src` with their sizes and destinations under `dest`.
fn local_files(src: &Path, dest: &str, as_file: bool) -> std::io::Result<Vec<(PathBuf, u64, String)>> {
    let meta = std::fs::metadata(src)?;
    if meta.is_file() {
        let name = src.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let to = if as_file { dest.to_string() } else { paths::join(dest, &name) };
        return Ok(vec![(src.to_path_buf(), meta.len(), to)]);
    }
    let mut out = Vec::new();
    let mut stack = vec![(src.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        for e in std::fs::read_dir(&dir)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let m = std::fs::metadata(e.path())?;
            if m.is_dir() {
                stack.push((e.path(), rel));
            } else {
                out.push((e.path(), m.len(), paths::join(dest, &rel)));
            }
        }
    }
    out.sort_by(|a, b| a.2.cmp(&b.2));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_parse() {
        assert_eq!(parse_asset("azureml:sales:2"), Some(("sales", Some("2"))));
        assert_eq!(parse_asset("azureml:sales@latest"), Some(("sales", None)));
        assert_eq!(parse_asset("azureml:sales"), None);
        assert_eq!(parse_asset("azureml::2"), None);
    }

    #[test]
    fn identity_follows_md5_not_names_of_the_prefix() {
        let e = |p: &str, md5: u8| Entry {
            path: p.into(),
            size: 3,
            modified_ms: None,
            etag: None,
            md5: Some([md5; 16]),
        };
        let a = identity_of("x".into(), "in", true, &[e("in/a.csv", 1), e("in/b.csv", 2)]);
        let b = identity_of("y".into(), "other", true, &[e("other/a.csv", 1), e("other/b.csv", 2)]);
        assert_eq!(a.hash, b.hash);
        let c = identity_of("x".into(), "in", true, &[e("in/a.csv", 1), e("in/b.csv", 3)]);
        assert_ne!(a.hash, c.hash);
        assert_eq!(a.files[0].rel, PathBuf::from("a.csv"));
    }
}
