//! Prompt flows run by parallel jobs (`component: ./flow.dag.yaml`, a flow folder, or a flow run
//! file). azure-ai-ml makes a `promptflow_parallel` component of the flow: its name (the flow
//! folder's, `-` made `_`, unless the file names one), version, the flow file's name and the
//! metadata and overrides the flow or run file gives; it is registered under its own name (not
//! anonymously), with the hash of its spec as `client_component_hash`.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The `$schema` azure-ai-ml requires of a flow file.
pub const FLOW_SCHEMA: &str = "https://azuremlschemas.azureedge.net/promptflow/latest/Flow.schema.json";
/// The `$schema` azure-ai-ml requires of a flow run file.
pub const RUN_SCHEMA: &str = "https://azuremlschemas.azureedge.net/promptflow/latest/Run.schema.json";

/// Where a flow is.
#[derive(Debug, Clone)]
pub struct Flow {
    /// The flow folder.
    pub dir: PathBuf,
    /// The flow file's name in it (`flow.dag.yaml`).
    pub file_name: String,
    /// The file the job names (the flow file, or a run file).
    pub referenced: PathBuf,
}

/// Reads the flow a job names, giving where it is and the component fields its files set
/// (`name`, `version`, `display_name`, `description`, `tags`, `is_deterministic`,
/// `environment`, `environment_variables`, `connections`, `variant`, `column_mappings`).
pub fn load(path: &Path) -> Result<(Flow, Map<String, Value>), String> {
    let file = if path.is_dir() { path.join("flow.dag.yaml") } else { path.to_path_buf() };
    let doc = read_yaml(&file)?;
    let schema = doc.get("$schema").and_then(Value::as_str).unwrap_or("");
    let mut fields = Map::new();
    let (flow_file, flow_doc) = match schema {
        RUN_SCHEMA => {
            let flow = doc.get("flow").and_then(Value::as_str).ok_or("a flow run file needs `flow`")?;
            let base = file.parent().unwrap_or(Path::new("."));
            let target = base.join(flow);
            let flow_file = if target.is_dir() { target.join("flow.dag.yaml") } else { target };
            let flow_doc = read_yaml(&flow_file)?;
            metadata(&doc, &mut fields);
            for key in ["variant", "column_mappings", "connections", "environment_variables"] {
                if let Some(v) = doc.get(key).filter(|v| !v.is_null()) {
                    fields.insert(key.into(), v.clone());
                }
            }
            (flow_file, flow_doc)
        }
        FLOW_SCHEMA => {
            metadata(&doc, &mut fields);
            (file.clone(), doc.clone())
        }
        _ => {
            return Err(format!(
                "azure-ai-ml loads `{}` as a flow only with `$schema: {FLOW_SCHEMA}` (or a run file with `$schema: {RUN_SCHEMA}`)",
                file.display()
            ));
        }
    };
    // Environment variables of the flow file, overridden by the run file's.
    let mut env_vars =
        flow_doc.get("environment_variables").and_then(Value::as_object).cloned().unwrap_or_default();
    if let Some(Value::Object(given)) = fields.get("environment_variables") {
        env_vars.extend(given.clone());
    }
    if env_vars.is_empty() {
        fields.remove("environment_variables");
    } else {
        fields.insert("environment_variables".into(), env_vars.into());
    }
    let dir = flow_file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let file_name = flow_file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !fields.contains_key("name") {
        let folder = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        let name = folder.file_name().map(|n| n.to_string_lossy().replace('-', "_")).unwrap_or_default();
        fields.insert("name".into(), name.into());
    }
    // azure-ai-ml's validation of the component the flow becomes.
    if let Some(name) = fields.get("name").and_then(Value::as_str) {
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(format!(
                "the flow's component name `{name}` is rejected by azure-ai-ml: use lowercase letters, digits and `_`, starting with a letter"
            ));
        }
    }
    if fields.get("version").is_some_and(|v| !v.is_string()) {
        return Err("the flow's `version` must be text (quote it): azure-ai-ml rejects a number".to_string());
    }
    Ok((Flow { dir, file_name, referenced: file }, fields))
}

/// Name, version, display name, description, tags and the `azureml:` overrides of a flow or
/// run file.
fn metadata(doc: &Value, fields: &mut Map<String, Value>) {
    for key in ["name", "display_name", "description", "tags"] {
        if let Some(v) = doc.get(key).filter(|v| !v.is_null()) {
            fields.insert(key.into(), v.clone());
        }
    }
    if let Some(v) = doc.get("version").filter(|v| !v.is_null()) {
        fields.insert("version".into(), v.clone());
    }
    if let Some(Value::Object(o)) = doc.get("azureml") {
        for key in ["environment", "is_deterministic"] {
            if let Some(v) = o.get(key).filter(|v| !v.is_null()) {
                fields.insert(key.into(), v.clone());
            }
        }
    }
}

fn read_yaml(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let (node, errors) = crate::yaml::parse(&text, &crate::yaml::Limits::default());
    if let Some(e) = errors.first() {
        return Err(format!("`{}`: {}", path.display(), e.message));
    }
    Ok(node.map(|n| crate::yaml::yaml11::to_json(&n, &text)).unwrap_or(Value::Null))
}
