//! Snapshots of published pipelines: files stored once by SHA-256 (`blobs/ab/abcd...`,
//! read-only), a manifest naming them by path, and the folder a manifest is materialised into
//! (`snapshots/<id>/`: hard links to the blobs, so a later edit of the publisher's working tree
//! changes nothing of a published pipeline). Local datastores stay live: the folder holds a
//! link where the workspace expects each one.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};
use sluice_compiler::fingerprint::canonical::hex;

use crate::error::{Result, ServiceError};
use crate::wire::SnapshotManifest;

/// Files in one snapshot, at most.
pub const MAX_FILES: usize = 200_000;

/// The marker written at the root of a materialised snapshot: a `.git` *file* that is not a
/// repository. It makes the snapshot's root the project root (as the publisher's `.git` or
/// workspace file did) and stops git from searching the service's own folders above it.
pub const ROOT_MARKER: &str = ".git";

/// What the marker says.
const ROOT_MARKER_TEXT: &str = "gitdir: (a sluice snapshot, not a repository)\n";

/// The file written last into a materialised snapshot.
const COMPLETE: &str = ".sluice-snapshot";

/// True for 64 lower-case hex digits.
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A relative path of a manifest: `/`-separated normal components, nothing that leaves the
/// snapshot, no `.git` (the marker's place).
fn check_path(what: &str, path: &str) -> Result<()> {
    let bad = |why: &str| ServiceError::bad_at("BadSnapshot", path, format!("{what} `{path}` {why}"));
    if path.is_empty() {
        return Err(bad("is empty"));
    }
    if path.contains('\\') || path.contains('\0') || path.starts_with('/') || path.contains(':') {
        return Err(bad("must be a relative path with `/` separators"));
    }
    for part in path.split('/') {
        match part {
            "" | "." | ".." => return Err(bad("must not contain empty, `.` or `..` parts")),
            ROOT_MARKER => return Err(bad("must not contain a `.git` part")),
            _ => {}
        }
    }
    Ok(())
}

/// Checks a manifest's shape: paths, hashes, limits, the pipeline and workspace files listed,
/// datastore links that are absolute and do not overlap the files.
pub fn validate(m: &SnapshotManifest) -> Result<()> {
    if m.files.len() > MAX_FILES {
        return Err(ServiceError::bad(format!(
            "the snapshot has {} files; at most {MAX_FILES} are accepted",
            m.files.len()
        )));
    }
    for (path, f) in &m.files {
        check_path("file", path)?;
        if !is_sha256(&f.sha256) {
            return Err(ServiceError::bad_at(
                "BadSnapshot",
                path,
                format!("file `{path}`: `{}` is not a SHA-256 (64 lower-case hex digits)", f.sha256),
            ));
        }
    }
    for d in &m.dirs {
        check_path("folder", d)?;
        if m.files.contains_key(d) {
            return Err(ServiceError::bad_at(
                "BadSnapshot",
                d,
                format!("`{d}` is listed as a file and a folder"),
            ));
        }
    }
    for wanted in std::iter::once(&m.pipeline_file).chain(m.workspace_file.iter()) {
        if !m.files.contains_key(wanted) {
            return Err(ServiceError::bad_at(
                "BadSnapshot",
                wanted,
                format!("`{wanted}` is not among the snapshot's files"),
            ));
        }
    }
    for (at, target) in &m.datastores {
        // `.sluice/datastores/<name>` is where the built-in workspace keeps its datastores.
        check_path("datastore location", at)?;
        if !Path::new(target).is_absolute() {
            return Err(ServiceError::bad_at(
                "BadSnapshot",
                at,
                format!("datastore folder `{target}` must be an absolute path"),
            ));
        }
        let prefix = format!("{at}/");
        let clash = m.files.keys().chain(m.dirs.iter()).find(|p| p.starts_with(&prefix) || *p == at);
        if let Some(p) = clash {
            return Err(ServiceError::bad_at(
                "BadSnapshot",
                at,
                format!(
                    "the local datastore folder `{at}` holds `{p}` of the pipeline; data is read live and code from the snapshot, so they must not overlap: point the datastore at a folder of data only"
                ),
            ));
        }
    }
    Ok(())
}

/// The id of a manifest: the SHA-256 of its canonical JSON.
pub fn id(m: &SnapshotManifest) -> String {
    let mut m = m.clone();
    m.dirs = m.dirs.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    sha256_hex(serde_json::to_string(&m).unwrap_or_default().as_bytes())
}

/// The content store: one read-only file per SHA-256.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    /// The store in `dir` (made on first write).
    pub fn new(dir: PathBuf) -> BlobStore {
        BlobStore { dir }
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a blob lives.
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2]).join(sha256)
    }

    /// True when the blob is stored.
    pub fn has(&self, sha256: &str) -> bool {
        is_sha256(sha256) && self.path(sha256).is_file()
    }

    /// Stores `bytes` as `sha256`, after checking that they are.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        if !is_sha256(sha256) {
            return Err(ServiceError::NotFound(format!("`{sha256}` is not a SHA-256")));
        }
        let actual = sha256_hex(bytes);
        if actual != sha256 {
            return Err(ServiceError::bad_at(
                "HashMismatch",
                sha256,
                format!("the body's SHA-256 is {actual}, not {sha256}: the file changed while it was sent"),
            ));
        }
        let path = self.path(sha256);
        if path.is_file() {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| ServiceError::io(&dir, e))?;
        let tmp = dir.join(format!(".{sha256}.{}", uuid::Uuid::new_v4().simple()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            set_read_only(&tmp)?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            ServiceError::io(&path, e)
        })
    }
}

fn set_read_only(path: &Path) -> std::io::Result<()> {
    let mut perms = std::fs::metadata(path)?.permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(path, perms)
}

/// `rel` (a checked manifest path) under `root`.
fn under(root: &Path, rel: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    p.extend(rel.split('/'));
    p
}

/// Materialises a snapshot into `snapshots/<id>/` (once; later calls find it done) and returns
/// the folder. Files are hard links to the blobs (copies where links cannot be made).
pub fn materialise(blobs: &BlobStore, snapshots: &Path, id: &str, m: &SnapshotManifest) -> Result<PathBuf> {
    let dest = snapshots.join(id);
    if dest.join(COMPLETE).is_file() {
        return Ok(dest);
    }
    std::fs::create_dir_all(snapshots).map_err(|e| ServiceError::io(snapshots, e))?;
    let tmp = snapshots.join(format!(".tmp-{id}-{}", uuid::Uuid::new_v4().simple()));
    let built = build(blobs, &tmp, id, m);
    if let Err(e) = built {
        let _ = remove_all(&tmp);
        return Err(e);
    }
    match std::fs::rename(&tmp, &dest) {
        Ok(()) => Ok(dest),
        // Another worker made it first: theirs is the same content.
        Err(_) if dest.join(COMPLETE).is_file() => {
            let _ = remove_all(&tmp);
            Ok(dest)
        }
        Err(e) => {
            let _ = remove_all(&tmp);
            // A leftover without the marker (a crash mid-way) is replaced.
            if dest.exists() && !dest.join(COMPLETE).exists() {
                let _ = remove_all(&dest);
                return materialise(blobs, snapshots, id, m);
            }
            Err(ServiceError::io(&dest, e))
        }
    }
}

fn build(blobs: &BlobStore, root: &Path, id: &str, m: &SnapshotManifest) -> Result<()> {
    let io = |p: &Path, e| ServiceError::io(p, e);
    std::fs::create_dir_all(root).map_err(|e| io(root, e))?;
    for d in &m.dirs {
        let p = under(root, d);
        std::fs::create_dir_all(&p).map_err(|e| io(&p, e))?;
    }
    for (rel, f) in &m.files {
        let p = under(root, rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        let blob = blobs.path(&f.sha256);
        if !blob.is_file() {
            return Err(ServiceError::bad_at(
                "MissingBlob",
                rel,
                format!("the content of `{rel}` ({}) was not uploaded", f.sha256),
            ));
        }
        if std::fs::hard_link(&blob, &p).is_err() {
            std::fs::copy(&blob, &p).map_err(|e| io(&p, e))?;
            set_read_only(&p).map_err(|e| io(&p, e))?;
        }
    }
    for (at, target) in &m.datastores {
        let p = under(root, at);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        link_dir(Path::new(target), &p).map_err(|e| io(&p, e))?;
    }
    let marker = root.join(ROOT_MARKER);
    std::fs::write(&marker, ROOT_MARKER_TEXT).map_err(|e| io(&marker, e))?;
    let complete = root.join(COMPLETE);
    std::fs::write(&complete, format!("{id}\n")).map_err(|e| io(&complete, e))?;
    Ok(())
}

#[cfg(unix)]
fn link_dir(target: &Path, at: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

#[cfg(not(unix))]
fn link_dir(target: &Path, _at: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(format!("cannot link to datastore folder {} on this system", target.display())))
}

/// Removes a folder that may hold read-only files.
pub fn remove_all(path: &Path) -> std::io::Result<()> {
    sluice_runtime::cache::remove_tree(path)
}

/// The relative path of `path` under `root` with `/` separators, when it lies there.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str().map(str::to_string),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeMap;

    use super::*;
    use crate::wire::SnapshotFile;

    fn manifest(files: &[(&str, &[u8])]) -> (SnapshotManifest, Vec<(String, Vec<u8>)>) {
        let mut m = SnapshotManifest {
            pipeline_file: files[0].0.to_string(),
            workspace_file: None,
            files: BTreeMap::new(),
            dirs: vec![],
            datastores: BTreeMap::new(),
        };
        let mut blobs = Vec::new();
        for (p, b) in files {
            let h = sha256_hex(b);
            m.files.insert(p.to_string(), SnapshotFile { sha256: h.clone(), size: b.len() as u64 });
            blobs.push((h, b.to_vec()));
        }
        (m, blobs)
    }

    #[test]
    fn paths_that_leave_the_snapshot_are_refused() {
        for bad in ["../x", "/etc/passwd", "a/../../b", "a//b", "a\\b", ".git/config", "./a", "c:/x"] {
            let (m, _) = manifest(&[(bad, b"x")]);
            let e = validate(&m).unwrap_err();
            assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST, "{bad}: {e}");
        }
        let (mut m, _) = manifest(&[("p/pipeline.yml", b"x")]);
        m.datastores.insert("p".into(), "/data".into());
        assert!(validate(&m).unwrap_err().to_string().contains("must not overlap"));
        m.datastores.clear();
        m.datastores.insert("p/data".into(), "relative".into());
        assert!(validate(&m).unwrap_err().to_string().contains("absolute"));
    }

    #[test]
    fn a_blob_must_be_what_its_name_says() {
        let d = tempfile::tempdir().unwrap();
        let store = BlobStore::new(d.path().join("blobs"));
        let h = sha256_hex(b"hello");
        assert!(store.put(&h, b"hello!").unwrap_err().to_string().contains("changed while it was sent"));
        store.put(&h, b"hello").unwrap();
        assert!(store.has(&h));
        assert!(std::fs::metadata(store.path(&h)).unwrap().permissions().readonly());
    }

    #[test]
    fn materialised_files_are_links_to_the_blobs() {
        let d = tempfile::tempdir().unwrap();
        let store = BlobStore::new(d.path().join("blobs"));
        let (mut m, blobs) = manifest(&[("p/pipeline.yml", b"pipeline"), ("p/src/a.py", b"print(1)")]);
        m.dirs.push("p/empty".into());
        m.datastores.insert(
            "p/.sluice/datastores/workspaceblobstore".into(),
            d.path().join("data").display().to_string(),
        );
        for (h, b) in &blobs {
            store.put(h, b).unwrap();
        }
        let id = id(&m);
        let root = materialise(&store, &d.path().join("snapshots"), &id, &m).unwrap();
        assert_eq!(std::fs::read(root.join("p/src/a.py")).unwrap(), b"print(1)");
        assert!(root.join("p/empty").is_dir());
        assert!(
            std::fs::symlink_metadata(root.join("p/.sluice/datastores/workspaceblobstore"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(root.join(ROOT_MARKER).is_file());
        // Done once: a second call finds it.
        assert_eq!(materialise(&store, &d.path().join("snapshots"), &id, &m).unwrap(), root);
    }
}
