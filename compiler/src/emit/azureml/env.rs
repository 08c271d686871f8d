//! Environments in a component: a reference stays as written; one written in place becomes the
//! anonymous environment azure-ai-ml makes of it (`CliV2AnonymousEnvironment`, versioned by a
//! hash of its image, conda file, inference config or build context; see docs/azureml-hashing.md section 3).

use std::path::Path;

use serde_json::{Map, Value};

use super::hash::{object_hash, sha256_hex};
use super::pyyaml;

/// The anonymous environment name azure-ai-ml gives an environment written in place.
pub const ANONYMOUS_ENV_NAME: &str = "CliV2AnonymousEnvironment";

/// Why an environment could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// The conda file cannot be read or is not YAML.
    #[error("cannot read the conda file {path}: {reason}")]
    Conda {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The build context cannot be hashed.
    #[error("cannot hash the build context {path}: {reason}")]
    Build {
        /// The folder.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// The environment as it appears in a component spec; `dir` is the folder relative paths
/// start from.
pub fn spec_environment(env: &Value, dir: &Path) -> Result<Value, EnvError> {
    let Value::Object(written) = env else {
        return Ok(env.clone());
    };
    let mut out = Map::new();
    let conda = match written.get("conda_file") {
        Some(Value::String(path)) => Some(read_conda(&dir.join(path.strip_prefix("file:").unwrap_or(path)))?),
        Some(Value::Object(inline)) => Some(Value::Object(inline.clone())),
        _ => None,
    };
    let image = written.get("image").and_then(Value::as_str);
    let inference = written.get("inference_config").filter(|v| v.is_object());
    let build = written.get("build").and_then(Value::as_object);
    let version = if let Some(build) = build {
        let path = build.get("path").and_then(Value::as_str).unwrap_or(".");
        let remote = path.starts_with("http:") || path.starts_with("https:");
        let mut b = Map::new();
        if let Some(d) = build.get("dockerfile_path").filter(|d| !d.is_null()) {
            b.insert("dockerfile_path".into(), d.clone());
        }
        if remote {
            b.insert("path".into(), path.into());
            out.insert("build".into(), b.into());
            None
        } else {
            let folder = crate::check::path_escapes_root::normalize(&dir.join(path));
            let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
            b.insert("path".into(), folder.to_string_lossy().into_owned().into());
            out.insert("build".into(), b.into());
            let upload = object_hash(&folder, true)
                .map_err(|e| EnvError::Build { path: folder.display().to_string(), reason: e.to_string() })?;
            let mut h = sha256_hex(&upload);
            if let Some(d) = build.get("dockerfile_path").and_then(Value::as_str) {
                h = py_join(&h, &sha256_hex(d));
            }
            Some(sha256_hex(&h))
        }
    } else if let Some(image) = image {
        let mut h = sha256_hex(image);
        if let Some(ic) = inference {
            h = py_join(&h, &sha256_hex(&pyyaml::dump(ic)));
        }
        if let Some(c) = &conda {
            h = py_join(&h, &sha256_hex(&pyyaml::dump(c)));
        }
        Some(sha256_hex(&h))
    } else {
        None
    };
    if let Some(c) = conda {
        out.insert("conda_file".into(), c);
    }
    for key in ["description", "image", "inference_config", "os_type", "tags"] {
        if let Some(v) = written.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    match version {
        Some(v) => {
            out.insert("name".into(), ANONYMOUS_ENV_NAME.into());
            out.insert("version".into(), v.into());
        }
        None => {
            for key in ["name", "version"] {
                if let Some(v) = written.get(key) {
                    out.insert(key.into(), Value::String(super::py::str_of(v)));
                }
            }
        }
    }
    Ok(Value::Object(out))
}

/// A conda file as the SDK loads it (YAML 1.1).
pub fn read_conda(path: &Path) -> Result<Value, EnvError> {
    let err = |reason: String| EnvError::Conda { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let (node, errors) = crate::yaml::parse(&text, &crate::yaml::Limits::default());
    if let Some(e) = errors.first() {
        return Err(err(e.message.clone()));
    }
    let node = node.ok_or_else(|| err("not YAML".to_string()))?;
    Ok(crate::yaml::yaml11::to_json(&node, &text))
}

/// Python's `sep.join(text)`: `sep` between every character of `text`.
fn py_join(sep: &str, text: &str) -> String {
    let mut out = String::with_capacity(text.len() * (sep.len() + 1));
    for (i, c) in text.chars().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}
