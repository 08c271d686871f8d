//! Data transfer and import jobs: Data Factory copies, built-in import components.

use super::*;
use crate::syntax::v2::jobs::{DataTransferJob, ImportJob};

impl Lowerer<'_> {
    /// Drafts a data transfer job.
    pub(super) fn draft_data_transfer<'a>(
        &mut self,
        scope: &Scope,
        key: &'a Spanned<String>,
        j: &'a DataTransferJob,
        node: Option<&'a Node>,
        d: &mut Draft<'a>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let cx = scope.cx;
        let task = j.task.value.as_str();
        // azure-ai-ml lowercases the task (`Copy_Data` is `copy_data`).
        if !["copy_data", "import_data", "export_data"].contains(&task.to_ascii_lowercase().as_str()) {
            let at = j.task.span;
            self.report(
                check::invalid_value::RULE
                    .at(cx.file, at, format!("unknown data transfer task `{task}`"))
                    .with_help_opt(
                        crate::suggest::did_you_mean(task, &["copy_data", "import_data", "export_data"])
                            .or_else(|| Some("expected `copy_data`, `import_data` or `export_data`".into())),
                    ),
            );
        }
        // An import reads from its `source`, an export writes to its `sink`: the SDK requires them.
        let needs = match task.to_ascii_lowercase().as_str() {
            "import_data" => Some("source"),
            "export_data" => Some("sink"),
            _ => None,
        };
        if let Some(k) = needs.filter(|k| node.and_then(|n| n.get(k)).is_none()) {
            self.report(
                check::missing_key::RULE
                    .at(cx.file, j.task.span, format!("`{task}` needs a `{k}`"))
                    .with_help(format!(
                        "add `{k}: {{type: database, connection: azureml:<connection>, {}}}` (or `type: file_system` with a `path`)",
                        if k == "source" { "query: <SQL>" } else { "table_name: <table>" }
                    )),
            );
        }
        let resolved = self.resolve(scope, j.component.as_ref(), "data_transfer", |f| match f {
            ComponentFile::DataTransfer(c) => Some(c.as_ref()),
            _ => None,
        });
        let mut component_copy_mode = None;
        match resolved {
            Resolved::Inline(c) => {
                component_copy_mode = c.data_copy_mode.as_ref().map(|m| m.value.clone());
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
                if let ComponentFile::DataTransfer(c) = &*l.doc {
                    component_copy_mode = c.data_copy_mode.as_ref().map(|m| m.value.clone());
                }
                let origin = ComponentOrigin::File { path, file: Some(l.file) };
                let comp = comp::component(origin, "data_transfer", &l.cx, l.doc.common(), Some(&l.node));
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
        // The component's copy mode wins over the job's, as azure-ai-ml sends it.
        let mode = component_copy_mode.or_else(|| j.data_copy_mode.as_ref().map(|m| m.value.clone()));
        d.step.kind = transfer(cx, key.span, first_in, first_out, transfer_task(task, mode.as_deref()));
        self.inputs_outputs(scope, d, &j.inputs, &j.outputs, node, unresolved);
        d.step.settings = passthrough(&cx.text, node, &READ);
    }

    /// Drafts an import job (it runs a built-in component).
    pub(super) fn draft_import<'a>(
        &mut self,
        scope: &Scope,
        key: &'a Spanned<String>,
        j: &'a ImportJob,
        node: Option<&'a Node>,
        d: &mut Draft<'a>,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let cx = scope.cx;
        d.open = true;
        d.step.kind = transfer(cx, key.span, "source", "output", TransferTask::Import);
        if let Some(c) = &j.component {
            d.step.component = Some(Box::new(match comp::target(cx, c) {
                Target::Registered(n) => comp::registered(n, "import"),
                Target::File(p) => Component {
                    origin: ComponentOrigin::File { path: p, file: None },
                    ..comp::registered(cx.name(c), "import")
                },
            }));
        }
        self.inputs_outputs(scope, d, &j.inputs, &j.outputs, node, unresolved);
        d.step.settings = passthrough(&cx.text, node, &READ);
    }
}
