//! What azure-ai-ml's schemas do to names as they load a file, applied to the document before
//! anything is emitted: its `StringTransformedEnum` fields lowercase the value (or pass it
//! through `camel_to_snake`), so `distribution: {type: PyTorch}` is `pytorch` in the component
//! spec, `PyTorch` in the node, and the anonymous component id is that of `pytorch`.
//! (`docs/azureml-hashing.md` section 7 lists each rule.)

use serde_json::{Map, Value};

use crate::casing::camel_to_snake;

/// How one name is rewritten.
#[derive(Clone, Copy)]
enum Fold {
    /// `str.lower()`.
    Lower,
    /// `camel_to_snake`.
    Snake,
}

/// Rewrites `m[key]` when it is a string.
fn fold(m: &mut Map<String, Value>, key: &str, how: Fold) {
    if let Some(Value::String(s)) = m.get_mut(key) {
        *s = match how {
            Fold::Lower => s.to_lowercase(),
            Fold::Snake => camel_to_snake(s),
        };
    }
}

/// Rewrites `m[outer][key]` when `m[outer]` is a mapping.
fn fold_in(m: &mut Map<String, Value>, outer: &str, key: &str, how: Fold) {
    if let Some(Value::Object(inner)) = m.get_mut(outer) {
        fold(inner, key, how);
    }
}

/// The `type` and `mode` of each input or output given as a mapping (job and pipeline inputs
/// and outputs; a component's declarations are read exactly).
fn ports(m: &mut Map<String, Value>, key: &str) {
    let Some(Value::Object(ports)) = m.get_mut(key) else { return };
    for port in ports.values_mut() {
        if let Value::Object(p) = port {
            fold(p, "type", Fold::Lower);
            fold(p, "mode", Fold::Lower);
        }
    }
}

/// A pipeline job's own fields (without its jobs).
pub fn pipeline(m: &mut Map<String, Value>) {
    ports(m, "inputs");
    ports(m, "outputs");
    fold_in(m, "identity", "type", Fold::Snake);
}

/// A job's fields, and those of a component written in it.
pub fn job(m: &mut Map<String, Value>) {
    fold(m, "type", Fold::Lower);
    ports(m, "inputs");
    ports(m, "outputs");
    fold_in(m, "distribution", "type", Fold::Lower);
    fold_in(m, "identity", "type", Fold::Snake);
    fold_in(m, "queue_settings", "job_tier", Fold::Lower);
    fold_in(m, "queue_settings", "priority", Fold::Lower);
    // Sweep.
    fold_in(m, "objective", "goal", Fold::Snake);
    fold_in(m, "early_termination", "type", Fold::Snake);
    match m.get_mut("sampling_algorithm") {
        Some(Value::String(s)) => *s = s.to_lowercase(),
        Some(Value::Object(a)) => {
            fold(a, "type", Fold::Snake);
            fold(a, "rule", Fold::Snake);
        }
        _ => {}
    }
    if let Some(Value::Object(space)) = m.get_mut("search_space") {
        for p in space.values_mut() {
            if let Value::Object(p) = p {
                fold(p, "type", Fold::Lower);
            }
        }
    }
    // Data transfer (a job's own `data_copy_mode` is sent as written; its component's is
    // lowercased).
    fold(m, "task", Fold::Lower);
    fold_in(m, "source", "type", Fold::Lower);
    fold_in(m, "sink", "type", Fold::Lower);
    for key in ["component", "trial"] {
        if let Some(Value::Object(c)) = m.get_mut(key) {
            component(c);
        }
    }
}

/// A component's fields (from its file, or written in a job).
pub fn component(m: &mut Map<String, Value>) {
    fold(m, "type", Fold::Lower);
    fold_in(m, "distribution", "type", Fold::Lower);
    fold(m, "data_copy_mode", Fold::Lower);
    fold(m, "task", Fold::Lower);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("an object"),
        }
    }

    #[test]
    fn job_names_are_folded_as_azure_ai_ml_loads_them() {
        let mut m = obj(json!({
            "type": "Command",
            "inputs": {"x": {"type": "URI_File", "mode": "RO_Mount"}, "y": "${{parent.inputs.Y}}"},
            "distribution": {"type": "PyTorch"},
            "identity": {"type": "UserIdentity"},
            "queue_settings": {"job_tier": "Spot", "priority": "High"},
            "component": {"type": "Command", "inputs": {"x": {"type": "uri_file"}}}
        }));
        job(&mut m);
        assert_eq!(
            Value::Object(m),
            json!({
                "type": "command",
                "inputs": {"x": {"type": "uri_file", "mode": "ro_mount"}, "y": "${{parent.inputs.Y}}"},
                "distribution": {"type": "pytorch"},
                "identity": {"type": "user_identity"},
                "queue_settings": {"job_tier": "spot", "priority": "high"},
                "component": {"type": "command", "inputs": {"x": {"type": "uri_file"}}}
            })
        );
    }

    #[test]
    fn sweep_names_go_through_camel_to_snake() {
        let mut m = obj(json!({
            "objective": {"goal": "Maximize"},
            "early_termination": {"type": "MedianStopping"},
            "sampling_algorithm": {"type": "Random", "rule": "Sobol"},
            "search_space": {"c": {"type": "LogUniform"}}
        }));
        job(&mut m);
        assert_eq!(m["objective"]["goal"], "maximize");
        assert_eq!(m["early_termination"]["type"], "median_stopping");
        assert_eq!(m["sampling_algorithm"], json!({"type": "random", "rule": "sobol"}));
        assert_eq!(m["search_space"]["c"]["type"], "loguniform");
    }
}
