//! Syntax layer: one module per input format, serde structs with spans, read through
//! [`crate::yaml`]. Nothing here resolves names; that is [`crate::lower`]'s job.

pub mod common;
pub mod v1;
pub mod v2;
pub mod workspace;

use std::path::Path;

use crate::paths::WORKSPACE_FILE_NAMES;
use crate::yaml::Node;

/// The formats sluice reads, told by a file's root keys (DESIGN section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `pipeline:` at the root.
    V1Pipeline,
    /// `Schedule:` at the root: a v1 pipeline schedule.
    V1Schedule,
    /// `type: pipeline` with `jobs`.
    V2Pipeline,
    /// `type: command|parallel|spark|...` without `jobs`: a v2 component.
    V2Component,
    /// `datastores:`/`computes:` at the root, or a file named `workspace.yaml`.
    Workspace,
    /// Anything else.
    Unknown,
}

/// Tells the format of a parsed file.
pub fn detect_format(path: &Path, node: &Node) -> Format {
    if node.get("pipeline").is_some() {
        return Format::V1Pipeline;
    }
    if node.get("Schedule").is_some() {
        return Format::V1Schedule;
    }
    let ty = node.get("type").and_then(Node::as_str);
    if ty == Some("pipeline") {
        // A pipeline job, unless it says or looks like a pipeline component.
        return if is_component_schema(node) || declares_interface(node) {
            Format::V2Component
        } else {
            Format::V2Pipeline
        };
    }
    if let Some(ty) = ty
        && COMPONENT_TYPES.contains(&ty)
        && !is_job_file(node)
    {
        return Format::V2Component;
    }
    let named = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| WORKSPACE_FILE_NAMES.contains(&n));
    if named || node.get("datastores").is_some() || node.get("computes").is_some() {
        return Format::Workspace;
    }
    Format::Unknown
}

/// Component `type`s a standalone v2 component file may have.
const COMPONENT_TYPES: [&str; 5] = ["command", "parallel", "spark", "pipeline", "data_transfer"];

fn is_component_schema(node: &Node) -> bool {
    node.get("$schema")
        .and_then(Node::as_str)
        .is_some_and(|s| s.contains("Component.schema") || s.contains("Component.json"))
}

/// A standalone job file (`commandJob`, `sparkJob`, ... or keys only jobs have): not a
/// component, and not something sluice checks.
fn is_job_file(node: &Node) -> bool {
    if let Some(schema) = node.get("$schema").and_then(Node::as_str) {
        return schema.contains("Job.schema");
    }
    ["compute", "experiment_name", "services", "identity", "limits"].iter().any(|k| node.get(k).is_some())
}

/// Inputs declared as a component declares them (`type: integer`, `optional`, `default`) or a
/// `version`: a pipeline component, not a pipeline job.
fn declares_interface(node: &Node) -> bool {
    if node.get("version").is_some() {
        return true;
    }
    node.get("inputs").map(Node::entries).unwrap_or_default().iter().any(|(_, v)| {
        let literal_type = v
            .get("type")
            .and_then(Node::as_str)
            .is_some_and(|t| ["string", "integer", "number", "boolean"].contains(&t));
        literal_type
            || ["optional", "default", "enum", "min", "max", "description"].iter().any(|k| v.get(k).is_some())
    })
}
