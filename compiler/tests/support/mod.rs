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

/// Mistakes in the shared corpus's own files that sluice reports as errors and azure-ai-ml
/// passes on: (the file's path ending, the diagnostic code, its line). The corpus's expected
/// bodies are made despite them, so the payload tests compile those files despite them too.
pub const CORPUS_MISTAKES: &[(&str, &str, usize)] = &[
    // `settings: {default_datestore: ...}`: a misspelt `default_datastore` the service ignores.
    ("basics/3a_basic_pipeline/pipeline.yml", "unknown-key", 8),
];

/// Whether an error is one of [`CORPUS_MISTAKES`].
pub fn is_corpus_mistake(file: &str, code: &str, line: usize) -> bool {
    CORPUS_MISTAKES.iter().any(|(f, c, l)| file.ends_with(f) && *c == code && *l == line)
}

/// `{"body", "components"}` of a pipeline file, or the rendered diagnostics that stopped it
/// (the errors of [`CORPUS_MISTAKES`] do not stop it).
pub fn compile(path: &Path) -> Result<Value, String> {
    let mut s = Session::new(WorkspaceChoice::default());
    let compiled = s.compile_despite_errors(path).map_err(|e| e.to_string())?;
    let unexpected = s.diagnostics.as_slice().iter().any(|d| {
        let source = s.sources.get(d.primary.file);
        let file = source.path.to_string_lossy().replace('\\', "/");
        let line = source.line_col(d.primary.span.start).line;
        d.severity == sluice_compiler::diagnostic::Severity::Error && !is_corpus_mistake(&file, d.code, line)
    });
    let (Some(c), false) = (compiled, unexpected) else {
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
