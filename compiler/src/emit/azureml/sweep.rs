//! The node of a sweep job.

use serde_json::{Map, Value, json};

use super::body::*;
use super::doc::JobDoc;
use super::rest;

impl Emitter<'_> {
    pub(super) fn sweep_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
        let f = &job.fields;
        let (component_id, source, component) = self.job_component(job, scope, "sweep")?;
        let declared = component.as_ref().and_then(|c| c.get("outputs")).and_then(Value::as_object).cloned();
        let mut n = self.base_node(job, "sweep", &declared.unwrap_or_default());
        n.insert("_source".into(), source.into());
        n.insert("trial".into(), json!({ "componentId": component_id }));
        for key in ["search_space", "objective", "sampling_algorithm", "limits", "queue_settings"] {
            if let Some(v) = f.get(key).filter(|v| !v.is_null()) {
                n.insert(key.into(), v.clone());
            }
        }
        if let Some(Value::Object(et)) = f.get("early_termination") {
            n.insert("early_termination".into(), rest::early_termination(et));
        }
        if let Some(r) = f.get("resources").filter(|v| !v.is_null()) {
            n.insert("resources".into(), rest::resources(r));
        }
        Some(n)
    }
}
