//! A pipeline job: a pipeline component run as one step, lowered as a nested pipeline.

use super::*;
use crate::syntax::v2::jobs::PipelineNode;

impl Lowerer<'_> {
    /// Drafts a pipeline job (a pipeline component run as one step).
    pub(super) fn draft_pipeline<'a>(
        &mut self,
        scope: &Scope,
        key: &'a Spanned<String>,
        j: &'a PipelineNode,
        node: Option<&'a Node>,
        d: &mut Draft<'a>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let cx = scope.cx;
        let step = self.pipeline_node_step(scope, &j.component, Some(key));
        d.open = step.component.as_ref().is_none_or(|c| !c.interface_known);
        d.step =
            Step { display_name: d.step.display_name.take(), description: d.step.description.take(), ..step };
        self.inputs_outputs(scope, d, &j.inputs, &j.outputs, node, unresolved);
        d.step.settings = passthrough(&cx.text, node, &READ);
    }

    /// A job running a pipeline component: the nested pipeline as a sub-DAG.
    pub(crate) fn pipeline_node_step(
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
        let (kind, c) = match comp::target(cx, component) {
            Target::Registered(n) => opaque(cx, comp::registered(n, "pipeline")),
            Target::File(path) => match self.load_component(cx, &path) {
                None => {
                    let mut c = comp::registered(path.raw.clone(), "pipeline");
                    c.origin = ComponentOrigin::File { path, file: None };
                    opaque(cx, c)
                }
                Some(l) => match &*l.doc {
                    ComponentFile::Pipeline(pc) => self.nested_pipeline(scope, path, &l, pc, &mut step),
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
                        opaque(cx, c)
                    }
                },
            },
        };
        step.kind = kind;
        step.allow_reuse = c.is_deterministic.unwrap_or(true);
        step.component = Some(Box::new(c));
        step
    }

    /// A pipeline component file run as a job: its jobs as a nested pipeline, or an opaque one
    /// (reported) when it contains itself.
    fn nested_pipeline(
        &mut self,
        scope: &Scope,
        path: PathRef,
        l: &Loaded,
        pc: &crate::syntax::v2::PipelineComponent,
        step: &mut Step,
    ) -> (StepKind, Component) {
        let cx = scope.cx;
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
                    .at(
                        cx.file,
                        path.raw.span,
                        format!(
                            "pipeline component `{}` uses itself: {} -> {}",
                            path.raw.value,
                            chain.join(" -> "),
                            l.cx.dir
                                .join(&path.raw.value)
                                .file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default()
                        ),
                    )
                    .with_help(
                        "a pipeline component cannot contain itself, directly or through other components",
                    ),
            );
            opaque(cx, c)
        } else {
            if let Some(p) = canonical.clone() {
                self.stack.push(p);
            }
            let sub = self.sub_pipeline(l, scope.default_compute.clone());
            if canonical.is_some() {
                self.stack.pop();
            }
            self.outputs_from(step, &c);
            (StepKind::Pipeline(Box::new(sub)), c)
        }
    }

    /// The jobs of a pipeline component as a nested pipeline.
    pub(super) fn sub_pipeline(&mut self, l: &Loaded, inherited_compute: Option<Name>) -> Pipeline {
        let ComponentFile::Pipeline(pc) = &*l.doc else { return empty_pipeline(l.file) };
        let (inputs, outputs): (Vec<PipelineInput>, Vec<PipelineOutput>) =
            crate::lower::v2::pipeline::interface(&l.cx, &l.doc, Some(&l.node));
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
    pub(crate) fn component_step(
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
                // A component on its own names no resources; its jobs do.
                d.step.kind = StepKind::Spark { serverless: false };
                self.spark_body(&mut d, cx, c, origin, Some(&l.node));
            }
            ComponentFile::DataTransfer(c) => {
                let comp = comp::component(origin, "data_transfer", cx, c.common(), Some(&l.node));
                self.outputs_from(&mut d.step, &comp);
                d.step.component = Some(Box::new(comp));
                let first_in = c.inputs.keys().next().unwrap_or("source");
                let first_out = c.outputs.keys().next().unwrap_or("sink");
                let mode = c.data_copy_mode.as_ref().map(|m| m.value.as_str());
                let task = transfer_task(&c.task.value, mode);
                d.step.kind = transfer(cx, key.span, first_in, first_out, task);
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

/// A pipeline step whose jobs sluice does not see, running this component.
fn opaque(cx: &LowerCtx, c: Component) -> (StepKind, Component) {
    let sub = Pipeline { opaque: true, ..empty_pipeline(cx.file) };
    (StepKind::Pipeline(Box::new(sub)), c)
}
