//! The v2 document a pipeline amounts to: the pipeline job, its jobs and their components as
//! azure-ai-ml would load them from YAML (mappings with YAML 1.1 scalars, and the folder each
//! one's relative paths start from). Built from the IR: a step whose job was written for the
//! service keeps it; the others are spelled as the job lowering says they map to
//! ([`crate::ir::ServiceJob`], [`super::script`]), and so are the pipeline keys not written.
//!
//! The request bodies ([`super::body`]) and the v2 YAML files ([`super::yaml_out`]) are both
//! made from this document, so the YAML sluice writes loads into the body sluice computes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::error::{At, Errors};
use crate::ir::{ComponentOrigin, Document, Pipeline, ServiceJob, Step, StepKind, Workspace};
use crate::source::SourceMap;

/// A pipeline job.
#[derive(Debug, Clone)]
pub struct PipelineDoc {
    /// Folder its relative paths start from (the pipeline file's).
    pub dir: PathBuf,
    /// The job as written, without `jobs`.
    pub fields: Map<String, Value>,
    /// Its jobs, in order.
    pub jobs: Vec<JobDoc>,
    /// Where it is (for errors).
    pub at: At,
    /// The declarations its jobs bind to, when they are not the job's own inputs and outputs
    /// (a pipeline job running a pipeline component: the component's `inputs` and `outputs`).
    pub scope: Option<Map<String, Value>>,
    /// Where each input and output is declared, by `inputs.NAME` and `outputs.NAME`.
    pub ports: HashMap<String, At>,
}

/// One job of a pipeline (or of a pipeline component).
#[derive(Debug, Clone)]
pub struct JobDoc {
    /// The job's key.
    pub name: String,
    /// The job as written.
    pub fields: Map<String, Value>,
    /// Folder of the file it is written in.
    pub dir: PathBuf,
    /// The component its `component` (or a sweep's `trial`) names or holds; `None` for a job
    /// written in place (its component is made from the job) or a registered component.
    pub component: Option<ComponentDoc>,
    /// Where the job is (for errors).
    pub at: At,
}

/// How a component reached its job, which decides its `_source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Written in the job's file, or read through `file:` (which the SDK reads as if written
    /// there): `YAML.JOB`.
    InPlace,
    /// Loaded from its own file (`component: ./train.yml`): `YAML.COMPONENT`.
    File,
}

/// A component body.
#[derive(Debug, Clone)]
pub struct ComponentDoc {
    /// The body as written.
    pub fields: Map<String, Value>,
    /// Folder its relative paths (`code`, a conda file, a build context) start from.
    pub dir: PathBuf,
    /// How it reached its job.
    pub origin: Origin,
    /// A pipeline component's jobs.
    pub jobs: Vec<JobDoc>,
    /// Where it is (for errors).
    pub at: At,
    /// The prompt flow, for a flow run by a parallel job.
    pub flow: Option<super::flow::Flow>,
}

impl ComponentDoc {
    /// The component's `type` (`command` when not written).
    pub fn kind(&self) -> &str {
        self.fields.get("type").and_then(Value::as_str).unwrap_or("command")
    }
}

/// The document of a checked pipeline; steps Azure ML v2 cannot express are reported.
pub fn build(p: &Pipeline, workspace: &Workspace, sources: &SourceMap, errors: &mut Errors) -> PipelineDoc {
    let dir = folder_of(sources, p.file);
    let at = At::new(p.file, crate::source::Span::point(0));
    let mut fields = Document::keys_of(p.document.as_ref());
    // A pipeline job that runs a pipeline component (`component:` instead of `jobs`) is sent
    // as the component's jobs, with the component's outputs.
    if let (Some(Value::String(r)), [step]) =
        (p.document.as_ref().and_then(|d| d.fields().get("component")), p.steps.as_slice())
        && let (StepKind::Pipeline(sub), Some(c)) = (&step.kind, step.component.as_deref())
    {
        let mut settings = fields.get("settings").and_then(Value::as_object).cloned().unwrap_or_default();
        let source = if r.trim_start().starts_with("file:") { "YAML.JOB" } else { "YAML.COMPONENT" };
        settings.entry("_source").or_insert(source.into());
        fields.insert("settings".into(), settings.into());
        let mut outputs =
            c.document.as_ref().and_then(|d| d.declared("outputs")).cloned().unwrap_or_default();
        for o in outputs.values_mut() {
            if let Value::Object(m) = o {
                m.retain(|k, _| k == "type" || k == "mode" || k == "path");
            }
        }
        if let Some(given) = p.document.as_ref().and_then(|d| d.declared("outputs")) {
            outputs.extend(given.clone());
        }
        fields.insert("outputs".into(), outputs.into());
        let jobs = sub.steps.iter().map(|s| job(s, sub, workspace, sources, errors)).collect();
        super::normalise::pipeline(&mut fields);
        return PipelineDoc {
            dir,
            fields,
            jobs,
            at,
            scope: Some(Document::keys_of(c.document.as_ref())),
            ports: ports(p),
        };
    }
    super::normalise::pipeline(&mut fields);
    super::script::pipeline_fields(p, workspace, &mut fields, errors);
    let jobs = p.steps.iter().map(|s| job(s, p, workspace, sources, errors)).collect();
    PipelineDoc { dir, fields, jobs, at, scope: None, ports: ports(p) }
}

/// Where a pipeline's inputs and outputs are declared.
pub fn ports(p: &Pipeline) -> HashMap<String, At> {
    let inputs =
        p.inputs.iter().map(|i| (format!("inputs.{}", i.name.value), At::new(i.name.file, i.name.span)));
    let outputs =
        p.outputs.iter().map(|o| (format!("outputs.{}", o.name.value), At::new(o.name.file, o.name.span)));
    inputs.chain(outputs).collect()
}

/// One step as a job.
pub fn job(
    step: &Step,
    p: &Pipeline,
    workspace: &Workspace,
    sources: &SourceMap,
    errors: &mut Errors,
) -> JobDoc {
    let ServiceJob::Written(document) = &step.service else {
        return super::script::job(step, p, workspace, sources, errors);
    };
    let dir = folder_of(sources, step.key.file);
    let at = At::new(step.key.file, step.key.span);
    let component = match (document.component(), step.component.as_deref()) {
        (Some(Value::Object(body)), _) => Some(ComponentDoc {
            fields: body.clone(),
            dir: dir.clone(),
            origin: Origin::InPlace,
            jobs: sub_jobs(step, workspace, sources, errors),
            at,
            flow: None,
        }),
        (Some(Value::String(r)), Some(c)) => match &c.origin {
            ComponentOrigin::File { file: Some(file), .. } => Some(ComponentDoc {
                fields: Document::keys_of(c.document.as_ref()),
                dir: folder_of(sources, *file),
                origin: if r.trim_start().starts_with("file:") { Origin::InPlace } else { Origin::File },
                jobs: sub_jobs(step, workspace, sources, errors),
                at: At::new(*file, crate::source::Span::point(0)),
                flow: None,
            }),
            ComponentOrigin::File { path, file: None } if c.kind == "flow" => {
                match super::flow::load(&path.resolved()) {
                    Ok((flow, fields)) => Some(ComponentDoc {
                        fields,
                        dir: flow.dir.clone(),
                        origin: if r.trim_start().starts_with("file:") {
                            Origin::InPlace
                        } else {
                            Origin::File
                        },
                        jobs: Vec::new(),
                        at,
                        flow: Some(flow),
                    }),
                    Err(e) => {
                        errors.push(At::new(path.raw.file, path.raw.span).error(super::error::REJECTED, e));
                        None
                    }
                }
            }
            _ => None,
        },
        _ => None,
    };
    let mut component = component;
    if let Some(c) = &mut component {
        super::normalise::component(&mut c.fields);
    }
    let mut fields = document.fields().clone();
    super::normalise::job(&mut fields);
    JobDoc { name: step.key.value.clone(), fields, dir, component, at }
}

/// The jobs of the pipeline component a step runs.
fn sub_jobs(step: &Step, workspace: &Workspace, sources: &SourceMap, errors: &mut Errors) -> Vec<JobDoc> {
    match &step.kind {
        StepKind::Pipeline(sub) => {
            sub.steps.iter().map(|s| job(s, sub, workspace, sources, errors)).collect()
        }
        _ => Vec::new(),
    }
}

/// The absolute folder of a loaded file.
pub fn folder_of(sources: &SourceMap, file: crate::source::FileId) -> PathBuf {
    let path = &sources.get(file).path;
    crate::paths::absolute(path.parent().unwrap_or(Path::new("")))
}
