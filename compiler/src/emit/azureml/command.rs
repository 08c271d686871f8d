//! The node of a command job.

use serde_json::{Map, Value};

use super::body::*;
use super::component::{self as comp};
use super::doc::JobDoc;
use super::rest;

impl Emitter<'_> {
    pub(super) fn command_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
        let f = &job.fields;
        let (component_id, source, component) = self.job_component(job, scope, "command")?;
        let declared = component.as_ref().and_then(|c| c.get("outputs")).and_then(Value::as_object).cloned();
        let mut n = self.base_node(job, "command", &declared.unwrap_or_default());
        n.insert("_source".into(), source.into());
        n.insert("componentId".into(), component_id.into());
        let from_component =
            |k: &str| component.as_ref().and_then(|c| c.get(k)).filter(|v| !v.is_null()).cloned();
        if let Some(r) =
            f.get("resources").filter(|v| !v.is_null()).cloned().or_else(|| from_component("resources"))
        {
            n.insert("resources".into(), rest::resources(&r));
        }
        if let Some(d) =
            f.get("distribution").filter(|v| !v.is_null()).cloned().or_else(|| from_component("distribution"))
        {
            n.insert("distribution".into(), comp::rest_distribution(&d));
        }
        if let Some(l) = f.get("limits").filter(|v| !v.is_null()) {
            n.insert("limits".into(), rest::command_limits(l));
        }
        if let Some(e) = f.get("environment_variables").filter(|v| !v.is_null()) {
            n.insert("environment_variables".into(), e.clone());
        }
        if let Some(q) = f.get("queue_settings").filter(|v| !v.is_null()) {
            n.insert("queue_settings".into(), rest::queue_settings(q));
        }
        if let Some(s) = f.get("services").filter(|v| !v.is_null()) {
            n.insert("services".into(), rest::services(s));
        }
        if let Some(i) = f.get("identity").filter(|v| !v.is_null()) {
            n.insert("identity".into(), rest::identity(i));
        }
        Some(n)
    }
}
