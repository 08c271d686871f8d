//! The node of a pipeline job (a pipeline component run as one step).

use serde_json::{Map, Value};

use super::body::*;
use super::doc::JobDoc;

impl Emitter<'_> {
    pub(super) fn pipeline_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
        let (component_id, source, component) = self.job_component(job, scope, "pipeline")?;
        let declared = component.as_ref().and_then(|c| c.get("outputs")).and_then(Value::as_object).cloned();
        let mut n = self.base_node(job, "pipeline", &declared.unwrap_or_default());
        n.insert("_source".into(), source.into());
        n.insert("componentId".into(), component_id.into());
        if let Some(s) = job.fields.get("settings").filter(|v| v.as_object().is_some_and(|m| !m.is_empty())) {
            n.insert("settings".into(), s.clone());
        }
        Some(n)
    }
}
