//! Control-flow nodes (`do_while`, `parallel_for`, `if_else`).

use serde_json::{Map, Value};

use super::doc::JobDoc;

/// A control-flow job as a pipeline node.
pub fn node(job: &JobDoc) -> Value {
    let mut n: Map<String, Value> = job.fields.clone();
    n.insert("name".into(), job.name.clone().into());
    Value::Object(n)
}
