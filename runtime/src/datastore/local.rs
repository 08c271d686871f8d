//! A `local` datastore: a folder on this machine (the built-in workspace's `workspaceblobstore`
//! and `workspacefilestore` are folders under `.sluice/datastores/`). Writes go to a temporary
//! file beside the destination, flushed to disk, then renamed into place, so a reader never
//! sees half a file; without overwriting, the rename is a hard link that fails when the
//! destination exists, so two writers cannot both win.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

use super::{ByteCounter, DatastoreError, Entry, Fetched, PutOutcome};

/// Copy buffer size.
const BUFFER: usize = 1 << 20;

/// A folder on this machine.
#[derive(Debug, Clone)]
pub struct LocalStore {
    /// The datastore's name.
    pub name: String,
    /// Its folder.
    pub root: PathBuf,
}

impl LocalStore {
    /// The datastore `name` at `root` (which may not exist yet).
    pub fn new(name: &str, root: PathBuf) -> Self {
        LocalStore { name: name.to_string(), root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() { self.root.clone() } else { self.root.join(rel) }
    }

    /// Every file under `prefix`; a missing folder holds nothing.
    pub async fn list(&self, prefix: &str) -> Result<Vec<Entry>, DatastoreError> {
        let dir = self.path(prefix);
        let prefix = prefix.to_string();
        blocking(move || {
            let mut out = Vec::new();
            match std::fs::metadata(&dir) {
                Ok(m) if m.is_dir() => walk(&dir, &prefix, &mut out)?,
                _ => {}
            }
            Ok(out)
        })
        .await
    }

    /// The file at `path`, if there is one.
    pub async fn head(&self, path: &str) -> Result<Option<Entry>, DatastoreError> {
        let file = self.path(path);
        let rel = path.to_string();
        blocking(move || match std::fs::metadata(&file) {
            Ok(m) if m.is_file() => Ok(Some(entry(rel, &m))),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(None),
            Err(e) => Err(DatastoreError::local(&file, e)),
        })
        .await
    }

    /// Makes the folder when it is missing.
    pub async fn ensure_root(&self) -> Result<bool, DatastoreError> {
        let root = self.root.clone();
        blocking(move || {
            if root.is_dir() {
                return Ok(false);
            }
            std::fs::create_dir_all(&root).map_err(|e| DatastoreError::local(&root, e))?;
            Ok(true)
        })
        .await
    }

    /// Copies `src` to `dst` through a temporary file.
    pub async fn put_file(
        &self,
        src: &Path,
        dst: &str,
        overwrite: bool,
        counter: ByteCounter,
    ) -> Result<PutOutcome, DatastoreError> {
        let src = src.to_path_buf();
        let dst = self.path(dst);
        blocking(move || {
            if !overwrite && dst.exists() {
                return Ok(PutOutcome::Exists);
            }
            let parent = dst.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(parent).map_err(|e| DatastoreError::local(parent, e))?;
            let tmp = TempFile::beside(&dst);
            let output =
                std::fs::File::create(tmp.path()).map_err(|e| DatastoreError::local(tmp.path(), e))?;
            let md5 = copy_hashed(&src, output, tmp.path(), &counter)?;
            if tmp.commit(&dst, overwrite)? {
                Ok(PutOutcome::Written { md5 })
            } else {
                Ok(PutOutcome::Exists)
            }
        })
        .await
    }

    /// Copies the file `src` into `tmp`, checking the size the listing gave.
    pub async fn get_file(
        &self,
        src: &Entry,
        tmp: &Path,
        counter: ByteCounter,
    ) -> Result<Fetched, DatastoreError> {
        let from = self.path(&src.path);
        let to = tmp.to_path_buf();
        let (name, path, size) = (self.name.clone(), src.path.clone(), src.size);
        // Created before the file task starts: when this future is dropped (Ctrl-C), whoever
        // removes `tmp` then finds it, and the task writes on into a file no longer linked.
        let output = std::fs::File::create(&to).map_err(|e| DatastoreError::local(&to, e))?;
        blocking(move || {
            let md5 = copy_hashed(&from, output, &to, &counter)?;
            let got = std::fs::metadata(&to).map_err(|e| DatastoreError::local(&to, e))?.len();
            if got != size {
                return Err(DatastoreError::Integrity {
                    datastore: name,
                    path,
                    what: format!(
                        "{got} bytes arrived, the listing said {size} (it changed while it was read?)"
                    ),
                });
            }
            Ok(Fetched { md5, md5_checked: false })
        })
        .await
    }

    /// Removes files, then the folders they leave empty (a blob store has no empty folders).
    pub async fn delete(&self, paths: &[String]) -> Result<Vec<String>, DatastoreError> {
        let root = self.root.clone();
        let paths = paths.to_vec();
        blocking(move || {
            let mut gone = Vec::new();
            for rel in paths {
                let file = root.join(&rel);
                match std::fs::remove_file(&file) {
                    Ok(()) => gone.push(rel),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(DatastoreError::local(&file, e)),
                }
                let mut dir = file.parent();
                while let Some(d) = dir.filter(|d| d.starts_with(&root) && *d != root) {
                    if std::fs::remove_dir(d).is_err() {
                        break;
                    }
                    dir = d.parent();
                }
            }
            Ok(gone)
        })
        .await
    }
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DatastoreError> + Send + 'static,
) -> Result<T, DatastoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(DatastoreError::Usage(format!("a file task stopped: {e}"))))
}

fn entry(path: String, m: &std::fs::Metadata) -> Entry {
    let modified_ms = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64);
    Entry { path, size: m.len(), modified_ms, etag: None, md5: None }
}

/// Every file under `dir`, named `prefix/...`; sluice's own temporary files are left out, and
/// a link back to a folder being walked is not followed again.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<Entry>) -> Result<(), DatastoreError> {
    walk_within(dir, prefix, out, &mut Vec::new())
}

fn walk_within(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<Entry>,
    open: &mut Vec<PathBuf>,
) -> Result<(), DatastoreError> {
    let real = dir.canonicalize().map_err(|e| DatastoreError::local(dir, e))?;
    if open.contains(&real) {
        return Ok(());
    }
    open.push(real);
    for e in std::fs::read_dir(dir).map_err(|e| DatastoreError::local(dir, e))? {
        let e = e.map_err(|e| DatastoreError::local(dir, e))?;
        let Ok(name) = e.file_name().into_string() else { continue };
        if TempFile::is_temp(&name) {
            continue;
        }
        let path = e.path();
        let m = std::fs::metadata(&path).map_err(|err| DatastoreError::local(&path, err))?;
        let rel = super::paths::join(prefix, &name);
        if m.is_dir() {
            walk_within(&path, &rel, out, open)?;
        } else {
            out.push(entry(rel, &m));
        }
    }
    open.pop();
    Ok(())
}

/// Copies `from` into `output` (the file `to`, opened empty), flushed to disk, and returns the
/// MD5.
pub(crate) fn copy_hashed(
    from: &Path,
    mut output: std::fs::File,
    to: &Path,
    counter: &ByteCounter,
) -> Result<[u8; 16], DatastoreError> {
    let mut input = std::fs::File::open(from).map_err(|e| DatastoreError::local(from, e))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; BUFFER];
    loop {
        let n = input.read(&mut buf).map_err(|e| DatastoreError::local(from, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n]).map_err(|e| DatastoreError::local(to, e))?;
        counter(n as u64);
    }
    output.sync_all().map_err(|e| DatastoreError::local(to, e))?;
    Ok(hasher.finalize().into())
}

/// A temporary file beside its destination (`.NAME.sluice-PID-N.part`), removed when dropped
/// unless committed.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: PathBuf,
    committed: bool,
}

impl TempFile {
    /// A fresh temporary name beside `dst`.
    pub(crate) fn beside(dst: &Path) -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = dst.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let path = dst.with_file_name(format!(".{name}.sluice-{}-{n}.part", std::process::id()));
        TempFile { path, committed: false }
    }

    /// Whether a file name is one of these.
    pub(crate) fn is_temp(name: &str) -> bool {
        name.starts_with('.') && name.ends_with(".part") && name.contains(".sluice-")
    }

    /// Its path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Moves it to `dst`. Without `overwrite` an existing `dst` is kept and false returned.
    pub(crate) fn commit(mut self, dst: &Path, overwrite: bool) -> Result<bool, DatastoreError> {
        if overwrite {
            std::fs::rename(&self.path, dst).map_err(|e| DatastoreError::local(dst, e))?;
            self.committed = true;
            return Ok(true);
        }
        // A hard link fails when `dst` exists: no window where another writer's file is
        // replaced. File systems without links fall back to a check and a rename.
        match std::fs::hard_link(&self.path, dst) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(_) if dst.exists() => Ok(false),
            Err(_) => {
                std::fs::rename(&self.path, dst).map_err(|e| DatastoreError::local(dst, e))?;
                self.committed = true;
                Ok(true)
            }
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn puts_lists_gets_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new("scratch", dir.path().join("ds"));
        let src = dir.path().join("a.csv");
        std::fs::write(&src, "x,y\n1,2\n").unwrap();
        let counter: ByteCounter = Arc::new(|_| {});
        let rt = rt();
        let put = rt.block_on(store.put_file(&src, "raw/a.csv", false, counter.clone())).unwrap();
        assert!(matches!(put, PutOutcome::Written { .. }));
        std::fs::write(&src, "changed").unwrap();
        assert_eq!(
            rt.block_on(store.put_file(&src, "raw/a.csv", false, counter.clone())).unwrap(),
            PutOutcome::Exists
        );
        assert_eq!(std::fs::read_to_string(dir.path().join("ds/raw/a.csv")).unwrap(), "x,y\n1,2\n");
        rt.block_on(store.put_file(&src, "raw/a.csv", true, counter.clone())).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("ds/raw/a.csv")).unwrap(), "changed");
        let listed = rt.block_on(store.list("")).unwrap();
        assert_eq!(listed.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(), ["raw/a.csv"]);
        let tmp = dir.path().join("got");
        let got = rt.block_on(store.get_file(&listed[0], &tmp, counter)).unwrap();
        assert!(!got.md5_checked);
        assert_eq!(std::fs::read_to_string(&tmp).unwrap(), "changed");
        assert_eq!(
            rt.block_on(store.delete(&["raw/a.csv".to_string(), "nope".to_string()])).unwrap(),
            ["raw/a.csv"]
        );
        assert!(!dir.path().join("ds/raw").exists(), "empty folders go with their last file");
        assert!(dir.path().join("ds").is_dir(), "the datastore's folder stays");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(names.iter().all(|n| !TempFile::is_temp(&n.to_string_lossy())), "{names:?}");
    }
}
