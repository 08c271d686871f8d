//! Job inputs resolved once every job is drafted: literals, pipeline inputs, other jobs'
//! outputs and inputs, with the diagnostics of what does not resolve.

use super::*;

impl Lowerer<'_> {
    /// Resolves every given input into an input port.
    pub(super) fn resolve_inputs(
        &mut self,
        scope: &Scope,
        drafts: &mut [Draft],
        unresolved: &mut Vec<Unresolved>,
    ) {
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
    pub(super) fn job_input_source(&self, drafts: &[Draft], d: &Deferred) -> Option<Source> {
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
    pub(super) fn input_port(
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
            InputValue::Spec(spec) => self.spec_input(cx, g, spec, &mut port, &mut given_literal),
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
                                self.unknown_search_parameter(&t, &e, &p.text, &known);
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
                    self.template_sources(scope, drafts, &t, &template, unresolved);
                    port.source = Source::Literal(Spanned::new(Literal::Str(t.value.clone()), t.span));
                    given_literal = true;
                }
            }
        }
        port.role = input_role(scope, decl_ty, given_literal, &port.source);
        Some(port)
    }
    /// Reports a `${{search_space.p}}` naming no parameter of the sweep's search space.
    fn unknown_search_parameter(&mut self, t: &Text, e: &binding::Expr, name: &str, known: &[String]) {
        self.report(
            check::invalid_binding::RULE
                .at(t.file, t.span_of(e.range.clone()), format!("the search space has no parameter `{name}`"))
                .with_help_opt(crate::suggest::did_you_mean(name, known).or_else(|| {
                    Some(format!("the search space has {}", crate::suggest::list_names(known, 8)))
                })),
        );
    }

    /// Resolves the expressions of a text input (text around expressions), keeping what does
    /// not resolve for the checks.
    fn template_sources(
        &mut self,
        scope: &Scope,
        drafts: &mut [Draft],
        t: &Text,
        template: &binding::Template,
        unresolved: &mut Vec<Unresolved>,
    ) {
        for (e, _) in binding::expressions(template) {
            let at = t.expr_name(e);
            let src = match classify(e) {
                Ref::ParentInput(x) => parent_input(scope, x, at),
                Ref::JobOutput(j, o) => job_output(drafts, j, o, at),
                Ref::Macro | Ref::JobInput(..) | Ref::SearchSpace(_) => Source::None,
                other => {
                    self.report(wrong_place(t, e, other, "a job's input"));
                    Source::None
                }
            };
            if let Source::Unresolved(u) = src {
                unresolved.push(u);
            }
        }
    }
}

/// Whether an input is a parameter or data: as declared, else as given (a literal is a
/// parameter), else as the pipeline input it binds to is.
fn input_role(scope: &Scope, decl_ty: Option<DataType>, given_literal: bool, source: &Source) -> PortRole {
    match decl_ty {
        Some(t) if t.is_literal() => PortRole::Parameter,
        Some(_) => PortRole::Data,
        None if given_literal => PortRole::Parameter,
        None => match source {
            Source::PipelineInput { index, .. } => match scope.inputs.get(*index) {
                Some(i) if i.data.is_none() && i.effective_type().is_none_or(DataType::is_literal) => {
                    PortRole::Parameter
                }
                _ => PortRole::Data,
            },
            _ => PortRole::Data,
        },
    }
}

/// `${{parent.inputs.x}}` as a source.
pub(super) fn parent_input(scope: &Scope, x: &binding::Segment, at: Name) -> Source {
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
pub(super) fn job_output(
    drafts: &mut [Draft],
    j: &binding::Segment,
    o: &binding::Segment,
    at: Name,
) -> Source {
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
pub(super) fn wrong_place(t: &Text, e: &binding::Expr, r: Ref, place: &str) -> crate::diagnostic::Diagnostic {
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

impl Lowerer<'_> {
    /// An input given as a mapping (`type`, `mode`, `path` or `value`): its settings, and its
    /// source unless it is a binding (returned, to be resolved as one); a mode azure-ai-ml
    /// refuses is reported.
    fn spec_input<'t>(
        &mut self,
        cx: &LowerCtx,
        g: &'t Given,
        spec: &'t crate::syntax::v2::InputSpec,
        port: &mut InputPort,
        given_literal: &mut bool,
    ) -> Option<Text> {
        self.refuse_mode(cx, spec.mode.as_ref(), spec.ty.as_ref(), false);
        port.settings = passthrough(&cx.text, g.node, &[]);
        if let Some(m) = &spec.mode {
            port.mode = data::mode(m.value, false);
        }
        if port.ty.is_none() {
            port.ty = spec.ty.as_ref().map(|t| data::data_type(t.value));
        }
        if let Some(value) = &spec.value {
            port.source = Source::Literal(data::spanned_literal(value));
            *given_literal = true;
            None
        } else if let Some(path) = &spec.path {
            if binding::has_template(&path.value)
                && binding::sole_expression(&path.value, &binding::parse(&path.value).0).is_some()
            {
                Some(Text::of(cx, path))
            } else {
                port.source = Source::Location(data::location(cx, path, data::root_of(cx).as_deref()));
                None
            }
        } else {
            None
        }
    }
}
