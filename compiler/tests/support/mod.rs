//! Helpers of the compiler's tests: compiling a pipeline to its payload, the first JSON path
//! where two values differ, and what a test needs from outside the repository (`external`).

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sluice_compiler::emit::azureml;
use sluice_compiler::report;
use sluice_compiler::session::{Session, WorkspaceChoice};

#[path = "../../../tests/support/external.rs"]
pub mod external;
#[allow(unused_imports)] // Each test binary uses its own part of these.
pub use external::{require_python, require_shared};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the compiler crate is in the repository")
        .to_path_buf()
}

/// `{"body", "components"}` of a pipeline file, or the rendered diagnostics that stopped it.
pub fn compile(path: &Path) -> Result<Value, String> {
    let mut s = Session::new(WorkspaceChoice::default());
    let compiled = s.compile(path).map_err(|e| e.to_string())?;
    let Some(c) = compiled else {
        return Err(report::render_human(s.diagnostics.as_slice(), &s.sources, false));
    };
    azureml::emit(&c.pipeline, &c.workspace, &s.sources)
        .map(|p| p.to_json())
        .map_err(|ds| report::render_human(&ds, &s.sources, false))
}

/// The first JSON path where `want` and `got` differ, with both values there.
pub fn first_difference(path: &str, want: &Value, got: &Value) -> Option<String> {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let here = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => {
                        if let Some(d) = first_difference(&here, x, y) {
                            return Some(d);
                        }
                    }
                    (Some(x), None) => return Some(format!("{here}: missing (expected {})", short(x))),
                    (None, Some(y)) => return Some(format!("{here}: unexpected {}", short(y))),
                    (None, None) => {}
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if let Some(d) = first_difference(&format!("{path}[{i}]"), x, y) {
                    return Some(d);
                }
            }
            (a.len() != b.len()).then(|| format!("{path}: {} items, expected {}", b.len(), a.len()))
        }
        (x, y) if x == y => None,
        (x, y) => Some(format!("{path}: got {}, expected {}", short(y), short(x))),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 { format!("{}...", &s[..300]) } else { s }
}
