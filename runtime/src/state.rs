//! The `.sluice/` folder beside the workspace file (or the pipeline when there is none): run
//! store, output cache, hash cache, local datastores, run folders, and the lock that keeps two
//! runs from writing it at once.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::RuntimeError;

/// Name of the state folder.
pub const STATE_DIR: &str = ".sluice";

/// The paths of one `.sluice/` folder.
#[derive(Debug, Clone)]
pub struct StateDir {
    /// The `.sluice` folder itself.
    pub dir: PathBuf,
}

impl StateDir {
    /// The state folder of a workspace rooted at `root` (not created).
    pub fn for_root(root: &Path) -> StateDir {
        StateDir { dir: root.join(STATE_DIR) }
    }

    /// The nearest existing `.sluice` folder at or above `start`.
    pub fn find_upward(start: &Path) -> Option<StateDir> {
        let start = std::path::absolute(start).ok()?;
        start.ancestors().map(|d| d.join(STATE_DIR)).find(|p| p.is_dir()).map(|dir| StateDir { dir })
    }

    /// The folder holding `.sluice` (the workspace root).
    pub fn root(&self) -> &Path {
        self.dir.parent().unwrap_or(Path::new("."))
    }

    /// True when the folder exists.
    pub fn exists(&self) -> bool {
        self.dir.is_dir()
    }

    /// Creates the folder and its subfolders.
    pub fn create(&self) -> Result<(), RuntimeError> {
        for d in [self.dir.clone(), self.cache_dir(), self.tmp_dir(), self.runs_dir()] {
            std::fs::create_dir_all(&d).map_err(|e| RuntimeError::io(&d, e))?;
        }
        crate::parallel::install_driver(&self.dir).map_err(|e| RuntimeError::io(&self.dir, e))?;
        // Keep the state out of version control even where .gitignore does not mention it.
        let ignore = self.dir.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(&ignore, "*\n").map_err(|e| RuntimeError::io(&ignore, e))?;
        }
        Ok(())
    }

    /// The SQLite run store.
    pub fn store_path(&self) -> PathBuf {
        self.dir.join("runs.db")
    }

    /// The file hash cache.
    pub fn hash_cache_path(&self) -> PathBuf {
        self.dir.join("hash-cache")
    }

    /// Outputs by fingerprint.
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.join("cache")
    }

    /// Outputs being written by the running steps.
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// One folder per run: each step's stdout, stderr, metrics and context.
    pub fn runs_dir(&self) -> PathBuf {
        self.dir.join("runs")
    }

    /// The folder of a step of a run (`outer/inner` keys of nested pipelines nest; anything
    /// that could leave the folder is escaped).
    pub fn step_dir(&self, run: i64, step: &str) -> PathBuf {
        let mut dir = self.runs_dir().join(run.to_string());
        for part in step.split('/') {
            dir.push(safe_name(part));
        }
        dir
    }

    /// The folder of a built-in local datastore.
    pub fn datastore_dir(&self, name: &str) -> PathBuf {
        self.dir.join("datastores").join(name)
    }

    /// Takes the lock of this state folder, waiting for another holder to let go.
    /// `waiting` is called once, with the holder's description, when it has to wait.
    pub fn lock(&self, waiting: &mut dyn FnMut(&str)) -> Result<StateLock, RuntimeError> {
        let path = self.dir.join("lock");
        let io = |e| RuntimeError::io(&path, e);
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                waiting(if holder.is_empty() { "another sluice process" } else { holder });
                file.lock().map_err(io)?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        // Say who holds it, for whoever waits next.
        let me = format!("sluice (pid {})", std::process::id());
        let _ = file
            .set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(me.as_bytes()));
        Ok(StateLock { _file: file })
    }
}

/// A step key part as a file name: letters, digits, `-`, `_` and `.` stay; anything else (and
/// a name of dots only) is written as `%XX`.
fn safe_name(part: &str) -> String {
    let dots_only = part.chars().all(|c| c == '.');
    let mut out = String::with_capacity(part.len());
    for b in part.bytes() {
        if (b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') && !dots_only {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() { "%".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_folders_stay_inside_the_run() {
        let s = StateDir::for_root(Path::new("/p"));
        assert_eq!(s.step_dir(3, "train_a"), Path::new("/p/.sluice/runs/3/train_a"));
        assert_eq!(s.step_dir(3, "outer/inner"), Path::new("/p/.sluice/runs/3/outer/inner"));
        assert_eq!(s.step_dir(3, "../x"), Path::new("/p/.sluice/runs/3/%2E%2E/x"));
        assert_eq!(s.step_dir(3, "a b\\c"), Path::new("/p/.sluice/runs/3/a%20b%5Cc"));
        assert_eq!(s.step_dir(3, ""), Path::new("/p/.sluice/runs/3/%"));
    }
}

/// Held while a run (or an upload) writes the state folder; the operating system lets go of it
/// when the process ends, however it ends.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}
