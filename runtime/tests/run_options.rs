//! What the workspace service asks of a run: an explicit state folder instead of `.sluice`
//! beside the pipeline, and a cancel from another thread that stops the steps as Ctrl-C does.
//! The steps are shell commands (`sleep`), so no Python is needed.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

use std::path::Path;
use std::time::{Duration, Instant};

use sluice_compiler::Compiled;
use sluice_compiler::session::{Session, WorkspaceChoice};
use sluice_runtime::progress::PlainReporter;
use sluice_runtime::run::{self, RunOptions};
use sluice_runtime::{CancelToken, RunStore, StateDir};

fn compiled(dir: &Path, seconds: u32) -> Compiled {
    std::fs::write(
        dir.join("pipeline.yml"),
        format!(
            "type: pipeline\nsettings:\n  default_compute: local\njobs:\n  nap:\n    type: command\n    \
             command: sleep {seconds} && echo rested\n    environment: azureml:env@latest\n"
        ),
    )
    .unwrap();
    let mut s = Session::new(WorkspaceChoice::default());
    s.compile(&dir.join("pipeline.yml")).unwrap().unwrap()
}

#[test]
fn a_run_uses_the_state_folder_it_is_given() {
    let d = tempfile::tempdir().unwrap();
    let c = compiled(d.path(), 0);
    let state = StateDir { dir: d.path().join("elsewhere") };
    let opts = RunOptions { state: Some(state.clone()), ..RunOptions::default() };
    let summary = run::run(&c, &d.path().join("pipeline.yml"), &opts, &mut PlainReporter).unwrap();
    assert_eq!(summary.status, "completed");
    assert!(!d.path().join(".sluice").exists(), "nothing is written beside the pipeline");
    let store = RunStore::open(&state.store_path()).unwrap();
    assert_eq!(store.run(summary.run).unwrap().unwrap().status, "completed");
    let log = std::fs::read_to_string(state.step_dir(summary.run, "nap").join("stdout")).unwrap();
    assert_eq!(log.trim(), "rested");
}

#[test]
fn a_cancel_token_stops_the_run_like_ctrl_c() {
    let d = tempfile::tempdir().unwrap();
    let c = compiled(d.path(), 30);
    let token = CancelToken::new();
    let opts = RunOptions { cancel: Some(token.clone()), ..RunOptions::default() };
    let canceler = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        token.cancel();
    });
    let started = Instant::now();
    let summary = run::run(&c, &d.path().join("pipeline.yml"), &opts, &mut PlainReporter).unwrap();
    canceler.join().unwrap();
    assert_eq!(summary.status, "canceled");
    assert_eq!(summary.canceled, 1);
    // SIGTERM ends `sleep` at once; the 30 seconds were not waited for.
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
}
