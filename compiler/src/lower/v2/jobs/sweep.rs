//! A sweep job: a command trial over a search space.

use super::*;
use crate::syntax::v2::jobs::SweepJob;

impl Lowerer<'_> {
    /// Drafts a sweep job: its trial is a command component.
    pub(super) fn draft_sweep<'a>(
        &mut self,
        scope: &Scope,
        j: &'a SweepJob,
        node: Option<&'a Node>,
        d: &mut Draft<'a>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let cx = scope.cx;
        d.search_space = j.search_space.keys().map(str::to_string).collect();
        d.step.kind = StepKind::Sweep { searched: d.search_space.clone() };
        let resolved = self.resolve(scope, Some(&j.trial), "command", |f| match f {
            ComponentFile::Command(c) => Some(c.as_ref()),
            _ => None,
        });
        let space = d.search_space.clone();
        match resolved {
            Resolved::Inline(c) => {
                self.command_body(d, cx, c, comp::inline_origin(cx), data::child(node, "trial"), &space)
            }
            Resolved::File(path, l) => {
                if let ComponentFile::Command(c) = &*l.doc {
                    let origin = ComponentOrigin::File { path, file: Some(l.file) };
                    self.command_body(d, &l.cx, c, origin, Some(&l.node), &space);
                }
            }
            Resolved::Opaque(c) => {
                d.open = true;
                d.step.component = Some(c);
            }
            Resolved::None => {}
        }
        self.check_search_space(d, &j.search_space);
        self.inputs_outputs(scope, d, &j.inputs, &j.outputs, node, unresolved);
        d.step.settings = passthrough(&cx.text, node, &[&READ[..], &["trial"]].concat());
    }

    /// Checks that swept parameters are inputs of the trial, and the ranges they are drawn from.
    pub(super) fn check_search_space(&mut self, d: &Draft, space: &Map<Spanned<parts::SearchSpace>>) {
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
}
