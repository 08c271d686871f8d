//! The rule for tests that need something outside the repository (`tests/support/external.rs`):
//! absent, such a test says `skipped:` and passes; under `SLUICE_CI=1` it fails. The v2 corpus
//! test is also run for real in both modes without `../shared` (`tests/v2_fixtures.rs`).

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};

use support::external::{absent, program_missing, shared_at, verdict};

#[test]
fn under_ci_a_missing_need_fails_the_test() {
    let failure = verdict("probe", "no shared folder at /x", true).expect_err("no skip under CI");
    assert_eq!(failure, "probe: no shared folder at /x; SLUICE_CI=1 does not allow a test to be skipped");
    // `absent` turns it into a panic, which fails the test that called it.
    let panicked = catch_unwind(AssertUnwindSafe(|| absent("probe", "no shared folder at /x", true)));
    assert!(panicked.is_err());
}

#[test]
fn outside_ci_a_missing_need_is_one_skipped_line() {
    let line = verdict("probe", "no shared folder at /x", false).expect("a skip");
    assert_eq!(line, "skipped: probe: no shared folder at /x\n");
}

#[test]
fn a_missing_shared_folder_is_named() {
    let empty = tempfile::tempdir().expect("temp dir");
    let why = shared_at(&empty.path().join("shared")).expect_err("no corpus there");
    assert!(why.starts_with("no shared folder with corpus/azureml-v2 at "), "{why}");
}

#[test]
fn a_shared_folder_with_the_corpus_is_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("corpus/azureml-v2")).expect("mkdir");
    let found = shared_at(dir.path()).expect("found");
    assert!(found.join("corpus/azureml-v2").is_dir());
}

#[test]
fn a_missing_program_is_named() {
    let why = program_missing("sluice-test-no-such-program").expect("missing");
    assert_eq!(why, "`sluice-test-no-such-program` does not run here (not installed or not on PATH)");
    assert_eq!(program_missing(env!("CARGO_BIN_EXE_sluice")), None);
}
