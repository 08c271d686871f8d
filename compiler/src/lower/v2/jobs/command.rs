//! A command job: its component, command, code and environment.

use super::*;
use crate::syntax::v2::jobs::CommandJob;

impl Lowerer<'_> {
    /// Drafts a command job.
    pub(super) fn draft_command<'a>(
        &mut self,
        scope: &Scope,
        key: &'a Spanned<String>,
        j: &'a CommandJob,
        node: Option<&'a Node>,
        d: &mut Draft<'a>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let cx = scope.cx;
        d.step.kind = StepKind::Command;
        let resolved = self.resolve(scope, j.component.as_ref(), "command", |f| match f {
            ComponentFile::Command(c) => Some(c.as_ref()),
            _ => None,
        });
        let cnode = data::child(node, "component");
        match resolved {
            Resolved::Inline(c) => self.command_body(d, cx, c, comp::inline_origin(cx), cnode, &[]),
            Resolved::File(path, l) => {
                if let ComponentFile::Command(c) = &*l.doc {
                    let origin = ComponentOrigin::File { path, file: Some(l.file) };
                    self.command_body(d, &l.cx, c, origin, Some(&l.node), &[]);
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
            d.step.invocation = Invocation::Command(self.command(cx, c, &[]));
        } else if d.inline {
            self.report(
                check::missing_key::RULE
                    .at(cx.file, key.span, format!("job `{}` has no `command` and no `component`", key.value))
                    .with_help("add `command:` (with `environment:`), or `component: ./component.yml`"),
            );
        }
        if let Some(code) = &j.code {
            d.step.code = code_path(cx, code);
        }
        if let Some(env) = &j.environment {
            d.step.environment = self.environment(cx, env, data::child(node, "environment"));
        }
        let written_here =
            d.inline || matches!(j.component.as_ref().map(|c| &c.value), Some(ComponentRef::Inline(_)));
        if written_here
            && matches!(d.step.invocation, Invocation::Command(_))
            && matches!(d.step.environment, Environment::Default)
        {
            self.report(
                check::missing_key::RULE
                    .at(cx.file, key.span, format!("command job `{}` has no `environment`", key.value))
                    .with_help("add `environment: azureml:<name>:<version>`, or `environment: {image: ...}`"),
            );
        }
        self.env_templates(&mut d.step, cx, &j.environment_variables);
        self.inputs_outputs(scope, d, &j.inputs, &j.outputs, node, unresolved);
        d.step.settings =
            passthrough(&cx.text, node, &[&READ[..], &["command", "code", "environment"]].concat());
    }

    /// Fills a step from a command component (also a sweep's trial).
    pub(super) fn command_body(
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
            d.step.invocation = Invocation::Command(self.command(cx, cmd, search_space));
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
}
