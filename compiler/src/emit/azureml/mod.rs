//! The Azure ML target: request bodies the Azure ML v2 REST API takes, as azure-ai-ml builds them.
//!
//! A checked pipeline becomes a v2 document ([`doc`]: the pipeline job, its jobs and their
//! components as azure-ai-ml would load them from YAML), from which both the request bodies
//! ([`emit`]) and v2 YAML files ([`emit_yaml`]) are made.

mod automl;
mod body;
mod command;
mod component;
mod data_transfer;
pub mod doc;
mod env;
pub mod error;
mod flow;
pub mod hash;
mod normalise;
mod parallel;
mod pipeline;
mod py;
mod pyyaml;
mod register;
mod rest;
mod script;
mod spark;
mod sweep;
pub mod yaml_out;

use serde_json::{Map, Value, json};

use crate::diagnostic::Diagnostic;
use crate::ir::{Pipeline, Workspace};
use crate::source::SourceMap;

/// The workspace the offline ids live in (the oracle's stand-in).
pub const WORKSPACE: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

/// What `sluice compile --target azureml` makes of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// The pipeline job request body (`PUT .../jobs/{name}`).
    pub body: Value,
    /// Each anonymous component's registration body, by component id.
    pub components: Map<String, Value>,
    /// What was left out because Azure ML v2 has no equivalent (v1 `run_after`, ...).
    pub warnings: Vec<Diagnostic>,
}

impl Payload {
    /// `{"body": ..., "components": {...}}`.
    pub fn to_json(&self) -> Value {
        json!({ "body": self.body, "components": self.components })
    }
}

/// The request bodies of a checked pipeline; every problem that stops them, as diagnostics.
pub fn emit(
    pipeline: &Pipeline,
    workspace: &Workspace,
    sources: &SourceMap,
) -> Result<Payload, Vec<Diagnostic>> {
    let mut errors = error::Errors::default();
    let doc = doc::build(pipeline, workspace, sources, &mut errors);
    let mut e = body::Emitter::new(&mut errors);
    let body = e.pipeline_body(&doc);
    let components = std::mem::take(&mut e.components);
    if errors.is_empty() {
        Ok(Payload { body, components, warnings: errors.warnings })
    } else {
        Err(errors.errors.into_iter().chain(errors.warnings).collect())
    }
}

/// What `sluice compile --target azureml-yaml` makes of a pipeline.
#[derive(Debug, Clone)]
pub struct YamlFiles {
    /// Each file, as a path relative to the output folder and its text.
    pub files: Vec<(std::path::PathBuf, String)>,
    /// What was left out because Azure ML v2 has no equivalent.
    pub warnings: Vec<Diagnostic>,
}

/// The v2 YAML files of a checked pipeline (`pipeline.yml` and its component files) meant for
/// folder `out` (relative paths in them point from there).
pub fn emit_yaml(
    pipeline: &Pipeline,
    workspace: &Workspace,
    sources: &SourceMap,
    out: &std::path::Path,
) -> Result<YamlFiles, Vec<Diagnostic>> {
    let mut errors = error::Errors::default();
    let doc = doc::build(pipeline, workspace, sources, &mut errors);
    // The bodies are made too, so every problem the service would meet is reported here.
    let mut e = body::Emitter::new(&mut errors);
    let _ = e.pipeline_body(&doc);
    if !errors.is_empty() {
        return Err(errors.errors.into_iter().chain(errors.warnings).collect());
    }
    Ok(YamlFiles { files: yaml_out::files(&doc, out), warnings: errors.warnings })
}
