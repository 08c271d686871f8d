//! The node of a data transfer (or import) job.

use serde_json::{Map, Value};

use super::body::*;
use super::doc::JobDoc;
use super::error::{NO_EQUIVALENT, REJECTED};
use super::py;

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
        // azure-ai-ml's validation of the built-in tasks' ports.
        let only = |key: &str, port: &str| {
            f.get(key).and_then(Value::as_object).is_some_and(|m| m.len() == 1 && m.contains_key(port))
        };
        let rejected = match task.as_str() {
            "import_data" if !only("outputs", "sink") => {
                Some("an `import_data` job has exactly one output, `sink`")
            }
            "import_data"
                if f.get("inputs").is_some_and(|i| i.as_object().is_some_and(|m| !m.is_empty())) =>
            {
                Some("an `import_data` job has no inputs (it reads its `source`)")
            }
            "export_data" if !only("inputs", "source") => {
                Some("an `export_data` job has exactly one input, `source`")
            }
            "export_data"
                if f.get("outputs").is_some_and(|o| o.as_object().is_some_and(|m| !m.is_empty())) =>
            {
                Some("an `export_data` job has no outputs (it writes its `sink`)")
            }
            _ => None,
        };
        if let Some(why) = rejected {
            self.errors.push(job.at.error(REJECTED, format!("job `{}`: {why}", job.name)));
            return None;
        }
        let external = |key: &str| {
            f.get(key)
                .and_then(Value::as_object)
                .and_then(|m| m.get("type"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        // Import and export without a component run azure-ai-ml's built-in components.
        let builtin = match (task.as_str(), f.get("component")) {
            ("import_data", None) => Some(match external("source").as_deref() {
                Some("database") => {
                    "azureml://registries/azureml/components/import_data_database/versions/0.0.1"
                }
                _ => "azureml://registries/azureml/components/import_data_file_system/versions/0.0.1",
            }),
            ("export_data", None) => {
                if external("sink").as_deref() != Some("database") {
                    self.errors.push(job.at.error(
                        REJECTED,
                        format!(
                            "job `{}` exports data: azure-ai-ml exports only to a `sink` of `type: database`",
                            job.name
                        ),
                    ));
                    return None;
                }
                Some("azureml://registries/azureml/components/export_data_database/versions/0.0.1")
            }
            _ => None,
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
        // The component's copy mode wins over the node's (`_component.data_copy_mode or
        // self.data_copy_mode`).
        let copy_mode = component
            .as_ref()
            .and_then(|c| c.get("data_copy_mode"))
            .filter(|v| py::truthy(v))
            .cloned()
            .or_else(|| f.get("data_copy_mode").filter(|v| !v.is_null()).cloned());
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
