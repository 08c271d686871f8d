//! A parallel job: its component, task and mini-batch settings.

use super::*;
use crate::syntax::v2::jobs::ParallelJob;

impl Lowerer<'_> {
    /// Drafts a parallel job.
    pub(super) fn draft_parallel<'a>(
        &mut self,
        scope: &Scope,
        key: &'a Spanned<String>,
        j: &'a ParallelJob,
        node: Option<&'a Node>,
        d: &mut Draft<'a>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let cx = scope.cx;
        let resolved = self.resolve(scope, j.component.as_ref(), "parallel", |f| match f {
            ComponentFile::Parallel(c) => Some(c.as_ref()),
            _ => None,
        });
        let mut spec = ParallelSpec::default();
        let cnode = data::child(node, "component");
        match resolved {
            Resolved::Inline(c) => {
                let origin = comp::inline_origin(cx);
                self.parallel_body(d, &mut spec, cx, c, origin, cnode);
            }
            Resolved::File(path, l) => {
                if let ComponentFile::Parallel(c) = &*l.doc {
                    let origin = ComponentOrigin::File { path, file: Some(l.file) };
                    self.parallel_body(d, &mut spec, &l.cx, c, origin, Some(&l.node));
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
            spec.split = split_inputs(&c);
            d.step.templates.push(c);
        }
        retries(&mut spec, j.retry_settings.as_ref());
        if let Some(env) = &j.environment {
            d.step.environment = self.environment(cx, env, data::child(node, "environment"));
        }
        if let Some(m) = &j.mini_batch_size {
            spec.mini_batch_size = Some(m.value.to_text());
        }
        if let Some(parts::Resources {
            instance_count: Some(crate::syntax::v2::Bindable::Value(n)), ..
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
                    .with_help("add `task:` with `code`, `entry_script` and `environment`, or `component:`"),
            );
        }
        self.env_templates(&mut d.step, cx, &j.environment_variables);
        d.step.kind = StepKind::Parallel(spec);
        self.inputs_outputs(scope, d, &j.inputs, &j.outputs, node, unresolved);
        d.step.settings = passthrough(&cx.text, node, &[&READ[..], &["task", "environment"]].concat());
    }

    /// Fills a step from a parallel component.
    pub(super) fn parallel_body(
        &mut self,
        d: &mut Draft,
        spec: &mut ParallelSpec,
        cx: &LowerCtx,
        c: &crate::syntax::v2::ParallelComponent,
        origin: ComponentOrigin,
        node: Option<&Node>,
    ) {
        let component = comp::component(origin, "parallel", cx, c.common(), node);
        if let Some(node) = node {
            self.logging_level(cx, node);
            self.batch_size(cx, node);
        }
        if let Some(task) = &c.task {
            self.parallel_task(&mut d.step, spec, cx, task, data::child(node, "task"));
        }
        if let Some(input_data) = &c.input_data {
            let t = self.command(cx, input_data, &[]);
            spec.split = split_inputs(&t);
            d.step.templates.push(t);
        }
        retries(spec, c.retry_settings.as_ref());
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
    pub(super) fn parallel_task(
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
            step.invocation.set_script(script);
        }
        if let Some(args) = t.program_arguments.as_ref().or(t.args.as_ref()) {
            step.invocation.set_arguments(Arguments::Template(self.command(cx, args, &[])));
        }
        if let Some(append) = &t.append_row_to {
            let c = self.command(cx, append, &[]);
            step.templates.push(c);
        }
        if let Some(env) = &t.environment {
            step.environment = self.environment(cx, env, data::child(node, "environment"));
        }
    }
}

/// The inputs an `input_data` template names (`${{inputs.images}}`), whose files are split.
fn split_inputs(input_data: &Command) -> Vec<String> {
    input_data
        .parts
        .iter()
        .filter_map(|p| match p {
            crate::ir::CommandPart::Input(n) => Some(n.value.clone()),
            _ => None,
        })
        .collect()
}

/// The tries and timeout of a mini-batch from `retry_settings` (values given as bindings are
/// left to the defaults: they are only known when the job runs).
fn retries(spec: &mut ParallelSpec, settings: Option<&crate::syntax::v2::parts::RetrySettings>) {
    let Some(r) = settings else { return };
    let value = |b: &Option<crate::syntax::v2::Bindable<i64>>| match b {
        Some(crate::syntax::v2::Bindable::Value(n)) => u32::try_from(*n).ok(),
        _ => None,
    };
    if let Some(n) = value(&r.max_retries) {
        spec.max_tries = Some(n);
    }
    if let Some(n) = value(&r.timeout) {
        spec.timeout = Some(n);
    }
}
