//! The pipeline job request body and the component registrations, made from the v2 document as
//! azure-ai-ml's `PipelineJob._to_rest_object()` makes them (see docs/azureml-hashing.md section 5), with the
//! offline stand-ins of the oracle: code folders and anonymous components named by their hashes,
//! computes and datastores by their short names.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::component::{self as comp, Code, LITERAL_TYPES};
use super::doc::{ComponentDoc, JobDoc, Origin, PipelineDoc};
use super::error::{Errors, NO_EQUIVALENT, REJECTED, UNREADABLE};
use super::{WORKSPACE, env, hash, py, rest};

/// `_source` values.
const YAML_JOB: &str = "YAML.JOB";
const YAML_COMPONENT: &str = "YAML.COMPONENT";

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
type Used = (String, &'static str, Option<Map<String, Value>>);

/// Makes bodies; remembers each anonymous component it registers.
pub struct Emitter<'e> {
    /// Anonymous component id -> registration body (a later registration of the same id wins,
    /// as in the oracle's dict).
    pub components: Map<String, Value>,
    /// Problems found.
    pub errors: &'e mut Errors,
    /// Content hashes of code folders already hashed.
    code_hashes: HashMap<PathBuf, Option<String>>,
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
    fn pipeline_input(&mut self, v: &Value, doc: &PipelineDoc) -> Option<Value> {
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
    fn check_keys(&mut self, doc: &PipelineDoc, inputs: &Map<String, Value>, outputs: &Map<String, Value>) {
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
    fn node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Value> {
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
    fn base_node(
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

    // ----- command -----

    fn command_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
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

    /// The component a job runs: its id, `_source`, and the component body as written (to
    /// inherit settings from), registering an anonymous one. `kind` is the job's type.
    fn job_component(&mut self, job: &JobDoc, scope: &Scope, kind: &str) -> Option<Used> {
        let key = if kind == "sweep" { "trial" } else { "component" };
        match (job.fields.get(key), &job.component) {
            (_, Some(c)) if c.flow.is_some() => {
                let id = self.register_flow(c)?;
                Some((id, YAML_COMPONENT, Some(c.fields.clone())))
            }
            (_, Some(c)) => {
                let spec = self.component_spec(c, scope)?;
                let source = match c.origin {
                    Origin::File => YAML_COMPONENT,
                    Origin::InPlace => YAML_JOB,
                };
                let id = self.register(spec, source, c.fields.get("description"), c);
                Some((id, source, Some(c.fields.clone())))
            }
            (Some(Value::String(r)), None) => {
                let r = r.trim();
                let source = if r.starts_with("azureml://registries/") {
                    "REMOTE.REGISTRY"
                } else {
                    "REMOTE.WORKSPACE.COMPONENT"
                };
                Some((py::strip_azureml(r).to_string(), source, None))
            }
            (Some(_), None) => {
                self.errors.push(
                    job.at
                        .error(UNREADABLE, format!("the component of job `{}` could not be read", job.name)),
                );
                None
            }
            (None, None) => {
                let spec = self.inline_job_component(job, scope, kind)?;
                let description = job.fields.get("description");
                let c = ComponentDoc {
                    fields: Map::new(),
                    dir: job.dir.clone(),
                    origin: Origin::InPlace,
                    jobs: Vec::new(),
                    at: job.at,
                    flow: None,
                };
                let id = self.register(spec, YAML_JOB, description, &c);
                Some((id, YAML_JOB, None))
            }
        }
    }

    /// Registers an anonymous component spec; gives its id.
    fn register(
        &mut self,
        mut spec: Map<String, Value>,
        source: &str,
        description: Option<&Value>,
        c: &ComponentDoc,
    ) -> String {
        spec.insert("_source".into(), source.into());
        let is_pipeline = spec.get("type").and_then(Value::as_str) == Some("pipeline");
        let hash = if is_pipeline {
            let mut hashed = spec.clone();
            self.local_input_hashes(&mut hashed, c);
            hash::anonymous_id_from_spec(&Value::Object(hashed))
        } else {
            hash::anonymous_id_from_spec(&Value::Object(spec.clone()))
        };
        // A parallel component hashes its partition keys as a list but registers them as JSON.
        if let Some(Value::Array(keys)) = spec.get("partition_keys") {
            let text = python_json_list(keys);
            spec.insert("partition_keys".into(), text.into());
        }
        let id = format!("{WORKSPACE}/components/azureml_anonymous/versions/{hash}");
        let tags = spec.get("tags").cloned().unwrap_or(json!({}));
        let properties = spec.get("properties").cloned().unwrap_or(json!({}));
        let mut props = Map::new();
        props.insert("componentSpec".into(), Value::Object(spec));
        if let Some(d) = description.filter(|d| !d.is_null()) {
            props.insert("description".into(), py::str_of(d).into());
        }
        props.insert("isAnonymous".into(), true.into());
        if !is_pipeline {
            props.insert("isArchived".into(), false.into());
        }
        props.insert("properties".into(), properties);
        props.insert("tags".into(), tags);
        self.components.insert(id.clone(), json!({ "properties": props }));
        id
    }

    /// Registers a prompt flow's component (under its own name); gives its id.
    fn register_flow(&mut self, c: &ComponentDoc) -> Option<String> {
        let flow = c.flow.as_ref()?;
        let f = &c.fields;
        let mut spec = Map::new();
        comp::pick(
            f,
            &[
                "name",
                "display_name",
                "description",
                "tags",
                "variant",
                "column_mappings",
                "connections",
                "environment_variables",
                "properties",
            ],
            &mut spec,
        );
        spec.insert("version".into(), f.get("version").cloned().unwrap_or("1".into()));
        spec.insert("type".into(), "promptflow_parallel".into());
        spec.insert("is_deterministic".into(), f.get("is_deterministic").cloned().unwrap_or(true.into()));
        if let Some(e) = f.get("environment").filter(|v| !v.is_null()) {
            let env = self.environment(e, c)?;
            spec.insert("environment".into(), env);
        }
        py::drop_empty(&mut spec);
        let spec_value = Value::Object(spec.clone());
        let id = format!(
            "{WORKSPACE}/components/azureml_anonymous/versions/{}",
            hash::anonymous_component_hash(&spec_value)
        );
        let client_hash = hash::hash_dict_omitting(&spec_value, &["version"]);
        let mut registered = spec;
        registered.insert("_source".into(), YAML_COMPONENT.into());
        registered.insert("code".into(), Value::Null);
        registered.insert("flow_file_name".into(), flow.file_name.clone().into());
        let mut properties = f.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        properties.insert("client_component_hash".into(), client_hash.into());
        let mut props = Map::new();
        if let Some(d) = f.get("description").filter(|d| !d.is_null()) {
            props.insert("description".into(), py::str_of(d).into());
        }
        props.insert("componentSpec".into(), registered.into());
        props.insert("isAnonymous".into(), false.into());
        props.insert("isArchived".into(), false.into());
        props.insert("properties".into(), properties.into());
        props.insert("tags".into(), f.get("tags").cloned().unwrap_or(json!({})));
        self.components.insert(id.clone(), json!({ "properties": props }));
        Some(id)
    }

    /// A pipeline component's hash also covers the content of each job input that is a local
    /// path which exists (as seen from the working folder, as the SDK checks it).
    fn local_input_hashes(&mut self, spec: &mut Map<String, Value>, c: &ComponentDoc) {
        let Some(Value::Object(jobs)) = spec.get_mut("jobs") else { return };
        for job in &c.jobs {
            let Some(Value::Object(inputs)) = job.fields.get("inputs") else { continue };
            for (name, v) in inputs {
                let Some(path) = v.as_object().and_then(|m| m.get("path")).and_then(Value::as_str) else {
                    continue;
                };
                if py::has_binding(path) || path.contains("://") || path.starts_with("azureml:") {
                    continue;
                }
                let p = std::path::Path::new(path);
                if !p.exists() {
                    continue;
                }
                match hash::object_hash(p, false) {
                    Ok(h) => {
                        if let Some(Value::Object(i)) = jobs
                            .get_mut(&job.name)
                            .and_then(|j| j.get_mut("inputs"))
                            .and_then(|i| i.get_mut(name))
                        {
                            i.insert("content_hash".into(), h.into());
                        }
                    }
                    Err(e) => {
                        self.errors.push(job.at.error(UNREADABLE, format!("cannot hash input `{name}`: {e}")))
                    }
                }
            }
        }
    }

    /// The spec of a component body (file or in place).
    fn component_spec(&mut self, c: &ComponentDoc, _scope: &Scope) -> Option<Map<String, Value>> {
        let kind = c.kind().to_string();
        let mut spec = comp::schema_fields(&kind, &c.fields);
        spec.insert("type".into(), kind.clone().into());
        let empty = Map::new();
        let inputs = c.fields.get("inputs").and_then(Value::as_object).unwrap_or(&empty);
        let outputs = c.fields.get("outputs").and_then(Value::as_object).unwrap_or(&empty);
        spec.insert("inputs".into(), comp::spec_inputs(inputs).into());
        spec.insert("outputs".into(), comp::spec_outputs(outputs).into());
        match kind.as_str() {
            "command" | "spark" => {
                if let Some(code) = c.fields.get("code").and_then(Value::as_str) {
                    let id = self.code_id(code, c)?;
                    spec.insert("code".into(), id.into());
                }
                if let Some(e) = c.fields.get("environment").filter(|v| !v.is_null()) {
                    let env = self.environment(e, c)?;
                    spec.insert("environment".into(), env);
                }
                if kind == "spark"
                    && let Some(conf) = c.fields.get("conf").filter(|v| !v.is_null())
                {
                    spec.insert("conf".into(), spark_conf(conf));
                }
            }
            "parallel" => {
                if let Some(task) = c.fields.get("task").and_then(Value::as_object) {
                    let t = self.parallel_task(task, c)?;
                    spec.insert("task".into(), t);
                }
                let m = c.fields.get("mini_batch_size").filter(|v| !v.is_null()).map(mini_batch_size);
                spec.insert("mini_batch_size".into(), py::str_of(&m.unwrap_or(0.into())).into());
            }
            "pipeline" => {
                let scope = Scope { inputs, outputs, jobs: &c.jobs };
                let jobs = self.jobs(&c.jobs, &scope);
                spec.insert("jobs".into(), jobs.into());
                spec.insert("sourceJobId".into(), Value::Null);
            }
            "data_transfer" => {}
            other => {
                self.errors.push(c.at.error(
                    NO_EQUIVALENT,
                    format!("components of type `{other}` are not supported by `sluice compile` yet"),
                ));
                return None;
            }
        }
        if kind != "pipeline" {
            spec.insert(
                "is_deterministic".into(),
                c.fields.get("is_deterministic").cloned().unwrap_or(true.into()),
            );
        }
        spec.insert("name".into(), "azureml_anonymous".into());
        spec.insert("version".into(), "1".into());
        let keep_null = spec.contains_key("sourceJobId");
        py::drop_empty(&mut spec);
        if keep_null {
            spec.insert("sourceJobId".into(), Value::Null);
        }
        Some(spec)
    }

    /// The `azureml:<workspace>/codes/<hash>/versions/1` id of a code folder, or the remote
    /// reference as written.
    fn code_id(&mut self, code: &str, c: &ComponentDoc) -> Option<String> {
        match comp::code_of(code, c) {
            Code::Remote(r) => Some(r),
            Code::Local(folder) => {
                let hash = match self.code_hashes.get(&folder) {
                    Some(h) => h.clone(),
                    None => {
                        let h = match hash::code_content_hash(&folder) {
                            Ok(h) => Some(h),
                            Err(e) => {
                                self.errors
                                    .push(c.at.error(UNREADABLE, format!("code folder `{code}`: {e}")));
                                None
                            }
                        };
                        self.code_hashes.insert(folder, h.clone());
                        h
                    }
                }?;
                Some(format!("azureml:{WORKSPACE}/codes/{hash}/versions/1"))
            }
        }
    }

    fn environment(&mut self, e: &Value, c: &ComponentDoc) -> Option<Value> {
        match env::spec_environment(e, &c.dir) {
            Ok(v) => Some(v),
            Err(err) => {
                self.errors.push(c.at.error(UNREADABLE, err.to_string()));
                None
            }
        }
    }

    /// The component made from a job written in place (command, parallel or spark).
    fn inline_job_component(
        &mut self,
        job: &JobDoc,
        scope: &Scope,
        kind: &str,
    ) -> Option<Map<String, Value>> {
        let f = &job.fields;
        let c = ComponentDoc {
            fields: f.clone(),
            dir: job.dir.clone(),
            origin: Origin::InPlace,
            jobs: Vec::new(),
            at: job.at,
            flow: None,
        };
        let mut spec = Map::new();
        spec.insert("type".into(), kind.into());
        for key in ["description", "tags"] {
            if let Some(v) = f.get(key).filter(|v| !v.is_null()) {
                spec.insert(key.into(), v.clone());
            }
        }
        let empty = Map::new();
        let inputs = f.get("inputs").and_then(Value::as_object).unwrap_or(&empty);
        let outputs = f.get("outputs").and_then(Value::as_object).unwrap_or(&empty);
        let decls: Map<String, Value> =
            inputs.iter().map(|(k, v)| (k.clone(), inline_input_decl(v, scope))).collect();
        spec.insert("inputs".into(), comp::spec_inputs(&decls).into());
        let out_decls: Map<String, Value> =
            outputs.iter().map(|(k, v)| (k.clone(), inline_output_decl(v, scope))).collect();
        spec.insert("outputs".into(), comp::spec_outputs(&out_decls).into());
        match kind {
            "command" => {
                if let Some(cmd) = f.get("command").filter(|v| !v.is_null()) {
                    spec.insert("command".into(), cmd.clone());
                }
                if let Some(code) = f.get("code").and_then(Value::as_str) {
                    let id = self.code_id(code, &c)?;
                    spec.insert("code".into(), id.into());
                }
                if let Some(e) = f.get("environment").filter(|v| !v.is_null()) {
                    let env = self.environment(e, &c)?;
                    spec.insert("environment".into(), env);
                }
                if let Some(Value::Object(r)) = f.get("resources") {
                    let mut r = r.clone();
                    r.remove("properties");
                    spec.insert("resources".into(), r.into());
                }
                if let Some(d) = f.get("distribution").filter(|v| !v.is_null()) {
                    spec.insert("distribution".into(), comp::spec_distribution(d));
                }
            }
            "parallel" => {
                comp::pick(
                    f,
                    &[
                        "resources",
                        "retry_settings",
                        "logging_level",
                        "max_concurrency_per_instance",
                        "error_threshold",
                        "mini_batch_error_threshold",
                        "input_data",
                        "partition_keys",
                    ],
                    &mut spec,
                );
                if let Some(task) = f.get("task").and_then(Value::as_object) {
                    let t = self.parallel_task(task, &c)?;
                    spec.insert("task".into(), t);
                }
                let m = f.get("mini_batch_size").filter(|v| !v.is_null()).map(mini_batch_size);
                spec.insert("mini_batch_size".into(), py::str_of(&m.unwrap_or(0.into())).into());
            }
            "spark" => {
                comp::pick(f, &["entry", "py_files", "jars", "files", "archives", "args"], &mut spec);
                if let Some(code) = f.get("code").and_then(Value::as_str) {
                    let id = self.code_id(code, &c)?;
                    spec.insert("code".into(), id.into());
                }
                if let Some(e) = f.get("environment").filter(|v| !v.is_null()) {
                    let env = self.environment(e, &c)?;
                    spec.insert("environment".into(), env);
                }
                if let Some(conf) = f.get("conf").filter(|v| !v.is_null()) {
                    spec.insert("conf".into(), spark_conf(conf));
                }
            }
            _ => {}
        }
        spec.insert("is_deterministic".into(), true.into());
        spec.insert("name".into(), "azureml_anonymous".into());
        spec.insert("version".into(), "1".into());
        py::drop_empty(&mut spec);
        Some(spec)
    }

    // ----- sweep -----

    fn sweep_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
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

    // ----- parallel -----

    fn parallel_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
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
    fn parallel_task(&mut self, task: &Map<String, Value>, c: &ComponentDoc) -> Option<Value> {
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

    // ----- spark -----

    fn spark_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
        let f = &job.fields;
        let (component_id, source, component) = self.job_component(job, scope, "spark")?;
        let declared = component.as_ref().and_then(|c| c.get("outputs")).and_then(Value::as_object).cloned();
        let mut n = self.base_node(job, "spark", &declared.unwrap_or_default());
        n.insert("_source".into(), source.into());
        n.insert("componentId".into(), component_id.into());
        // Entry, files and arguments are the component's when it has one.
        let from = component.as_ref().unwrap_or(f);
        for key in ["py_files", "jars", "files", "archives", "args"] {
            if let Some(v) = from.get(key).filter(|v| !v.is_null()) {
                n.insert(key.into(), v.clone());
            }
        }
        if let Some(Value::Object(entry)) = from.get("entry") {
            let mut e = entry.clone();
            let kind =
                if e.contains_key("class_name") { "SparkJobScalaEntry" } else { "SparkJobPythonEntry" };
            e.insert("spark_job_entry_type".into(), kind.into());
            n.insert("entry".into(), e.into());
        }
        let conf_of = |m: &Map<String, Value>| m.get("conf").and_then(Value::as_object).cloned();
        let conf = spark_conf_merged(conf_of(f), component.as_ref().and_then(conf_of));
        if !conf.is_empty() {
            n.insert("conf".into(), conf.into());
        }
        let resources = f.get("resources").filter(|v| !v.is_null());
        if let Some(r) = resources {
            // A node with a component is read by a schema that lowercases the instance type.
            let r = self.spark_resources(r, job, f.contains_key("component"))?;
            n.insert("resources".into(), r);
        }
        // No identity given: a Spark pool (compute) uses its managed identity, serverless Spark
        // (resources) the user's.
        let identity = match f.get("identity").filter(|v| !v.is_null()) {
            Some(i) => Some(rest::identity(i)),
            None if f.get("compute").is_some_and(|c| !c.is_null()) => {
                Some(json!({"identity_type": "Managed"}))
            }
            None if resources.is_some() => Some(json!({"identity_type": "UserIdentity"})),
            None => None,
        };
        if let Some(i) = identity {
            n.insert("identity".into(), i);
        }
        Some(n)
    }

    /// Spark resources as sent: the instance type one of those azure-ai-ml allows (lowercased
    /// for a node that runs a component; `check` reports another), the runtime version as text
    /// (`3.4` -> `"3.4"`).
    fn spark_resources(&mut self, r: &Value, job: &JobDoc, lowercase: bool) -> Option<Value> {
        let mut r = rest::resources(r);
        let Value::Object(m) = &mut r else { return Some(r) };
        if let Some(Value::String(t)) = m.get_mut("instance_type")
            && !py::is_binding(t)
        {
            let lower = t.to_lowercase();
            if !crate::ir::SPARK_INSTANCE_TYPES.contains(&lower.as_str()) {
                self.errors.push(
                    job.at
                        .error(
                            REJECTED,
                            format!(
                                "job `{}`: azure-ai-ml accepts Spark instance types {} only, not `{t}`",
                                job.name,
                                crate::ir::SPARK_INSTANCE_TYPES.join(", ")
                            ),
                        )
                        .with_help_opt(
                            crate::suggest::did_you_mean(&lower, &crate::ir::SPARK_INSTANCE_TYPES)
                                .or_else(|| Some("pick one of them in `resources.instance_type`".into())),
                        ),
                );
                return None;
            }
            if lowercase {
                *t = lower;
            }
        }
        if let Some(v) = m.get("runtime_version").filter(|v| v.is_number()) {
            let text = py::str_of(v);
            m.insert("runtime_version".into(), text.into());
        }
        Some(r)
    }

    // ----- pipeline -----

    fn pipeline_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
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

    // ----- data transfer -----

    fn transfer_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
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

/// A mapping of tags as text (tags are strings in every body).
fn string_map(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Object(m)) => m.clone().into(),
        _ => json!({}),
    }
}

/// A pipeline job output in its REST form (camelCase).
fn pipeline_output(v: &Value) -> Value {
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
fn node_inputs(inputs: Option<&Value>) -> Map<String, Value> {
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
fn node_outputs(outputs: Option<&Value>, declared: &Map<String, Value>) -> Map<String, Value> {
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

/// The Python type name of a YAML 1.1 value, as `_PYTHON_SDK_TYPE_MAPPING` maps it.
fn python_type(v: &Value) -> Option<&'static str> {
    match v {
        Value::Bool(_) => Some("boolean"),
        Value::Number(n) if n.is_f64() => Some("number"),
        Value::Number(_) => Some("integer"),
        Value::String(_) => Some("string"),
        _ => None,
    }
}

/// `_to_input`: the declaration a job written in place gets for one of its inputs.
fn inline_input_decl(v: &Value, scope: &Scope) -> Value {
    match v {
        Value::String(s) if is_parent_binding(s) => {
            let (ty, mode) = binding_source(s, scope);
            let mut d = Map::new();
            d.insert("type".into(), ty.into());
            if let Some(m) = mode {
                d.insert("mode".into(), m.into());
            }
            Value::Object(d)
        }
        Value::Object(m) if m.contains_key("value") => {
            let v = py::literal_value_union(&m["value"]);
            match python_type(&v) {
                Some(t) => json!({"type": t, "default": v}),
                None => json!({"type": "uri_folder"}),
            }
        }
        Value::Object(m) => {
            let mut d = m.clone();
            d.entry("type").or_insert("uri_folder".into());
            d.remove("path");
            Value::Object(d)
        }
        scalar => match python_type(scalar) {
            Some(t) => json!({"type": t, "default": scalar}),
            None => json!({"type": "uri_folder"}),
        },
    }
}

/// `_to_output`: the declaration a job written in place gets for one of its outputs.
fn inline_output_decl(v: &Value, scope: &Scope) -> Value {
    match v {
        Value::String(s) if s.starts_with("${{parent.outputs.") && s.ends_with("}}") => {
            let (ty, mode) = binding_source(s, scope);
            let mut d = Map::new();
            d.insert("type".into(), ty.into());
            if let Some(m) = mode {
                d.insert("mode".into(), m.into());
            }
            Value::Object(d)
        }
        Value::Object(m) => {
            let mut d = m.clone();
            d.entry("type").or_insert("uri_folder".into());
            Value::Object(d)
        }
        _ => json!({"type": "uri_folder"}),
    }
}

/// `INPUT_PATTERN`: `${{parent.inputs...}}` or `${{parent.jobs...}}`, as written (no spaces).
fn is_parent_binding(s: &str) -> bool {
    (s.starts_with("${{parent.inputs.") || s.starts_with("${{parent.jobs.")) && s.ends_with("}}")
}

/// The type and mode a binding's source has (`_find_source_input_output_type`).
fn binding_source(s: &str, scope: &Scope) -> (String, Option<String>) {
    let parts: Vec<&str> = s.split('.').collect();
    let name = |i: usize| parts.get(i).map(|p| p.trim_end_matches("}}")).unwrap_or("");
    let of_value = |v: Option<&Value>| -> (String, Option<String>) {
        match v {
            Some(Value::Object(m)) if m.contains_key("value") && !m.contains_key("type") => {
                (python_type(&py::literal_value_union(&m["value"])).unwrap_or("uri_folder").to_string(), None)
            }
            Some(Value::Object(m)) => (
                m.get("type").and_then(Value::as_str).unwrap_or("uri_folder").to_string(),
                m.get("mode").and_then(Value::as_str).map(str::to_string),
            ),
            Some(other) => match python_type(other) {
                Some(t) => (t.to_string(), None),
                None => ("uri_folder".to_string(), None),
            },
            None => ("uri_folder".to_string(), None),
        }
    };
    if s.starts_with("${{parent.inputs.") {
        let (ty, mode) = of_value(scope.inputs.get(name(2)));
        let mode = if LITERAL_TYPES.contains(&ty.as_str()) { None } else { mode };
        return (ty, mode);
    }
    if s.starts_with("${{parent.outputs.") {
        return of_value(scope.outputs.get(name(2)));
    }
    // ${{parent.jobs.<job>.<inputs|outputs>.<name>}}
    let (job, io, port) = (name(2), name(3), name(4));
    let Some(j) = comp::find_job(scope.jobs, job) else {
        return ("uri_folder".to_string(), None);
    };
    let kind = j.fields.get("type").and_then(Value::as_str).unwrap_or("command");
    if kind == "automl" {
        return ("mltable".to_string(), None);
    }
    if let Some(c) = &j.component
        && let Some(t) =
            c.fields.get(io).and_then(|d| d.get(port)).and_then(|d| d.get("type")).and_then(Value::as_str)
    {
        return (t.to_string(), None);
    }
    match j.fields.get(io).and_then(|m| m.get(port)) {
        Some(Value::String(inner)) if is_parent_binding(inner) || inner.starts_with("${{parent.outputs.") => {
            (binding_source(inner, scope).0, None)
        }
        Some(Value::Object(m)) => {
            (m.get("type").and_then(Value::as_str).unwrap_or("uri_folder").to_string(), None)
        }
        Some(v) if !v.is_null() && io == "inputs" => {
            (python_type(v).unwrap_or("uri_folder").to_string(), None)
        }
        _ => ("uri_folder".to_string(), None),
    }
}

/// A parallel `mini_batch_size` as a number of bytes or files (`10kb` -> 10240).
fn mini_batch_size(v: &Value) -> Value {
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

/// `json.dumps(list)` (`["a", "b"]`), as a parallel node sends `partition_keys`.
fn python_json_list(items: &[Value]) -> String {
    let parts: Vec<String> = items.iter().map(|i| serde_json::to_string(i).unwrap_or_default()).collect();
    format!("[{}]", parts.join(", "))
}

/// Spark `conf` as dumped: texts of digits of the eight keys kept as attributes become
/// numbers.
fn spark_conf(conf: &Value) -> Value {
    let Value::Object(m) = conf else { return conf.clone() };
    let mut out = m.clone();
    digits_as_numbers(&mut out);
    Value::Object(out)
}

/// Texts of ASCII digits of the keys kept as attributes (`SPARK_PROMOTED`) become numbers
/// (the Spark schema's dump, `serialize_field_names`); other keys are sent as written.
fn digits_as_numbers(m: &mut Map<String, Value>) {
    for (k, v) in m.iter_mut() {
        if let Value::String(s) = v
            && SPARK_PROMOTED.contains(&k.as_str())
            && !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = s.parse::<i64>()
        {
            *v = n.into();
        }
    }
}

/// The `conf` keys azure-ai-ml keeps as attributes of a Spark node (`CONF_KEY_MAP`).
const SPARK_PROMOTED: [&str; 8] = [
    "spark.driver.cores",
    "spark.driver.memory",
    "spark.executor.cores",
    "spark.executor.memory",
    "spark.executor.instances",
    "spark.dynamicAllocation.enabled",
    "spark.dynamicAllocation.minExecutors",
    "spark.dynamicAllocation.maxExecutors",
];

/// A Spark node's `conf` as azure-ai-ml builds it from the node's and its component's: the
/// eight keys it keeps as attributes each from the node when truthy in Python, else from the
/// component; the other keys all from the node when it has any, else all from the component;
/// `spark.executor.instances` the minimum executors under dynamic allocation when unset; texts
/// of digits of those eight as numbers.
fn spark_conf_merged(
    node: Option<Map<String, Value>>,
    component: Option<Map<String, Value>>,
) -> Map<String, Value> {
    let split = |conf: Option<Map<String, Value>>| {
        let (mut promoted, mut other) = (Map::new(), Map::new());
        for (k, v) in conf.unwrap_or_default() {
            if SPARK_PROMOTED.contains(&k.as_str()) && !v.is_null() {
                promoted.insert(k, v);
            } else {
                other.insert(k, v);
            }
        }
        (promoted, other)
    };
    let (node_promoted, node_other) = split(node);
    let (component_promoted, component_other) = split(component);
    let mut out = if node_other.is_empty() { component_other } else { node_other };
    let mut promoted = Map::new();
    for key in SPARK_PROMOTED {
        let v = match node_promoted.get(key) {
            Some(v) if py::truthy(v) => Some(v.clone()),
            _ => component_promoted.get(key).cloned(),
        };
        if let Some(v) = v.filter(|v| !v.is_null()) {
            promoted.insert(key.into(), v);
        }
    }
    let dynamic = promoted.get("spark.dynamicAllocation.enabled").map(py::str_of).map(|s| s.to_lowercase());
    if !promoted.contains_key("spark.executor.instances")
        && dynamic.as_deref() == Some("true")
        && let Some(min) = promoted.get("spark.dynamicAllocation.minExecutors").cloned()
    {
        promoted.insert("spark.executor.instances".into(), min);
    }
    out.extend(promoted);
    digits_as_numbers(&mut out);
    out
}
