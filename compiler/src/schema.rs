//! JSON schemas (draft-07) of the input formats, generated from the syntax types.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};

use crate::syntax::{v1, workspace};

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
    ]
}
