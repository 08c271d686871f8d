//! Helpers shared by the end-to-end tests: running the real binary and walking the v1 fixtures.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub mod azurite;
pub mod external;
pub mod service;
#[allow(unused_imports)] // Each test binary uses its own part of these.
pub use external::{absent, ci, require_oracle, require_python, require_shared};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/valid` or `tests/fixtures/invalid`.
pub fn fixtures_dir(kind: Kind) -> PathBuf {
    root().join("tests").join("fixtures").join(kind.dir_name())
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Run {
    /// Both streams, for messages and leak checks.
    pub fn all_output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Fails when the process panicked or was killed.
    pub fn assert_no_panic(&self, what: &str) {
        assert!(self.code.is_some(), "{what}: killed by a signal\n{}", self.stderr);
        assert!(
            !self.stderr.contains("panicked") && self.code != Some(101),
            "{what}: panicked\n{}",
            self.stderr
        );
    }
}

/// A command for the real `sluice` binary with no workspace from the environment and no colour.
pub fn sluice(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.current_dir(cwd).env_remove("SLUICE_WORKSPACE").env("NO_COLOR", "1");
    cmd
}

/// Runs a command and collects its output.
pub fn run(cmd: &mut Command) -> Run {
    let start = Instant::now();
    let out: Output = cmd.output().expect("the sluice binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

/// Runs `sluice ARGS` in `cwd`.
pub fn sluice_run(cwd: &Path, args: &[&str]) -> Run {
    run(sluice(cwd).args(args))
}

/// Valid or invalid fixtures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Must check clean (exit 0).
    Valid,
    /// Must fail (exit 1) with the declared diagnostics.
    Invalid,
}

impl Kind {
    /// Folder name under `tests/fixtures`.
    pub fn dir_name(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::Invalid => "invalid",
        }
    }
}

/// One fixture: a YAML file, or a folder holding `pipeline.yml` (or only `workspace.yaml`) and
/// whatever the pipeline names.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Valid or invalid.
    pub kind: Kind,
    /// File or folder name without extension.
    pub name: String,
    /// `tests/fixtures/<kind>`: the tests run the binary from here, so paths in the output are
    /// `name.yml` or `name/pipeline.yml` on every machine.
    pub cwd: PathBuf,
    /// The file to check, relative to `cwd`.
    pub target: String,
    /// The folder of a folder fixture (relative to `cwd`), for expectations in other files.
    pub folder: Option<String>,
}

impl Fixture {
    /// Absolute path of the file to check.
    pub fn target_path(&self) -> PathBuf {
        self.cwd.join(&self.target)
    }

    /// The checked file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.target_path()).expect("fixture is readable")
    }

    /// Every file of the fixture (one, or all under its folder).
    pub fn files(&self) -> Vec<PathBuf> {
        match &self.folder {
            None => vec![self.target_path()],
            Some(f) => walk(&self.cwd.join(f)),
        }
    }

    /// The path an expectation names, as the binary shows it: a file of a folder fixture is
    /// `folder/file`, anything else the checked file.
    pub fn shown(&self, file: Option<&str>) -> String {
        match (file, &self.folder) {
            (Some(f), Some(folder)) => format!("{folder}/{f}"),
            (Some(f), None) => f.to_string(),
            (None, _) => self.target.clone(),
        }
    }
}

/// Every file under `dir`, sorted.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("fixture folder is readable") {
            let p = e.expect("fixture entry").path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out.sort();
    out
}

/// Every fixture of a kind, sorted by name. The `v2/` folder belongs to the v2 tests.
pub fn fixtures(kind: Kind) -> Vec<Fixture> {
    let cwd = fixtures_dir(kind);
    let mut out = Vec::new();
    for e in std::fs::read_dir(&cwd).expect("fixtures folder exists") {
        let path = e.expect("fixture entry").path();
        let file_name = path.file_name().and_then(|n| n.to_str()).expect("UTF-8 fixture name").to_string();
        if file_name == "v2" || file_name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            let main = ["pipeline.yml", "workspace.yaml"]
                .into_iter()
                .find(|m| path.join(m).is_file())
                .unwrap_or_else(|| {
                    panic!("fixture folder `{file_name}` holds no pipeline.yml or workspace.yaml")
                });
            out.push(Fixture {
                kind,
                name: file_name.clone(),
                cwd: cwd.clone(),
                target: format!("{file_name}/{main}"),
                folder: Some(file_name),
            });
        } else {
            let stem = file_name
                .strip_suffix(".yml")
                .or_else(|| file_name.strip_suffix(".yaml"))
                .unwrap_or_else(|| panic!("fixture `{file_name}` is neither .yml nor .yaml"));
            out.push(Fixture {
                kind,
                name: stem.to_string(),
                cwd: cwd.clone(),
                target: file_name.clone(),
                folder: None,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The command lines of the processes whose command line contains `needle`: from `/proc`, else
/// from `pgrep -fl` (macOS and the BSDs have no `/proc` but always have `pgrep`).
pub fn processes_mentioning(needle: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        let out =
            Command::new("pgrep").args(["-fl", needle]).output().expect("pgrep runs where /proc is absent");
        return String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    };
    entries
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}
