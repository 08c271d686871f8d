//! The v2 environment of a v1 step: its run configuration's registered environment, or its
//! docker image and conda file, else the default.

use std::path::Path;

use serde_json::{Map, Value};

use super::super::error::{At, Errors, NO_EQUIVALENT, UNREADABLE};
use super::{DEFAULT_ENVIRONMENT, DEFAULT_IMAGE};
use crate::ir::{Environment, Step};

/// The environment of a step: from its runconfig (a registered environment, or a docker image
/// with a conda file), else [`DEFAULT_ENVIRONMENT`].
pub(super) fn environment(step: &Step, dir: &Path, at: At, errors: &mut Errors) -> Value {
    let rc = match &step.environment {
        Environment::RunConfig(rc) => rc,
        // A registered environment by name (a ParallelRunStep's `environment_name`).
        Environment::Reference(name) if name.value.starts_with("azureml:") => {
            return name.value.clone().into();
        }
        Environment::Reference(name) => return format!("azureml:{}@latest", name.value).into(),
        _ => return DEFAULT_ENVIRONMENT.into(),
    };
    let path = rc.resolved();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            errors.push(at.error(UNREADABLE, format!("cannot read runconfig `{}`: {e}", rc.raw.value)));
            return DEFAULT_ENVIRONMENT.into();
        }
    };
    let (node, _) = crate::yaml::parse(&text, &crate::yaml::Limits::default());
    let json = node.map(|n| crate::yaml::yaml11::to_json(&n, &text)).unwrap_or(Value::Null);
    let env = json.get("environment").cloned().unwrap_or(Value::Null);
    let get = |v: &Value, keys: &[&str]| keys.iter().find_map(|k| v.get(*k)).cloned();
    let docker = get(&env, &["docker"]).unwrap_or(Value::Null);
    let python = get(&env, &["python"]).unwrap_or(Value::Null);
    let image = get(&docker, &["baseImage", "base_image"]).and_then(|v| v.as_str().map(str::to_string));
    let conda_file = get(&python, &["condaDependenciesFile", "conda_dependencies_file"])
        .and_then(|v| v.as_str().map(str::to_string));
    let conda_inline = get(&python, &["condaDependencies", "conda_dependencies"]).filter(Value::is_object);
    let rc_dir = path.parent().unwrap_or(dir);
    match (image, conda_file, conda_inline) {
        (image, file, inline) if image.is_some() || file.is_some() || inline.is_some() => {
            let mut e = Map::new();
            e.insert("image".into(), image.unwrap_or_else(|| DEFAULT_IMAGE.to_string()).into());
            if let Some(f) = file {
                // Relative to the step's source directory (the v1 project folder), else to the
                // runconfig; written relative to the pipeline's folder.
                let in_source = step.code.as_ref().map(|c| c.resolved().join(&f)).filter(|p| p.is_file());
                let abs = in_source.unwrap_or_else(|| rc_dir.join(&f));
                match super::super::env::read_conda(&abs) {
                    Ok(Value::Object(_)) => {}
                    Ok(_) => errors.push(at.error(
                        NO_EQUIVALENT,
                        format!(
                            "`{f}` of runconfig `{}` is not a conda environment file (a YAML mapping)",
                            rc.raw.value
                        ),
                    )),
                    Err(e) => errors.push(at.error(UNREADABLE, e.to_string())),
                }
                e.insert("conda_file".into(), super::super::yaml_out::relative(dir, &abs).into());
            } else if let Some(i) = inline {
                e.insert("conda_file".into(), i);
            }
            Value::Object(e)
        }
        _ => match get(&env, &["name"]).and_then(|v| v.as_str().map(str::to_string)) {
            Some(name) if !name.starts_with("Experiment ") => match get(&env, &["version"]) {
                Some(v) if !v.is_null() => format!("azureml:{name}:{}", super::super::py::str_of(&v)).into(),
                _ => format!("azureml:{name}@latest").into(),
            },
            _ => {
                errors.push(at.error(
                    NO_EQUIVALENT,
                    format!(
                        "runconfig `{}` names neither a docker base image nor a registered environment; a v2 job needs one",
                        rc.raw.value
                    ),
                ));
                DEFAULT_ENVIRONMENT.into()
            }
        },
    }
}
