//! One job into a draft step, by kind: its component (in place, from a file, or registered),
//! command, code, environment, outputs and the settings sluice passes on.

mod automl;
mod command;
mod data_transfer;
mod node_rules;
mod parallel;
mod pipeline;
mod spark;
mod spark_rules;
mod sweep;

use serde_json::Map as JsonMap;

use super::component::{self as comp, Target};
use super::data::{self, passthrough};
use super::pipeline::{Control, Draft, Given, Scope, output_port, text_parts};
use super::text::{Ref, Text, classify};
use super::{Loaded, Lowerer};
use crate::check;
use crate::ir::{
    Arguments, Command, Component, ComponentOrigin, Dag, Environment, Invocation, Name, ParallelSpec,
    PathRef, Pipeline, PipelineInput, PipelineOutput, RefKind, ServiceJob, Source, Step, StepKind,
    TransferTask, Unresolved,
};
use crate::lower::LowerCtx;
use crate::syntax::common::Scalar;
use crate::syntax::v2::binding;
use crate::syntax::v2::components::{CommandComponent, ComponentCommon, ComponentRef};
use crate::syntax::v2::parts::{self, ParallelTask};
use crate::syntax::v2::{ComponentFile, InputValue, Job, OutputValue};
use crate::yaml::{Map, Node, Spanned};

/// Keys of every job that lowering reads itself (the rest is passed on).
const READ: [&str; 8] =
    ["type", "name", "display_name", "description", "compute", "inputs", "outputs", "component"];

/// A component as resolved for a job.
enum Resolved<'a, C> {
    /// Written in place.
    Inline(&'a C),
    /// From a component file of the expected kind.
    File(PathRef, Loaded),
    /// Known only by reference, or a file that cannot be read (or is of another kind).
    Opaque(Box<Component>),
    /// None given: the job is written in place.
    None,
}

impl Lowerer<'_> {
    /// Drafts one job.
    pub(super) fn draft<'a>(
        &mut self,
        scope: &Scope,
        key: &'a Spanned<String>,
        job: &'a Job,
        node: Option<&'a Node>,
        unresolved: &mut Vec<Unresolved>,
    ) -> Draft<'a> {
        let cx = scope.cx;
        let mut d = Draft {
            step: blank(cx, key),
            given: Vec::new(),
            open: false,
            inline: false,
            control: Control::None,
            search_space: Vec::new(),
            body: None,
        };
        if let Some(c) = job.common() {
            d.step.display_name = c.display_name.map(|n| n.value.clone());
            d.step.description = c.description.map(str::to_string);
            d.step.compute = self.compute(scope, c.compute, unresolved);
        }
        match job {
            Job::Command(j) => self.draft_command(scope, key, j, node, &mut d, unresolved),
            Job::Sweep(j) => self.draft_sweep(scope, j, node, &mut d, unresolved),
            Job::Parallel(j) => self.draft_parallel(scope, key, j, node, &mut d, unresolved),
            Job::Spark(j) => self.draft_spark(scope, key, j, node, &mut d, unresolved),
            Job::Pipeline(j) => self.draft_pipeline(scope, key, j, node, &mut d, unresolved),
            Job::DataTransfer(j) => self.draft_data_transfer(scope, key, j, node, &mut d, unresolved),
            Job::Import(j) => self.draft_import(scope, key, j, node, &mut d, unresolved),
            Job::AutoMl(j) => self.draft_automl(scope, j, node, &mut d, unresolved),
            Job::DoWhile(j) => {
                d.step.kind = StepKind::ControlFlow("do_while".into());
                d.control = Control::DoWhile(j);
                d.step.settings = passthrough(&cx.text, node, &["type"]);
            }
            Job::ParallelFor(j) => {
                d.step.kind = StepKind::ControlFlow("parallel_for".into());
                d.control = Control::ParallelFor(j);
                d.step.settings = passthrough(&cx.text, node, &["type"]);
            }
            Job::IfElse(j) => {
                d.step.kind = StepKind::ControlFlow("if_else".into());
                d.control = Control::IfElse(j);
                d.step.settings = passthrough(&cx.text, node, &["type"]);
            }
        }
        if let Some(c) = &d.step.component
            && !matches!(job, Job::Command(_))
            && d.step.allow_reuse
        {
            d.step.allow_reuse = c.is_deterministic.unwrap_or(true);
        }
        self.node_rules(cx, key, job, node);
        d.step.environment_variables = Step::variables_of(d.step.settings.get("environment_variables"));
        d.step.service = ServiceJob::written(passthrough(&cx.text, node, &[]));
        self.scan_bindings(scope, node, unresolved);
        d
    }

    /// Resolves a job's `component` (or a sweep's `trial`), checking the kind.
    fn resolve<'a, C>(
        &mut self,
        scope: &Scope,
        r: Option<&'a Spanned<ComponentRef<C>>>,
        kind: &str,
        pick: impl Fn(&ComponentFile) -> Option<&C>,
    ) -> Resolved<'a, C>
    where
        C: ComponentCommon,
    {
        let cx = scope.cx;
        let Some(r) = r else { return Resolved::None };
        match &r.value {
            ComponentRef::Inline(c) => {
                if let Some(k) = c.common().kind
                    && k.value != kind
                {
                    self.report(
                        check::component_kind_mismatch::RULE
                            .at(cx.file, k.span, format!("a {kind} job cannot run a {} component", k.value))
                            .with_help(format!("write `type: {kind}` or leave `type` out")),
                    );
                }
                Resolved::Inline(c)
            }
            ComponentRef::Reference(s) => {
                let spanned = Spanned::new(s.clone(), r.span);
                match comp::target(cx, &spanned) {
                    Target::Registered(n) => Resolved::Opaque(Box::new(comp::registered(n, kind))),
                    Target::File(path) if kind == "parallel" && self.is_flow(cx, &path) => {
                        let mut c = comp::registered(path.raw.clone(), "flow");
                        c.origin = ComponentOrigin::File { path, file: None };
                        Resolved::Opaque(Box::new(c))
                    }
                    Target::File(path) => {
                        let loaded = self.load_component(cx, &path);
                        match loaded {
                            Some(l) if pick(&l.doc).is_some() => Resolved::File(path, l),
                            Some(l) => {
                                self.report(
                                    check::component_kind_mismatch::RULE
                                        .at(
                                            cx.file,
                                            path.raw.span,
                                            format!(
                                                "a {kind} job cannot run `{}`, a {} component",
                                                path.raw.value,
                                                l.doc.kind()
                                            ),
                                        )
                                        .with_help(format!(
                                            "use a {kind} component, or change the job's `type` to `{}`",
                                            l.doc.kind()
                                        )),
                                );
                                let mut c = comp::registered(path.raw.clone(), kind);
                                c.origin = ComponentOrigin::File { path, file: Some(l.file) };
                                Resolved::Opaque(Box::new(c))
                            }
                            None => {
                                let mut c = comp::registered(path.raw.clone(), kind);
                                c.origin = ComponentOrigin::File { path, file: None };
                                Resolved::Opaque(Box::new(c))
                            }
                        }
                    }
                }
            }
        }
    }

    /// Output ports for a component's declared outputs.
    fn outputs_from(&mut self, step: &mut Step, c: &Component) {
        for d in &c.outputs {
            if step.output(&d.name.value).is_none() {
                step.outputs.push(crate::ir::OutputPort {
                    name: d.name.clone(),
                    ty: d.ty.as_ref().map(|t| t.value),
                    destination: None,
                    datastore: None,
                    mode: d.mode,
                    pipeline_output: None,
                    path: None,
                    settings: JsonMap::new(),
                });
            }
        }
    }

    /// Records a job's inputs for resolution and binds its outputs.
    fn inputs_outputs<'a>(
        &mut self,
        scope: &Scope,
        d: &mut Draft<'a>,
        inputs: &'a Map<Spanned<InputValue>>,
        outputs: &'a Map<Spanned<OutputValue>>,
        node: Option<&'a Node>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let inputs_node = data::child(node, "inputs");
        for (k, v) in inputs.iter() {
            d.given.push(Given { key: k.clone(), value: v, node: data::child(inputs_node, &k.value) });
        }
        self.outputs(scope, d, outputs, node, unresolved);
    }

    /// Binds a job's outputs.
    fn outputs(
        &mut self,
        scope: &Scope,
        d: &mut Draft,
        outputs: &Map<Spanned<OutputValue>>,
        node: Option<&Node>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let outputs_node = data::child(node, "outputs");
        for (k, v) in outputs.iter() {
            self.bind_output(scope, &mut d.step, k, v, unresolved);
            let settings =
                passthrough(&scope.cx.text, data::child(outputs_node, &k.value), &["type", "mode", "path"]);
            if !settings.is_empty() {
                output_port(&mut d.step, scope.cx, k).settings = settings;
            }
        }
    }

    /// A command (or arguments, or another template) with its placeholders.
    pub(super) fn command(&mut self, cx: &LowerCtx, s: &Spanned<String>, search_space: &[String]) -> Command {
        let t = Text::of(cx, s);
        let mut ds = Vec::new();
        let template = t.parse(&mut ds);
        self.report_all(ds);
        for (e, _) in binding::expressions(&template) {
            match classify(e) {
                Ref::Input(_) | Ref::Output(_) => {}
                Ref::SearchSpace(p) if !search_space.is_empty() => {
                    if !search_space.contains(&p.text) {
                        self.report(
                            check::undeclared_placeholder::RULE
                                .at(
                                    t.file,
                                    t.span_of(e.range.clone()),
                                    format!("the search space has no parameter `{}`", p.text),
                                )
                                .with_help_opt(crate::suggest::did_you_mean(&p.text, search_space)),
                        );
                    }
                }
                Ref::ParentInput(x) => self.report(
                    check::invalid_binding::RULE
                        .at(
                            t.file,
                            t.span_of(e.range.clone()),
                            format!("a command cannot read `{}` directly", t.expr_name(e).value),
                        )
                        .with_help(format!(
                            "give the job an input bound to it and write `${{{{inputs.{}}}}}` in the command",
                            x.text
                        )),
                ),
                other => {
                    let (message, help) = match other {
                        Ref::Invalid(why) => {
                            (format!("`{}` is not a binding", t.expr_name(e).value), why.to_string())
                        }
                        _ => (
                            format!("`{}` cannot be used in a command", t.expr_name(e).value),
                            "commands name the job's own ports: `${{inputs.x}}`, `${{outputs.y}}`"
                                .to_string(),
                        ),
                    };
                    self.report(
                        check::invalid_binding::RULE
                            .at(t.file, t.span_of(e.range.clone()), message)
                            .with_help(help),
                    );
                }
            }
        }
        Command { text: t.value.clone(), file: t.file, parts: text_parts(&t, &template.parts) }
    }

    /// Templates in environment variable values (`${{inputs.x}}`).
    fn env_templates(&mut self, step: &mut Step, cx: &LowerCtx, vars: &Map<Spanned<Scalar>>) {
        for (_, v) in vars.iter() {
            if let Scalar::Str(s) = &v.value
                && binding::has_template(s)
            {
                let c = self.command(cx, &Spanned::new(s.clone(), v.span), &[]);
                step.templates.push(c);
            }
        }
    }

    /// An environment: a reference, or an image, conda file or build context in place.
    fn environment(
        &mut self,
        cx: &LowerCtx,
        env: &Spanned<parts::Environment>,
        node: Option<&Node>,
    ) -> Environment {
        match &env.value {
            parts::Environment::Reference(r) => {
                Environment::Reference(Name { value: r.clone(), file: cx.file, span: env.span })
            }
            parts::Environment::Inline(e) => {
                if e.image.is_none() && e.build.is_none() {
                    self.report(missing_image(cx, env.span));
                }
                let conda_file = match e.conda_file.as_ref().map(|c| (&c.value, c.span)) {
                    Some((parts::PathOrInline::Path(p), span)) if !data::is_remote(p) => {
                        Some(data::local_path(
                            cx,
                            &Spanned::new(p.clone(), span),
                            &cx.dir,
                            data::root_of(cx).as_deref(),
                        ))
                    }
                    _ => None,
                };
                let build = e
                    .build
                    .as_ref()
                    .filter(|b| !data::is_remote(&b.path.value))
                    .map(|b| data::local_path(cx, &b.path, &cx.dir, data::root_of(cx).as_deref()));
                let mut settings = passthrough(&cx.text, node, &["image", "build"]);
                if let Some(b) = data::child(node, "build") {
                    settings.extend(data::passthrough(&cx.text, Some(b), &["path"]));
                }
                Environment::Inline {
                    image: e.image.as_ref().map(|i| cx.name(i)),
                    conda_file,
                    build,
                    settings,
                }
            }
        }
    }

    /// A job's compute: a name, or `${{parent.inputs.x}}` (kept as written).
    fn compute(
        &mut self,
        scope: &Scope,
        c: Option<&Spanned<String>>,
        unresolved: &mut Vec<Unresolved>,
    ) -> Option<Name> {
        let c = c?;
        if binding::has_template(&c.value) {
            let t = Text::of(scope.cx, c);
            let mut ds = Vec::new();
            let template = t.parse(&mut ds);
            self.report_all(ds);
            for (e, _) in binding::expressions(&template) {
                match classify(e) {
                    Ref::ParentInput(x) => {
                        if scope.use_input(&x.text).is_none() {
                            unresolved.push(Unresolved {
                                kind: RefKind::PipelineInput,
                                name: t.name(x, e),
                                candidates: scope.inputs.iter().map(|i| i.name.value.clone()).collect(),
                                step: None,
                            });
                        }
                    }
                    _ => self.report(
                        check::invalid_binding::RULE
                            .at(
                                t.file,
                                t.span_of(e.range.clone()),
                                format!("`{}` cannot name a compute", t.expr_name(e).value),
                            )
                            .with_help(
                                "a compute is a name, or a pipeline input: `${{parent.inputs.<name>}}`",
                            ),
                    ),
                }
            }
        }
        Some(scope.cx.name(c))
    }

    /// Checks `${{parent.inputs.x}}` bindings in the settings sluice passes on (resources,
    /// limits, retry settings and the like may all be bound to pipeline inputs).
    fn scan_bindings(&mut self, scope: &Scope, node: Option<&Node>, unresolved: &mut Vec<Unresolved>) {
        const OWN: [&str; 17] = [
            "type",
            "inputs",
            "outputs",
            "component",
            "trial",
            "compute",
            "command",
            "args",
            "code",
            "input_data",
            "task",
            "environment_variables",
            "body",
            "condition",
            "items",
            "true_block",
            "false_block",
        ];
        let Some(node) = node else { return };
        let mut strings: Vec<&Node> = Vec::new();
        for (k, v) in node.entries() {
            if !OWN.contains(&k.key_string().as_str())
                && !matches!(k.key_string().as_str(), "training_data" | "validation_data" | "test_data")
            {
                collect_strings(v, &mut strings);
            }
        }
        for n in strings {
            let Some(s) = n.as_str() else { continue };
            let t = Text::new(scope.cx, s, n.span);
            let mut ds = Vec::new();
            let template = t.parse(&mut ds);
            self.report_all(ds);
            for (e, _) in binding::expressions(&template) {
                match classify(e) {
                    Ref::ParentInput(x) if scope.use_input(&x.text).is_none() => {
                        unresolved.push(Unresolved {
                            kind: RefKind::PipelineInput,
                            name: t.name(x, e),
                            candidates: scope.inputs.iter().map(|i| i.name.value.clone()).collect(),
                            step: None,
                        });
                    }
                    Ref::Invalid(why) => self.report(
                        check::invalid_binding::RULE
                            .at(
                                t.file,
                                t.span_of(e.range.clone()),
                                format!("`{}` is not a binding", t.expr_name(e).value),
                            )
                            .with_help(why),
                    ),
                    _ => {}
                }
            }
        }
    }
}

/// String scalars under a node.
fn collect_strings<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    match &n.value {
        crate::yaml::Value::Str(s) if binding::has_template(s) => out.push(n),
        crate::yaml::Value::Seq(items) => items.iter().for_each(|i| collect_strings(i, out)),
        crate::yaml::Value::Map(entries) => entries.iter().for_each(|(_, v)| collect_strings(v, out)),
        _ => {}
    }
}

/// A data transfer from the job's first input to its first output, named as ports
/// (`inputs.x`, `outputs.y`) so that the two never read as the same data.
fn transfer(
    cx: &LowerCtx,
    at: crate::source::Span,
    input: &str,
    output: &str,
    task: TransferTask,
) -> StepKind {
    StepKind::DataTransfer {
        source: Name { value: format!("inputs.{input}"), file: cx.file, span: at },
        destination: Name { value: format!("outputs.{output}"), file: cx.file, span: at },
        source_shape: None,
        destination_shape: None,
        task,
    }
}

/// A data transfer's task from its `task` and `data_copy_mode` as written (any case, as
/// azure-ai-ml reads them; an unknown task is reported where it is written).
fn transfer_task(task: &str, copy_mode: Option<&str>) -> TransferTask {
    match task.to_ascii_lowercase().as_str() {
        "import_data" => TransferTask::Import,
        "export_data" => TransferTask::Export,
        _ => TransferTask::Copy {
            fail_if_conflict: copy_mode.is_some_and(|m| m.eq_ignore_ascii_case("fail_if_conflict")),
        },
    }
}

/// A local `code` folder, or `None` for remote code (`azureml:`, git, web).
fn code_path(cx: &LowerCtx, code: &Spanned<String>) -> Option<PathRef> {
    (!data::is_remote(&code.value)).then(|| data::local_path(cx, code, &cx.dir, data::root_of(cx).as_deref()))
}

/// The component the service builds from a job written in place.
fn inline_component(cx: &LowerCtx, kind: &str) -> Component {
    let blank =
        comp::registered(Name { value: String::new(), file: cx.file, span: Default::default() }, kind);
    Component { interface_known: true, origin: comp::inline_origin(cx), ..blank }
}

/// A step with nothing but its key.
fn blank(cx: &LowerCtx, key: &Spanned<String>) -> Step {
    Step {
        key: cx.name(key),
        display_name: None,
        description: None,
        kind: StepKind::Command,
        compute: None,
        code: None,
        invocation: Invocation::None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        allow_reuse: true,
        hash_paths: Vec::new(),
        config_files: Vec::new(),
        run_after: Vec::new(),
        environment: Environment::Default,
        settings: JsonMap::new(),
        component: None,
        templates: Vec::new(),
        environment_variables: Vec::new(),
        service: ServiceJob::None,
    }
}

/// An empty pipeline in `file`.
pub(super) fn empty_pipeline(file: crate::source::FileId) -> Pipeline {
    Pipeline {
        file,
        name: None,
        display_name: None,
        description: None,
        experiment_name: None,
        default_compute: None,
        default_datastore: None,
        continue_on_step_failure: false,
        force_rerun: false,
        inputs: Vec::new(),
        outputs: Vec::new(),
        data: Vec::new(),
        steps: Vec::new(),
        dag: Dag::default(),
        document: None,
        unresolved: Vec::new(),
        reusable: false,
        opaque: false,
        steps_at: None,
        bound_inputs: Vec::new(),
    }
}

/// An environment written in place with neither `image` nor `build`: Azure ML cannot make one
/// (azure-ai-ml sends it, the service refuses it: "Docker image or Dockerfile is required").
fn missing_image(cx: &LowerCtx, span: crate::source::Span) -> crate::diagnostic::Diagnostic {
    check::missing_key::RULE
        .at(cx.file, span, "an environment written in place needs an `image` or a `build`")
        .with_help(
            "add `image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04` (and a `conda_file` for \
             packages), `build: {path: ./docker}`, or name a registered environment (`azureml:name:version`)",
        )
}
