//! The file hash cache: a file's SHA-256 keyed by its path, size, modification time and inode, so
//! an unchanged tree is not read again. The caller decides where it is kept (the runtime keeps it
//! in `.sluice/hash-cache`); the file is written whole to a temporary name and renamed, and it
//! ends with a CRC-32 of its content, so a torn or damaged file reads as an empty cache.

use std::collections::HashMap;
use std::fs::Metadata;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, RwLock};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

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
    /// Where the path's bytes are in [`Table::arena`].
    path: (usize, usize),
    key: FileKey,
    hash: [u8; 32],
    /// Day (since the epoch) the entry was last used; entries unused for long are dropped.
    used: AtomicU32,
}

/// Entries with their paths in one arena and an index by a 64-bit hash of the path (checked
/// against the path itself): loading 100,000 entries allocates nothing per entry.
#[derive(Default)]
struct Table {
    index: HashMap<u64, u32, BuildHasherDefault<Premixed>>,
    entries: Vec<Entry>,
    arena: Vec<u8>,
}

impl Table {
    fn path(&self, e: &Entry) -> &[u8] {
        &self.arena[e.path.0..e.path.0 + e.path.1]
    }

    /// The entry of `path`. The path's bytes are not compared: an entry found for another path
    /// (two paths with one 64-bit hash) still has to match the file's device, inode, size and
    /// modification time to count, and a device and inode name one file.
    fn find(&self, path: &[u8]) -> Option<&Entry> {
        let i = *self.index.get(&path_hash(path))? as usize;
        self.entries.get(i)
    }

    fn insert(&mut self, path: &[u8], key: FileKey, hash: [u8; 32], used: u32) {
        if self.update(path_hash(path), |_, p| p == path, key, hash, used) {
            let at = self.arena.len();
            self.arena.extend_from_slice(path);
            self.entries.push(Entry { path: (at, path.len()), key, hash, used: AtomicU32::new(used) });
        }
    }

    /// Adds an entry whose path is already in the arena, at `at` (a saved cache read whole
    /// becomes the arena: its paths are not copied).
    fn insert_in_arena(&mut self, at: usize, len: usize, key: FileKey, hash: [u8; 32], used: u32) {
        let h = path_hash(&self.arena[at..at + len]);
        if self.update(h, |arena, p| p == &arena[at..at + len], key, hash, used) {
            self.entries.push(Entry { path: (at, len), key, hash, used: AtomicU32::new(used) });
        }
    }

    /// Updates the entry of the path with hash `h` in place and returns false, or makes its
    /// index slot point to the entry about to be pushed and returns true. `is_path(arena, p)`
    /// tells whether an entry's path `p` is that path.
    fn update(
        &mut self,
        h: u64,
        is_path: impl Fn(&[u8], &[u8]) -> bool,
        key: FileKey,
        hash: [u8; 32],
        used: u32,
    ) -> bool {
        use std::collections::hash_map::Entry as Slot;
        // One probe of the index, whether the path is new or not.
        let next = self.entries.len() as u32;
        match self.index.entry(h) {
            Slot::Occupied(slot) => {
                let i = *slot.get() as usize;
                let e = &self.entries[i];
                if is_path(&self.arena, &self.arena[e.path.0..e.path.0 + e.path.1]) {
                    let e = &mut self.entries[i];
                    (e.key, e.hash) = (key, hash);
                    e.used.store(used, Ordering::Relaxed);
                    return false;
                }
                // Another path with the same 64-bit hash (very rare): the older entry is
                // forgotten, which only costs reading that file again.
                *slot.into_mut() = next;
            }
            Slot::Vacant(slot) => {
                slot.insert(next);
            }
        }
        true
    }
}

/// A multiply-rotate hash over the path's bytes eight at a time (as FxHash), finished with the
/// SplitMix64 mixer so every bit of the result is well spread. Never stored: the index is
/// rebuilt when the cache is read.
fn path_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct Premixed(u64);

impl Hasher for Premixed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// File hashes by path and [`FileKey`]. Shared by the hashing threads.
pub struct HashCache {
    table: OnceLock<RwLock<Table>>,
    /// The thread reading the saved cache, until its table is taken into `table`.
    loading: Mutex<Option<JoinHandle<Table>>>,
    dirty: AtomicBool,
    today: u32,
}

impl Default for HashCache {
    fn default() -> Self {
        HashCache::with_table(Table::default())
    }
}

impl std::fmt::Debug for HashCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashCache").field("entries", &self.len()).finish()
    }
}

/// Version 2: a CRC-32 at the end (version 1 ended with a SHA-256, 6 ms of a warm plan of
/// 100,000 files; a cache of another version reads as empty).
const MAGIC: &[u8] = b"sluice-hash-cache 2\n";
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

    fn with_table(table: Table) -> HashCache {
        HashCache {
            table: OnceLock::from(RwLock::new(table)),
            loading: Mutex::new(None),
            dirty: AtomicBool::new(false),
            today: today(),
        }
    }

    /// Reads the cache saved at `path`; a missing, unreadable or damaged file gives an empty
    /// cache (it only costs re-reading files). The file is read on a thread of its own, so the
    /// caller can walk folders meanwhile; the first look-up waits for it.
    pub fn load(path: &Path) -> HashCache {
        let path = path.to_path_buf();
        let read = move || std::fs::read(&path).ok().and_then(HashCache::decode).unwrap_or_default();
        match std::thread::Builder::new().name("hash-cache".into()).spawn(read) {
            Ok(handle) => HashCache {
                table: OnceLock::new(),
                loading: Mutex::new(Some(handle)),
                dirty: AtomicBool::new(false),
                today: today(),
            },
            Err(_) => HashCache::default(),
        }
    }

    /// The table, once the saved cache has been read.
    fn table(&self) -> &RwLock<Table> {
        self.table.get_or_init(|| {
            let handle = self.loading.lock().ok().and_then(|mut l| l.take());
            RwLock::new(handle.and_then(|h| h.join().ok()).unwrap_or_default())
        })
    }

    /// True when a look-up would not wait for the saved cache to be read.
    pub fn is_ready(&self) -> bool {
        self.table.get().is_some()
            || self.loading.lock().map_or(true, |l| l.as_ref().is_none_or(JoinHandle::is_finished))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.table().read().map_or(0, |t| t.index.len())
    }

    /// True when the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cached hash of the file at `path` if its key is still `key`.
    pub fn get(&self, path: &Path, key: &FileKey) -> Option<[u8; 32]> {
        self.get_bytes(path.as_os_str().as_encoded_bytes(), key)
    }

    /// [`HashCache::get`] with the path as its bytes (`OsStr::as_encoded_bytes`).
    pub fn get_bytes(&self, path: &[u8], key: &FileKey) -> Option<[u8; 32]> {
        let table = self.table().read().ok()?;
        let e = table.find(path)?;
        if e.key != *key {
            return None;
        }
        if e.used.load(Ordering::Relaxed) != self.today {
            e.used.store(self.today, Ordering::Relaxed);
            self.dirty.store(true, Ordering::Relaxed);
        }
        Some(e.hash)
    }

    /// Records the hash of the file at `path` with key `key`.
    pub fn put(&self, path: PathBuf, key: FileKey, hash: [u8; 32]) {
        if let Ok(mut table) = self.table().write() {
            table.insert(path.as_os_str().as_encoded_bytes(), key, hash, self.today);
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
        let oldest = self.today.saturating_sub(KEEP_DAYS);
        let mut out = Vec::with_capacity(self.len() * 120 + 64);
        out.extend_from_slice(MAGIC);
        if let Ok(table) = self.table().read() {
            // Only entries the index reaches (a path that lost its slot to another is dropped),
            // in path order: the next load then lays out a folder's entries side by side, as
            // the walk looks them up.
            let mut order: Vec<u32> = table.index.values().copied().collect();
            order.sort_unstable_by(|a, b| {
                table.path(&table.entries[*a as usize]).cmp(table.path(&table.entries[*b as usize]))
            });
            for i in order {
                let e = &table.entries[i as usize];
                let used = e.used.load(Ordering::Relaxed);
                if used < oldest {
                    continue;
                }
                let p = table.path(e);
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
        let sum = crc32fast::hash(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// The table of a saved cache. The file's bytes become the table's arena, so its paths
    /// are not copied (copying 100,000 paths cost more, in fresh memory, than reading them).
    fn decode(bytes: Vec<u8>) -> Option<Table> {
        let body_len = bytes.len().checked_sub(4)?;
        if crc32fast::hash(&bytes[..body_len]).to_le_bytes() != bytes[body_len..] || !bytes.starts_with(MAGIC)
        {
            return None;
        }
        let mut table = Table::default();
        // About 100 bytes per entry.
        table.entries.reserve(body_len / 100);
        table.index.reserve(body_len / 100);
        table.arena = bytes;
        let mut pos = MAGIC.len();
        while pos < body_len {
            let (record, next) = Record::read(&table.arena[..body_len], pos)?;
            table.insert_in_arena(record.at, record.len, record.key, record.hash, record.used);
            pos = next;
        }
        Some(table)
    }
}

/// One entry of a saved cache, its path where it is in the file.
struct Record {
    at: usize,
    len: usize,
    key: FileKey,
    used: u32,
    hash: [u8; 32],
}

impl Record {
    /// The record at `pos` of `body`, and where the next one starts.
    fn read(body: &[u8], pos: usize) -> Option<(Record, usize)> {
        let mut r = Reader { bytes: body.get(pos..)? };
        let len = r.u32()? as usize;
        let at = body.len() - r.bytes.len();
        r.take(len)?;
        let key = FileKey {
            size: r.u64()?,
            mtime_s: r.u64()? as i64,
            mtime_ns: r.u32()?,
            inode: r.u64()?,
            dev: r.u64()?,
        };
        let used = r.u32()?;
        let hash: [u8; 32] = r.take(32)?.try_into().ok()?;
        Some((Record { at, len, key, used, hash }, body.len() - r.bytes.len()))
    }
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
        // A loaded cache (whose paths are in the file's bytes) takes new and changed entries,
        // and saves them all.
        d.put(PathBuf::from("/a/new.txt"), key(12), [9; 32]);
        d.put(PathBuf::from("/a/b.py"), key(13), [6; 32]);
        d.save(&file).unwrap();
        let e = HashCache::load(&file);
        assert_eq!(e.len(), 3);
        assert_eq!(e.get(Path::new("/a/new.txt"), &key(12)), Some([9; 32]));
        assert_eq!(e.get(Path::new("/a/b.py"), &key(13)), Some([6; 32]));
        assert_eq!(e.get(Path::new("/a/ü.txt"), &key(11)), Some([8; 32]));
    }

    #[test]
    fn a_path_put_again_is_updated() {
        let c = HashCache::new();
        for i in 0..1000u64 {
            c.put(PathBuf::from(format!("/t/{i}")), key(i), [1; 32]);
        }
        c.put(PathBuf::from("/t/7"), key(70), [2; 32]);
        assert_eq!(c.len(), 1000);
        assert_eq!(c.get(Path::new("/t/7"), &key(7)), None);
        assert_eq!(c.get(Path::new("/t/7"), &key(70)), Some([2; 32]));
        assert_eq!(c.get(Path::new("/t/8"), &key(8)), Some([1; 32]));
        assert_eq!(c.get(Path::new("/t/1000"), &key(1000)), None);
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
