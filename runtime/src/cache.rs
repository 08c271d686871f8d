//! The output cache: `.sluice/cache/<fingerprint>/` holds a step's outputs (`outputs/<name>`)
//! and metrics. An entry is built in a temporary folder, moved in with one rename when the step
//! succeeded, and made valid by its `COMPLETE` marker, written last (to a temporary name, synced,
//! renamed). An entry without an intact marker, or whose files no longer have the sizes the
//! marker lists, is never reused.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Name of the marker file.
pub const MARKER: &str = "COMPLETE";

/// What a complete entry holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Marker format version.
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
    /// Every file of the entry (relative path, size), to tell an intact entry.
    pub files: Vec<(String, u64)>,
}

/// The cache of one state folder.
#[derive(Debug, Clone)]
pub struct OutputCache {
    dir: PathBuf,
    tmp: PathBuf,
}

impl OutputCache {
    /// The cache in `dir`, using `tmp` for entries on their way out.
    pub fn new(dir: PathBuf, tmp: PathBuf) -> OutputCache {
        OutputCache { dir, tmp }
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

    /// The marker of an intact entry for `fingerprint`.
    pub fn lookup(&self, fingerprint: &str) -> Option<Marker> {
        let entry = self.entry_dir(fingerprint);
        let text = fs::read(entry.join(MARKER)).ok()?;
        let marker: Marker = serde_json::from_slice(&text).ok()?;
        if marker.fingerprint != fingerprint {
            return None;
        }
        let intact = marker.files.iter().all(|(rel, size)| {
            fs::symlink_metadata(entry.join(rel)).is_ok_and(|m| m.len() == *size || m.is_dir())
        });
        intact.then_some(marker)
    }

    /// Moves the entry built in `staged` into the cache as the entry of `marker.fingerprint`,
    /// replacing whatever was there, and writes its marker. `staged` holds `outputs/` and
    /// optionally `metrics.jsonl`.
    pub fn commit(&self, staged: &Path, mut marker: Marker) -> std::io::Result<()> {
        let mut files = Vec::new();
        list_files(staged, staged, &mut files)?;
        // Outputs are read-only once cached, and on disk before the marker says they are there.
        for (rel, _) in &files {
            let p = staged.join(rel);
            let f = fs::File::open(&p)?;
            f.sync_all()?;
            let mut perms = f.metadata()?.permissions();
            perms.set_readonly(true);
            fs::set_permissions(&p, perms)?;
        }
        files.sort();
        marker.files = files;
        let entry = self.entry_dir(&marker.fingerprint);
        fs::create_dir_all(&self.dir)?;
        let old = if entry.exists() {
            fs::create_dir_all(&self.tmp)?;
            let aside = self.tmp.join(format!("old-{}-{}", marker.fingerprint, std::process::id()));
            let _ = remove_tree(&aside);
            fs::rename(&entry, &aside)?;
            Some(aside)
        } else {
            None
        };
        fs::rename(staged, &entry)?;
        // The outputs are on disk before the marker exists, so a marker that survives a crash
        // speaks of complete outputs. The marker itself needs no sync: one that a crash leaves
        // empty or torn does not parse, and the step simply runs again (as it does when a lost
        // folder rename takes the marker with it).
        let tmp_marker = entry.join(format!("{MARKER}.tmp"));
        fs::write(&tmp_marker, serde_json::to_vec(&marker).map_err(std::io::Error::other)?)?;
        fs::rename(&tmp_marker, entry.join(MARKER))?;
        if let Some(old) = old {
            let _ = remove_tree(&old);
        }
        Ok(())
    }
}

/// Every file under `dir` as (path relative to `base` with `/`, size).
fn list_files(base: &Path, dir: &Path, out: &mut Vec<(String, u64)>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let path = entry.path();
        if ty.is_dir() {
            list_files(base, &path, out)?;
        } else if ty.is_file() {
            let rel = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            out.push((rel, entry.metadata()?.len()));
        }
    }
    Ok(())
}

/// Removes a folder tree, read-only files included.
pub fn remove_tree(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(fp: &str) -> Marker {
        Marker {
            version: 1,
            fingerprint: fp.into(),
            run: 1,
            step: "s".into(),
            created_ms: 0,
            outputs: vec!["o".into()],
            files: vec![],
        }
    }

    #[test]
    fn commit_lookup_and_damage() {
        let d = tempfile::tempdir().unwrap();
        let cache = OutputCache::new(d.path().join("cache"), d.path().join("tmp"));
        assert!(cache.lookup("f1").is_none());
        let staged = d.path().join("staged");
        fs::create_dir_all(staged.join("outputs/o/sub")).unwrap();
        fs::write(staged.join("outputs/o/sub/a.txt"), "abc").unwrap();
        cache.commit(&staged, marker("f1")).unwrap();
        let m = cache.lookup("f1").unwrap();
        assert_eq!(m.files, vec![("outputs/o/sub/a.txt".to_string(), 3)]);
        assert_eq!(fs::read_to_string(cache.output_path("f1", "o").join("sub/a.txt")).unwrap(), "abc");
        // A file that lost its content makes the entry unusable.
        let p = cache.output_path("f1", "o").join("sub/a.txt");
        fs::remove_file(&p).unwrap();
        fs::write(&p, "a").unwrap();
        assert!(cache.lookup("f1").is_none());
        // A new commit replaces it.
        fs::create_dir_all(staged.join("outputs/o")).unwrap();
        fs::write(staged.join("outputs/o/b.txt"), "b").unwrap();
        cache.commit(&staged, marker("f1")).unwrap();
        assert_eq!(cache.lookup("f1").unwrap().files, vec![("outputs/o/b.txt".to_string(), 1)]);
        // A torn marker (a crash before it reached the disk) does not count.
        let marker_path = cache.entry_dir("f1").join(MARKER);
        let text = fs::read(&marker_path).unwrap();
        fs::write(&marker_path, &text[..text.len() / 2]).unwrap();
        assert!(cache.lookup("f1").is_none());
        fs::write(&marker_path, "").unwrap();
        assert!(cache.lookup("f1").is_none());
        // Without its marker an entry does not count.
        fs::remove_file(&marker_path).unwrap();
        assert!(cache.lookup("f1").is_none());
    }
}
