//! A `jobs` mapping into steps: each job is drafted (component, outputs, settings), then the
//! inputs are resolved against the pipeline's inputs and the other jobs' outputs, then control
//! flow is wired.

mod control_flow;
mod inputs;

use control_flow::adopt_body;
use inputs::{job_output, parent_input, wrong_place};

use serde_json::Map as JsonMap;

use super::Lowerer;
use super::component::made_up_decl;
use super::data::{self, passthrough};
use super::text::{Ref, Text, classify};
use crate::check;
use crate::ir::{
    DataLocation, DataType, InputPort, Literal, Name, OutputPort, PipelineInput, PipelineOutput, PortRole,
    RefKind, Source, Step, StepId, Unresolved,
};
use crate::lower::LowerCtx;
use crate::syntax::common::Scalar;
use crate::syntax::v2::binding::{self, Part};
use crate::syntax::v2::jobs::{DoWhileJob, IfElseJob, ParallelForJob};
use crate::syntax::v2::{ComponentFile, InputValue, Job, OutputValue};
use crate::yaml::{Map, Node, Spanned};

/// What the jobs of one pipeline (job or component) can bind to.
pub struct Scope<'a> {
    /// The file holding the jobs.
    pub cx: &'a LowerCtx,
    /// The pipeline's inputs (`${{parent.inputs.x}}`).
    pub inputs: &'a [PipelineInput],
    /// The pipeline's outputs (`${{parent.outputs.y}}`).
    pub outputs: &'a [PipelineOutput],
    /// Compute for jobs that name none (inherited by nested pipelines).
    pub default_compute: Option<Name>,
    /// Pipeline inputs bound outside job inputs (compute, settings), by index.
    pub used: std::cell::RefCell<Vec<usize>>,
}

impl<'a> Scope<'a> {
    /// What the jobs of a pipeline with these inputs and outputs can bind to.
    pub fn new(
        cx: &'a LowerCtx,
        inputs: &'a [PipelineInput],
        outputs: &'a [PipelineOutput],
        default_compute: Option<Name>,
    ) -> Self {
        Scope { cx, inputs, outputs, default_compute, used: Default::default() }
    }

    /// The index of pipeline input `name`, noting that it is used.
    pub fn use_input(&self, name: &str) -> Option<usize> {
        let index = self.inputs.iter().position(|i| i.name.value == name)?;
        self.used.borrow_mut().push(index);
        Some(index)
    }
}

/// An input as a job gives it, resolved once every job is drafted.
pub struct Given<'a> {
    /// The input's name as written.
    pub key: Spanned<String>,
    /// The value as written.
    pub value: &'a Spanned<InputValue>,
    /// Its node (for passthrough of a mapping).
    pub node: Option<&'a Node>,
}

/// Control flow still to wire once every job is drafted.
pub enum Control<'a> {
    /// A job that runs something.
    None,
    /// `do_while`.
    DoWhile(&'a DoWhileJob),
    /// `parallel_for`.
    ParallelFor(&'a ParallelForJob),
    /// `if_else`.
    IfElse(&'a IfElseJob),
}

/// A job turned into a step whose inputs are still to resolve.
pub struct Draft<'a> {
    /// The step (inputs empty).
    pub step: Step,
    /// Inputs as given.
    pub given: Vec<Given<'a>>,
    /// The interface is not visible (registered component, automl): any output name resolves.
    pub open: bool,
    /// A job written in place: its component's declarations are made from what it gives.
    pub inline: bool,
    /// Control flow to wire.
    pub control: Control<'a>,
    /// Names a sweep's search space sets.
    pub search_space: Vec<String>,
    /// The body of a loop, once resolved.
    pub body: Option<usize>,
}

/// An input bound to another job's input (`${{parent.jobs.j.inputs.i}}`), resolved last.
struct Deferred {
    step: usize,
    port: usize,
    job: Name,
    input: Name,
}

/// The inputs and outputs a component declares, as pipeline inputs and outputs (for a pipeline
/// component's own jobs, or a standalone check).
pub fn interface(
    cx: &LowerCtx,
    doc: &ComponentFile,
    node: Option<&Node>,
) -> (Vec<PipelineInput>, Vec<PipelineOutput>) {
    let c =
        super::component::component(super::component::inline_origin(cx), doc.kind(), cx, doc.common(), node);
    let inputs = c
        .inputs
        .into_iter()
        .map(|d| PipelineInput {
            data: None,
            optional: d.optional,
            description: d.description,
            mode: d.mode,
            settings: d.settings,
            name: d.name,
            ty: d.ty,
            default: d.default,
        })
        .collect();
    let outputs = c
        .outputs
        .into_iter()
        .map(|d| PipelineOutput {
            name: d.name,
            ty: d.ty.map(|t| t.value),
            datastore: None,
            mode: d.mode,
            path: None,
            settings: d.settings,
        })
        .collect();
    (inputs, outputs)
}

impl Lowerer<'_> {
    /// A pipeline job input: a literal (parameter), data by path, or `{value: ...}`.
    pub(super) fn pipeline_input(
        &mut self,
        cx: &LowerCtx,
        key: &Spanned<String>,
        v: &Spanned<InputValue>,
        node: Option<&Node>,
    ) -> PipelineInput {
        let mut input = PipelineInput {
            name: cx.name(key),
            ty: None,
            default: None,
            data: None,
            optional: false,
            description: None,
            mode: None,
            settings: JsonMap::new(),
        };
        match &v.value {
            InputValue::Null => input.optional = true,
            InputValue::Scalar(s) => {
                if let Scalar::Str(text) = s
                    && binding::has_template(text)
                {
                    self.literal_expressions(&Text::new(cx, text, v.span));
                }
                input.default = Some(Spanned::new(data::literal(s), v.span));
            }
            InputValue::Spec(spec) => {
                self.refuse_mode(cx, spec.mode.as_ref(), spec.ty.as_ref(), false);
                input.ty = spec.ty.as_ref().map(|t| Spanned::new(data::data_type(t.value), t.span));
                input.mode = spec.mode.as_ref().and_then(|m| data::mode(m.value, false));
                if let Some(value) = &spec.value {
                    input.default = Some(data::spanned_literal(value));
                }
                if let Some(path) = &spec.path {
                    input.data = Some(data::location(cx, path, data::root_of(cx).as_deref()));
                    if input.ty.is_none() {
                        input.ty = Some(Spanned::new(DataType::UriFolder, path.span));
                    }
                }
                input.settings = passthrough(&cx.text, node, &["type", "path", "mode", "value"]);
            }
        }
        input
    }

    /// A pipeline job output.
    pub(super) fn pipeline_output(
        &mut self,
        cx: &LowerCtx,
        key: &Spanned<String>,
        v: &Spanned<OutputValue>,
        node: Option<&Node>,
    ) -> PipelineOutput {
        let mut out = PipelineOutput {
            name: cx.name(key),
            ty: None,
            datastore: None,
            mode: None,
            path: None,
            settings: JsonMap::new(),
        };
        match &v.value {
            OutputValue::Null => {}
            OutputValue::Binding(s) => {
                self.report(
                    check::invalid_binding::RULE
                        .at(cx.file, v.span, format!("a pipeline output cannot be `{s}`"))
                        .with_help("give the output's `type`, `mode` and `path`, or leave it empty"),
                );
            }
            OutputValue::Spec(spec) => {
                self.refuse_mode(cx, spec.mode.as_ref(), spec.ty.as_ref(), true);
                out.ty = spec.ty.as_ref().map(|t| data::data_type(t.value));
                out.mode = spec.mode.as_ref().and_then(|m| data::mode(m.value, true));
                if let Some(p) = &spec.path {
                    out.path = Some(cx.name(p));
                    if let DataLocation::Datastore { datastore, .. } = data::location(cx, p, None) {
                        out.datastore = Some(datastore);
                    }
                }
                out.settings = passthrough(&cx.text, node, &["type", "mode", "path"]);
            }
        }
        out
    }

    /// Reports unknown names in the expressions of a literal string (`${{name}}` macros are
    /// fine; bindings to parent inputs are too).
    fn literal_expressions(&mut self, t: &Text) {
        let mut ds = Vec::new();
        let template = t.parse(&mut ds);
        self.report_all(ds);
        for (e, _) in binding::expressions(&template) {
            if let Ref::Invalid(why) = classify(e) {
                self.report(
                    check::invalid_binding::RULE
                        .at(
                            t.file,
                            t.span_of(e.range.clone()),
                            format!("`{}` is not a binding: {why}", t.expr_name(e).value),
                        )
                        .with_help(
                            "pipeline inputs may use the macros `${{name}}` and `${{default_datastore}}`",
                        ),
                );
            }
        }
    }

    /// Lowers every job of a `jobs` mapping.
    pub(super) fn lower_jobs(
        &mut self,
        scope: &Scope,
        jobs: &Map<Job>,
        jobs_node: Option<&Node>,
        unresolved: &mut Vec<Unresolved>,
    ) -> Vec<Step> {
        let mut drafts: Vec<Draft> = Vec::with_capacity(jobs.len());
        for (key, job) in jobs.iter() {
            let node = data::child(jobs_node, &key.value);
            self.check_job_name(scope.cx, key);
            drafts.push(self.draft(scope, key, job, node, unresolved));
        }
        // Loops take on their bodies' outputs before anything binds to them.
        for i in 0..drafts.len() {
            let body = match drafts[i].control {
                Control::DoWhile(dw) => Some(&dw.body),
                Control::ParallelFor(pf) => Some(&pf.body),
                _ => None,
            };
            if let Some(body) = body
                && let Some(b) = self.job_ref(scope, &drafts, body, unresolved)
            {
                adopt_body(&mut drafts, i, b, body, scope);
                drafts[i].body = Some(b);
            }
        }
        self.resolve_inputs(scope, &mut drafts, unresolved);
        self.wire_control_flow(scope, &mut drafts, unresolved);
        for d in &mut drafts {
            if d.inline {
                made_up_interface(d);
            }
        }
        drafts.into_iter().map(|d| d.step).collect()
    }

    fn check_job_name(&mut self, cx: &LowerCtx, key: &Spanned<String>) {
        use check::invalid_name::{is_identifier, is_node_name, suggested_node_name};
        // azure-ai-ml refuses any other node name when it validates the pipeline.
        let name = &key.value;
        if !is_node_name(name) {
            let what =
                if is_identifier(name) { "has uppercase letters" } else { "is not a valid identifier" };
            self.report(
                check::invalid_name::RULE
                    .at(cx.file, key.span, format!("job name `{name}` {what}"))
                    .with_help(format!(
                        "job names use lowercase letters, digits and `_` and do not start with a digit: `{}`",
                        suggested_node_name(name)
                    )),
            );
        }
    }

    /// A pipeline job's input and output names, as azure-ai-ml validates them: an input name is
    /// identifiers joined by dots, an output name one identifier (upper case allowed in both).
    pub(super) fn check_port_names<'n>(
        &mut self,
        cx: &LowerCtx,
        inputs: impl Iterator<Item = &'n Spanned<String>>,
        outputs: impl Iterator<Item = &'n Spanned<String>>,
    ) {
        use check::invalid_name::{is_identifier, is_input_name, suggested_identifier};
        let bad_inputs = inputs
            .filter(|k| !is_input_name(&k.value))
            .map(|k| (k, "input", "(optionally joined by `.`)", true));
        let bad_outputs = outputs.filter(|k| !is_identifier(&k.value)).map(|k| (k, "output", "only", false));
        let bad: Vec<_> = bad_inputs.chain(bad_outputs).collect();
        for (key, what, how, keep_dots) in bad {
            self.report(
                check::invalid_name::RULE
                    .at(
                        cx.file,
                        key.span,
                        format!("pipeline {what} name `{}` is not a valid identifier", key.value),
                    )
                    .with_help(format!(
                        "Azure ML accepts {what} names of letters, digits and `_` {how}: `{}`",
                        suggested_identifier(&key.value, keep_dots)
                    )),
            );
        }
    }

    /// Resolves the expressions of a string that may name pipeline inputs and job outputs.
    fn pipeline_refs(
        &mut self,
        scope: &Scope,
        drafts: &mut [Draft],
        t: &Text,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let mut ds = Vec::new();
        let template = t.parse(&mut ds);
        self.report_all(ds);
        for (e, _) in binding::expressions(&template) {
            let at = t.expr_name(e);
            let src = match classify(e) {
                Ref::ParentInput(x) => parent_input(scope, x, at),
                Ref::JobOutput(j, o) => job_output(drafts, j, o, at),
                _ => Source::None,
            };
            if let Source::Unresolved(u) = src {
                unresolved.push(u);
            }
        }
    }

    /// Binds one given output of a job: nothing, `${{parent.outputs.y}}`, or settings.
    pub(super) fn bind_output(
        &mut self,
        scope: &Scope,
        step: &mut Step,
        key: &Spanned<String>,
        v: &Spanned<OutputValue>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let port = output_port(step, scope.cx, key);
        let binding = match &v.value {
            OutputValue::Null => None,
            OutputValue::Binding(s) => Some(Spanned::new(s.clone(), v.span)),
            OutputValue::Spec(spec) => {
                if let Some(t) = &spec.ty {
                    port.ty = Some(data::data_type(t.value));
                }
                self.refuse_mode(scope.cx, spec.mode.as_ref(), spec.ty.as_ref(), true);
                if let Some(m) = &spec.mode {
                    port.mode = data::mode(m.value, true);
                }
                match &spec.path {
                    Some(p)
                        if binding::has_template(&p.value)
                            && p.value.trim_start().starts_with("${{parent.") =>
                    {
                        Some(p.clone())
                    }
                    Some(p) => {
                        port.path = Some(scope.cx.name(p));
                        if let DataLocation::Datastore { datastore, .. } = data::location(scope.cx, p, None) {
                            port.datastore = Some(datastore);
                        }
                        None
                    }
                    None => None,
                }
            }
        };
        let Some(b) = binding else { return };
        let t = Text::of(scope.cx, &b);
        let mut ds = Vec::new();
        let template = t.parse(&mut ds);
        self.report_all(ds);
        let Some(e) = binding::sole_expression(&t.value, &template) else {
            self.report(
                check::invalid_binding::RULE
                    .at(
                        t.file,
                        t.span,
                        format!(
                            "output `{}` must be bound to a pipeline output, not `{}`",
                            key.value, t.value
                        ),
                    )
                    .with_help(
                        "write `${{parent.outputs.<name>}}`, or give the output's `type`, `mode` and `path`",
                    ),
            );
            return;
        };
        match classify(&e) {
            Ref::ParentOutput(y) => match scope.outputs.iter().position(|o| o.name.value == y.text) {
                Some(index) => {
                    let port = output_port(step, scope.cx, key);
                    port.pipeline_output = Some(index);
                    if port.ty.is_none() {
                        port.ty = scope.outputs[index].ty;
                    }
                }
                None => unresolved.push(Unresolved {
                    kind: RefKind::PipelineOutput,
                    name: t.name(y, &e),
                    candidates: scope.outputs.iter().map(|o| o.name.value.clone()).collect(),
                    step: None,
                }),
            },
            other => self.report(wrong_place(&t, &e, other, "a job's output")),
        }
    }
}

/// The output port `key` of a step, made when missing.
pub(super) fn output_port<'s>(
    step: &'s mut Step,
    cx: &LowerCtx,
    key: &Spanned<String>,
) -> &'s mut OutputPort {
    let at = match step.outputs.iter().position(|p| p.name.value == key.value) {
        Some(i) => i,
        None => {
            step.outputs.push(OutputPort {
                name: cx.name(key),
                ty: None,
                destination: None,
                datastore: None,
                mode: None,
                pipeline_output: None,
                path: None,
                settings: JsonMap::new(),
            });
            step.outputs.len() - 1
        }
    };
    &mut step.outputs[at]
}

/// A job written in place declares what it gives: the service builds its component from it.
fn made_up_interface(d: &mut Draft) {
    let Some(c) = d.step.component.as_mut() else { return };
    for p in &d.step.inputs {
        if c.input(&p.name.value).is_some() {
            continue;
        }
        let ty = p.ty.or(match &p.source {
            Source::Literal(l) => Some(l.value.data_type()),
            Source::Location(_) => Some(DataType::UriFolder),
            _ => None,
        });
        c.inputs.push(made_up_decl(p.name.clone(), ty, None));
    }
    for p in &d.step.outputs {
        if c.output(&p.name.value).is_none() {
            c.outputs.push(made_up_decl(p.name.clone(), p.ty.or(Some(DataType::UriFolder)), None));
        }
    }
    c.interface_known = !d.open;
}

/// Text parts of a template, for commands (expressions other than inputs, outputs and search
/// space names are reported by the caller).
pub(super) fn text_parts(t: &Text, parts: &[Part]) -> Vec<crate::ir::CommandPart> {
    use crate::ir::CommandPart;
    let mut out = Vec::new();
    for p in parts {
        match p {
            Part::Text(r) => out.push(CommandPart::Text(t.value.get(r.clone()).unwrap_or("").to_string())),
            Part::Expr(e) => match classify(e) {
                Ref::Input(x) => out.push(CommandPart::Input(t.name(x, e))),
                Ref::Output(x) => out.push(CommandPart::Output(t.name(x, e))),
                _ => out.push(CommandPart::Text(t.value.get(e.range.clone()).unwrap_or("").to_string())),
            },
            Part::Optional { parts, .. } => out.push(CommandPart::Optional(text_parts(t, parts))),
        }
    }
    out
}
