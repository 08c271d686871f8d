//! AutoML nodes: azure-ai-ml sends the AutoML job's own schema dump (`_to_dict(inside_pipeline=True)`).

use serde_json::{Map, Value, json};

use super::doc::JobDoc;
use super::rest;

/// An AutoML job as a pipeline node.
pub fn node(job: &JobDoc) -> Value {
    let mut n: Map<String, Value> = job.fields.clone();
    n.retain(|_, v| !v.is_null());
    n.insert("name".into(), job.name.clone().into());
    n.entry("log_verbosity").or_insert("info".into());
    n.entry("properties").or_insert(json!({}));
    n.entry("tags").or_insert(json!({}));
    if let Some(Value::Object(outputs)) = job.fields.get("outputs") {
        let mut out = Map::new();
        for (k, v) in outputs {
            if let Some(r) = rest::node_output(v, None) {
                out.insert(k.clone(), r);
            }
        }
        n.insert("outputs".into(), out.into());
    }
    Value::Object(n)
}
