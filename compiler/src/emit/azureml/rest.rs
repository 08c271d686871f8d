//! REST forms of the small objects jobs carry: modes, inputs and outputs, identities,
//! services, limits, queue settings.

use serde_json::{Map, Value, json};

use super::py;

/// The REST name of an input mode (`ro_mount` -> `ReadOnlyMount`).
pub fn input_mode(mode: &str) -> Option<&'static str> {
    Some(match mode.to_ascii_lowercase().as_str() {
        "mount" | "ro_mount" => "ReadOnlyMount",
        "rw_mount" => "ReadWriteMount",
        "download" => "Download",
        "eval_mount" => "EvalMount",
        "eval_download" => "EvalDownload",
        "direct" => "Direct",
        "upload" => "Upload",
        _ => return None,
    })
}

/// The REST name of an output mode (`rw_mount` -> `ReadWriteMount`).
pub fn output_mode(mode: &str) -> Option<&'static str> {
    Some(match mode.to_ascii_lowercase().as_str() {
        "mount" | "rw_mount" => "ReadWriteMount",
        "upload" => "Upload",
        "direct" => "Direct",
        "ro_mount" => "ReadOnlyMount",
        "download" => "Download",
        _ => return None,
    })
}

/// A data path as it goes into a body: registered assets lose their `azureml:` prefix.
pub fn data_uri(path: &str) -> String {
    py::strip_azureml(path).to_string()
}

/// A job input as a node sends it (`job_input_type`, `value` or `uri`, `mode`); `None` for an
/// input given no value.
pub fn node_input(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Object(m) => {
            let mode = m.get("mode").and_then(Value::as_str).and_then(input_mode);
            let mut out = Map::new();
            match (m.get("path").filter(|p| !p.is_null()), m.get("value").filter(|p| !p.is_null())) {
                (Some(Value::String(p)), _) if py::is_binding(p) => {
                    out.insert("job_input_type".into(), "literal".into());
                    out.insert("value".into(), p.clone().into());
                }
                (Some(p), _) => {
                    let ty = m.get("type").and_then(Value::as_str).unwrap_or("uri_folder");
                    out.insert("job_input_type".into(), ty.into());
                    out.insert("uri".into(), data_uri(&py::str_of(p)).into());
                }
                (None, Some(value)) => {
                    out.insert("job_input_type".into(), "literal".into());
                    out.insert("value".into(), py::str_of(&py::literal_value_union(value)).into());
                }
                (None, None) => return None,
            }
            if let Some(mode) = mode {
                out.insert("mode".into(), mode.into());
            }
            Some(Value::Object(out))
        }
        scalar => Some(json!({"job_input_type": "literal", "value": py::str_of(scalar)})),
    }
}

/// A job output as a node sends it; `None` for an output given no value. `declared` is the
/// component's declared type (a `uri_file` declaration makes the output a file).
pub fn node_output(v: &Value, declared: Option<&str>) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(json!({"type": "literal", "value": s})),
        Value::Object(m) => {
            let mut out = Map::new();
            let mode = m.get("mode").and_then(Value::as_str).and_then(output_mode);
            match m.get("path") {
                Some(Value::String(p)) if py::is_binding(p) => {
                    out.insert("type".into(), "literal".into());
                    out.insert("value".into(), p.clone().into());
                    if let Some(mode) = mode {
                        out.insert("mode".into(), mode.into());
                    }
                    for k in ["name", "version"] {
                        if let Some(v) = m.get(k).filter(|v| !v.is_null()) {
                            out.insert(k.into(), py::str_of(v).into());
                        }
                    }
                    return Some(Value::Object(out));
                }
                _ => {}
            }
            let mut ty = m.get("type").and_then(Value::as_str).unwrap_or("uri_folder").to_string();
            if matches!(declared, Some("uri_file" | "AnyFile")) {
                ty = "uri_file".into();
            }
            out.insert("job_output_type".into(), ty.into());
            if let Some(p) = m.get("path").filter(|p| !p.is_null()) {
                out.insert("uri".into(), py::str_of(p).into());
            }
            if let Some(mode) = mode {
                out.insert("mode".into(), mode.into());
            }
            for k in ["name", "version", "description"] {
                if let Some(v) = m.get(k).filter(|v| !v.is_null()) {
                    out.insert(k.into(), py::str_of(v).into());
                }
            }
            Some(Value::Object(out))
        }
        other => Some(json!({"type": "literal", "value": py::str_of(other)})),
    }
}

/// A job identity in its REST form (`identity_type: UserIdentity`, ...).
pub fn identity(v: &Value) -> Value {
    let Value::Object(m) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    let ty = match m.get("type").and_then(Value::as_str).unwrap_or("") {
        "user_identity" => "UserIdentity",
        "managed" | "managed_identity" => "Managed",
        "aml_token" => "AMLToken",
        other => other,
    };
    out.insert("identity_type".into(), ty.into());
    for (k, val) in m {
        if k != "type" && !val.is_null() {
            out.insert(k.clone(), val.clone());
        }
    }
    Value::Object(out)
}

/// Interactive services in their REST form.
pub fn services(v: &Value) -> Value {
    let Value::Object(m) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    for (name, s) in m {
        let Value::Object(s) = s else {
            out.insert(name.clone(), s.clone());
            continue;
        };
        let mut r = Map::new();
        // A `custom` service is sent without its type (azure-ai-ml loads it as a bare service);
        // the known ones match in any case (`SSH`, `Tensor_Board`).
        let ty = s.get("type").and_then(Value::as_str).map(str::to_lowercase);
        let rest = match ty.as_deref() {
            Some("jupyter_lab") => Some("JupyterLab"),
            Some("ssh") => Some("SSH"),
            Some("tensor_board") => Some("TensorBoard"),
            Some("vs_code") => Some("VSCode"),
            _ => None,
        };
        if let Some(t) = rest {
            r.insert("job_service_type".into(), t.into());
        }
        for k in ["endpoint", "port"] {
            if let Some(v) = s.get(k).filter(|v| !v.is_null()) {
                r.insert(k.into(), v.clone());
            }
        }
        if s.get("nodes").is_some_and(|n| !n.is_null()) {
            r.insert("nodes".into(), json!({"nodes_value_type": "All"}));
        }
        let mut props = s.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        if let Some(v) = s.get("log_dir").filter(|v| !v.is_null()) {
            props.insert("logDir".into(), v.clone());
        }
        if let Some(v) = s.get("ssh_public_keys").filter(|v| !v.is_null()) {
            props.insert("sshPublicKeys".into(), v.clone());
        }
        if !props.is_empty() {
            r.insert("properties".into(), props.into());
        }
        out.insert(name.clone(), r.into());
    }
    Value::Object(out)
}

/// Command job limits in their REST form (`timeout` as an ISO 8601 duration).
pub fn command_limits(v: &Value) -> Value {
    let Value::Object(m) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    out.insert("job_limits_type".into(), "Command".into());
    for (k, val) in m {
        match (k.as_str(), val) {
            (_, Value::Null) => {}
            ("timeout", Value::Number(n)) => {
                if let Some(s) = n.as_f64().filter(|s| *s != 0.0) {
                    out.insert(k.clone(), py::iso_duration(s).into());
                }
            }
            _ => {
                out.insert(k.clone(), val.clone());
            }
        }
    }
    Value::Object(out)
}

/// Queue settings in their REST form (`job_tier: Spot`, `priority: 3`).
pub fn queue_settings(v: &Value) -> Value {
    let Value::Object(m) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    if let Some(t) = m.get("job_tier").and_then(Value::as_str) {
        let rest = match t.to_ascii_lowercase().as_str() {
            "spot" => Some("Spot"),
            "basic" => Some("Basic"),
            "standard" => Some("Standard"),
            "premium" => Some("Premium"),
            "null" => Some("Null"),
            _ => None,
        };
        if let Some(r) = rest {
            out.insert("job_tier".into(), r.into());
        }
    }
    if let Some(p) = m.get("priority").and_then(Value::as_str) {
        let rest = match p.to_ascii_lowercase().as_str() {
            "low" => Some(1),
            "medium" => Some(2),
            "high" => Some(3),
            _ => None,
        };
        if let Some(r) = rest {
            out.insert("priority".into(), r.into());
        }
    }
    Value::Object(out)
}

/// Resources as a node sends them: as written, without empty values; a list of docker
/// arguments is `docker_args_list`, and `max_instance_count` goes by its wire name
/// `maxInstanceCount` (azure-ai-ml adds it to the REST object by hand).
pub fn resources(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        py::drop_empty(m);
        if let Some(list @ Value::Array(_)) = m.get("docker_args").cloned() {
            m.remove("docker_args");
            // With a list, `max_instance_count` and `locations` are not sent.
            m.remove("max_instance_count");
            m.remove("locations");
            m.insert("docker_args_list".into(), list);
        }
        if let Some(n) = m.remove("max_instance_count") {
            m.insert("maxInstanceCount".into(), n);
        }
    }
    v
}

/// A sweep's early termination policy in its REST form (`policy_type: Bandit`, with the
/// evaluation defaults).
pub fn early_termination(et: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (k, v) in et {
        if v.is_null() {
            continue;
        }
        if k == "type" {
            let t = match v.as_str().unwrap_or("") {
                "bandit" => "Bandit",
                "median_stopping" => "MedianStopping",
                "truncation_selection" => "TruncationSelection",
                other => other,
            };
            out.insert("policy_type".into(), t.into());
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    out.entry("delay_evaluation").or_insert(0.into());
    out.entry("evaluation_interval").or_insert(0.into());
    Value::Object(out)
}

/// The keys of a mapping in camelCase (the pipeline job level of a body).
pub fn camel_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (py::camel(k), v.clone())).collect()),
        other => other.clone(),
    }
}
