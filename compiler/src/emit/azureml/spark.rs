//! The node of a Spark job, and the Spark settings azure-ai-ml promotes and rewrites.

use serde_json::{Map, Value, json};

use super::body::*;
use super::doc::JobDoc;
use super::error::REJECTED;
use super::{py, rest};
use crate::ir::spark::{self, PROMOTED};

impl Emitter<'_> {
    pub(super) fn spark_node(&mut self, job: &JobDoc, scope: &Scope) -> Option<Map<String, Value>> {
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
    pub(super) fn spark_resources(&mut self, r: &Value, job: &JobDoc, lowercase: bool) -> Option<Value> {
        let mut r = rest::resources(r);
        let Value::Object(m) = &mut r else { return Some(r) };
        if let Some(Value::String(t)) = m.get_mut("instance_type")
            && !py::is_binding(t)
        {
            let lower = t.to_lowercase();
            if !crate::ir::spark::INSTANCE_TYPES.contains(&lower.as_str()) {
                self.errors.push(
                    job.at
                        .error(
                            REJECTED,
                            format!(
                                "job `{}`: azure-ai-ml accepts Spark instance types {} only, not `{t}`",
                                job.name,
                                crate::ir::spark::INSTANCE_TYPES.join(", ")
                            ),
                        )
                        .with_help_opt(
                            crate::suggest::did_you_mean(&lower, &crate::ir::spark::INSTANCE_TYPES)
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
}

/// Spark `conf` as dumped: texts of digits of the eight keys kept as attributes become
/// numbers.
pub(super) fn spark_conf(conf: &Value) -> Value {
    let Value::Object(m) = conf else { return conf.clone() };
    let mut out = m.clone();
    digits_as_numbers(&mut out);
    Value::Object(out)
}

/// Texts of ASCII digits of the keys kept as attributes (`ir::spark::PROMOTED`) become numbers
/// (the Spark schema's dump, `serialize_field_names`); other keys are sent as written.
pub(super) fn digits_as_numbers(m: &mut Map<String, Value>) {
    for (k, v) in m.iter_mut() {
        if let Value::String(s) = v
            && PROMOTED.contains(&k.as_str())
            && !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = s.parse::<i64>()
        {
            *v = n.into();
        }
    }
}

/// A Spark node's `conf` as azure-ai-ml builds it from the node's and its component's: the
/// eight keys it keeps as attributes each from the node when truthy in Python, else from the
/// component; the other keys all from the node when it has any, else all from the component;
/// `spark.executor.instances` the minimum executors under dynamic allocation when unset; texts
/// of digits of those eight as numbers.
pub(super) fn spark_conf_merged(
    node: Option<Map<String, Value>>,
    component: Option<Map<String, Value>>,
) -> Map<String, Value> {
    let split = |conf: Option<Map<String, Value>>| {
        let (mut promoted, mut other) = (Map::new(), Map::new());
        for (k, v) in conf.unwrap_or_default() {
            if PROMOTED.contains(&k.as_str()) && !v.is_null() {
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
    for key in PROMOTED {
        let v = match node_promoted.get(key) {
            Some(v) if crate::python::truthy(v) => Some(v.clone()),
            _ => component_promoted.get(key).cloned(),
        };
        if let Some(v) = v.filter(|v| !v.is_null()) {
            promoted.insert(key.into(), v);
        }
    }
    let dynamic = promoted.get(spark::DYNAMIC_ALLOCATION).map(py::str_of).map(|s| s.to_lowercase());
    if !promoted.contains_key(spark::EXECUTOR_INSTANCES)
        && dynamic.as_deref() == Some("true")
        && let Some(min) = promoted.get(spark::MIN_EXECUTORS).cloned()
    {
        promoted.insert(spark::EXECUTOR_INSTANCES.into(), min);
    }
    out.extend(promoted);
    digits_as_numbers(&mut out);
    out
}
