//! A `jobs` mapping into steps: each job is drafted (component, outputs, settings), then the
//! inputs are resolved against the pipeline's inputs and the other jobs' outputs, then control
//! flow is wired.

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

    /// Resolves every given input into an input port.
    fn resolve_inputs(&mut self, scope: &Scope, drafts: &mut [Draft], unresolved: &mut Vec<Unresolved>) {
        let mut deferred: Vec<Deferred> = Vec::new();
        for i in 0..drafts.len() {
            let given = std::mem::take(&mut drafts[i].given);
            for g in &given {
                if let Some(port) = self.input_port(scope, drafts, i, g, &mut deferred, unresolved) {
                    drafts[i].step.inputs.push(port);
                }
            }
            drafts[i].given = given;
        }
        // `${{parent.jobs.j.inputs.i}}` takes whatever `j`'s input `i` is bound to; chains
        // settle in a few rounds.
        for _ in 0..8 {
            if deferred.is_empty() {
                break;
            }
            let mut next = Vec::new();
            for d in deferred {
                match self.job_input_source(drafts, &d) {
                    Some(src) => drafts[d.step].step.inputs[d.port].source = src,
                    None => next.push(d),
                }
            }
            deferred = next;
        }
        for d in deferred {
            // A loop of input-to-input bindings: nothing can be bound.
            drafts[d.step].step.inputs[d.port].source = Source::None;
        }
    }

    /// The source of `${{parent.jobs.j.inputs.i}}`; `None` while `j`'s input is itself waiting.
    fn job_input_source(&self, drafts: &[Draft], d: &Deferred) -> Option<Source> {
        let names: Vec<&str> = drafts.iter().map(|x| x.step.key.value.as_str()).collect();
        let Some(j) = names.iter().position(|n| *n == d.job.value) else {
            return Some(Source::Unresolved(Unresolved {
                kind: RefKind::Step,
                name: d.job.clone(),
                candidates: names.iter().map(|s| s.to_string()).collect(),
                step: None,
            }));
        };
        let target = &drafts[j].step;
        if let Some(port) = target.input(&d.input.value) {
            if port.source == Source::None && drafts[j].given.iter().any(|g| g.key.value == d.input.value) {
                // Still deferred, or bound to something sluice cannot represent.
                return (j == d.step).then_some(Source::None);
            }
            return Some(port.source.clone());
        }
        if let Some(decl) = target.component.as_ref().and_then(|c| c.input(&d.input.value)) {
            return Some(match &decl.default {
                Some(def) => Source::Literal(def.clone()),
                None => Source::None,
            });
        }
        if drafts[j].open {
            return Some(Source::None);
        }
        let mut candidates: Vec<String> = target.inputs.iter().map(|p| p.name.value.clone()).collect();
        if let Some(c) = &target.component {
            candidates.extend(c.inputs.iter().map(|p| p.name.value.clone()));
        }
        candidates.sort();
        candidates.dedup();
        Some(Source::Unresolved(Unresolved {
            kind: RefKind::StepInput,
            name: d.input.clone(),
            candidates,
            step: Some(StepId(j)),
        }))
    }

    /// One given input as a port.
    fn input_port(
        &mut self,
        scope: &Scope,
        drafts: &mut [Draft],
        me: usize,
        g: &Given,
        deferred: &mut Vec<Deferred>,
        unresolved: &mut Vec<Unresolved>,
    ) -> Option<InputPort> {
        let cx = scope.cx;
        let decl = drafts[me].step.component.as_ref().and_then(|c| c.input(&g.key.value)).cloned();
        let decl_ty = decl.as_ref().and_then(|d| d.ty.as_ref().map(|t| t.value));
        let mut port = InputPort {
            name: Name { value: g.key.value.clone(), file: cx.file, span: g.key.span },
            role: PortRole::Data,
            ty: decl_ty,
            source: Source::None,
            mode: decl.as_ref().and_then(|d| d.mode),
            optional: decl.as_ref().is_some_and(|d| d.optional),
            default: decl.as_ref().and_then(|d| d.default.clone()),
            settings: JsonMap::new(),
        };
        let mut given_literal = false;
        let binding_text: Option<Text> = match &g.value.value {
            InputValue::Null => return None,
            InputValue::Scalar(Scalar::Str(s)) if binding::has_template(s) => {
                Some(Text::new(cx, s, g.value.span))
            }
            InputValue::Scalar(s) => {
                port.source = Source::Literal(Spanned::new(data::literal(s), g.value.span));
                given_literal = true;
                None
            }
            InputValue::Spec(spec) => {
                port.settings = passthrough(&cx.text, g.node, &[]);
                if let Some(m) = &spec.mode {
                    port.mode = data::mode(m.value, false);
                }
                if port.ty.is_none() {
                    port.ty = spec.ty.as_ref().map(|t| data::data_type(t.value));
                }
                if let Some(value) = &spec.value {
                    port.source = Source::Literal(data::spanned_literal(value));
                    given_literal = true;
                    None
                } else if let Some(path) = &spec.path {
                    if binding::has_template(&path.value)
                        && binding::sole_expression(&path.value, &binding::parse(&path.value).0).is_some()
                    {
                        Some(Text::of(cx, path))
                    } else {
                        port.source =
                            Source::Location(data::location(cx, path, data::root_of(cx).as_deref()));
                        None
                    }
                } else {
                    None
                }
            }
        };
        if let Some(t) = binding_text {
            let mut ds = Vec::new();
            let template = t.parse(&mut ds);
            self.report_all(ds);
            match binding::sole_expression(&t.value, &template) {
                Some(e) => {
                    let at = t.expr_name(&e);
                    match classify(&e) {
                        Ref::ParentInput(x) => port.source = parent_input(scope, x, at),
                        Ref::JobOutput(j, o) => port.source = job_output(drafts, j, o, at),
                        Ref::JobInput(j, i) => {
                            deferred.push(Deferred {
                                step: me,
                                port: drafts[me].step.inputs.len(),
                                job: t.name(j, &e),
                                input: t.name(i, &e),
                            });
                        }
                        Ref::SearchSpace(p) => {
                            if !drafts[me].search_space.contains(&p.text) {
                                let known = drafts[me].search_space.clone();
                                self.report(
                                    check::invalid_binding::RULE
                                        .at(
                                            t.file,
                                            t.span_of(e.range.clone()),
                                            format!("the search space has no parameter `{}`", p.text),
                                        )
                                        .with_help_opt(
                                            crate::suggest::did_you_mean(&p.text, &known).or_else(|| {
                                                Some(format!(
                                                    "the search space has {}",
                                                    crate::suggest::list_names(&known, 8)
                                                ))
                                            }),
                                        ),
                                );
                            }
                        }
                        Ref::Macro => {
                            port.source =
                                Source::Literal(Spanned::new(Literal::Str(t.value.clone()), t.span));
                            given_literal = true;
                        }
                        other => self.report(wrong_place(&t, &e, other, "a job's input")),
                    }
                }
                None => {
                    // Text around expressions: a literal string whose expressions are filled in.
                    for (e, _) in binding::expressions(&template) {
                        let at = t.expr_name(e);
                        let src = match classify(e) {
                            Ref::ParentInput(x) => parent_input(scope, x, at),
                            Ref::JobOutput(j, o) => job_output(drafts, j, o, at),
                            Ref::Macro | Ref::JobInput(..) | Ref::SearchSpace(_) => Source::None,
                            other => {
                                self.report(wrong_place(&t, e, other, "a job's input"));
                                Source::None
                            }
                        };
                        if let Source::Unresolved(u) = src {
                            unresolved.push(u);
                        }
                    }
                    port.source = Source::Literal(Spanned::new(Literal::Str(t.value.clone()), t.span));
                    given_literal = true;
                }
            }
        }
        port.role = match decl_ty {
            Some(t) if t.is_literal() => PortRole::Parameter,
            Some(_) => PortRole::Data,
            None if given_literal => PortRole::Parameter,
            None => match &port.source {
                Source::PipelineInput { index, .. } => match scope.inputs.get(*index) {
                    Some(i) if i.data.is_none() && i.effective_type().is_none_or(DataType::is_literal) => {
                        PortRole::Parameter
                    }
                    _ => PortRole::Data,
                },
                _ => PortRole::Data,
            },
        };
        Some(port)
    }

    /// Wires control-flow jobs to their bodies, conditions and blocks.
    fn wire_control_flow(&mut self, scope: &Scope, drafts: &mut [Draft], unresolved: &mut Vec<Unresolved>) {
        for i in 0..drafts.len() {
            match drafts[i].control {
                Control::None => {}
                Control::DoWhile(dw) => {
                    if let Some(b) = drafts[i].body {
                        for (k, v) in dw.mapping.iter() {
                            self.body_port_name(scope, drafts, b, k, true, unresolved);
                            let names: Vec<Spanned<String>> = match &v.value {
                                serde_json::Value::String(s) => vec![Spanned::new(s.clone(), v.span)],
                                serde_json::Value::Array(items) => items
                                    .iter()
                                    .filter_map(|x| x.as_str().map(|s| Spanned::new(s.to_string(), v.span)))
                                    .collect(),
                                _ => Vec::new(),
                            };
                            for n in &names {
                                self.body_port_name(scope, drafts, b, n, false, unresolved);
                            }
                        }
                    }
                    if let Some(c) = &dw.condition {
                        self.condition(scope, drafts, i, c, unresolved);
                    }
                }
                Control::ParallelFor(pf) => {
                    if let Some(b) = drafts[i].body {
                        self.items(scope, drafts, b, &pf.items, unresolved);
                    }
                    if let serde_json::Value::String(s) = &pf.items.value
                        && binding::has_template(s)
                    {
                        let t = Text::new(scope.cx, s, pf.items.span);
                        self.pipeline_refs(scope, drafts, &t, unresolved);
                    }
                    for (k, v) in pf.outputs.iter() {
                        self.bind_output(scope, &mut drafts[i].step, k, v, unresolved);
                    }
                }
                Control::IfElse(ie) => {
                    self.condition(scope, drafts, i, &ie.condition, unresolved);
                    let me = drafts[i].step.key.clone();
                    let mut in_blocks: Vec<(usize, crate::source::Span)> = Vec::new();
                    for block in [&ie.true_block, &ie.false_block].into_iter().flatten() {
                        let items: Vec<&serde_json::Value> = match &block.value {
                            serde_json::Value::Array(items) => items.iter().collect(),
                            serde_json::Value::Null => Vec::new(),
                            one => vec![one],
                        };
                        let mut seen_here = Vec::new();
                        for item in items {
                            let Some(s) = item.as_str() else {
                                self.report(
                                    check::invalid_binding::RULE
                                        .at(scope.cx.file, block.span, format!("`{item}` does not name a job"))
                                        .with_help("a block names jobs as `${{parent.jobs.<job>}}`, or a list of them"),
                                );
                                continue;
                            };
                            let r = Spanned::new(s.to_string(), block.span);
                            if let Some(b) = self.job_ref(scope, drafts, &r, unresolved) {
                                if in_blocks.iter().any(|(x, _)| *x == b) && !seen_here.contains(&b) {
                                    self.report(
                                        check::invalid_value::RULE
                                            .at(
                                                scope.cx.file,
                                                block.span,
                                                format!(
                                                    "job `{}` is in both the true and the false block",
                                                    drafts[b].step.key.value
                                                ),
                                            )
                                            .with_help("a job runs in one branch: keep it in one block"),
                                    );
                                }
                                seen_here.push(b);
                                let at = Name { value: me.value.clone(), file: scope.cx.file, span: r.span };
                                drafts[b].step.run_after.push(at);
                            }
                        }
                        in_blocks.extend(seen_here.into_iter().map(|b| (b, block.span)));
                    }
                    let empty = |b: &Option<Spanned<serde_json::Value>>| {
                        b.as_ref().is_none_or(|v| {
                            v.value.is_null() || v.value.as_array().is_some_and(Vec::is_empty)
                        })
                    };
                    if empty(&ie.true_block) && empty(&ie.false_block) {
                        self.report(
                            check::missing_key::RULE
                                .at(
                                    me.file,
                                    me.span,
                                    format!(
                                        "`if_else` job `{}` has neither a true nor a false block",
                                        me.value
                                    ),
                                )
                                .with_help("add `true_block: ${{parent.jobs.<job>}}` or `false_block:`"),
                        );
                    }
                }
            }
        }
    }

    /// Resolves `${{parent.jobs.j}}`.
    fn job_ref(
        &mut self,
        scope: &Scope,
        drafts: &[Draft],
        s: &Spanned<String>,
        unresolved: &mut Vec<Unresolved>,
    ) -> Option<usize> {
        let t = Text::of(scope.cx, s);
        let mut ds = Vec::new();
        let template = t.parse(&mut ds);
        self.report_all(ds);
        let Some(e) = binding::sole_expression(&t.value, &template) else {
            self.report(
                check::invalid_binding::RULE
                    .at(t.file, t.span, format!("`{}` does not name a job", t.value))
                    .with_help("name the job as `${{parent.jobs.<job>}}`"),
            );
            return None;
        };
        let Ref::Job(j) = classify(&e) else {
            self.report(
                check::invalid_binding::RULE
                    .at(
                        t.file,
                        t.span_of(e.range.clone()),
                        format!("`{}` does not name a job", t.expr_name(&e).value),
                    )
                    .with_help("name the job as `${{parent.jobs.<job>}}`"),
            );
            return None;
        };
        let found = drafts.iter().position(|d| d.step.key.value == j.text);
        if found.is_none() {
            unresolved.push(Unresolved {
                kind: RefKind::Step,
                name: t.name(j, &e),
                candidates: drafts.iter().map(|d| d.step.key.value.clone()).collect(),
                step: None,
            });
        }
        found
    }

    /// Checks a name in a `do_while` mapping against the body's outputs (keys) or inputs.
    fn body_port_name(
        &mut self,
        _scope: &Scope,
        drafts: &[Draft],
        body: usize,
        name: &Spanned<String>,
        output: bool,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let d = &drafts[body];
        if d.open {
            return;
        }
        let known: Vec<String> = if output {
            d.step.outputs.iter().map(|p| p.name.value.clone()).collect()
        } else {
            let mut v: Vec<String> = d.step.inputs.iter().map(|p| p.name.value.clone()).collect();
            if let Some(c) = &d.step.component {
                v.extend(c.inputs.iter().map(|p| p.name.value.clone()));
            }
            v
        };
        if !known.contains(&name.value) {
            unresolved.push(Unresolved {
                kind: if output { RefKind::StepOutput } else { RefKind::StepInput },
                name: Name { value: name.value.clone(), file: d.step.key.file, span: name.span },
                candidates: known,
                step: Some(StepId(body)),
            });
        }
    }

    /// Checks the keys of `parallel_for` items against the body's inputs.
    fn items(
        &mut self,
        scope: &Scope,
        drafts: &[Draft],
        body: usize,
        items: &Spanned<serde_json::Value>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let parsed;
        let value = match &items.value {
            serde_json::Value::String(s) if !binding::has_template(s) => match serde_json::from_str(s) {
                Ok(v) => {
                    parsed = v;
                    &parsed
                }
                Err(e) => {
                    self.report(
                        check::invalid_value::RULE
                            .at(scope.cx.file, items.span, format!("`items` is not valid JSON: {e}"))
                            .with_help("write the items as a YAML list of mappings, or valid JSON text"),
                    );
                    return;
                }
            },
            v => v,
        };
        let maps: Vec<&serde_json::Map<String, serde_json::Value>> = match value {
            serde_json::Value::Array(a) => a.iter().filter_map(|x| x.as_object()).collect(),
            serde_json::Value::Object(m) => m.values().filter_map(|x| x.as_object()).collect(),
            _ => Vec::new(),
        };
        let mut seen: Vec<String> = Vec::new();
        for m in maps {
            for k in m.keys() {
                if !seen.contains(k) {
                    seen.push(k.clone());
                    self.body_port_name(
                        scope,
                        drafts,
                        body,
                        &Spanned::new(k.clone(), items.span),
                        false,
                        unresolved,
                    );
                }
            }
        }
    }

    /// A control-flow condition: a job's control output, a pipeline input, or a literal.
    fn condition(
        &mut self,
        scope: &Scope,
        drafts: &mut [Draft],
        me: usize,
        c: &Spanned<Scalar>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let Scalar::Str(s) = &c.value else { return };
        if !binding::has_template(s) {
            return;
        }
        let t = Text::new(scope.cx, s, c.span);
        let mut ds = Vec::new();
        let template = t.parse(&mut ds);
        self.report_all(ds);
        let Some(e) = binding::sole_expression(&t.value, &template) else { return };
        let at = t.expr_name(&e);
        let source = match classify(&e) {
            Ref::ParentInput(x) => parent_input(scope, x, at),
            Ref::JobOutput(j, o) => job_output(drafts, j, o, at),
            other => {
                self.report(wrong_place(&t, &e, other, "a condition"));
                return;
            }
        };
        if let Source::Unresolved(u) = &source {
            unresolved.push(u.clone());
            return;
        }
        let name = Name { value: "condition".to_string(), file: t.file, span: t.span };
        drafts[me].step.inputs.push(InputPort {
            name,
            role: PortRole::Parameter,
            ty: Some(DataType::Boolean),
            source,
            mode: None,
            optional: false,
            default: None,
            settings: JsonMap::new(),
        });
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

/// A control-flow job takes on its body's outputs (a loop's outputs are its body's), and runs
/// after the body is set up.
fn adopt_body(drafts: &mut [Draft], me: usize, body: usize, at: &Spanned<String>, scope: &Scope) {
    let outputs: Vec<OutputPort> =
        drafts[body].step.outputs.iter().map(|o| OutputPort { pipeline_output: None, ..o.clone() }).collect();
    let open = drafts[body].open;
    let body_key = drafts[body].step.key.value.clone();
    let d = &mut drafts[me];
    for o in outputs {
        if d.step.output(&o.name.value).is_none() {
            d.step.outputs.push(o);
        }
    }
    d.open |= open;
    d.step.run_after.push(Name { value: body_key, file: scope.cx.file, span: at.span });
}

/// `${{parent.inputs.x}}` as a source.
fn parent_input(scope: &Scope, x: &binding::Segment, at: Name) -> Source {
    match scope.use_input(&x.text) {
        Some(index) => Source::PipelineInput { index, at },
        None => Source::Unresolved(Unresolved {
            kind: RefKind::PipelineInput,
            name: Name { value: x.text.clone(), ..at },
            candidates: scope.inputs.iter().map(|i| i.name.value.clone()).collect(),
            step: None,
        }),
    }
}

/// `${{parent.jobs.j.outputs.o}}` as a source; outputs of jobs whose interface is not visible
/// are made as they are named.
fn job_output(drafts: &mut [Draft], j: &binding::Segment, o: &binding::Segment, at: Name) -> Source {
    let Some(step) = drafts.iter().position(|d| d.step.key.value == j.text) else {
        return Source::Unresolved(Unresolved {
            kind: RefKind::Step,
            name: Name { value: j.text.clone(), ..at },
            candidates: drafts.iter().map(|d| d.step.key.value.clone()).collect(),
            step: None,
        });
    };
    let d = &mut drafts[step];
    if d.step.output(&o.text).is_none() {
        if !d.open {
            return Source::Unresolved(Unresolved {
                kind: RefKind::StepOutput,
                name: Name { value: o.text.clone(), ..at },
                candidates: d.step.outputs.iter().map(|p| p.name.value.clone()).collect(),
                step: Some(StepId(step)),
            });
        }
        let key = d.step.key.clone();
        d.step.outputs.push(OutputPort {
            name: Name { value: o.text.clone(), file: key.file, span: key.span },
            ty: None,
            destination: None,
            datastore: None,
            mode: None,
            pipeline_output: None,
            path: None,
            settings: JsonMap::new(),
        });
    }
    Source::StepOutput { step: StepId(step), output: o.text.clone(), at }
}

/// A binding of the wrong kind for where it is written.
fn wrong_place(t: &Text, e: &binding::Expr, r: Ref, place: &str) -> crate::diagnostic::Diagnostic {
    let shown = t.expr_name(e).value;
    let (message, help) = match r {
        Ref::Invalid(why) => (format!("`{shown}` is not a binding"), why.to_string()),
        Ref::Input(x) | Ref::Output(x) => (
            format!("`{shown}` cannot be used in {place}"),
            format!(
                "`${{{{inputs.{0}}}}}` and `${{{{outputs.{0}}}}}` work in commands; here bind with `${{{{parent.inputs.{0}}}}}` or `${{{{parent.jobs.<job>.outputs.<name>}}}}`",
                x.text
            ),
        ),
        Ref::ParentOutput(_) => (
            format!("`{shown}` cannot be used in {place}"),
            "pipeline outputs are written by jobs: bind them in a job's `outputs`".to_string(),
        ),
        Ref::Job(_) => (
            format!("`{shown}` names a job, not a value"),
            "name one of its outputs: `${{parent.jobs.<job>.outputs.<name>}}`".to_string(),
        ),
        _ => (
            format!("`{shown}` cannot be used in {place}"),
            "see the v2 binding forms in docs/v2-format.md".to_string(),
        ),
    };
    check::invalid_binding::RULE.at(t.file, t.span_of(e.range.clone()), message).with_help(help)
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
