//! Steps written without a v2 job (v1 steps) spelled as the v2 jobs they map to.

use std::path::PathBuf;

use super::doc::{JobDoc, PipelineDoc};
use super::error::{At, Errors, NO_EQUIVALENT};
use crate::ir::{Pipeline, Step, Workspace};
use crate::source::SourceMap;

/// A pipeline with no written v2 form.
pub fn pipeline(
    p: &Pipeline,
    workspace: &Workspace,
    sources: &SourceMap,
    dir: PathBuf,
    errors: &mut Errors,
) -> PipelineDoc {
    let jobs = p.steps.iter().map(|s| job(s, p, workspace, sources, errors)).collect();
    PipelineDoc {
        dir,
        fields: serde_json::Map::new(),
        jobs,
        at: At::new(p.file, crate::source::Span::point(0)),
    }
}

/// One step with no written v2 form.
pub fn job(
    step: &Step,
    _p: &Pipeline,
    _workspace: &Workspace,
    sources: &SourceMap,
    errors: &mut Errors,
) -> JobDoc {
    let at = At::new(step.key.file, step.key.span);
    errors.push(at.error(NO_EQUIVALENT, "not yet"));
    JobDoc {
        name: step.key.value.clone(),
        fields: serde_json::Map::new(),
        dir: super::doc::folder_of(sources, step.key.file),
        component: None,
        at,
    }
}
