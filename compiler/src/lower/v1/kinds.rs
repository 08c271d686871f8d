//! The parts of AdlaStep, AzureBatchStep, DatabricksStep, DataTransferStep and ModuleStep that
//! only their type has, with the checks the SDK's constructors make.

use std::path::Path;

use serde_json::{Map as JsonMap, Value as Json};

use super::Lowerer;
use super::data::Resolver;
use super::steps::{data_input, insert_opt, scalars};
use crate::check::{conflicting_keys, invalid_value, missing_key, transfer_endpoint, wrong_type};
use crate::diagnostic::Label;
use crate::ir::{
    DatabricksSpec, EndpointShape, ModuleRef, Name, OutputPort, Source, Step, StepKind, TransferTask,
};
use crate::source::Span;
use crate::syntax::common::Scalar;
use crate::syntax::v1::{self, StepInput};
use crate::yaml::{Map, Spanned};

impl Lowerer<'_, '_> {
    pub(super) fn adla(&mut self, s: &v1::AdlaStep, out: &mut Step, code_dir: &Path) {
        let cx = self.cx;
        out.invocation.set_script(cx.path(&s.script_name, code_dir, Some(code_dir)));
        if out.display_name.is_none() {
            out.display_name = Some(s.script_name.value.clone());
        }
        insert_opt(
            &mut out.settings,
            "degree_of_parallelism",
            s.degree_of_parallelism.as_ref().map(|d| d.value),
        );
        insert_opt(&mut out.settings, "priority", s.priority.as_ref().map(|d| d.value));
        insert_opt(&mut out.settings, "runtime_version", s.runtime_version.as_ref().map(|d| d.value.clone()));
        out.kind = StepKind::Adla;
    }

    pub(super) fn azure_batch(&mut self, s: &v1::AzureBatchStep, out: &mut Step, code_dir: &Path) {
        let cx = self.cx;
        out.invocation.set_script(cx.path(&s.executable, code_dir, Some(code_dir)));
        let st = &mut out.settings;
        insert_opt(st, "pool_id", s.pool_id.as_ref().map(|v| v.value.clone()));
        insert_opt(st, "vm_size", s.vm_size.as_ref().map(|v| v.value.clone()));
        for (k, v) in [
            ("create_pool", &s.create_pool),
            ("delete_batch_job_after_finish", &s.delete_batch_job_after_finish),
            ("delete_batch_pool_after_finish", &s.delete_batch_pool_after_finish),
            ("is_positive_exit_code_failure", &s.is_positive_exit_code_failure),
            ("run_task_as_admin", &s.run_task_as_admin),
        ] {
            insert_opt(st, k, v.as_ref().map(|v| v.value));
        }
        // The SDK's YAML reader checks `target_compute_nodes` as a boolean (one of its keys
        // listed under "boolean"): `true` means one node, and any number but 0 fails.
        if let Some(n) = &s.target_compute_nodes {
            match n.value {
                Scalar::Bool(b) => {
                    st.insert("target_compute_nodes".into(), i64::from(b).into());
                }
                Scalar::Int(0) => {
                    st.insert("target_compute_nodes".into(), 0.into());
                }
                ref other => self.sink.push(
                    wrong_type::RULE
                        .at(cx.file, n.span, format!("`target_compute_nodes` is {} {}; the SDK's YAML reader takes only `true` or `false` here", crate::suggest::article(other.type_name()), other.type_name()))
                        .with_help("the SDK checks this key as a boolean (`true`: one node); leave it out for the default of one node, or build the step in Python for more"),
                ),
            }
        }
        out.kind = StepKind::AzureBatch;
    }

    pub(super) fn databricks(
        &mut self,
        key: &Spanned<String>,
        s: &v1::DatabricksStep,
        out: &mut Step,
        code_dir: &Path,
    ) {
        let cx = self.cx;
        // Without a source directory the script has nowhere to be looked for: one mistake.
        if let Some(n) = s.python_script_name.as_ref().filter(|_| s.source_directory.is_some()) {
            out.invocation.set_script(cx.path(n, code_dir, Some(code_dir)));
        }
        if let Some(name) = &s.python_script_name
            && s.source_directory.is_none()
        {
            self.sink.push(
                missing_key::RULE
                    .at(cx.file, name.span, "`python_script_name` needs `source_directory`")
                    .with_help("add `source_directory:` naming the folder that holds the script"),
            );
        }
        self.databricks_cluster(key, s);
        self.databricks_params(s);
        let settings = databricks_settings(s);
        let text = |v: &Option<Spanned<String>>| v.as_ref().map(|v| v.value.clone());
        out.settings.extend(settings.clone());
        out.kind = StepKind::Databricks(DatabricksSpec {
            notebook_path: s.notebook_path.as_ref().map(|n| cx.name(n)),
            python_script_path: s.python_script_path.as_ref().map(|n| cx.name(n)),
            python_script_name: s.python_script_name.as_ref().map(|n| cx.name(n)),
            main_class_name: s.main_class_name.as_ref().map(|n| cx.name(n)),
            existing_cluster_id: text(&s.existing_cluster_id),
            settings,
        });
    }

    /// The cluster rules of the SDK's DatabricksStep: an existing cluster, or a new one of a
    /// fixed or an autoscaling size.
    fn databricks_cluster(&mut self, key: &Spanned<String>, s: &v1::DatabricksStep) {
        let cx = self.cx;
        let file = cx.file;
        let rc_cluster = s
            .runconfig
            .as_ref()
            .and_then(|rc| self.runconfig_info(rc))
            .is_some_and(|rc| rc.databricks_cluster);
        let cluster_keys: Vec<(&str, Span)> = [
            ("existing_cluster_id", s.existing_cluster_id.as_ref().map(|v| v.span)),
            ("spark_version", s.spark_version.as_ref().map(|v| v.span)),
            ("node_type", s.node_type.as_ref().map(|v| v.span)),
            ("instance_pool_id", s.instance_pool_id.as_ref().map(|v| v.span)),
            ("num_workers", s.num_workers.as_ref().map(|v| v.span)),
            ("min_workers", s.min_workers.as_ref().map(|v| v.span)),
            ("max_workers", s.max_workers.as_ref().map(|v| v.span)),
            ("cluster_log_dbfs_path", s.cluster_log_dbfs_path.as_ref().map(|v| v.span)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        if rc_cluster {
            if let Some((k, at)) = cluster_keys.first() {
                self.sink.push(
                    conflicting_keys::RULE
                        .at(file, *at, format!("`{k}` with a run configuration that gives the cluster"))
                        .with_help("the SDK takes the cluster from the runconfig's `environment.databricks.cluster` or from the step's keys, not both"),
                );
            }
            return;
        }
        self.permit_cluster_restart(s);
        if s.existing_cluster_id.is_some() {
            return;
        }
        self.new_cluster_size(key, s);
    }

    /// The SDK joins a Databricks step's parameters as text and fails on anything else.
    fn databricks_params(&mut self, s: &v1::DatabricksStep) {
        let cx = self.cx;
        for (k, list) in [("python_script_params", &s.python_script_params), ("jar_params", &s.jar_params)] {
            for p in list {
                let shown = super::steps::raw(cx, p.span);
                let what = match &p.value {
                    Scalar::Str(_) => match super::steps::typed_by_sdk(cx, p) {
                        Some(what) => what.to_string(),
                        None => continue,
                    },
                    other => format!("{} {}", crate::suggest::article(other.type_name()), other.type_name()),
                };
                self.sink.push(
                    wrong_type::RULE
                        .at(
                            cx.file,
                            p.span,
                            format!(
                                "`{shown}` in `{k}` is {what}; the SDK's YAML reader takes only text here"
                            ),
                        )
                        .with_help(format!("quote it: '{shown}'")),
                );
            }
        }
    }

    /// `permit_cluster_restart` is text, for an existing cluster.
    fn permit_cluster_restart(&mut self, s: &v1::DatabricksStep) {
        let cx = self.cx;
        let file = cx.file;
        if let Some(restart) = &s.permit_cluster_restart {
            if s.existing_cluster_id.is_none() {
                self.sink.push(
                    missing_key::RULE
                        .at(file, restart.span, "`permit_cluster_restart` needs `existing_cluster_id`")
                        .with_help(
                            "a new cluster is started for the run; permit restarts only of an existing one",
                        ),
                );
            }
            if !matches!(restart.value, Scalar::Str(_)) {
                self.sink.push(
                    wrong_type::RULE
                        .at(
                            file,
                            restart.span,
                            format!(
                                "`permit_cluster_restart` is {} {}; the SDK's YAML reader takes it as text",
                                crate::suggest::article(restart.value.type_name()),
                                restart.value.type_name()
                            ),
                        )
                        .with_help(format!("quote it: '{}'", super::steps::raw(cx, restart.span))),
                );
            }
        }
    }

    /// A new cluster's node type (or pool) and size (fixed or autoscaling).
    fn new_cluster_size(&mut self, key: &Spanned<String>, s: &v1::DatabricksStep) {
        let file = self.cx.file;
        if let (Some(n), Some(p)) = (&s.node_type, &s.instance_pool_id) {
            self.sink.push(
                conflicting_keys::RULE
                    .at(file, p.span, "a new cluster takes `node_type` or `instance_pool_id`, not both")
                    .with_label(Label::with_message(file, n.span, "`node_type` given here")),
            );
        }
        // `num_workers` with autoscaling bounds is the invalid-range check's.
        match (&s.num_workers, &s.min_workers, &s.max_workers) {
            (Some(_), _, _) | (None, Some(_), Some(_)) => {}
            (None, min, max) => {
                let (at, message) = match (min, max) {
                    (Some(m), None) => (m.span, "`min_workers` needs `max_workers`"),
                    (None, Some(m)) => (m.span, "`max_workers` needs `min_workers`"),
                    _ => (
                        key.span,
                        "a new Databricks cluster needs `num_workers`, or `min_workers` and `max_workers`",
                    ),
                };
                self.sink.push(
                    missing_key::RULE
                        .at(file, at, message)
                        .with_help("give `num_workers: N`, or `min_workers` and `max_workers`, or run on `existing_cluster_id`"),
                );
            }
        }
    }

    pub(super) fn data_transfer(&mut self, s: &v1::DataTransferStep, out: &mut Step, r: &Resolver) {
        let cx = self.cx;
        let source = self.single_entry("source_data_reference", &s.source_data_reference);
        let destination = self.single_entry("destination_data_reference", &s.destination_data_reference);
        let mut shapes = [None, None];
        for ((k, t), shape) in [
            ("source_reference_type", &s.source_reference_type),
            ("destination_reference_type", &s.destination_reference_type),
        ]
        .into_iter()
        .zip(&mut shapes)
        {
            let Some(t) = t else { continue };
            let lower = t.value.to_ascii_lowercase();
            if lower == "file" || lower == "directory" {
                *shape = Some(if lower == "file" { EndpointShape::File } else { EndpointShape::Directory });
                out.settings.insert(k.into(), lower.into());
            } else {
                self.sink.push(
                    invalid_value::RULE
                        .at(cx.file, t.span, format!("unknown value `{}`", t.value))
                        .with_help_opt(
                            crate::suggest::did_you_mean(&lower, &["file", "directory"])
                                .or_else(|| Some("expected `file` or `directory`".into())),
                        ),
                );
            }
        }
        let mut names = (None, None);
        if let Some((k, input)) = source {
            let mut port = data_input(cx, k, input, r);
            port.name = Name { value: "source".into(), file: cx.file, span: input.source.span };
            names.0 = Some(cx.name(&input.source));
            out.inputs.push(port);
        }
        if let Some((_, input)) = destination {
            let dest = &input.source;
            match r.data_source(dest) {
                Source::Data { .. } => {}
                Source::Unresolved(_) => {
                    // Resolved the SDK's way, a name it does not know is new PipelineData.
                    self.sink.push(
                        transfer_endpoint::RULE
                            .at(cx.file, dest.span, format!("`{}` is not a data reference; a DataTransferStep copies into a data reference", dest.value))
                            .with_help_opt(crate::suggest::did_you_mean(&dest.value, r.data_names())),
                    );
                }
                _ => self.sink.push(
                    transfer_endpoint::RULE
                        .at(cx.file, dest.span, format!("`{}` is not a data reference; the SDK copies only into a data reference", dest.value))
                        .with_help("declare the destination under `data_references` (a datastore and path) and name it here"),
                ),
            }
            out.outputs.push(OutputPort {
                name: Name { value: "destination".into(), file: cx.file, span: dest.span },
                ty: None,
                destination: None,
                datastore: None,
                mode: None,
                pipeline_output: None,
                path: None,
                settings: JsonMap::new(),
            });
            names.1 = Some(cx.name(dest));
        }
        let [source_shape, destination_shape] = shapes;
        let (source, destination) = match names {
            (Some(source), Some(destination)) => (source, destination),
            _ => (
                cx.name(&Spanned::new(String::new(), s.source_data_reference.span)),
                cx.name(&Spanned::new(String::new(), s.destination_data_reference.span)),
            ),
        };
        // The SDK's DataTransferStep overwrites what is at the destination.
        let task = TransferTask::Copy { fail_if_conflict: false };
        out.kind = StepKind::DataTransfer { source, destination, source_shape, destination_shape, task };
    }

    /// The one entry of a DataTransferStep endpoint (the SDK takes the first and ignores the rest,
    /// and fails on none).
    fn single_entry<'m>(
        &mut self,
        key: &str,
        m: &'m Spanned<Map<StepInput>>,
    ) -> Option<(&'m Spanned<String>, &'m StepInput)> {
        let file = self.cx.file;
        let mut entries = m.value.iter();
        let first = entries.next();
        if first.is_none() {
            self.sink.push(
                missing_key::RULE
                    .at(file, m.span, format!("`{key}` names nothing"))
                    .with_help(format!("write `{key}: {{<name>: {{source: <data reference>}}}}`")),
            );
        }
        if let Some((extra, _)) = entries.next() {
            self.sink.push(
                invalid_value::RULE
                    .at(
                        file,
                        extra.span,
                        format!("`{key}` has more than one entry; the SDK uses only the first"),
                    )
                    .with_help("a DataTransferStep copies one thing: keep one entry"),
            );
        }
        first
    }

    pub(super) fn module(&mut self, key: &Spanned<String>, s: &v1::ModuleStep, out: &mut Step) {
        let cx = self.cx;
        if s.name.is_none() && s.id.is_none() {
            self.sink.push(
                missing_key::RULE
                    .at(cx.file, key.span, format!("ModuleStep `{}` names no module", key.value))
                    .with_help("add `name:` (or `id:`) of the module registered in the workspace"),
            );
        }
        out.display_name = None;
        out.kind = StepKind::Module(ModuleRef {
            name: s.name.as_ref().map(|n| cx.name(n)),
            id: s.id.as_ref().map(|n| cx.name(n)),
            version: s.version.as_ref().map(|v| v.value.clone()),
        });
    }
}

/// The settings of a Databricks step the service reads and sluice passes on.
fn databricks_settings(s: &v1::DatabricksStep) -> JsonMap<String, Json> {
    let mut settings = JsonMap::new();
    let params = |v: &[Spanned<Scalar>]| Json::from(v.iter().map(|x| x.value.to_text()).collect::<Vec<_>>());
    if !s.notebook_params.is_empty() {
        settings.insert("notebook_params".into(), scalars(&s.notebook_params));
    }
    if !s.python_script_params.is_empty() {
        settings.insert("python_script_params".into(), params(&s.python_script_params));
    }
    if !s.jar_params.is_empty() {
        settings.insert("jar_params".into(), params(&s.jar_params));
    }
    let text = |v: &Option<Spanned<String>>| v.as_ref().map(|v| v.value.clone());
    insert_opt(&mut settings, "run_name", text(&s.run_name));
    insert_opt(&mut settings, "spark_version", text(&s.spark_version));
    insert_opt(&mut settings, "node_type", text(&s.node_type));
    insert_opt(&mut settings, "instance_pool_id", text(&s.instance_pool_id));
    insert_opt(&mut settings, "num_workers", s.num_workers.as_ref().map(|n| n.value));
    insert_opt(&mut settings, "min_workers", s.min_workers.as_ref().map(|n| n.value));
    insert_opt(&mut settings, "max_workers", s.max_workers.as_ref().map(|n| n.value));
    insert_opt(&mut settings, "cluster_log_dbfs_path", text(&s.cluster_log_dbfs_path));
    insert_opt(&mut settings, "timeout_seconds", s.timeout_seconds.as_ref().map(|n| n.value));
    insert_opt(
        &mut settings,
        "permit_cluster_restart",
        s.permit_cluster_restart.as_ref().map(|n| n.value.to_text()),
    );
    if !s.spark_conf.is_empty() {
        settings.insert("spark_conf".into(), scalars(&s.spark_conf));
    }
    if !s.spark_env_variables.is_empty() {
        settings.insert("spark_env_variables".into(), scalars(&s.spark_env_variables));
    }
    if !s.init_scripts.is_empty() {
        settings.insert(
            "init_scripts".into(),
            s.init_scripts.iter().map(|i| i.value.clone()).collect::<Vec<_>>().into(),
        );
    }
    settings
}
