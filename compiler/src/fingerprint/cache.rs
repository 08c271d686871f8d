//! The file hash cache: a file's SHA-256 keyed by its path, size, modification time and inode, so
//! an unchanged tree is not read again. The caller decides where it is kept (the runtime keeps it
//! in `.sluice/hash-cache`); the file is written whole to a temporary name and renamed, and it
//! ends with a SHA-256 of its content, so a torn or damaged file reads as an empty cache.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// What must be unchanged for a cached hash to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileKey {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since the Unix epoch.
    pub mtime_s: i64,
    /// Nanoseconds part of the modification time.
    pub mtime_ns: u32,
    /// Inode number (0 where the platform has none).
    pub inode: u64,
    /// Device number (0 where the platform has none).
    pub dev: u64,
}

impl FileKey {
    /// The key of a file from its metadata.
    #[cfg(unix)]
    pub fn from_metadata(m: &Metadata) -> FileKey {
        use std::os::unix::fs::MetadataExt;
        FileKey {
            size: m.len(),
            mtime_s: m.mtime(),
            mtime_ns: m.mtime_nsec().clamp(0, 999_999_999) as u32,
            inode: m.ino(),
            dev: m.dev(),
        }
    }

    /// The key of a file from its metadata.
    #[cfg(not(unix))]
    pub fn from_metadata(m: &Metadata) -> FileKey {
        let (mtime_s, mtime_ns) = match m.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()) {
            Some(d) => (d.as_secs() as i64, d.subsec_nanos()),
            None => (0, 0),
        };
        FileKey { size: m.len(), mtime_s, mtime_ns, inode: 0, dev: 0 }
    }

    /// True when the file was modified less than `margin_s` seconds before `now`: such a file may
    /// still be changing within the clock's resolution, so its hash is not cached.
    pub fn is_recent(&self, now: SystemTime, margin_s: i64) -> bool {
        let now_s = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        self.mtime_s + margin_s >= now_s
    }
}

struct Entry {
    key: FileKey,
    hash: [u8; 32],
    /// Day (since the epoch) the entry was last used; entries unused for long are dropped.
    used: AtomicU32,
}

/// File hashes by path and [`FileKey`]. Shared by the hashing threads.
#[derive(Default)]
pub struct HashCache {
    entries: RwLock<HashMap<PathBuf, Entry>>,
    dirty: AtomicBool,
}

impl std::fmt::Debug for HashCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashCache").field("entries", &self.len()).finish()
    }
}

const MAGIC: &[u8] = b"sluice-hash-cache 1\n";
/// Entries not used for this many days are dropped when the cache is saved.
const KEEP_DAYS: u32 = 30;

fn today() -> u32 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| (d.as_secs() / 86_400) as u32)
}

impl HashCache {
    /// An empty cache.
    pub fn new() -> HashCache {
        HashCache::default()
    }

    /// Reads the cache saved at `path`; a missing, unreadable or damaged file gives an empty
    /// cache (it only costs re-reading files).
    pub fn load(path: &Path) -> HashCache {
        match std::fs::read(path) {
            Ok(bytes) => HashCache::decode(&bytes).unwrap_or_default(),
            Err(_) => HashCache::default(),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |e| e.len())
    }

    /// True when the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cached hash of the file at `path` if its key is still `key`.
    pub fn get(&self, path: &Path, key: &FileKey) -> Option<[u8; 32]> {
        let entries = self.entries.read().ok()?;
        let e = entries.get(path)?;
        if e.key != *key {
            return None;
        }
        let day = today();
        if e.used.load(Ordering::Relaxed) != day {
            e.used.store(day, Ordering::Relaxed);
            self.dirty.store(true, Ordering::Relaxed);
        }
        Some(e.hash)
    }

    /// Records the hash of the file at `path` with key `key`.
    pub fn put(&self, path: PathBuf, key: FileKey, hash: [u8; 32]) {
        if let Ok(mut entries) = self.entries.write() {
            entries.insert(path, Entry { key, hash, used: AtomicU32::new(today()) });
            self.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// True when entries were added or used since the cache was loaded.
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Relaxed)
    }

    /// Writes the cache to `path` (through a temporary file and a rename) when it changed.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if !self.is_dirty() {
            return Ok(());
        }
        let bytes = self.encode();
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result?;
        self.dirty.store(false, Ordering::Relaxed);
        Ok(())
    }

    fn encode(&self) -> Vec<u8> {
        let oldest = today().saturating_sub(KEEP_DAYS);
        let mut out = Vec::with_capacity(self.len() * 120 + 64);
        out.extend_from_slice(MAGIC);
        if let Ok(entries) = self.entries.read() {
            for (path, e) in entries.iter() {
                let used = e.used.load(Ordering::Relaxed);
                if used < oldest {
                    continue;
                }
                let p = path.as_os_str().as_encoded_bytes();
                out.extend_from_slice(&(p.len() as u32).to_le_bytes());
                out.extend_from_slice(p);
                out.extend_from_slice(&e.key.size.to_le_bytes());
                out.extend_from_slice(&e.key.mtime_s.to_le_bytes());
                out.extend_from_slice(&e.key.mtime_ns.to_le_bytes());
                out.extend_from_slice(&e.key.inode.to_le_bytes());
                out.extend_from_slice(&e.key.dev.to_le_bytes());
                out.extend_from_slice(&used.to_le_bytes());
                out.extend_from_slice(&e.hash);
            }
        }
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        out
    }

    fn decode(bytes: &[u8]) -> Option<HashCache> {
        let body_len = bytes.len().checked_sub(32)?;
        let (body, sum) = bytes.split_at(body_len);
        if Sha256::digest(body).as_slice() != sum {
            return None;
        }
        let mut r = Reader { bytes: body.strip_prefix(MAGIC)? };
        let mut map = HashMap::new();
        while !r.bytes.is_empty() {
            let len = r.u32()? as usize;
            let p = r.take(len)?;
            let path = PathBuf::from(String::from_utf8(p.to_vec()).ok().map_or_else(
                // Paths that are not UTF-8 went through as_encoded_bytes; rebuild them the same way.
                || os_string(p),
                std::ffi::OsString::from,
            ));
            let key = FileKey {
                size: r.u64()?,
                mtime_s: r.u64()? as i64,
                mtime_ns: r.u32()?,
                inode: r.u64()?,
                dev: r.u64()?,
            };
            let used = r.u32()?;
            let hash: [u8; 32] = r.take(32)?.try_into().ok()?;
            map.insert(path, Entry { key, hash, used: AtomicU32::new(used) });
        }
        Some(HashCache { entries: RwLock::new(map), dirty: AtomicBool::new(false) })
    }
}

#[cfg(unix)]
fn os_string(bytes: &[u8]) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes).to_os_string()
}

#[cfg(not(unix))]
fn os_string(bytes: &[u8]) -> std::ffi::OsString {
    String::from_utf8_lossy(bytes).into_owned().into()
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(size: u64) -> FileKey {
        FileKey { size, mtime_s: 1_700_000_000, mtime_ns: 5, inode: 42, dev: 1 }
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cache");
        let c = HashCache::new();
        c.put(PathBuf::from("/a/b.py"), key(10), [7; 32]);
        c.put(PathBuf::from("/a/ü.txt"), key(11), [8; 32]);
        c.save(&file).unwrap();
        let d = HashCache::load(&file);
        assert_eq!(d.len(), 2);
        assert_eq!(d.get(Path::new("/a/b.py"), &key(10)), Some([7; 32]));
        assert_eq!(d.get(Path::new("/a/ü.txt"), &key(11)), Some([8; 32]));
        // Any change of the key misses.
        assert_eq!(d.get(Path::new("/a/b.py"), &key(12)), None);
        assert_eq!(d.get(Path::new("/a/b.py"), &FileKey { inode: 43, ..key(10) }), None);
        assert_eq!(d.get(Path::new("/a/b.py"), &FileKey { mtime_ns: 6, ..key(10) }), None);
    }

    #[test]
    fn damaged_files_read_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cache");
        let c = HashCache::new();
        c.put(PathBuf::from("/x"), key(1), [1; 32]);
        c.save(&file).unwrap();
        let mut bytes = std::fs::read(&file).unwrap();
        let n = bytes.len();
        bytes[n / 2] ^= 1;
        std::fs::write(&file, &bytes).unwrap();
        assert!(HashCache::load(&file).is_empty());
        std::fs::write(&file, &bytes[..n - 5]).unwrap();
        assert!(HashCache::load(&file).is_empty());
        assert!(HashCache::load(&dir.path().join("missing")).is_empty());
    }
}
