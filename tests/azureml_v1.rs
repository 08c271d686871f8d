//! v1 pipelines compiled for Azure ML v2 (DESIGN section 7), end to end through the binary.
//!
//! The round trip: `--target azureml-yaml` writes v2 YAML, and what azure-ai-ml makes of that
//! YAML must be the body `--target azureml` makes of the v1 file. `tests/fixtures/azureml-v1/`
//! keeps, for each case, the YAML (`CASE/v2/`) and the oracle's output on it
//! (`CASE/expected.json`, rewritten by `tests/fixtures/azureml-v1/oracle.sh`), so these tests need
//! no Python; one more runs the oracle on freshly written YAML (it needs `../shared` and the
//! oracle's venv, and says `skipped:` without them).
//! Steps with no v2 equivalent are errors that name the step, and secrets never reach a payload.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// (case, v1 pipeline relative to the repository root).
const CASES: [(&str, &str); 2] = [
    ("compare-models", "examples/compare-models/pipeline.yml"),
    ("transfer-and-parallel", "tests/fixtures/azureml-v1/transfer-and-parallel/pipeline.yml"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn sluice(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.current_dir(cwd).args(args).env_remove("SLUICE_WORKSPACE").env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("sluice runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn body_of(run: &Run, what: &str) -> Value {
    assert_eq!(run.code, Some(0), "{what}: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"))
}

fn expected(case: &str) -> Value {
    let path = root().join("tests/fixtures/azureml-v1").join(case).join("expected.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("expected.json")).expect("JSON")
}

fn assert_same(what: &str, want: &Value, got: &Value) {
    for part in ["body", "components"] {
        assert_eq!(want[part], got[part], "{what}: {part} differs");
    }
}

#[test]
fn v1_pipelines_compile_to_the_body_of_their_v2_yaml() {
    for (case, source) in CASES {
        let want = expected(case);
        assert_eq!(want["ok"], Value::Bool(true), "{case}: the SDK rejected the written YAML");
        // The v1 file itself.
        let v1 = body_of(&sluice(&root(), &["compile", "--target", "azureml", source], &[]), case);
        assert_same(&format!("{case} (v1)"), &want, &v1);
        // The committed v2 YAML, read back by sluice.
        let committed = format!("tests/fixtures/azureml-v1/{case}/v2/pipeline.yml");
        let v2 = body_of(&sluice(&root(), &["compile", "--target", "azureml", &committed], &[]), case);
        assert_same(&format!("{case} (committed v2 YAML)"), &want, &v2);
        // Freshly written YAML, read back by sluice.
        let (dir, _out) = write_v2_yaml(case, source);
        let args = compile_args(source);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let fresh = body_of(&sluice(&dir, &args, &[]), case);
        assert_same(&format!("{case} (fresh v2 YAML)"), &want, &fresh);
    }
}

/// Writes the v2 YAML of `source` with `--target azureml-yaml`; returns its folder (inside the
/// returned temporary folder).
fn write_v2_yaml(case: &str, source: &str) -> (PathBuf, tempfile::TempDir) {
    let out = tempfile::tempdir().expect("temp dir");
    let dir = out.path().join("v2");
    let dir_arg = dir.to_string_lossy().into_owned();
    let r = sluice(&root(), &["compile", "--target", "azureml-yaml", source, "-o", &dir_arg], &[]);
    assert_eq!(r.code, Some(0), "{case}: {}", r.stderr);
    (dir, out)
}

/// `compile --target azureml pipeline.yml`, in the v1 pipeline's workspace when it has one.
fn compile_args(source: &str) -> Vec<String> {
    let workspace = root().join(source).parent().map(|d| d.join("workspace.yaml")).filter(|w| w.is_file());
    let mut args: Vec<String> = ["compile", "--target", "azureml", "pipeline.yml"].map(String::from).into();
    if let Some(w) = workspace {
        args.extend(["--workspace".to_string(), w.to_string_lossy().into_owned()]);
    }
    args
}

/// The SDK reads the v2 YAML sluice writes from each v1 pipeline as the same body sluice makes.
#[test]
fn the_sdk_reads_freshly_written_v2_yaml_as_the_v1_body() {
    let Some((python, script)) =
        support::require_oracle("the_sdk_reads_freshly_written_v2_yaml_as_the_v1_body")
    else {
        return;
    };
    for (case, source) in CASES {
        let v1 = body_of(&sluice(&root(), &["compile", "--target", "azureml", source], &[]), case);
        let (dir, _out) = write_v2_yaml(case, source);
        let out = Command::new(&python).arg(&script).arg("pipeline.yml").current_dir(&dir).output();
        let line = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
        let sdk: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{case}: oracle: {e}"));
        assert_eq!(sdk["ok"], Value::Bool(true), "{case}: the SDK rejects the fresh YAML: {}", sdk["error"]);
        assert_same(&format!("{case} (oracle on fresh v2 YAML)"), &sdk, &v1);
    }
}

#[test]
fn steps_without_a_v2_equivalent_are_errors_naming_them() {
    let r = sluice(
        &root(),
        &["compile", "--target", "azureml", "examples/databricks-transfer/pipeline.yml"],
        &[],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "no partial output: {}", r.stdout);
    for step in ["clean_orders", "daily_totals"] {
        assert!(r.stderr.contains(&format!("step `{step}`")), "{step} named:\n{}", r.stderr);
    }
    assert!(
        r.stderr.contains("Azure Databricks") && r.stderr.contains("Data Lake Analytics"),
        "{}",
        r.stderr
    );
    // The Data Factory copy maps to a v2 data transfer job: not an error.
    assert!(!r.stderr.contains("step `copy_orders`"), "{}", r.stderr);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("v2");
    let out_arg = out.to_string_lossy().into_owned();
    let r = sluice(
        &root(),
        &["compile", "--target", "azureml-yaml", "examples/databricks-transfer/pipeline.yml", "-o", &out_arg],
        &[],
    );
    assert_eq!(r.code, Some(1));
    assert!(!out.exists(), "nothing is written when the pipeline has errors");
}

/// A ModuleStep runs a module registered in a v1 workspace: v2 has none, and compile says so.
#[test]
fn a_module_step_has_no_v2_equivalent() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("pipeline.yml"),
        "pipeline:\n  name: modules\n  default_compute: cpu\n  steps:\n    score:\n      type: ModuleStep\n      name: scorer\n      version: \"2\"\n",
    )
    .expect("write");
    let r = sluice(dir.path(), &["compile", "--target", "azureml", "pipeline.yml"], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("no-azureml-equivalent"), "{}", r.stderr);
    assert!(
        r.stderr.contains("step `score` runs a module registered in an Azure ML v1 workspace"),
        "{}",
        r.stderr
    );
}

#[test]
fn secrets_never_reach_a_payload() {
    let secrets = [
        ("SLUICE_TEST_STORAGE_KEY", "storage-key-c2VjcmV0"),
        ("SLUICE_TEST_LAKE_SECRET", "lake-secret-c2VjcmV0"),
        ("DATABRICKS_ACCESS_TOKEN", "dapi-c2VjcmV0-token"),
        ("LANDING_SAS_TOKEN", "sv=2024&sig=c2VjcmV0"),
        ("LAKE_CLIENT_SECRET", "client-secret-c2VjcmV0"),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("v2");
    let out_arg = out.to_string_lossy().into_owned();
    let source = "tests/fixtures/azureml-v1/transfer-and-parallel/pipeline.yml";
    let mut seen = Vec::new();
    for args in [
        vec!["compile", "--target", "azureml", source],
        vec!["compile", "--target", "azureml-yaml", source, "-o", &out_arg],
        vec!["compile", "--target", "azureml", "examples/databricks-transfer/pipeline.yml"],
    ] {
        let r = sluice(&root(), &args, &secrets);
        seen.push(format!("{}{}", r.stdout, r.stderr));
    }
    for entry in walk(&out) {
        seen.push(std::fs::read_to_string(entry).unwrap_or_default());
    }
    for text in &seen {
        for (name, value) in secrets {
            assert!(!text.contains(value), "the value of {name} leaked:\n{text}");
        }
        // Neither is the reference itself: a payload carries no workspace credentials at all.
        assert!(!text.contains("${env:"), "a secret reference reached the output:\n{text}");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files.extend(walk(&p));
            } else {
                files.push(p);
            }
        }
    }
    files
}
