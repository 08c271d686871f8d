//! An AutoML job: its data bindings and outputs.

use super::*;
use crate::syntax::v2::jobs::AutoMlJob;

impl Lowerer<'_> {
    /// Drafts an AutoML job; sluice checks its bindings only.
    pub(super) fn draft_automl<'a>(
        &mut self,
        scope: &Scope,
        j: &'a AutoMlJob,
        node: Option<&'a Node>,
        d: &mut Draft<'a>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let cx = scope.cx;
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
        self.outputs(scope, d, &j.outputs, node, unresolved);
        d.step.settings = passthrough(
            &cx.text,
            node,
            &[&READ[..], &["training_data", "validation_data", "test_data"]].concat(),
        );
    }
}
