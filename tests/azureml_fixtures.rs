//! `sluice compile --target azureml` of real-world pipelines against what azure-ai-ml makes of
//! them. Each folder of `tests/fixtures/azureml/` holds a pipeline (recreated from the public
//! Azure/azureml-examples repository, or written to exercise one rule: code folders hold
//! placeholder files) and `expected.json`, the output of `../shared/oracle/azureml_rest.py` run
//! from that folder (`tests/fixtures/azureml/oracle.sh` rewrites them). The binary runs from the
//! same folder, as the SDK's view of local paths depends on the working folder.
//!
//! Where the SDK accepts a pipeline, the body and the component registrations must be equal as
//! JSON values (a mismatch names its first differing path); where it rejects one, sluice must
//! exit 1 with a diagnostic.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/azureml");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/fixtures/azureml")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("pipeline.yml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// The first JSON path where `want` and `got` differ, with both values there.
pub fn first_difference(path: &str, want: &Value, got: &Value) -> Option<String> {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let here = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => first_difference(&here, x, y),
                    (Some(x), None) => Some(format!("{here}: missing (expected {x})")),
                    (None, Some(y)) => Some(format!("{here}: unexpected {y}")),
                    (None, None) => None,
                }
            })
        }
        (Value::Array(a), Value::Array(b)) => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(&format!("{path}[{i}]"), x, y))
            .or_else(|| {
                (a.len() != b.len()).then(|| format!("{path}: {} items, expected {}", b.len(), a.len()))
            }),
        (x, y) if x == y => None,
        (x, y) => Some(format!("{path}: got {y}, expected {x}")),
    }
}

fn compile(dir: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(dir)
        .args(["compile", "--target", "azureml", "pipeline.yml"])
        .env_remove("SLUICE_WORKSPACE")
        .env("NO_COLOR", "1")
        .output()
        .expect("sluice runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn fixtures_compile_to_the_sdk_bodies() {
    let dirs = fixtures();
    assert!(dirs.len() >= 20, "expected 20 or more fixtures, found {}", dirs.len());
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected.json"))
                .unwrap_or_else(|e| panic!("{name}/expected.json: {e}")),
        )
        .unwrap_or_else(|e| panic!("{name}/expected.json: {e}"));
        let (code, stdout, stderr) = compile(dir);
        if expected["ok"] != Value::Bool(true) {
            if code != Some(1) || stderr.trim().is_empty() {
                failures.push(format!("{name}: the SDK rejects it, but sluice exits {code:?}\n{stderr}"));
            }
            continue;
        }
        if code != Some(0) {
            failures.push(format!("{name}: exit {code:?}\n{stderr}"));
            continue;
        }
        let got: Value = match serde_json::from_str(&stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: output is not JSON: {e}"));
                continue;
            }
        };
        for part in ["body", "components"] {
            if let Some(d) = first_difference(part, &expected[part], &got[part]) {
                failures.push(format!("{name}: {d}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}
