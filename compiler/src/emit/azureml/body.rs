//! The pipeline job request body and the component registrations, made from the v2 document as
//! azure-ai-ml's `PipelineJob._to_rest_object()` makes them (see docs/azureml-hashing.md section 5), with the
//! offline stand-ins of the oracle: code folders and anonymous components named by their hashes,
//! computes and datastores by their short names.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::doc::{JobDoc, PipelineDoc};
use super::error::{Errors, NO_EQUIVALENT, REJECTED};
use super::{py, rest};

/// `_source` values.
pub(super) const YAML_JOB: &str = "YAML.JOB";
pub(super) const YAML_COMPONENT: &str = "YAML.COMPONENT";

/// What jobs of one pipeline (job or component) bind to.
pub struct Scope<'a> {
    /// The pipeline's inputs: values (a pipeline job) or declarations (a pipeline component).
    pub inputs: &'a Map<String, Value>,
    /// The pipeline's outputs.
    pub outputs: &'a Map<String, Value>,
    /// Its jobs.
    pub jobs: &'a [JobDoc],
}

/// The component a job runs: its id, its `_source`, and its body as written (for a node to
/// inherit settings from).
pub(super) type Used = (String, &'static str, Option<Map<String, Value>>);

/// Makes bodies; remembers each anonymous component it registers.
pub struct Emitter<'e> {
    /// Anonymous component id -> registration body (a later registration of the same id wins,
    /// as in the oracle's dict).
    pub components: Map<String, Value>,
    /// Problems found.
    pub errors: &'e mut Errors,
    /// Content hashes of code folders already hashed.
    pub(super) code_hashes: HashMap<PathBuf, Option<String>>,
}

impl<'e> Emitter<'e> {
    /// An emitter reporting into `errors`.
    pub fn new(errors: &'e mut Errors) -> Self {
        Emitter { components: Map::new(), errors, code_hashes: HashMap::new() }
    }

    /// The pipeline job body: `{"properties": {...}}`.
    pub fn pipeline_body(&mut self, doc: &PipelineDoc) -> Value {
        let f = &doc.fields;
        let mut p = Map::new();
        for (key, rest_key) in [
            ("display_name", "displayName"),
            ("description", "description"),
            ("experiment_name", "experimentName"),
        ] {
            if let Some(v) = f.get(key).filter(|v| !v.is_null()) {
                p.insert(rest_key.into(), py::str_of(v).into());
            }
        }
        p.insert("tags".into(), string_map(f.get("tags")));
        p.insert(
            "properties".into(),
            f.get("properties").filter(|v| v.is_object()).cloned().unwrap_or(json!({})),
        );
        if let Some(c) = f.get("compute").and_then(Value::as_str) {
            p.insert("computeId".into(), py::strip_azureml(c).into());
        }
        let empty = Map::new();
        let inputs = f.get("inputs").and_then(Value::as_object).unwrap_or(&empty);
        let outputs = f.get("outputs").and_then(Value::as_object).unwrap_or(&empty);
        self.check_keys(doc, inputs, outputs);
        let mut rest_inputs = Map::new();
        for (k, v) in inputs {
            if let Some(r) = self.pipeline_input(v, doc) {
                rest_inputs.insert(k.clone(), r);
            }
        }
        p.insert("inputs".into(), rest_inputs.into());
        let rest_outputs: Map<String, Value> =
            outputs.iter().map(|(k, v)| (k.clone(), pipeline_output(v))).collect();
        p.insert("outputs".into(), rest_outputs.into());
        let declared = doc.scope.as_ref();
        let scope = Scope {
            inputs: declared.and_then(|d| d.get("inputs")).and_then(Value::as_object).unwrap_or(inputs),
            outputs: declared.and_then(|d| d.get("outputs")).and_then(Value::as_object).unwrap_or(outputs),
            jobs: &doc.jobs,
        };
        let jobs = self.jobs(&doc.jobs, &scope);
        p.insert("jobs".into(), jobs.into());
        let mut settings = f.get("settings").and_then(Value::as_object).cloned().unwrap_or_default();
        for key in ["default_compute", "default_datastore"] {
            if let Some(Value::String(s)) = settings.get(key) {
                let short = py::strip_azureml(s).to_string();
                settings.insert(key.into(), short.into());
            }
        }
        settings.retain(|_, v| !v.is_null());
        // marshmallow's Boolean reads `'True'`, `yes`, `1`, ... and sends a boolean.
        for key in ["continue_on_step_failure", "force_rerun"] {
            if let Some(v) = settings.get(key).cloned() {
                // A value it refuses is reported by `check` (`wrong-type`).
                if let Some(b) = crate::python::marshmallow_bool(&v) {
                    settings.insert(key.into(), b.into());
                }
            }
        }
        settings.entry("_source").or_insert_with(|| YAML_JOB.into());
        p.insert("settings".into(), settings.into());
        if let Some(i) = f.get("identity").filter(|v| v.is_object()) {
            p.insert("identity".into(), rest::camel_keys(&rest::identity(i)));
        }
        if let Some(s) = f.get("services").filter(|v| v.as_object().is_some_and(|m| !m.is_empty())) {
            p.insert("services".into(), rest::services(s));
        }
        p.insert("jobType".into(), "Pipeline".into());
        p.insert("isArchived".into(), false.into());
        json!({ "properties": p })
    }

    /// A pipeline job input: a literal (`value` as text), or data (`uri`, `mode`); `None` when
    /// the SDK leaves it out (empty or nothing).
    pub(super) fn pipeline_input(&mut self, v: &Value, doc: &PipelineDoc) -> Option<Value> {
        match v {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::Object(m) => {
                if let Some(value) = m.get("value") {
                    if m.len() > 1 {
                        self.errors.push(doc.at.error(
                            REJECTED,
                            "a pipeline job input is a literal (`value:` alone) or data (`type`, `path`, `mode`); azure-ai-ml rejects `value:` with other keys",
                        ));
                        return None;
                    }
                    let v = py::literal_value_union(value);
                    return Some(json!({"jobInputType": "literal", "value": py::str_of(&v)}));
                }
                let path = m.get("path").filter(|p| !p.is_null())?;
                let mut out = Map::new();
                let ty = m.get("type").and_then(Value::as_str).unwrap_or("uri_folder");
                out.insert("jobInputType".into(), ty.into());
                out.insert("uri".into(), rest::data_uri(&py::str_of(path)).into());
                if let Some(mode) = m.get("mode").and_then(Value::as_str).and_then(rest::input_mode) {
                    out.insert("mode".into(), mode.into());
                }
                Some(Value::Object(out))
            }
            scalar => Some(json!({"jobInputType": "literal", "value": py::str_of(scalar)})),
        }
    }

    /// `validate_pipeline_input_key_characters` and `validate_key_contains_allowed_characters`:
    /// a pipeline's input keys are identifiers, optionally joined by dots; its output keys are
    /// identifiers.
    pub(super) fn check_keys(
        &mut self,
        doc: &PipelineDoc,
        inputs: &Map<String, Value>,
        outputs: &Map<String, Value>,
    ) {
        use crate::check::invalid_name::{is_identifier, is_input_name, suggested_identifier};
        let at = |key: String| *doc.ports.get(&key).unwrap_or(&doc.at);
        for key in inputs.keys().filter(|k| !is_input_name(k)) {
            self.errors.push(
                at(format!("inputs.{key}"))
                    .error(
                        REJECTED,
                        format!(
                            "azure-ai-ml accepts pipeline input names of letters, digits and `_` (optionally joined by `.`), not `{key}`"
                        ),
                    )
                    .with_help(format!("rename the input to `{}`", suggested_identifier(key, true))),
            );
        }
        for key in outputs.keys().filter(|k| !is_identifier(k)) {
            self.errors.push(
                at(format!("outputs.{key}"))
                    .error(
                        REJECTED,
                        format!("azure-ai-ml accepts pipeline output names of letters, digits and `_` only, not `{key}`"),
                    )
                    .with_help(format!("rename the output to `{}`", suggested_identifier(key, false))),
            );
        }
    }

    /// The jobs of a pipeline, as REST nodes.
    pub fn jobs(&mut self, jobs: &[JobDoc], scope: &Scope) -> Map<String, Value> {
        let mut out = Map::new();
        for job in jobs {
            if let Some(node) = self.node(job, scope) {
                out.insert(job.name.clone(), node);
            }
        }
        out
    }

    /// One job as a REST node.
    pub(super) fn node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Value> {
        if !crate::check::invalid_name::is_node_name(&job.name) {
            let fixed = crate::check::invalid_name::suggested_node_name(&job.name);
            self.errors.push(
                job.at
                    .error(
                        REJECTED,
                        format!(
                            "azure-ai-ml accepts job names of lowercase letters, digits and `_` only, not `{}`",
                            job.name
                        ),
                    )
                    .with_help(format!("rename the job (or step) to `{fixed}`")),
            );
            return None;
        }
        let kind = job.fields.get("type").and_then(Value::as_str).unwrap_or("command").to_string();
        let mut n = match kind.as_str() {
            "command" => self.command_node(job, scope),
            "sweep" => self.sweep_node(job, scope),
            "parallel" => self.parallel_node(job, scope),
            "spark" => self.spark_node(job, scope),
            "pipeline" => self.pipeline_node(job, scope),
            "automl" => return Some(super::automl::node(job)),
            "data_transfer" | "import" => self.transfer_node(job, scope),
            "do_while" | "parallel_for" | "if_else" => {
                self.errors.push(job.at.error(
                    REJECTED,
                    format!(
                        "job `{}` is a `{kind}` job: azure-ai-ml accepts control flow only in pipelines built with its Python DSL, not in YAML",
                        job.name
                    ),
                ));
                return None;
            }
            other => {
                self.errors.push(job.at.error(
                    NO_EQUIVALENT,
                    format!("job `{}` has type `{other}`, which sluice cannot compile yet", job.name),
                ));
                return None;
            }
        }?;
        py::drop_empty(&mut n);
        Some(Value::Object(n))
    }

    /// The fields every node has: name, type, display name, tags, compute, properties,
    /// comment, inputs and outputs.
    pub(super) fn base_node(
        &mut self,
        job: &JobDoc,
        kind: &str,
        declared_outputs: &Map<String, Value>,
    ) -> Map<String, Value> {
        let f = &job.fields;
        let mut n = Map::new();
        n.insert("name".into(), job.name.clone().into());
        n.insert("type".into(), kind.into());
        if let Some(d) = f.get("display_name").filter(|v| !v.is_null()) {
            n.insert("display_name".into(), py::str_of(d).into());
        }
        n.insert("tags".into(), string_map(f.get("tags")));
        if let Some(c) = f.get("compute").and_then(Value::as_str) {
            n.insert("computeId".into(), py::strip_azureml(c).into());
        }
        n.insert("properties".into(), f.get("properties").cloned().unwrap_or(json!({})));
        if let Some(c) = f.get("comment").filter(|v| !v.is_null()) {
            n.insert("comment".into(), c.clone());
        }
        n.insert("inputs".into(), node_inputs(f.get("inputs")).into());
        n.insert("outputs".into(), node_outputs(f.get("outputs"), declared_outputs).into());
        n
    }
}

/// A mapping of tags as text (tags are strings in every body).
pub(super) fn string_map(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Object(m)) => m.clone().into(),
        _ => json!({}),
    }
}

/// A pipeline job output in its REST form (camelCase).
pub(super) fn pipeline_output(v: &Value) -> Value {
    let mut out = Map::new();
    let empty = Map::new();
    let m = v.as_object().unwrap_or(&empty);
    let ty = m.get("type").and_then(Value::as_str).unwrap_or("uri_folder");
    out.insert("jobOutputType".into(), ty.into());
    if let Some(p) = m.get("path").filter(|p| !p.is_null()) {
        out.insert("uri".into(), py::str_of(p).into());
    }
    if let Some(mode) = m.get("mode").and_then(Value::as_str).and_then(rest::output_mode) {
        out.insert("mode".into(), mode.into());
    }
    if let Some(n) = m.get("name").filter(|p| !p.is_null()) {
        out.insert("assetName".into(), py::str_of(n).into());
    }
    if let Some(n) = m.get("version").filter(|p| !p.is_null()) {
        out.insert("assetVersion".into(), py::str_of(n).into());
    }
    Value::Object(out)
}

/// A node's inputs in their REST form.
pub(super) fn node_inputs(inputs: Option<&Value>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(Value::Object(m)) = inputs {
        for (k, v) in m {
            if let Some(r) = rest::node_input(v) {
                out.insert(k.clone(), r);
            }
        }
    }
    out
}

/// A node's outputs in their REST form.
pub(super) fn node_outputs(outputs: Option<&Value>, declared: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(Value::Object(m)) = outputs {
        for (k, v) in m {
            let decl_type = declared.get(k).and_then(|d| d.get("type")).and_then(Value::as_str);
            if let Some(r) = rest::node_output(v, decl_type) {
                out.insert(k.clone(), r);
            }
        }
    }
    out
}
