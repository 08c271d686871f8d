//! Component specs (`componentSpec` of a component version body) as azure-ai-ml dumps them:
//! the component's schema fields, inputs and outputs normalised, `code` pinned to its content
//! hash, environments made anonymous, and the anonymous `name`/`version`.

use serde_json::{Map, Value};

use super::doc::{ComponentDoc, JobDoc};
use super::py::{self, PyFloat};

/// Literal input types.
pub const LITERAL_TYPES: [&str; 4] = ["string", "integer", "number", "boolean"];

/// A component's input declarations as the component schema dumps them.
pub fn spec_inputs(decls: &Map<String, Value>) -> Map<String, Value> {
    decls.iter().map(|(k, d)| (k.clone(), spec_input(d))).collect()
}

/// One input declaration: parameters keep `type`, `optional`, `default`, `description`,
/// `min`, `max`, `enum` (values as text, parsed by type first); data inputs keep `type`,
/// `description`, `optional`, `default`, `mode`.
pub fn spec_input(decl: &Value) -> Value {
    let Value::Object(d) = decl else {
        return Value::Object(Map::new());
    };
    let ty = d.get("type").and_then(Value::as_str).unwrap_or("uri_folder");
    let mut out = Map::new();
    out.insert("type".into(), ty.into());
    for key in ["description", "optional"] {
        if let Some(v) = d.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    if LITERAL_TYPES.contains(&ty) {
        if let Some(v) = d.get("default").filter(|v| !v.is_null())
            && let Some(parsed) = parse_default(ty, &py::union_str_number_bool(v))
        {
            out.insert("default".into(), py::str_of(&parsed).into());
        }
        for key in ["min", "max"] {
            if let Some(v) = d.get(key).filter(|v| !v.is_null()) {
                let loaded = py::union_str_number_bool(v);
                out.insert(key.into(), py::str_of(&parse_param(ty, &loaded)).into());
            }
        }
        if let Some(Value::Array(items)) = d.get("enum") {
            out.insert("enum".into(), items.iter().map(|v| Value::from(py::str_of(v))).collect());
        }
    } else {
        if let Some(v) = d.get("default").filter(|v| !v.is_null()) {
            out.insert("default".into(), py::str_of(v).into());
        }
        if let Some(m) = d.get("mode").filter(|v| !v.is_null()) {
            out.insert("mode".into(), m.clone());
        }
    }
    Value::Object(out)
}

/// `Input._update_default`: a default of another type is parsed as the input's type; `None`
/// when it is a non-finite number (the SDK drops those).
pub fn parse_default(ty: &str, v: &Value) -> Option<Value> {
    if let Value::Number(n) = v
        && n.as_f64().is_some_and(|f| !f.is_finite())
    {
        return None;
    }
    Some(match (ty, v) {
        // `bool` is an `int` in Python.
        ("integer", Value::Bool(_)) => v.clone(),
        ("integer", Value::Number(n)) if !n.is_f64() => v.clone(),
        ("integer", other) => {
            py::int_of(other).map(|i| Value::from(i as i64)).unwrap_or_else(|| other.clone())
        }
        ("number", Value::Number(n)) if n.is_f64() => v.clone(),
        ("number", other) => {
            py::float_of(other).map(|f| Value::from(PyFloat(f))).unwrap_or_else(|| other.clone())
        }
        ("boolean", Value::Bool(_)) => v.clone(),
        ("boolean", other) => Value::Bool(py::str_of(other).to_lowercase() == "true"),
        ("string", Value::String(_)) => v.clone(),
        ("string", other) => Value::String(py::str_of(other)),
        _ => v.clone(),
    })
}

/// `IOConstants.PARAM_PARSERS` applied to `min`/`max`.
fn parse_param(ty: &str, v: &Value) -> Value {
    match ty {
        "integer" => py::int_of(v).map(|i| Value::from(i as i64)).unwrap_or_else(|| v.clone()),
        "number" => py::float_of(v).map(|f| Value::from(PyFloat(f))).unwrap_or_else(|| v.clone()),
        "boolean" => Value::Bool(py::str_of(v).to_lowercase() == "true"),
        _ => v.clone(),
    }
}

/// A component's output declarations: `type`, `description`, `mode` (primitive outputs keep
/// every key written, as their schema includes unknown ones).
pub fn spec_outputs(decls: &Map<String, Value>) -> Map<String, Value> {
    decls
        .iter()
        .map(|(k, d)| {
            let Value::Object(d) = d else {
                return (k.clone(), Value::Object(Map::new()));
            };
            let ty = d.get("type").and_then(Value::as_str).unwrap_or("uri_folder");
            let mut out = Map::new();
            if LITERAL_TYPES.contains(&ty) {
                out = d.clone();
                out.retain(|_, v| !v.is_null());
            } else {
                for key in ["description", "mode"] {
                    if let Some(v) = d.get(key).filter(|v| !v.is_null()) {
                        out.insert(key.into(), v.clone());
                    }
                }
            }
            out.insert("type".into(), ty.into());
            (k.clone(), Value::Object(out))
        })
        .collect()
}

/// A distribution in its YAML form, with the defaults the SDK's entities add.
pub fn spec_distribution(d: &Value) -> Value {
    let Value::Object(m) = d else {
        return d.clone();
    };
    let mut out = m.clone();
    out.retain(|_, v| !v.is_null());
    if out.get("type").and_then(Value::as_str) == Some("tensorflow")
        && !out.contains_key("parameter_server_count")
    {
        out.insert("parameter_server_count".into(), 0.into());
    }
    Value::Object(out)
}

/// A distribution in its REST form (`distribution_type: PyTorch`, ...).
pub fn rest_distribution(d: &Value) -> Value {
    let Value::Object(m) = spec_distribution(d) else {
        return d.clone();
    };
    let ray = m.get("type").and_then(Value::as_str) == Some("ray");
    let mut out = Map::new();
    for (k, v) in m {
        if k == "type" {
            let t = match v.as_str().unwrap_or("") {
                "mpi" => "Mpi",
                "pytorch" => "PyTorch",
                "tensorflow" => "TensorFlow",
                "ray" => "Ray",
                other => other,
            }
            .to_string();
            out.insert("distribution_type".into(), t.into());
        } else if ray {
            // azure-ai-ml builds Ray's wire form by hand, in camelCase (`includeDashboard`).
            out.insert(super::py::camel(&k), v);
        } else {
            out.insert(k, v);
        }
    }
    Value::Object(out)
}

/// Keys a command component's schema knows, besides inputs, outputs, code and environment.
const COMMAND_KEYS: [&str; 12] = [
    "$schema",
    "display_name",
    "description",
    "tags",
    "is_deterministic",
    "type",
    "command",
    "resources",
    "distribution",
    "properties",
    "additional_includes",
    "queue_settings",
];

/// Keys a parallel component's schema knows, besides inputs, outputs and task.
const PARALLEL_KEYS: [&str; 15] = [
    "$schema",
    "display_name",
    "description",
    "tags",
    "is_deterministic",
    "type",
    "resources",
    "retry_settings",
    "logging_level",
    "max_concurrency_per_instance",
    "error_threshold",
    "mini_batch_error_threshold",
    "input_data",
    "partition_keys",
    "properties",
];

/// Keys a Spark component's schema knows, besides inputs, outputs, code, environment, conf.
const SPARK_KEYS: [&str; 17] = [
    "$schema",
    "display_name",
    "description",
    "tags",
    "is_deterministic",
    "type",
    "entry",
    "py_files",
    "jars",
    "files",
    "archives",
    "args",
    "driver_cores",
    "driver_memory",
    "executor_cores",
    "executor_memory",
    "additional_includes",
];

/// Copies `keys` of `from` that are set.
pub fn pick(from: &Map<String, Value>, keys: &[&str], into: &mut Map<String, Value>) {
    for k in keys {
        if let Some(v) = from.get(*k).filter(|v| !v.is_null()) {
            into.insert((*k).to_string(), v.clone());
        }
    }
}

/// The schema fields of a component body by kind (inputs, outputs, code and environment are
/// the caller's).
pub fn schema_fields(kind: &str, c: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    match kind {
        "parallel" => pick(c, &PARALLEL_KEYS, &mut out),
        "spark" => {
            pick(c, &SPARK_KEYS, &mut out);
            for k in [
                "executor_instances",
                "dynamic_allocation_enabled",
                "dynamic_allocation_min_executors",
                "dynamic_allocation_max_executors",
            ] {
                if let Some(v) = c.get(k).filter(|v| !v.is_null()) {
                    out.insert(k.into(), v.clone());
                }
            }
        }
        "pipeline" => pick(c, &["$schema", "display_name", "description", "tags", "type"], &mut out),
        "data_transfer" => pick(
            c,
            &[
                "$schema",
                "display_name",
                "description",
                "tags",
                "is_deterministic",
                "type",
                "task",
                "data_copy_mode",
            ],
            &mut out,
        ),
        _ => pick(c, &COMMAND_KEYS, &mut out),
    }
    if let Some(d) = out.get("distribution").cloned() {
        out.insert("distribution".into(), spec_distribution(&d));
    }
    if let Some(Value::Array(a)) = out.get("additional_includes")
        && a.is_empty()
    {
        out.remove("additional_includes");
    }
    if out.get("properties").is_some_and(|p| p.as_object().is_some_and(Map::is_empty)) {
        out.remove("properties");
    }
    if let Some(Value::Object(tags)) = out.get_mut("tags") {
        for v in tags.values_mut() {
            if !v.is_string() && !v.is_null() {
                *v = py::str_of(v).into();
            }
        }
    }
    out
}

/// What a component's `code` is: a local folder to hash, or a reference kept as written.
pub enum Code {
    /// A local folder or file, absolute.
    Local(std::path::PathBuf),
    /// `azureml:...`, a URL or a git reference.
    Remote(String),
}

/// Where the `code` of a component body points.
pub fn code_of(value: &str, c: &ComponentDoc) -> Code {
    code_at(value, &c.dir)
}

/// Where a `code` value written in a file of folder `dir` points.
pub fn code_at(value: &str, dir: &std::path::Path) -> Code {
    let lower = value.to_ascii_lowercase();
    if ["azureml:", "http:", "https:", "git+", "git:", "/subscriptions/"].iter().any(|p| lower.starts_with(p))
    {
        return Code::Remote(value.to_string());
    }
    let raw = value.strip_prefix("file:").unwrap_or(value);
    Code::Local(crate::check::path_escapes_root::normalize(&dir.join(raw)))
}

/// The job names of a pipeline's jobs (for binding lookups).
pub fn find_job<'a>(jobs: &'a [JobDoc], name: &str) -> Option<&'a JobDoc> {
    jobs.iter().find(|j| j.name == name)
}
