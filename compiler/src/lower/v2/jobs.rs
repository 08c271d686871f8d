//! One job into a draft step, by kind: its component (in place, from a file, or registered),
//! command, code, environment, outputs and the settings sluice passes on.

use serde_json::Map as JsonMap;

use super::component::{self as comp, Target};
use super::data::{self, passthrough};
use super::pipeline::{Control, Draft, Given, Scope, output_port, text_parts};
use super::text::{Ref, Text, classify};
use super::{Loaded, Lowerer};
use crate::check;
use crate::ir::{
    Command, Component, ComponentOrigin, Dag, Environment, Name, ParallelSpec, PathRef, Pipeline,
    PipelineInput, PipelineOutput, RefKind, Source, Step, StepKind, Unresolved,
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
            Job::Command(j) => {
                d.step.kind = StepKind::Command;
                let resolved = self.resolve(scope, j.component.as_ref(), "command", |f| match f {
                    ComponentFile::Command(c) => Some(c.as_ref()),
                    _ => None,
                });
                let cnode = data::child(node, "component");
                match resolved {
                    Resolved::Inline(c) => {
                        self.command_body(&mut d, cx, c, comp::inline_origin(cx), cnode, &[])
                    }
                    Resolved::File(path, l) => {
                        if let ComponentFile::Command(c) = &*l.doc {
                            let origin = ComponentOrigin::File { path, file: Some(l.file) };
                            self.command_body(&mut d, &l.cx, c, origin, Some(&l.node), &[]);
                        }
                    }
                    Resolved::Opaque(c) => {
                        d.open = true;
                        d.step.component = Some(c);
                    }
                    Resolved::None => {
                        d.inline = true;
                        d.step.component = Some(Box::new(inline_component(cx, "command")));
                    }
                }
                // What the job itself says wins over its component.
                if let Some(c) = &j.command {
                    d.step.command = Some(self.command(cx, c, &[]));
                } else if d.inline {
                    self.report(
                        check::missing_key::RULE
                            .at(
                                cx.file,
                                key.span,
                                format!("job `{}` has no `command` and no `component`", key.value),
                            )
                            .with_help(
                                "add `command:` (with `environment:`), or `component: ./component.yml`",
                            ),
                    );
                }
                if let Some(code) = &j.code {
                    d.step.code = code_path(cx, code);
                }
                if let Some(env) = &j.environment {
                    d.step.environment = self.environment(cx, env, data::child(node, "environment"));
                }
                let written_here = d.inline
                    || matches!(j.component.as_ref().map(|c| &c.value), Some(ComponentRef::Inline(_)));
                if written_here
                    && d.step.command.is_some()
                    && matches!(d.step.environment, Environment::Default)
                {
                    self.report(
                        check::missing_key::RULE
                            .at(
                                cx.file,
                                key.span,
                                format!("command job `{}` has no `environment`", key.value),
                            )
                            .with_help(
                                "add `environment: azureml:<name>:<version>`, or `environment: {image: ...}`",
                            ),
                    );
                }
                self.env_templates(&mut d.step, cx, &j.environment_variables);
                self.inputs_outputs(scope, &mut d, &j.inputs, &j.outputs, node, unresolved);
                d.step.settings =
                    passthrough(&cx.text, node, &[&READ[..], &["command", "code", "environment"]].concat());
            }
            Job::Sweep(j) => {
                d.step.kind = StepKind::Sweep;
                d.search_space = j.search_space.keys().map(str::to_string).collect();
                let resolved = self.resolve(scope, Some(&j.trial), "command", |f| match f {
                    ComponentFile::Command(c) => Some(c.as_ref()),
                    _ => None,
                });
                let space = d.search_space.clone();
                match resolved {
                    Resolved::Inline(c) => self.command_body(
                        &mut d,
                        cx,
                        c,
                        comp::inline_origin(cx),
                        data::child(node, "trial"),
                        &space,
                    ),
                    Resolved::File(path, l) => {
                        if let ComponentFile::Command(c) = &*l.doc {
                            let origin = ComponentOrigin::File { path, file: Some(l.file) };
                            self.command_body(&mut d, &l.cx, c, origin, Some(&l.node), &space);
                        }
                    }
                    Resolved::Opaque(c) => {
                        d.open = true;
                        d.step.component = Some(c);
                    }
                    Resolved::None => {}
                }
                self.check_search_space(&d, &j.search_space);
                self.inputs_outputs(scope, &mut d, &j.inputs, &j.outputs, node, unresolved);
                d.step.settings = passthrough(&cx.text, node, &[&READ[..], &["trial"]].concat());
            }
            Job::Parallel(j) => {
                let resolved = self.resolve(scope, j.component.as_ref(), "parallel", |f| match f {
                    ComponentFile::Parallel(c) => Some(c.as_ref()),
                    _ => None,
                });
                let mut spec = ParallelSpec::default();
                let cnode = data::child(node, "component");
                match resolved {
                    Resolved::Inline(c) => {
                        let origin = comp::inline_origin(cx);
                        self.parallel_body(&mut d, &mut spec, cx, c, origin, cnode);
                    }
                    Resolved::File(path, l) => {
                        if let ComponentFile::Parallel(c) = &*l.doc {
                            let origin = ComponentOrigin::File { path, file: Some(l.file) };
                            self.parallel_body(&mut d, &mut spec, &l.cx, c, origin, Some(&l.node));
                        }
                    }
                    Resolved::Opaque(c) => {
                        d.open = true;
                        d.step.component = Some(c);
                    }
                    Resolved::None => {
                        d.inline = true;
                        d.step.component = Some(Box::new(inline_component(cx, "parallel")));
                    }
                }
                if let Some(task) = &j.task {
                    self.parallel_task(&mut d.step, &mut spec, cx, task, data::child(node, "task"));
                }
                if let Some(input_data) = &j.input_data {
                    let c = self.command(cx, input_data, &[]);
                    d.step.templates.push(c);
                }
                if let Some(env) = &j.environment {
                    d.step.environment = self.environment(cx, env, data::child(node, "environment"));
                }
                if let Some(m) = &j.mini_batch_size {
                    spec.mini_batch_size = Some(m.value.to_text());
                }
                if let Some(parts::Resources {
                    instance_count: Some(crate::syntax::v2::Bindable::Value(n)),
                    ..
                }) = &j.resources
                {
                    spec.node_count = u32::try_from(*n).ok();
                }
                if let Some(crate::syntax::v2::Bindable::Value(n)) = &j.max_concurrency_per_instance {
                    spec.process_count_per_node = u32::try_from(*n).ok();
                }
                if let Some(crate::syntax::v2::Bindable::Value(n)) = &j.error_threshold {
                    spec.error_threshold = Some(*n);
                }
                if d.inline && j.task.is_none() {
                    self.report(
                        check::missing_key::RULE
                            .at(
                                cx.file,
                                key.span,
                                format!("parallel job `{}` has no `task` and no `component`", key.value),
                            )
                            .with_help(
                                "add `task:` with `code`, `entry_script` and `environment`, or `component:`",
                            ),
                    );
                }
                self.env_templates(&mut d.step, cx, &j.environment_variables);
                d.step.kind = StepKind::Parallel(spec);
                self.inputs_outputs(scope, &mut d, &j.inputs, &j.outputs, node, unresolved);
                d.step.settings =
                    passthrough(&cx.text, node, &[&READ[..], &["task", "environment"]].concat());
            }
            Job::Spark(j) => {
                d.step.kind = StepKind::Spark;
                self.spark_instance_type(cx, j.resources.as_ref());
                let resolved = self.resolve(scope, j.component.as_ref(), "spark", |f| match f {
                    ComponentFile::Spark(c) => Some(c.as_ref()),
                    _ => None,
                });
                let cnode = data::child(node, "component");
                match resolved {
                    Resolved::Inline(c) => self.spark_body(&mut d, cx, c, comp::inline_origin(cx), cnode),
                    Resolved::File(path, l) => {
                        if let ComponentFile::Spark(c) = &*l.doc {
                            let origin = ComponentOrigin::File { path, file: Some(l.file) };
                            self.spark_body(&mut d, &l.cx, c, origin, Some(&l.node));
                        }
                    }
                    Resolved::Opaque(c) => {
                        d.open = true;
                        d.step.component = Some(c);
                    }
                    Resolved::None => {
                        d.inline = true;
                        d.step.component = Some(Box::new(inline_component(cx, "spark")));
                    }
                }
                if let Some(code) = &j.code {
                    d.step.code = code_path(cx, code);
                }
                if let Some(entry) = &j.entry {
                    self.spark_entry(&mut d.step, cx, entry);
                } else if d.inline {
                    self.report(
                        check::missing_key::RULE
                            .at(
                                cx.file,
                                key.span,
                                format!("spark job `{}` has no `entry` and no `component`", key.value),
                            )
                            .with_help("add `entry: {file: main.py}` and `code:`, or `component:`"),
                    );
                }
                if let Some(args) = &j.args {
                    d.step.command = Some(self.command(cx, args, &[]));
                }
                if let Some(env) = &j.environment {
                    d.step.environment = self.environment(cx, env, data::child(node, "environment"));
                }
                self.inputs_outputs(scope, &mut d, &j.inputs, &j.outputs, node, unresolved);
                d.step.settings = passthrough(
                    &cx.text,
                    node,
                    &[&READ[..], &["code", "entry", "args", "environment"]].concat(),
                );
            }
            Job::Pipeline(j) => {
                let step = self.pipeline_node_step(scope, &j.component, Some(key));
                d.open = step.component.as_ref().is_none_or(|c| !c.interface_known);
                d.step = Step {
                    display_name: d.step.display_name.take(),
                    description: d.step.description.take(),
                    ..step
                };
                self.inputs_outputs(scope, &mut d, &j.inputs, &j.outputs, node, unresolved);
                d.step.settings = passthrough(&cx.text, node, &READ);
            }
            Job::DataTransfer(j) => {
                let task = j.task.value.as_str();
                // azure-ai-ml lowercases the task (`Copy_Data` is `copy_data`).
                if !["copy_data", "import_data", "export_data"].contains(&task.to_ascii_lowercase().as_str())
                {
                    let at = j.task.span;
                    self.report(
                        check::invalid_value::RULE
                            .at(cx.file, at, format!("unknown data transfer task `{task}`"))
                            .with_help_opt(
                                crate::suggest::did_you_mean(
                                    task,
                                    &["copy_data", "import_data", "export_data"],
                                )
                                .or_else(|| {
                                    Some("expected `copy_data`, `import_data` or `export_data`".into())
                                }),
                            ),
                    );
                }
                let resolved = self.resolve(scope, j.component.as_ref(), "data_transfer", |f| match f {
                    ComponentFile::DataTransfer(c) => Some(c.as_ref()),
                    _ => None,
                });
                match resolved {
                    Resolved::Inline(c) => {
                        let comp = comp::component(
                            comp::inline_origin(cx),
                            "data_transfer",
                            cx,
                            c.common(),
                            data::child(node, "component"),
                        );
                        self.outputs_from(&mut d.step, &comp);
                        d.step.component = Some(Box::new(comp));
                    }
                    Resolved::File(path, l) => {
                        let origin = ComponentOrigin::File { path, file: Some(l.file) };
                        let comp =
                            comp::component(origin, "data_transfer", &l.cx, l.doc.common(), Some(&l.node));
                        self.outputs_from(&mut d.step, &comp);
                        d.step.component = Some(Box::new(comp));
                    }
                    Resolved::Opaque(c) => {
                        d.open = true;
                        d.step.component = Some(c);
                    }
                    // Import and export run built-in components.
                    Resolved::None => d.open = true,
                }
                let first_in = j.inputs.keys().next().unwrap_or("source");
                let first_out = j.outputs.keys().next().unwrap_or("sink");
                d.step.kind = transfer(cx, key.span, first_in, first_out);
                self.inputs_outputs(scope, &mut d, &j.inputs, &j.outputs, node, unresolved);
                d.step.settings = passthrough(&cx.text, node, &READ);
            }
            Job::Import(j) => {
                d.open = true;
                d.step.kind = transfer(cx, key.span, "source", "output");
                if let Some(c) = &j.component {
                    d.step.component = Some(Box::new(match comp::target(cx, c) {
                        Target::Registered(n) => comp::registered(n, "import"),
                        Target::File(p) => Component {
                            origin: ComponentOrigin::File { path: p, file: None },
                            ..comp::registered(cx.name(c), "import")
                        },
                    }));
                }
                self.inputs_outputs(scope, &mut d, &j.inputs, &j.outputs, node, unresolved);
                d.step.settings = passthrough(&cx.text, node, &READ);
            }
            Job::AutoMl(j) => {
                d.step.kind = StepKind::AutoMl;
                d.open = true;
                for (name, value) in [
                    ("training_data", &j.training_data),
                    ("validation_data", &j.validation_data),
                    ("test_data", &j.test_data),
                ] {
                    if let Some(v) = value {
                        d.given.push(Given {
                            key: Spanned::new(name.to_string(), v.span),
                            value: v,
                            node: data::child(node, name),
                        });
                    }
                }
                self.outputs(scope, &mut d, &j.outputs, node, unresolved);
                d.step.settings = passthrough(
                    &cx.text,
                    node,
                    &[&READ[..], &["training_data", "validation_data", "test_data"]].concat(),
                );
            }
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
        d.step.written = passthrough(&cx.text, node, &[]);
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

    /// Fills a step from a command component (also a sweep's trial).
    fn command_body(
        &mut self,
        d: &mut Draft,
        cx: &LowerCtx,
        c: &CommandComponent,
        origin: ComponentOrigin,
        node: Option<&Node>,
        search_space: &[String],
    ) {
        let inline = matches!(origin, ComponentOrigin::Inline { .. });
        let component = comp::component(origin, "command", cx, c.common(), node);
        if let Some(cmd) = &c.command {
            d.step.command = Some(self.command(cx, cmd, search_space));
            if c.environment.is_none() && !inline {
                self.report(
                    check::missing_key::RULE
                        .at(
                            cx.file,
                            cx.key_before(cmd.span, "command"),
                            "a command component needs an `environment`",
                        )
                        .with_help(
                            "add `environment: azureml:<name>:<version>`, or `environment: {image: ...}`",
                        ),
                );
            }
        }
        if let Some(code) = &c.code {
            d.step.code = code_path(cx, code);
        }
        if let Some(env) = &c.environment {
            d.step.environment = self.environment(cx, env, data::child(node, "environment"));
        }
        for inc in &c.additional_includes {
            d.step.hash_paths.push(data::local_path(cx, inc, &cx.dir, None));
        }
        self.outputs_from(&mut d.step, &component);
        d.step.component = Some(Box::new(component));
    }

    /// Fills a step from a parallel component.
    fn parallel_body(
        &mut self,
        d: &mut Draft,
        spec: &mut ParallelSpec,
        cx: &LowerCtx,
        c: &crate::syntax::v2::ParallelComponent,
        origin: ComponentOrigin,
        node: Option<&Node>,
    ) {
        let component = comp::component(origin, "parallel", cx, c.common(), node);
        if let Some(task) = &c.task {
            self.parallel_task(&mut d.step, spec, cx, task, data::child(node, "task"));
        }
        if let Some(input_data) = &c.input_data {
            let t = self.command(cx, input_data, &[]);
            d.step.templates.push(t);
        }
        if let Some(m) = &c.mini_batch_size {
            spec.mini_batch_size = Some(m.value.to_text());
        }
        if let Some(crate::syntax::v2::Bindable::Value(n)) = &c.max_concurrency_per_instance {
            spec.process_count_per_node = u32::try_from(*n).ok();
        }
        if let Some(crate::syntax::v2::Bindable::Value(n)) = &c.error_threshold {
            spec.error_threshold = Some(*n);
        }
        self.outputs_from(&mut d.step, &component);
        d.step.component = Some(Box::new(component));
    }

    /// A parallel task: code, entry script, arguments, output to append to, environment.
    fn parallel_task(
        &mut self,
        step: &mut Step,
        spec: &mut ParallelSpec,
        cx: &LowerCtx,
        t: &ParallelTask,
        node: Option<&Node>,
    ) {
        if !["run_function", "function", "model"].contains(&t.ty.value.as_str()) {
            self.report(
                check::invalid_value::RULE
                    .at(cx.file, t.ty.span, format!("unknown parallel task type `{}`", t.ty.value))
                    .with_help_opt(
                        crate::suggest::did_you_mean(&t.ty.value, &["run_function", "function", "model"])
                            .or_else(|| Some("expected `run_function`, `function` or `model`".into())),
                    ),
            );
        }
        if let Some(code) = &t.code {
            step.code = code_path(cx, code);
        }
        let code_dir = step.code.as_ref().map(PathRef::resolved).unwrap_or_else(|| cx.dir.clone());
        if let Some(entry) = &t.entry_script {
            let script = data::local_path(cx, entry, &code_dir, Some(&code_dir));
            spec.entry_script = Some(script.clone());
            step.script = Some(script);
        }
        if let Some(args) = t.program_arguments.as_ref().or(t.args.as_ref()) {
            step.command = Some(self.command(cx, args, &[]));
        }
        if let Some(append) = &t.append_row_to {
            let c = self.command(cx, append, &[]);
            step.templates.push(c);
        }
        if let Some(env) = &t.environment {
            step.environment = self.environment(cx, env, data::child(node, "environment"));
        }
    }

    /// Fills a step from a Spark component.
    fn spark_body(
        &mut self,
        d: &mut Draft,
        cx: &LowerCtx,
        c: &crate::syntax::v2::SparkComponent,
        origin: ComponentOrigin,
        node: Option<&Node>,
    ) {
        let component = comp::component(origin, "spark", cx, c.common(), node);
        if let Some(code) = &c.code {
            d.step.code = code_path(cx, code);
        }
        if let Some(entry) = &c.entry {
            self.spark_entry(&mut d.step, cx, entry);
        }
        if let Some(args) = &c.args {
            d.step.command = Some(self.command(cx, args, &[]));
        }
        if let Some(env) = &c.environment {
            d.step.environment = self.environment(cx, env, data::child(node, "environment"));
        }
        self.outputs_from(&mut d.step, &component);
        d.step.component = Some(Box::new(component));
    }

    /// A Spark job's instance type must be one azure-ai-ml accepts (it refuses the file
    /// otherwise); any case does.
    fn spark_instance_type(&mut self, cx: &LowerCtx, resources: Option<&parts::Resources>) {
        let Some(t) = resources.and_then(|r| r.instance_type.as_ref()) else { return };
        let lower = t.value.to_lowercase();
        if binding::has_template(&t.value) || crate::ir::SPARK_INSTANCE_TYPES.contains(&lower.as_str()) {
            return;
        }
        self.report(
            check::invalid_value::RULE
                .at(
                    cx.file,
                    t.span,
                    format!("`{}` is not a Spark instance type azure-ai-ml accepts", t.value),
                )
                .with_help(format!(
                    "use one of {}",
                    crate::suggest::list_names(&crate::ir::SPARK_INSTANCE_TYPES, 5)
                )),
        );
    }

    fn spark_entry(&mut self, step: &mut Step, cx: &LowerCtx, entry: &parts::SparkEntry) {
        match (&entry.file, &entry.class_name) {
            (Some(f), None) => {
                let code_dir = step.code.as_ref().map(PathRef::resolved).unwrap_or_else(|| cx.dir.clone());
                step.script = Some(data::local_path(cx, f, &code_dir, Some(&code_dir)));
            }
            (None, Some(_)) => {}
            (Some(_), Some(c)) => self.report(
                check::invalid_value::RULE
                    .at(cx.file, c.span, "a Spark entry is a `file` or a `class_name`, not both")
                    .with_help("keep one of them"),
            ),
            (None, None) => {}
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

    /// Checks that swept parameters are inputs of the trial, and the ranges they are drawn from.
    fn check_search_space(&mut self, d: &Draft, space: &Map<Spanned<parts::SearchSpace>>) {
        let Some(c) = d.step.component.as_ref().filter(|c| c.interface_known) else { return };
        for (k, v) in space.iter() {
            if c.input(&k.value).is_none() {
                let names: Vec<&str> = c.inputs.iter().map(|p| p.name.value.as_str()).collect();
                self.report(
                    check::undeclared_port::RULE
                        .at(d.step.key.file, k.span, format!("the trial has no input `{}` to sweep", k.value))
                        .with_help_opt(crate::suggest::did_you_mean(&k.value, &names).or_else(|| {
                            Some(format!(
                                "{} declares {}",
                                c.describe(),
                                crate::suggest::list_names(&names, 8)
                            ))
                        })),
                );
            }
            if let parts::SearchSpace::Uniform(r) | parts::SearchSpace::LogUniform(r) = &v.value
                && r.min_value.value > r.max_value.value
            {
                self.report(
                    check::invalid_range::RULE
                        .at(
                            d.step.key.file,
                            r.min_value.span,
                            format!(
                                "`min_value` {} is above `max_value` {}",
                                r.min_value.value, r.max_value.value
                            ),
                        )
                        .with_help("swap them"),
                );
            }
        }
    }

    /// A job running a pipeline component: the nested pipeline as a sub-DAG.
    pub(super) fn pipeline_node_step(
        &mut self,
        scope: &Scope,
        component: &Spanned<String>,
        key: Option<&Spanned<String>>,
    ) -> Step {
        let cx = scope.cx;
        let key_name = key.cloned().unwrap_or_else(|| {
            Spanned::new(
                std::path::Path::new(&component.value)
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("component")
                    .to_string(),
                component.span,
            )
        });
        let mut step = blank(cx, &key_name);
        let opaque = |c: Component| {
            let sub = Pipeline { opaque: true, ..empty_pipeline(cx.file) };
            (StepKind::Pipeline(Box::new(sub)), c)
        };
        let (kind, c) = match comp::target(cx, component) {
            Target::Registered(n) => opaque(comp::registered(n, "pipeline")),
            Target::File(path) => match self.load_component(cx, &path) {
                None => {
                    let mut c = comp::registered(path.raw.clone(), "pipeline");
                    c.origin = ComponentOrigin::File { path, file: None };
                    opaque(c)
                }
                Some(l) => match &*l.doc {
                    ComponentFile::Pipeline(pc) => {
                        let origin = ComponentOrigin::File { path: path.clone(), file: Some(l.file) };
                        let c = comp::component(origin, "pipeline", &l.cx, pc.common(), Some(&l.node));
                        let canonical = std::fs::canonicalize(&self.session.sources().get(l.file).path).ok();
                        if canonical.as_ref().is_some_and(|p| self.stack.contains(p)) {
                            let chain: Vec<String> = self
                                .stack
                                .iter()
                                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                                .collect();
                            self.report(
                                check::component_cycle::RULE
                                    .at(cx.file, path.raw.span, format!(
                                        "pipeline component `{}` uses itself: {} -> {}",
                                        path.raw.value,
                                        chain.join(" -> "),
                                        l.cx.dir.join(&path.raw.value).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
                                    ))
                                    .with_help("a pipeline component cannot contain itself, directly or through other components"),
                            );
                            opaque(c)
                        } else {
                            if let Some(p) = canonical.clone() {
                                self.stack.push(p);
                            }
                            let sub = self.sub_pipeline(&l, scope.default_compute.clone());
                            if canonical.is_some() {
                                self.stack.pop();
                            }
                            self.outputs_from(&mut step, &c);
                            (StepKind::Pipeline(Box::new(sub)), c)
                        }
                    }
                    other => {
                        self.report(
                            check::component_kind_mismatch::RULE
                                .at(
                                    cx.file,
                                    path.raw.span,
                                    format!(
                                        "a pipeline job cannot run `{}`, a {} component",
                                        path.raw.value,
                                        other.kind()
                                    ),
                                )
                                .with_help(format!("change the job's `type` to `{}`", other.kind())),
                        );
                        let mut c = comp::registered(path.raw.clone(), "pipeline");
                        c.origin = ComponentOrigin::File { path, file: Some(l.file) };
                        opaque(c)
                    }
                },
            },
        };
        step.kind = kind;
        step.allow_reuse = c.is_deterministic.unwrap_or(true);
        step.component = Some(Box::new(c));
        step
    }

    /// The jobs of a pipeline component as a nested pipeline.
    fn sub_pipeline(&mut self, l: &Loaded, inherited_compute: Option<Name>) -> Pipeline {
        let ComponentFile::Pipeline(pc) = &*l.doc else { return empty_pipeline(l.file) };
        let (inputs, outputs): (Vec<PipelineInput>, Vec<PipelineOutput>) =
            super::pipeline::interface(&l.cx, &l.doc, Some(&l.node));
        let mut unresolved = Vec::new();
        let (steps, bound_inputs) = {
            let scope = Scope::new(&l.cx, &inputs, &outputs, inherited_compute.clone());
            let steps =
                self.lower_jobs(&scope, &pc.jobs, data::child(Some(&l.node), "jobs"), &mut unresolved);
            (steps, scope.used.take())
        };
        let dag = Dag::build(&steps);
        Pipeline {
            file: l.file,
            name: pc.name.as_ref().map(|n| l.cx.name(n)),
            display_name: pc.display_name.as_ref().map(|d| d.value.clone()),
            description: pc.description.clone(),
            default_compute: inherited_compute,
            inputs,
            outputs,
            steps,
            dag,
            unresolved,
            bound_inputs,
            ..empty_pipeline(l.file)
        }
    }

    /// The one step of a standalone component check: the component with every declared input
    /// bound to the pipeline input of the same name.
    pub(super) fn component_step(
        &mut self,
        scope: &Scope,
        key: Name,
        l: &Loaded,
        origin: ComponentOrigin,
    ) -> Step {
        let cx = &l.cx;
        let key_s = Spanned::new(key.value.clone(), key.span);
        let mut d = Draft {
            step: blank(cx, &key_s),
            given: Vec::new(),
            open: false,
            inline: false,
            control: Control::None,
            search_space: Vec::new(),
            body: None,
        };
        let mut spec = ParallelSpec::default();
        match &*l.doc {
            ComponentFile::Command(c) => {
                d.step.kind = StepKind::Command;
                self.command_body(&mut d, cx, c, origin, Some(&l.node), &[]);
                if c.command.is_none() {
                    self.report(
                        check::missing_key::RULE
                            .at(cx.file, key.span, "a command component needs `command`")
                            .with_help("add `command:`"),
                    );
                }
            }
            ComponentFile::Parallel(c) => {
                self.parallel_body(&mut d, &mut spec, cx, c, origin, Some(&l.node));
                d.step.kind = StepKind::Parallel(spec);
            }
            ComponentFile::Spark(c) => {
                d.step.kind = StepKind::Spark;
                self.spark_body(&mut d, cx, c, origin, Some(&l.node));
            }
            ComponentFile::DataTransfer(c) => {
                let comp = comp::component(origin, "data_transfer", cx, c.common(), Some(&l.node));
                self.outputs_from(&mut d.step, &comp);
                d.step.component = Some(Box::new(comp));
                let first_in = c.inputs.keys().next().unwrap_or("source");
                let first_out = c.outputs.keys().next().unwrap_or("sink");
                d.step.kind = transfer(cx, key.span, first_in, first_out);
            }
            ComponentFile::Pipeline(_) => {}
        }
        d.step.allow_reuse = d.step.component.as_ref().and_then(|c| c.is_deterministic).unwrap_or(true);
        let decls: Vec<crate::ir::PortDecl> =
            d.step.component.as_ref().map(|c| c.inputs.clone()).unwrap_or_default();
        for decl in decls {
            let Some(index) = scope.inputs.iter().position(|i| i.name.value == decl.name.value) else {
                continue;
            };
            d.step.inputs.push(crate::ir::InputPort {
                name: decl.name.clone(),
                role: if decl.ty.as_ref().is_some_and(|t| t.value.is_literal()) {
                    crate::ir::PortRole::Parameter
                } else {
                    crate::ir::PortRole::Data
                },
                ty: decl.ty.as_ref().map(|t| t.value),
                source: Source::PipelineInput { index, at: decl.name.clone() },
                mode: decl.mode,
                optional: decl.optional,
                default: decl.default.clone(),
                settings: JsonMap::new(),
            });
        }
        d.step
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
fn transfer(cx: &LowerCtx, at: crate::source::Span, input: &str, output: &str) -> StepKind {
    StepKind::DataTransfer {
        source: Name { value: format!("inputs.{input}"), file: cx.file, span: at },
        destination: Name { value: format!("outputs.{output}"), file: cx.file, span: at },
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
        script: None,
        command: None,
        arguments: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        allow_reuse: true,
        hash_paths: Vec::new(),
        run_after: Vec::new(),
        environment: Environment::Default,
        settings: JsonMap::new(),
        component: None,
        templates: Vec::new(),
        written: JsonMap::new(),
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
        settings: JsonMap::new(),
        unresolved: Vec::new(),
        reusable: false,
        opaque: false,
        steps_at: None,
        bound_inputs: Vec::new(),
    }
}
