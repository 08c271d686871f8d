//! What a test needs from outside the repository: `../shared` (the design, the Azure ML v2
//! corpus, its expected bodies, the oracles), `python3` for the pipelines' scripts, the oracle's
//! venv. A fresh clone has none of `../shared`, so a test that needs a missing thing prints one
//! line `skipped: <test>: <why>` to stderr and returns; under `SLUICE_CI=1` (set by `.ci/run`)
//! the same absence fails the test, so CI can never skip silently.
//!
//! One file, included by every test crate's support module (`#[path]`), so the rule is written
//! once.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The environment variable under which a missing external need is a failure, not a skip.
pub const CI_VAR: &str = "SLUICE_CI";

/// The environment variable naming the shared folder when it is not `../shared`.
pub const SHARED_VAR: &str = "SLUICE_SHARED";

/// Whether this is a CI run (`SLUICE_CI=1`): nothing may be skipped.
pub fn ci() -> bool {
    std::env::var_os(CI_VAR).is_some_and(|v| v == "1")
}

/// The repository root: the first ancestor of the crate being tested that holds `Cargo.lock`.
pub fn repository() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().find(|d| d.join("Cargo.lock").is_file()).unwrap_or(manifest).to_path_buf()
}

/// What becomes of `test` when it lacks something (`why`): `Ok` with the line to print when it
/// may be skipped, `Err` with the failure when `ci` holds.
pub fn verdict(test: &str, why: &str, ci: bool) -> Result<String, String> {
    if ci {
        Err(format!("{test}: {why}; {CI_VAR}=1 does not allow a test to be skipped"))
    } else {
        Ok(format!("skipped: {test}: {why}\n"))
    }
}

/// Reports that `test` cannot run because of `why`: one `skipped:` line on stderr, or, when
/// `ci` holds, a panic that fails the test.
pub fn absent(test: &str, why: &str, ci: bool) {
    match verdict(test, why, ci) {
        Err(failure) => panic!("{failure}"),
        // One write to the stream itself: the test harness captures `eprintln!` of passing
        // tests, and this line must be seen whole.
        Ok(line) => {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }
}

/// Where the shared folder should be: `SLUICE_SHARED`, else `../shared` beside the repository.
pub fn shared_location() -> PathBuf {
    match std::env::var_os(SHARED_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repository().join("../shared"),
    }
}

/// The shared folder at `dir` when it holds the corpus (`corpus/azureml-v2`), else why not.
pub fn shared_at(dir: &Path) -> Result<PathBuf, String> {
    if dir.join("corpus/azureml-v2").is_dir() {
        return Ok(dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()));
    }
    Err(format!("no shared folder with corpus/azureml-v2 at {}", dir.display()))
}

/// The shared folder (`../shared`, or `SLUICE_SHARED`), or `None` after the `skipped:` line.
/// Under `SLUICE_CI=1` its absence panics.
pub fn require_shared(test: &str) -> Option<PathBuf> {
    shared_at(&shared_location()).map_err(|why| absent(test, &why, ci())).ok()
}

/// Whether `program --version` runs here.
pub fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Why `program` cannot serve, when it does not run here.
pub fn program_missing(program: &str) -> Option<String> {
    (!runs(program)).then(|| format!("`{program}` does not run here (not installed or not on PATH)"))
}

/// Whether `python3`, which the pipelines' scripts run with, is installed; else the
/// `skipped:` line (a failure under `SLUICE_CI=1`).
pub fn require_python(test: &str) -> bool {
    program_missing("python3").map(|why| absent(test, &why, ci())).is_none()
}

/// The azure-ai-ml oracle: the venv's Python made by `../shared/oracle/setup.sh` (in
/// `${TMPDIR:-/tmp}/azureml-oracle-venv`, where `.ci/run` makes it) and the script. `None`
/// after the `skipped:` line when either is missing (a failure under `SLUICE_CI=1`).
pub fn require_oracle(test: &str) -> Option<(PathBuf, PathBuf)> {
    let shared = require_shared(test)?;
    let script = shared.join("oracle/azureml_rest.py");
    let tmp = std::env::var_os("TMPDIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp"));
    let python = tmp.join("azureml-oracle-venv/bin/python");
    if python.is_file() && script.is_file() {
        return Some((python, script));
    }
    absent(
        test,
        &format!(
            "the azure-ai-ml oracle is not installed ({} is made by {})",
            python.display(),
            shared.join("oracle/setup.sh").display()
        ),
        ci(),
    );
    None
}

/// Chromium and its WebDriver server (Debian's `chromium` and `chromium-driver`, which
/// `.ci/run` installs when missing), or `None` after the `skipped:` line (a failure under
/// `SLUICE_CI=1`).
pub fn require_browser(test: &str) -> Option<(PathBuf, PathBuf)> {
    let find = |names: &[&str]| names.iter().find(|n| runs(n)).map(PathBuf::from);
    match (find(&["chromium", "chromium-browser"]), find(&["chromedriver"])) {
        (Some(browser), Some(driver)) => Some((browser, driver)),
        (browser, _) => {
            let missing = if browser.is_none() { "chromium" } else { "chromedriver" };
            absent(
                test,
                &format!("`{missing}` does not run here (Debian: apt-get install chromium chromium-driver)"),
                ci(),
            );
            None
        }
    }
}
