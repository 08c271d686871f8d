//! `sluice compile` from the command line: one file, several files in one process, `-o`, the
//! YAML target, and exit codes (0 compiled, 1 errors in a pipeline, 2 usage).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn sluice(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(cwd)
        .args(args)
        .env_remove("SLUICE_WORKSPACE")
        .env("NO_COLOR", "1")
        .output()
        .expect("sluice runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const V2: &str = "tests/fixtures/azureml/registered_components/pipeline.yml";
const V1: &str = "examples/compare-models/pipeline.yml";
const BROKEN: &str = "examples/databricks-transfer/pipeline.yml";

#[test]
fn one_file_prints_one_json_object() {
    let r = sluice(&root(), &["compile", "--target", "azureml", V2]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("one JSON object");
    assert_eq!(v["body"]["properties"]["jobType"], "Pipeline");
    assert!(v["components"].is_object());
    // `--target azureml` is the default.
    let d = sluice(&root(), &["compile", V2]);
    assert_eq!(d.stdout, r.stdout);
}

#[test]
fn several_files_print_one_json_line_each_in_one_process() {
    let r = sluice(&root(), &["compile", "--target", "azureml", V2, V1, BROKEN]);
    assert_eq!(r.code, Some(1), "one file has errors: {}", r.stderr);
    let lines: Vec<Value> = r.stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["file"], V2);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[1]["ok"], true);
    assert!(lines[1]["body"]["properties"]["jobs"]["compare"].is_object());
    assert_eq!(lines[2]["ok"], false);
    assert!(lines[2]["body"].is_null());
    assert!(r.stderr.contains("step `clean_orders`"), "{}", r.stderr);
}

#[test]
fn output_files_are_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("payload.json");
    let out_arg = out.to_string_lossy().into_owned();
    let r = sluice(&root(), &["compile", V1, "-o", &out_arg]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    assert!(written["body"].is_object());
    // A pipeline with errors leaves the earlier file as it was.
    let before = std::fs::read_to_string(&out).expect("written");
    let r = sluice(&root(), &["compile", V1, BROKEN, "-o", &out_arg]);
    assert_eq!(r.code, Some(1));
    assert_eq!(std::fs::read_to_string(&out).expect("still there"), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn yaml_target_writes_a_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("v2");
    let out_arg = out.to_string_lossy().into_owned();
    let r = sluice(&root(), &["compile", "--target", "azureml-yaml", V1, "-o", &out_arg]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let pipeline = std::fs::read_to_string(out.join("pipeline.yml")).expect("pipeline.yml");
    assert!(pipeline.contains("component: ./components/compare_models_prep.yml"), "{pipeline}");
    assert!(out.join("components/compare_models_prep.yml").is_file());
    // What was left out is said.
    assert!(r.stderr.contains("`run_after` of step `prep` is left out"), "{}", r.stderr);
    // The written files check clean.
    let w = root().join("examples/compare-models/workspace.yaml");
    let c = sluice(&out, &["check", "pipeline.yml", "--workspace", &w.to_string_lossy()]);
    assert_eq!(c.code, Some(0), "{}{}", c.stdout, c.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let r = sluice(&root(), &["compile", "--target", "azureml-yaml", V1]);
    assert_eq!(r.code, Some(2), "no -o: {}", r.stderr);
    assert!(r.stderr.contains("-o DIR"), "{}", r.stderr);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().to_string_lossy().into_owned();
    let r = sluice(&root(), &["compile", "--target", "azureml-yaml", V1, V2, "-o", &out]);
    assert_eq!(r.code, Some(2), "two files: {}", r.stderr);
    let r = sluice(&root(), &["compile", "missing.yml"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let r = sluice(&root(), &["compile"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}
