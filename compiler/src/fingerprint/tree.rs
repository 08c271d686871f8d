//! Content hashes of files and folders. A folder is walked honouring its `.amlignore`, else its
//! `.gitignore`, read by [`crate::ignore_file`] exactly as azure-ai-ml reads it for an upload
//! (only the top folder's file counts),
//! its files are hashed on every core with streaming reads, and its hash is the SHA-256 of its
//! sorted (relative path, size, file hash) entries. File hashes come from the [`HashCache`] when
//! the file's (path, size, mtime, inode) did not change.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::cache::{FileKey, HashCache};
use super::canonical::hex;
use super::walk;
use crate::ignore_file::{IgnoreError, IgnoreFile};

/// Folders never part of a content hash: version control and sluice's own state.
pub const ALWAYS_SKIPPED: [&str; 2] = [".git", ".sluice"];

/// Which ignore file applies to a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IgnoreRules {
    /// Every file counts (data folders).
    None,
    /// The folder's own `.amlignore`, else its `.gitignore` (source folders, hash paths).
    Project,
}

/// Why a path could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The path does not exist.
    #[error("`{}` does not exist", path.display())]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// Reading failed.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The path is a FIFO, socket or device: never opened, since reading it may never end.
    #[error("`{}` is {kind}, not a file or folder: sluice reads and fingerprints only regular files", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is, in words.
        kind: &'static str,
    },
    /// Walking a folder failed (permissions, a link loop, a broken link, a FIFO inside).
    #[error("cannot walk `{}`: {message}", path.display())]
    Walk {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The folder's ignore file cannot be read, or has a pattern azure-ai-ml rejects.
    #[error(transparent)]
    Ignore(#[from] IgnoreError),
}

/// One file of a hashed folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the folder (empty for a single file).
    pub rel: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub hash: [u8; 32],
    /// The file's key when it was hashed (to tell whether a copy is still of the same file).
    pub key: FileKey,
}

impl FileEntry {
    /// The relative path with `/` separators, for people and listings.
    pub fn display_path(&self) -> String {
        let s = self.rel.to_string_lossy();
        if std::path::MAIN_SEPARATOR == '/' {
            s.into_owned()
        } else {
            s.replace(std::path::MAIN_SEPARATOR, "/")
        }
    }
}

/// The content hash of a file or folder, with the files it covers.
#[derive(Debug, Clone)]
pub struct PathHash {
    /// The path as hashed (absolute).
    pub path: PathBuf,
    /// True for a folder.
    pub is_dir: bool,
    /// Hex SHA-256: of the content for a file, of the sorted entries for a folder.
    pub hash: String,
    /// The files, sorted by relative path (one entry with an empty path for a file).
    pub files: Vec<FileEntry>,
}

impl PathHash {
    /// Total size of the files.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Counters of what the hasher did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HashStats {
    /// Files whose hash came from the cache.
    pub cached_files: u64,
    /// Files read and hashed.
    pub hashed_files: u64,
    /// Bytes read and hashed.
    pub hashed_bytes: u64,
}

/// Hashes files and folders, once each per hasher.
pub struct TreeHasher<'c> {
    cache: &'c HashCache,
    threads: usize,
    started: SystemTime,
    /// Cache the hashes of recently modified files too (see [`TreeHasher::settled`]).
    settled: bool,
    memo: Mutex<HashMap<(PathBuf, IgnoreRules), Arc<PathHash>>>,
    cached_files: AtomicU64,
    hashed_files: AtomicU64,
    hashed_bytes: AtomicU64,
}

impl std::fmt::Debug for TreeHasher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeHasher").field("threads", &self.threads).finish()
    }
}

/// Files modified this recently are hashed but not cached (they may still be changing within the
/// file system's clock resolution).
const RECENT_S: i64 = 2;
/// Read size: large enough to make few calls, small enough that the copied chunk is still in the
/// core's cache when it is hashed.
const CHUNK: usize = 128 * 1024;

impl<'c> TreeHasher<'c> {
    /// A hasher using `cache` and every core.
    pub fn new(cache: &'c HashCache) -> TreeHasher<'c> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        TreeHasher::with_threads(cache, threads)
    }

    /// A hasher using `cache` and `threads` threads.
    pub fn with_threads(cache: &'c HashCache, threads: usize) -> TreeHasher<'c> {
        TreeHasher {
            cache,
            threads: threads.max(1),
            started: SystemTime::now(),
            settled: false,
            memo: Mutex::new(HashMap::new()),
            cached_files: AtomicU64::new(0),
            hashed_files: AtomicU64::new(0),
            hashed_bytes: AtomicU64::new(0),
        }
    }

    /// A hasher for files that nothing writes any more (the outputs of a step that ended, made
    /// read-only): their hashes are cached even when they were modified a moment ago, so the
    /// next look at them reads nothing.
    pub fn settled(mut self) -> TreeHasher<'c> {
        self.settled = true;
        self
    }

    /// What was hashed and what came from the cache so far.
    pub fn stats(&self) -> HashStats {
        HashStats {
            cached_files: self.cached_files.load(Ordering::Relaxed),
            hashed_files: self.hashed_files.load(Ordering::Relaxed),
            hashed_bytes: self.hashed_bytes.load(Ordering::Relaxed),
        }
    }

    /// The content hash of the file or folder at `path`.
    pub fn hash(&self, path: &Path, rules: IgnoreRules) -> Result<Arc<PathHash>, HashError> {
        // One spelling per path (no `.`, no trailing `/`), so cache keys match.
        let abs: PathBuf =
            std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).components().collect();
        let memo_key = (abs.clone(), rules);
        if let Some(h) = self.memo.lock().ok().and_then(|m| m.get(&memo_key).cloned()) {
            return Ok(h);
        }
        let meta = std::fs::metadata(&abs).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => HashError::NotFound { path: abs.clone() },
            _ => HashError::Io { path: abs.clone(), source: e },
        })?;
        let result = if meta.is_dir() {
            self.hash_dir(&abs, rules)?
        } else if !meta.is_file() {
            return Err(HashError::NotAFile { path: abs, kind: crate::source::special_kind(&meta) });
        } else {
            let key = FileKey::from_metadata(&meta);
            let entry = self.file_entry(&abs, PathBuf::new(), key)?;
            PathHash { path: abs.clone(), is_dir: false, hash: hex(&entry.hash), files: vec![entry] }
        };
        let result = Arc::new(result);
        if let Ok(mut m) = self.memo.lock() {
            m.insert(memo_key, result.clone());
        }
        Ok(result)
    }

    /// The entry of one file: from the cache, else read and hashed.
    fn file_entry(&self, abs: &Path, rel: PathBuf, key: FileKey) -> Result<FileEntry, HashError> {
        if let Some(hash) = self.cache.get(abs, &key) {
            self.cached_files.fetch_add(1, Ordering::Relaxed);
            return Ok(FileEntry { rel, size: key.size, hash, key });
        }
        let mut buf = vec![0u8; CHUNK];
        self.read_and_hash(abs, rel, key, &mut buf)
    }

    fn read_and_hash(
        &self,
        abs: &Path,
        rel: PathBuf,
        key: FileKey,
        buf: &mut [u8],
    ) -> Result<FileEntry, HashError> {
        let io = |source| HashError::Io { path: abs.to_path_buf(), source };
        let mut f = File::open(abs).map_err(io)?;
        let mut h = Sha256::new();
        let mut size = 0u64;
        loop {
            let n = match f.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io(e)),
            };
            h.update(&buf[..n]);
            size += n as u64;
        }
        let hash: [u8; 32] = h.finalize().into();
        self.hashed_files.fetch_add(1, Ordering::Relaxed);
        self.hashed_bytes.fetch_add(size, Ordering::Relaxed);
        // A file that changed while it was read, or that may still change within the clock's
        // resolution, is not cached; its entry records what was read.
        if size == key.size && (self.settled || !key.is_recent(self.started, RECENT_S)) {
            self.cache.put(abs.to_path_buf(), key, hash);
        }
        Ok(FileEntry { rel, size, hash, key: FileKey { size, ..key } })
    }

    fn hash_dir(&self, root: &Path, rules: IgnoreRules) -> Result<PathHash, HashError> {
        let matcher = match rules {
            IgnoreRules::None => None,
            IgnoreRules::Project => IgnoreFile::for_folder(root)?,
        };
        // The SDK raises on the first file it tests, and the ignore file is one.
        if let Some(e) = matcher.as_ref().and_then(IgnoreFile::error) {
            return Err(e.into());
        }
        let mut found = walk::walk(root, matcher.as_ref(), self.threads, self.cache)
            .map_err(|message| HashError::Walk { path: root.to_path_buf(), message })?;
        // Folders in the order of their first file: the files then come nearly sorted, and the
        // stable sort below (which merges runs) has little left to do.
        fn first(l: &[walk::Found]) -> Option<&[u8]> {
            l.first().map(|f| f.rel.as_os_str().as_encoded_bytes())
        }
        found.sort_unstable_by(|a, b| first(a).cmp(&first(b)));
        // Files whose hash the cache knows are done; the rest are read on every core.
        let mut files: Vec<FileEntry> = Vec::with_capacity(found.iter().map(Vec::len).sum());
        let mut todo: Vec<(PathBuf, FileKey)> = Vec::new();
        for walk::Found { rel, key, cached } in found.into_iter().flatten() {
            match cached {
                Some(hash) => files.push(FileEntry { rel, size: key.size, hash, key }),
                None => todo.push((rel, key)),
            }
        }
        self.cached_files.fetch_add(files.len() as u64, Ordering::Relaxed);
        files.extend(self.hash_many(root, todo)?);
        files.sort_by(|a, b| a.rel.as_os_str().as_encoded_bytes().cmp(b.rel.as_os_str().as_encoded_bytes()));
        Ok(PathHash { path: root.to_path_buf(), is_dir: true, hash: tree_hash(&files), files })
    }

    /// Hashes files on `self.threads` threads, largest first so one big file does not end last.
    fn hash_many(&self, root: &Path, mut todo: Vec<(PathBuf, FileKey)>) -> Result<Vec<FileEntry>, HashError> {
        if todo.is_empty() {
            return Ok(Vec::new());
        }
        todo.sort_unstable_by_key(|(_, k)| std::cmp::Reverse(k.size));
        let threads = self.threads.min(todo.len());
        let next = AtomicUsize::new(0);
        let results: Vec<Result<Vec<FileEntry>, HashError>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut buf = vec![0u8; CHUNK];
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some((rel, key)) = todo.get(i) else { break };
                            out.push(self.read_and_hash(&root.join(rel), rel.clone(), *key, &mut buf)?);
                        }
                        Ok(out)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join().unwrap_or_else(|_| {
                        Err(HashError::Walk {
                            path: root.to_path_buf(),
                            message: "a hashing thread panicked".into(),
                        })
                    })
                })
                .collect()
        });
        let mut files = Vec::with_capacity(todo.len());
        for r in results {
            files.extend(r?);
        }
        Ok(files)
    }
}

/// The hash of a folder: SHA-256 over its entries sorted by relative path, each as the path's
/// bytes, a NUL, the size (8 bytes little-endian) and the file's SHA-256.
pub fn tree_hash(sorted: &[FileEntry]) -> String {
    let mut h = Sha256::new();
    h.update(b"sluice-tree-1\0");
    // Entries are gathered into blocks and hashed a block at a time: four small updates per
    // file cost more than the hashing itself.
    let mut block: Vec<u8> = Vec::with_capacity(64 * 1024);
    for f in sorted {
        block.extend_from_slice(f.rel.as_os_str().as_encoded_bytes());
        block.push(0);
        block.extend_from_slice(&f.size.to_le_bytes());
        block.extend_from_slice(&f.hash);
        if block.len() >= 60 * 1024 {
            h.update(&block);
            block.clear();
        }
    }
    h.update(&block);
    hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn names(h: &PathHash) -> Vec<String> {
        h.files.iter().map(FileEntry::display_path).collect()
    }

    fn hash_of(root: &Path) -> PathHash {
        let cache = HashCache::new();
        (*TreeHasher::new(&cache).hash(root, IgnoreRules::Project).unwrap()).clone()
    }

    #[test]
    fn folder_hash_covers_paths_and_content() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.py", "print(1)");
        write(d.path(), "sub/b.txt", "b");
        let h1 = hash_of(d.path());
        assert_eq!(names(&h1), ["a.py", "sub/b.txt"]);
        write(d.path(), "a.py", "print(2)");
        let h2 = hash_of(d.path());
        assert_ne!(h1.hash, h2.hash);
        fs::rename(d.path().join("sub/b.txt"), d.path().join("sub/c.txt")).unwrap();
        assert_ne!(h2.hash, hash_of(d.path()).hash);
    }

    #[test]
    fn amlignore_wins_over_gitignore() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "keep.py", "x");
        write(d.path(), "notes.md", "n");
        write(d.path(), "scratch/tmp.txt", "t");
        write(d.path(), ".gitignore", "keep.py\n");
        assert_eq!(names(&hash_of(d.path())), [".gitignore", "notes.md", "scratch/tmp.txt"]);
        write(d.path(), ".amlignore", "notes.md\nscratch/\n");
        assert_eq!(names(&hash_of(d.path())), [".amlignore", ".gitignore", "keep.py"]);
    }

    #[test]
    fn state_and_git_folders_are_skipped() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.py", "x");
        write(d.path(), ".sluice/runs.db", "x");
        write(d.path(), ".git/HEAD", "x");
        write(d.path(), ".env", "x");
        assert_eq!(names(&hash_of(d.path())), [".env", "a.py"]);
    }

    #[test]
    fn cached_hashes_are_used_and_checked() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.py", "one");
        // Make the file old enough to be cached.
        let old = SystemTime::now() - std::time::Duration::from_secs(60);
        fs::File::options().write(true).open(d.path().join("a.py")).unwrap().set_modified(old).unwrap();
        let cache = HashCache::new();
        let first = TreeHasher::new(&cache).hash(d.path(), IgnoreRules::Project).unwrap();
        assert_eq!(cache.len(), 1);
        let h = TreeHasher::new(&cache);
        let again = h.hash(d.path(), IgnoreRules::Project).unwrap();
        assert_eq!(first.hash, again.hash);
        assert_eq!(h.stats().hashed_files, 0);
        assert_eq!(h.stats().cached_files, 1);
        // A change of content and size is seen, cache or not.
        write(d.path(), "a.py", "three");
        let changed = TreeHasher::new(&cache).hash(d.path(), IgnoreRules::Project).unwrap();
        assert_ne!(first.hash, changed.hash);
    }

    #[test]
    fn recent_files_are_not_cached() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.py", "one");
        let cache = HashCache::new();
        TreeHasher::new(&cache).hash(d.path(), IgnoreRules::Project).unwrap();
        assert!(cache.is_empty());
    }

    #[test]
    fn single_files_and_missing_paths() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "x.csv", "abc");
        let cache = HashCache::new();
        let h = TreeHasher::new(&cache).hash(&d.path().join("x.csv"), IgnoreRules::None).unwrap();
        assert!(!h.is_dir);
        assert_eq!(h.hash, crate::fingerprint::canonical::sha256_hex(b"abc"));
        let missing = TreeHasher::new(&cache).hash(&d.path().join("nope"), IgnoreRules::None);
        assert!(matches!(missing, Err(HashError::NotFound { .. })));
    }

    #[test]
    fn many_files_hash_the_same_on_any_thread_count() {
        let d = tempfile::tempdir().unwrap();
        for i in 0..200 {
            write(d.path(), &format!("d{}/f{i}.txt", i % 7), &"x".repeat(i * 13));
        }
        let cache = HashCache::new();
        let one = TreeHasher::with_threads(&cache, 1).hash(d.path(), IgnoreRules::None).unwrap();
        let four = TreeHasher::with_threads(&cache, 4).hash(d.path(), IgnoreRules::None).unwrap();
        assert_eq!(one.hash, four.hash);
        assert_eq!(one.files.len(), 200);
    }
}
