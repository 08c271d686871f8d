//! The node of a parallel job.

use serde_json::{Map, Value};

use super::body::*;
use super::doc::{ComponentDoc, JobDoc, Origin};
use super::register::python_json_list;
use super::{py, rest};

impl Emitter<'_> {
    pub(super) fn parallel_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
        let f = &job.fields;
        let (component_id, source, component) = self.job_component(job, scope, "parallel")?;
        let declared = component.as_ref().and_then(|c| c.get("outputs")).and_then(Value::as_object).cloned();
        let mut n = self.base_node(job, "parallel", &declared.unwrap_or_default());
        n.insert("_source".into(), source.into());
        n.insert("componentId".into(), component_id.into());
        let inherit = |k: &str| {
            f.get(k)
                .filter(|v| !v.is_null())
                .cloned()
                .or_else(|| component.as_ref().and_then(|c| c.get(k)).filter(|v| !v.is_null()).cloned())
        };
        if let Some(r) = inherit("resources") {
            n.insert("resources".into(), rest::resources(&r));
        }
        for key in
            ["retry_settings", "input_data", "max_concurrency_per_instance", "mini_batch_error_threshold"]
        {
            if let Some(v) = inherit(key) {
                n.insert(key.into(), v);
            }
        }
        for key in ["error_threshold", "logging_level", "environment_variables"] {
            if let Some(v) = f.get(key).filter(|v| !v.is_null()) {
                n.insert(key.into(), v.clone());
            }
        }
        // A parallel component's default is 0, and the node falls back on it (a flow has none).
        let is_flow = job.component.as_ref().is_some_and(|c| c.flow.is_some());
        match inherit("mini_batch_size") {
            Some(m) => {
                n.insert("mini_batch_size".into(), mini_batch_size(&m));
            }
            None if !is_flow => {
                n.insert("mini_batch_size".into(), 0.into());
            }
            None => {}
        }
        if let Some(Value::Array(keys)) = inherit("partition_keys") {
            n.insert("partition_keys".into(), Value::String(python_json_list(&keys)));
        }
        // The task: the job's own, else the component's (its paths relative to the component).
        let task = match (f.get("task").and_then(Value::as_object), &job.component) {
            (Some(t), _) => {
                let c = ComponentDoc {
                    fields: Map::new(),
                    dir: job.dir.clone(),
                    origin: Origin::InPlace,
                    jobs: Vec::new(),
                    at: job.at,
                    flow: None,
                };
                Some(self.parallel_task(t, &c)?)
            }
            (None, Some(c)) => match c.fields.get("task").and_then(Value::as_object) {
                Some(t) => Some(self.parallel_task(t, c)?),
                None => None,
            },
            (None, None) => None,
        };
        if let Some(t) = task {
            n.insert("task".into(), t);
        }
        if let Some(i) = f.get("identity").filter(|v| !v.is_null()) {
            n.insert("identity".into(), rest::identity(i));
        }
        Some(n)
    }

    /// A parallel task with its code pinned and its environment made anonymous.
    pub(super) fn parallel_task(&mut self, task: &Map<String, Value>, c: &ComponentDoc) -> Option<Value> {
        let mut t = task.clone();
        t.retain(|_, v| !v.is_null());
        if let Some(code) = task.get("code").and_then(Value::as_str) {
            let id = self.code_id(code, c)?;
            t.insert("code".into(), id.into());
        }
        if let Some(e) = task.get("environment").filter(|v| !v.is_null()) {
            let env = self.environment(e, c)?;
            t.insert("environment".into(), env);
        }
        if let Some(Value::String(args)) = t.get("args").cloned() {
            t.remove("args");
            t.entry("program_arguments").or_insert(Value::String(args));
        }
        Some(Value::Object(t))
    }
}

/// A parallel `mini_batch_size` as a number of bytes or files (`10kb` -> 10240).
pub(super) fn mini_batch_size(v: &Value) -> Value {
    let Value::String(s) = v else { return v.clone() };
    if py::is_binding(s) {
        return v.clone();
    }
    if let Ok(n) = s.parse::<i64>() {
        return n.into();
    }
    let lower = s.to_ascii_lowercase();
    let (digits, factor) = match lower.get(lower.len().saturating_sub(2)..) {
        Some("kb") => (&s[..s.len() - 2], 1024),
        Some("mb") => (&s[..s.len() - 2], 1024 * 1024),
        Some("gb") => (&s[..s.len() - 2], 1024 * 1024 * 1024),
        _ => return v.clone(),
    };
    digits.parse::<i64>().map(|n| Value::from(n * factor)).unwrap_or_else(|_| v.clone())
}
