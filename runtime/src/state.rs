//! The `.sluice/` folder beside the workspace file (or the pipeline when there is none): run
//! store, output cache, hash cache, local datastores, run folders, and the lock that keeps two
//! runs from writing it at once.

use std::fs::{File, OpenOptions};
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

    /// The highest run id that has a run folder (0 when none has).
    pub fn highest_run_folder(&self) -> i64 {
        std::fs::read_dir(self.runs_dir())
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i64>().ok()))
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0)
    }

    /// The folder of a built-in local datastore.
    pub fn datastore_dir(&self, name: &str) -> PathBuf {
        self.dir.join("datastores").join(name)
    }

    /// The lock file (held with an OS file lock while a run or an upload writes the folder).
    pub fn lock_path(&self) -> PathBuf {
        self.dir.join("lock")
    }

    /// Who holds the lock (pid, command, since when), written by the holder when it took it.
    pub fn lock_info_path(&self) -> PathBuf {
        self.dir.join("lock-info")
    }

    /// Takes the lock of this state folder, waiting for another holder to let go (polling, so a
    /// signal's default action still ends the process). `waiting` is called once, with the
    /// holder's description, when it has to wait.
    pub fn lock(&self, waiting: &mut dyn FnMut(&str)) -> Result<StateLock, RuntimeError> {
        let mut told = false;
        loop {
            if let Some(lock) = self.try_lock()? {
                return Ok(lock);
            }
            if !told {
                waiting(&self.lock_holder());
                told = true;
            }
            std::thread::sleep(LOCK_POLL);
        }
    }

    /// Takes the lock if nobody holds it; `None` when another process does.
    pub fn try_lock(&self) -> Result<Option<StateLock>, RuntimeError> {
        let path = self.lock_path();
        let io = |e| RuntimeError::io(&path, e);
        let file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        // Say who holds it, for whoever waits next (through a rename: a reader never sees half).
        let info = LockInfo::of_this_process();
        let tmp = self.dir.join(format!("lock-info.tmp-{}", std::process::id()));
        if std::fs::write(&tmp, serde_json::to_vec(&info).unwrap_or_default())
            .and_then(|_| std::fs::rename(&tmp, self.lock_info_path()))
            .is_err()
        {
            let _ = std::fs::remove_file(&tmp);
        }
        Ok(Some(StateLock { _file: file }))
    }

    /// The holder of the lock in words (see [`LockInfo::describe`]).
    pub fn lock_holder(&self) -> String {
        std::fs::read(self.lock_info_path())
            .ok()
            .and_then(|b| serde_json::from_slice::<LockInfo>(&b).ok())
            .map_or_else(|| "another sluice process".to_string(), |i| i.describe(crate::time::now_ms()))
    }
}

/// How long a run waits for another process to let go of the state folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LockWait {
    /// Until it is free (or Ctrl-C).
    #[default]
    Forever,
    /// Not at all: fail at once (`--no-wait`).
    No,
    /// At most this long (`--wait-timeout`).
    Timeout(std::time::Duration),
}

/// How often a waiting process tries the lock again.
pub const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// What the holder of the lock writes about itself in `lock-info`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockInfo {
    /// Process id.
    pub pid: u32,
    /// Its command line (secrets masked).
    pub command: String,
    /// When it took the lock, Unix ms.
    pub since_ms: i64,
}

impl LockInfo {
    fn of_this_process() -> LockInfo {
        let args: Vec<String> = std::env::args().collect();
        let program =
            args.first().and_then(|a| Path::new(a).file_name()).map(|n| n.to_string_lossy().into_owned());
        let command = program.into_iter().chain(args.iter().skip(1).cloned()).collect::<Vec<_>>().join(" ");
        LockInfo {
            pid: std::process::id(),
            command: crate::secrets::mask(&command).into_owned(),
            since_ms: crate::time::now_ms(),
        }
    }

    /// `` `sluice run p.yml` (pid 123, holding the lock since 2026-05-01 12:03:04Z, 4m05s ago) ``.
    pub fn describe(&self, now_ms: i64) -> String {
        format!(
            "`{}` (pid {}, holding the lock since {}, {} ago)",
            self.command,
            self.pid,
            crate::time::format_utc(self.since_ms),
            crate::time::format_duration(now_ms - self.since_ms)
        )
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

    #[test]
    fn the_lock_says_who_holds_it() {
        let d = tempfile::tempdir().unwrap();
        let s = StateDir::for_root(d.path());
        std::fs::create_dir_all(&s.dir).unwrap();
        assert_eq!(s.lock_holder(), "another sluice process");
        let held = s.try_lock().unwrap().expect("a free lock is taken");
        assert!(s.try_lock().unwrap().is_none(), "a held lock was taken twice");
        let holder = s.lock_holder();
        assert!(
            holder.contains(&format!("(pid {}, holding the lock since ", std::process::id())),
            "{holder}"
        );
        drop(held);
        assert!(s.try_lock().unwrap().is_some());
    }

    #[test]
    fn run_ids_in_use_are_those_of_the_run_folders() {
        let d = tempfile::tempdir().unwrap();
        let s = StateDir::for_root(d.path());
        assert_eq!(s.highest_run_folder(), 0);
        for name in ["1", "12", "3", "notes", "-4"] {
            std::fs::create_dir_all(s.runs_dir().join(name)).unwrap();
        }
        assert_eq!(s.highest_run_folder(), 12);
    }
}

/// Held while a run (or an upload) writes the state folder; the operating system lets go of it
/// when the process ends, however it ends.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}
