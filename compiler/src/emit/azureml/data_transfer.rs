//! The node of a data transfer (or import) job.

use serde_json::{Map, Value};

use super::body::*;
use super::doc::JobDoc;
use super::error::{NO_EQUIVALENT, REJECTED};

impl Emitter<'_> {
    pub(super) fn transfer_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
        let f = &job.fields;
        let kind = f.get("type").and_then(Value::as_str).unwrap_or("data_transfer").to_string();
        if kind == "import" {
            self.errors.push(job.at.error(
                NO_EQUIVALENT,
                format!("job `{}` is an `import` job, which sluice cannot compile; write it as a `data_transfer` job with `task: import_data`", job.name),
            ));
            return None;
        }
        let task = f.get("task").and_then(Value::as_str).unwrap_or("copy_data").to_string();
        let rejected = rejected_ports(f, &task);
        if let Some(why) = rejected {
            self.errors.push(job.at.error(REJECTED, format!("job `{}`: {why}", job.name)));
            return None;
        }
        let builtin = match builtin_component(f, &task) {
            Ok(b) => b,
            Err(why) => {
                self.errors.push(job.at.error(REJECTED, format!("job `{}` {why}", job.name)));
                return None;
            }
        };
        let (component_id, source, component) = match builtin {
            Some(uri) => (uri.to_string(), "BUILTIN", None),
            None => self.job_component(job, scope, &kind)?,
        };
        let declared = component.as_ref().and_then(|c| c.get("outputs")).and_then(Value::as_object).cloned();
        let mut n = self.base_node(job, &kind, &declared.unwrap_or_default());
        n.insert("_source".into(), source.into());
        n.insert("componentId".into(), component_id.into());
        n.insert("task".into(), task.clone().into());
        let copy_mode = copy_mode(component.as_ref(), f);
        if let Some(m) = copy_mode {
            n.insert("data_copy_mode".into(), m);
        }
        for key in ["source", "sink"] {
            if let Some(Value::Object(v)) = f.get(key) {
                let mut v = v.clone();
                v.retain(|_, x| !x.is_null());
                n.insert(key.into(), v.into());
            }
        }
        Some(n)
    }
}

/// azure-ai-ml's validation of the built-in tasks' ports: why it refuses the job, if it does.
fn rejected_ports(f: &Map<String, Value>, task: &str) -> Option<&'static str> {
    let only = |key: &str, port: &str| {
        f.get(key).and_then(Value::as_object).is_some_and(|m| m.len() == 1 && m.contains_key(port))
    };
    let some = |key: &str| f.get(key).is_some_and(|v| v.as_object().is_some_and(|m| !m.is_empty()));
    match task {
        "import_data" if !only("outputs", "sink") => {
            Some("an `import_data` job has exactly one output, `sink`")
        }
        "import_data" if some("inputs") => Some("an `import_data` job has no inputs (it reads its `source`)"),
        "export_data" if !only("inputs", "source") => {
            Some("an `export_data` job has exactly one input, `source`")
        }
        "export_data" if some("outputs") => {
            Some("an `export_data` job has no outputs (it writes its `sink`)")
        }
        _ => None,
    }
}

/// The built-in component azure-ai-ml runs for an import or export without a component, or why
/// it refuses the job.
fn builtin_component(f: &Map<String, Value>, task: &str) -> Result<Option<&'static str>, &'static str> {
    let external = |key: &str| {
        f.get(key)
            .and_then(Value::as_object)
            .and_then(|m| m.get("type"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match (task, f.get("component")) {
        ("import_data", None) => Ok(Some(match external("source").as_deref() {
            Some("database") => "azureml://registries/azureml/components/import_data_database/versions/0.0.1",
            _ => "azureml://registries/azureml/components/import_data_file_system/versions/0.0.1",
        })),
        ("export_data", None) => {
            if external("sink").as_deref() != Some("database") {
                return Err("exports data: azure-ai-ml exports only to a `sink` of `type: database`");
            }
            Ok(Some("azureml://registries/azureml/components/export_data_database/versions/0.0.1"))
        }
        _ => Ok(None),
    }
}

/// The copy mode: the component's wins over the node's (`_component.data_copy_mode or
/// self.data_copy_mode`).
fn copy_mode(component: Option<&Map<String, Value>>, f: &Map<String, Value>) -> Option<Value> {
    component
        .and_then(|c| c.get("data_copy_mode"))
        .filter(|v| crate::python::truthy(v))
        .cloned()
        .or_else(|| f.get("data_copy_mode").filter(|v| !v.is_null()).cloned())
}
