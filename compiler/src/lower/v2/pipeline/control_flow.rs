//! Control flow jobs (`do_while`, `parallel_for`, `if_else`): their bodies, items and
//! conditions wired to the jobs they name.

use super::*;

impl Lowerer<'_> {
    /// Wires control-flow jobs to their bodies, conditions and blocks.
    pub(super) fn wire_control_flow(
        &mut self,
        scope: &Scope,
        drafts: &mut [Draft],
        unresolved: &mut Vec<Unresolved>,
    ) {
        for i in 0..drafts.len() {
            match drafts[i].control {
                Control::None => {}
                Control::DoWhile(dw) => self.wire_do_while(scope, drafts, i, dw, unresolved),
                Control::ParallelFor(pf) => self.wire_parallel_for(scope, drafts, i, pf, unresolved),
                Control::IfElse(ie) => self.wire_if_else(scope, drafts, i, ie, unresolved),
            }
        }
    }

    /// A `do_while`: its mapping of body outputs to body inputs, and its condition.
    fn wire_do_while(
        &mut self,
        scope: &Scope,
        drafts: &mut [Draft],
        i: usize,
        dw: &DoWhileJob,
        unresolved: &mut Vec<Unresolved>,
    ) {
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

    /// A `parallel_for`: its items and the outputs it gathers.
    fn wire_parallel_for(
        &mut self,
        scope: &Scope,
        drafts: &mut [Draft],
        i: usize,
        pf: &ParallelForJob,
        unresolved: &mut Vec<Unresolved>,
    ) {
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

    /// An `if_else`: its condition, and the jobs of its blocks, each run after it.
    fn wire_if_else(
        &mut self,
        scope: &Scope,
        drafts: &mut [Draft],
        i: usize,
        ie: &IfElseJob,
        unresolved: &mut Vec<Unresolved>,
    ) {
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
            b.as_ref().is_none_or(|v| v.value.is_null() || v.value.as_array().is_some_and(Vec::is_empty))
        };
        if empty(&ie.true_block) && empty(&ie.false_block) {
            self.report(
                check::missing_key::RULE
                    .at(
                        me.file,
                        me.span,
                        format!("`if_else` job `{}` has neither a true nor a false block", me.value),
                    )
                    .with_help("add `true_block: ${{parent.jobs.<job>}}` or `false_block:`"),
            );
        }
    }

    /// Resolves `${{parent.jobs.j}}`.
    pub(super) fn job_ref(
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
    pub(super) fn body_port_name(
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
    pub(super) fn items(
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
    pub(super) fn condition(
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
}

/// A control-flow job takes on its body's outputs (a loop's outputs are its body's), and runs
/// after the body is set up.
pub(super) fn adopt_body(drafts: &mut [Draft], me: usize, body: usize, at: &Spanned<String>, scope: &Scope) {
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
