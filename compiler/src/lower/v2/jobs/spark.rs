//! A Spark job: its component, entry, arguments and instance type.

use super::spark_rules::At;
use super::*;
use crate::syntax::v2::jobs::SparkJob;

impl Lowerer<'_> {
    /// Drafts a Spark job.
    pub(super) fn draft_spark<'a>(
        &mut self,
        scope: &Scope,
        key: &'a Spanned<String>,
        j: &'a SparkJob,
        node: Option<&'a Node>,
        d: &mut Draft<'a>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let cx = scope.cx;
        d.step.kind = StepKind::Spark { serverless: j.resources.is_some() };
        self.spark_instance_type(cx, j.resources.as_ref());
        let resolved = self.resolve(scope, j.component.as_ref(), "spark", |f| match f {
            ComponentFile::Spark(c) => Some(c.as_ref()),
            _ => None,
        });
        let cnode = data::child(node, "component");
        let job = node.map(|node| At { cx, node });
        match resolved {
            Resolved::Inline(c) => {
                self.spark_body(d, cx, c, comp::inline_origin(cx), cnode);
                self.spark_rules(key, job, cnode.map(|node| At { cx, node }));
            }
            Resolved::File(path, l) => {
                if let ComponentFile::Spark(c) = &*l.doc {
                    let origin = ComponentOrigin::File { path, file: Some(l.file) };
                    self.spark_body(d, &l.cx, c, origin, Some(&l.node));
                    self.spark_rules(key, job, Some(At { cx: &l.cx, node: &l.node }));
                }
            }
            Resolved::Opaque(c) => {
                d.open = true;
                d.step.component = Some(c);
                self.spark_rules(key, job, None);
            }
            Resolved::None => {
                d.inline = true;
                d.step.component = Some(Box::new(inline_component(cx, "spark")));
                self.spark_rules(key, job, job);
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
            d.step.invocation.set_arguments(Arguments::Template(self.command(cx, args, &[])));
        }
        if let Some(env) = &j.environment {
            d.step.environment = self.environment(cx, env, data::child(node, "environment"));
        }
        self.inputs_outputs(scope, d, &j.inputs, &j.outputs, node, unresolved);
        d.step.settings =
            passthrough(&cx.text, node, &[&READ[..], &["code", "entry", "args", "environment"]].concat());
    }

    /// Fills a step from a Spark component.
    pub(super) fn spark_body(
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
            d.step.invocation.set_arguments(Arguments::Template(self.command(cx, args, &[])));
        }
        if let Some(env) = &c.environment {
            d.step.environment = self.environment(cx, env, data::child(node, "environment"));
        }
        self.outputs_from(&mut d.step, &component);
        d.step.component = Some(Box::new(component));
    }

    /// A Spark job's instance type must be one azure-ai-ml accepts (it refuses the file
    /// otherwise); any case does.
    pub(super) fn spark_instance_type(&mut self, cx: &LowerCtx, resources: Option<&parts::Resources>) {
        let Some(t) = resources.and_then(|r| r.instance_type.as_ref()) else { return };
        let lower = t.value.to_lowercase();
        if binding::has_template(&t.value) || crate::ir::spark::INSTANCE_TYPES.contains(&lower.as_str()) {
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
                    crate::suggest::list_names(&crate::ir::spark::INSTANCE_TYPES, 5)
                )),
        );
    }

    pub(super) fn spark_entry(&mut self, step: &mut Step, cx: &LowerCtx, entry: &parts::SparkEntry) {
        match (&entry.file, &entry.class_name) {
            (Some(f), None) => {
                let code_dir = step.code.as_ref().map(PathRef::resolved).unwrap_or_else(|| cx.dir.clone());
                step.invocation.set_script(data::local_path(cx, f, &code_dir, Some(&code_dir)));
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
}
