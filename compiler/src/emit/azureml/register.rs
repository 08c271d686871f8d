//! The component a job runs: resolved, its spec made as azure-ai-ml dumps it, and registered
//! as an anonymous component under its hash (code folders and environments named by theirs).

use serde_json::{Map, Value, json};

use super::body::*;
use super::component::{self as comp, Code, LITERAL_TYPES};
use super::doc::{ComponentDoc, JobDoc, Origin};
use super::error::{NO_EQUIVALENT, UNREADABLE};
use super::parallel::mini_batch_size;
use super::spark::{spark_conf, spark_conf_merged};
use super::{WORKSPACE, env, hash, py};

impl Emitter<'_> {
    /// The component a job runs: its id, `_source`, and the component body as written (to
    /// inherit settings from), registering an anonymous one. `kind` is the job's type.
    pub(super) fn job_component(&mut self, job: &JobDoc, scope: &Scope, kind: &str) -> Option<Used> {
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
    pub(super) fn register(
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
    pub(super) fn register_flow(&mut self, c: &ComponentDoc) -> Option<String> {
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
    pub(super) fn local_input_hashes(&mut self, spec: &mut Map<String, Value>, c: &ComponentDoc) {
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
    pub(super) fn component_spec(&mut self, c: &ComponentDoc, _scope: &Scope) -> Option<Map<String, Value>> {
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
    pub(super) fn code_id(&mut self, code: &str, c: &ComponentDoc) -> Option<String> {
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

    pub(super) fn environment(&mut self, e: &Value, c: &ComponentDoc) -> Option<Value> {
        match env::spec_environment(e, &c.dir) {
            Ok(v) => Some(v),
            Err(err) => {
                self.errors.push(c.at.error(UNREADABLE, err.to_string()));
                None
            }
        }
    }

    /// The component made from a job written in place (command, parallel or spark).
    pub(super) fn inline_job_component(
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
            "command" => self.inline_command(f, &c, &mut spec)?,
            "parallel" => self.inline_parallel(f, &c, &mut spec)?,
            "spark" => self.inline_spark(f, &c, &mut spec)?,
            _ => {}
        }
        spec.insert("is_deterministic".into(), true.into());
        spec.insert("name".into(), "azureml_anonymous".into());
        spec.insert("version".into(), "1".into());
        py::drop_empty(&mut spec);
        Some(spec)
    }

    /// What a command job written in place gives its component.
    fn inline_command(
        &mut self,
        f: &Map<String, Value>,
        c: &ComponentDoc,
        spec: &mut Map<String, Value>,
    ) -> Option<()> {
        if let Some(cmd) = f.get("command").filter(|v| !v.is_null()) {
            spec.insert("command".into(), cmd.clone());
        }
        if let Some(code) = f.get("code").and_then(Value::as_str) {
            let id = self.code_id(code, c)?;
            spec.insert("code".into(), id.into());
        }
        if let Some(e) = f.get("environment").filter(|v| !v.is_null()) {
            let env = self.environment(e, c)?;
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
        Some(())
    }

    /// What a parallel job written in place gives its component.
    fn inline_parallel(
        &mut self,
        f: &Map<String, Value>,
        c: &ComponentDoc,
        spec: &mut Map<String, Value>,
    ) -> Option<()> {
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
            spec,
        );
        if let Some(task) = f.get("task").and_then(Value::as_object) {
            let t = self.parallel_task(task, c)?;
            spec.insert("task".into(), t);
        }
        let m = f.get("mini_batch_size").filter(|v| !v.is_null()).map(mini_batch_size);
        spec.insert("mini_batch_size".into(), py::str_of(&m.unwrap_or(0.into())).into());
        Some(())
    }

    /// What a spark job written in place gives its component.
    fn inline_spark(
        &mut self,
        f: &Map<String, Value>,
        c: &ComponentDoc,
        spec: &mut Map<String, Value>,
    ) -> Option<()> {
        comp::pick(f, &["entry", "py_files", "jars", "files", "archives", "args"], spec);
        if let Some(code) = f.get("code").and_then(Value::as_str) {
            let id = self.code_id(code, c)?;
            spec.insert("code".into(), id.into());
        }
        if let Some(e) = f.get("environment").filter(|v| !v.is_null()) {
            let env = self.environment(e, c)?;
            spec.insert("environment".into(), env);
        }
        // The component is made from the job (`Spark._to_component`), so its conf is the job's as
        // the node holds it: falsy settings dropped, the executors of dynamic allocation filled in.
        if let Some(Value::Object(conf)) = f.get("conf") {
            spec.insert("conf".into(), spark_conf_merged(Some(conf.clone()), None).into());
        }
        Some(())
    }
}

/// The Python type name of a YAML 1.1 value, as `_PYTHON_SDK_TYPE_MAPPING` maps it.
pub(super) fn python_type(v: &Value) -> Option<&'static str> {
    match v {
        Value::Bool(_) => Some("boolean"),
        Value::Number(n) if n.is_f64() => Some("number"),
        Value::Number(_) => Some("integer"),
        Value::String(_) => Some("string"),
        _ => None,
    }
}

/// `_to_input`: the declaration a job written in place gets for one of its inputs.
pub(super) fn inline_input_decl(v: &Value, scope: &Scope) -> Value {
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
pub(super) fn inline_output_decl(v: &Value, scope: &Scope) -> Value {
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
pub(super) fn is_parent_binding(s: &str) -> bool {
    (s.starts_with("${{parent.inputs.") || s.starts_with("${{parent.jobs.")) && s.ends_with("}}")
}

/// The type and mode a binding's source has (`_find_source_input_output_type`).
pub(super) fn binding_source(s: &str, scope: &Scope) -> (String, Option<String>) {
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

/// `json.dumps(list)` (`["a", "b"]`), as a parallel node sends `partition_keys`.
pub(super) fn python_json_list(items: &[Value]) -> String {
    let parts: Vec<String> = items.iter().map(|i| serde_json::to_string(i).unwrap_or_default()).collect();
    format!("[{}]", parts.join(", "))
}
