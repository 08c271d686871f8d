//! JSON schemas (draft-07) of the input formats, generated from the syntax types.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};

use crate::syntax::{v1, v2, workspace};

/// One generated schema: the file name it is published under and its JSON text.
#[derive(Debug)]
pub struct SchemaFile {
    /// File name under `schemas/`, e.g. `pipeline-v1.schema.json`.
    pub file_name: &'static str,
    /// Pretty-printed JSON with a trailing newline.
    pub json: String,
}

fn generate<T: JsonSchema>(id: &str) -> Schema {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert("$id".to_string(), format!("https://sluice.dev/schemas/{id}").into());
    schema
}

fn render(schema: &Schema) -> String {
    let mut json = serde_json::to_string_pretty(schema).unwrap_or_default();
    json.push('\n');
    json
}

/// A v2 schema: jobs and components without `type` are commands, so `type` is optional in the
/// command variant of each tagged union.
fn generate_v2<T: JsonSchema>(id: &str) -> Schema {
    let mut value = generate::<T>(id).to_value();
    optional_command_tag(&mut value);
    Schema::try_from(value).unwrap_or_default()
}

/// Drops `type` from the required keys of every `oneOf` variant whose `type` is `command`.
fn optional_command_tag(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Array(variants)) = map.get_mut("oneOf") {
                for variant in variants.iter_mut() {
                    let is_command =
                        variant.pointer("/properties/type/const").and_then(|c| c.as_str()) == Some("command");
                    if let (true, Some(serde_json::Value::Array(required))) =
                        (is_command, variant.get_mut("required"))
                    {
                        required.retain(|r| r != "type");
                    }
                }
            }
            map.values_mut().for_each(optional_command_tag);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(optional_command_tag),
        _ => {}
    }
}

/// The v1 pipeline schema, with the deprecated step forms the SDK still reads
/// (`python_script_step: {...}` without `type`) beside the typed steps.
fn generate_v1(id: &str) -> Schema {
    let mut value = generate::<v1::PipelineFile>(id).to_value();
    if let Some(serde_json::Value::Array(variants)) = value.pointer_mut("/definitions/Step/oneOf") {
        let forms: Vec<serde_json::Value> =
            v1::deprecated::FORMS.iter().filter_map(|f| deprecated_variant(variants, f)).collect();
        variants.extend(forms);
    }
    Schema::try_from(value).unwrap_or_default()
}

/// The schema of a deprecated form, made from its typed variant: the keys the SDK reads inside
/// the form's mapping go there, the others stay beside it.
fn deprecated_variant(
    variants: &[serde_json::Value],
    form: &v1::deprecated::Form,
) -> Option<serde_json::Value> {
    use serde_json::{Map, Value, json};
    let typed =
        variants.iter().find(|v| v.pointer("/properties/type/const") == Some(&json!(form.type_name)))?;
    let properties = typed.get("properties")?.as_object()?;
    let required: Vec<&str> = typed
        .get("required")
        .and_then(Value::as_array)
        .map_or(Vec::new(), |r| r.iter().filter_map(Value::as_str).filter(|k| *k != "type").collect());
    let (mut inner, mut outer) = (Map::new(), Map::new());
    for (k, v) in properties.iter().filter(|(k, _)| *k != "type") {
        if form.inner.contains(&k.as_str()) {
            inner.insert(k.clone(), v.clone())
        } else {
            outer.insert(k.clone(), v.clone())
        };
    }
    let inner_required: Vec<&str> = required.iter().copied().filter(|k| form.inner.contains(k)).collect();
    let mut outer_required: Vec<&str> =
        required.iter().copied().filter(|k| !form.inner.contains(k)).collect();
    outer_required.insert(0, form.key);
    outer.insert(
        form.key.to_string(),
        json!({"type": "object", "properties": inner, "required": inner_required, "additionalProperties": false}),
    );
    Some(json!({
        "description": format!("Deprecated form of `type: {}`, still read by the SDK (with a warning).", form.type_name),
        "deprecated": true,
        "type": "object",
        "properties": outer,
        "required": outer_required,
        "additionalProperties": false,
    }))
}

/// Every schema sluice publishes.
pub fn all() -> Vec<SchemaFile> {
    vec![
        SchemaFile {
            file_name: "pipeline-v1.schema.json",
            json: render(&generate_v1("pipeline-v1.schema.json")),
        },
        SchemaFile {
            file_name: "schedule-v1.schema.json",
            json: render(&generate::<v1::schedule::ScheduleFile>("schedule-v1.schema.json")),
        },
        SchemaFile {
            file_name: "parallel-run-config-v1.schema.json",
            json: render(&generate::<v1::parallel_run_config::ParallelRunConfigFile>(
                "parallel-run-config-v1.schema.json",
            )),
        },
        SchemaFile {
            file_name: "workspace.schema.json",
            json: render(&generate::<workspace::WorkspaceFile>("workspace.schema.json")),
        },
        SchemaFile {
            file_name: "pipeline-v2.schema.json",
            json: render(&generate_v2::<v2::PipelineFile>("pipeline-v2.schema.json")),
        },
        SchemaFile {
            file_name: "component-v2.schema.json",
            json: render(&generate_v2::<v2::ComponentFile>("component-v2.schema.json")),
        },
    ]
}
