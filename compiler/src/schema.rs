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

/// Every schema sluice publishes.
pub fn all() -> Vec<SchemaFile> {
    vec![
        SchemaFile {
            file_name: "pipeline-v1.schema.json",
            json: render(&generate::<v1::PipelineFile>("pipeline-v1.schema.json")),
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
