//! Checks: one rule per file, each with a stable kebab-case code. Rules about the shape of a
//! file are reported while reading it; the rest run on the IR (and on nested pipelines too).

use crate::diagnostic::{Diagnostics, Rule};
use crate::ir::{Pipeline, Source, StepKind, Unresolved, Workspace};
use crate::source::SourceMap;

/// What a pipeline check sees.
pub struct Context<'a> {
    /// The pipeline (or nested pipeline) being checked.
    pub pipeline: &'a Pipeline,
    /// The workspace it runs in.
    pub workspace: &'a Workspace,
    /// Every loaded file.
    pub sources: &'a SourceMap,
}

impl Context<'_> {
    /// Every unresolved reference in the pipeline's step inputs, and those lowering found
    /// elsewhere ([`Pipeline::unresolved`]).
    pub fn unresolved(&self) -> impl Iterator<Item = &Unresolved> {
        self.pipeline
            .steps
            .iter()
            .flat_map(|s| &s.inputs)
            .filter_map(|i| match &i.source {
                Source::Unresolved(u) => Some(u),
                _ => None,
            })
            .chain(&self.pipeline.unresolved)
    }

    /// Names that unresolved references were most likely meant to name ("did you mean"
    /// targets): such a declaration is not unused, it is misspelt at its use.
    pub fn likely_meant(&self) -> Vec<&str> {
        self.unresolved().filter_map(|u| crate::suggest::closest(&u.name.value, &u.candidates)).collect()
    }
}

macro_rules! rules {
    (
        syntax: [$($syntax:ident),* $(,)?],
        pipeline: [$($pipeline:ident),* $(,)?],
        workspace: [$($workspace:ident),* $(,)?] $(,)?
    ) => {
        $(pub mod $syntax;)*
        $(pub mod $pipeline;)*
        $(pub mod $workspace;)*

        /// Every rule sluice has, in code order.
        pub fn all_rules() -> Vec<Rule> {
            let mut rules = vec![$($syntax::RULE,)* $($pipeline::RULE,)* $($workspace::RULE,)*];
            rules.sort_by_key(|r| r.code);
            rules.dedup_by_key(|r| r.code);
            rules
        }

        fn run_pipeline_rules(cx: &Context, out: &mut Diagnostics) {
            $($pipeline::check(cx, out);)*
        }

        /// Runs the workspace rules.
        pub fn check_workspace(ws: &Workspace, sources: &SourceMap, out: &mut Diagnostics) {
            $($workspace::check_workspace(ws, sources, out);)*
        }
    };
}

rules! {
    syntax: [
        yaml_syntax, yaml_limit, duplicate_key, unknown_key, missing_key, wrong_type,
        invalid_value, unknown_format, invalid_data_reference,
        invalid_binding, unclosed_expression, unknown_setting, invalid_name,
        component_kind_mismatch, component_cycle, yaml11_value,
        ignored_key, sdk_cannot_load, deprecated_form, conflicting_keys, suspicious_value,
    ],
    pipeline: [
        unknown_step, unknown_output, unknown_data_source, unknown_parameter,
        unknown_placeholder, missing_compute, unknown_compute, compute_kind_mismatch,
        unknown_datastore, cycle, duplicate_destination, binding_type_mismatch,
        parameter_default_type, path_escapes_root, missing_file, unused_data_reference,
        unused_parameter, retired_service, databricks_target, empty_pipeline, invalid_range,
        missing_data, transfer_endpoint,
        undeclared_placeholder, undeclared_port, missing_input, unknown_input,
        literal_type_mismatch, literal_out_of_range, literal_not_in_enum,
        optional_input_in_command, missing_local_data, control_flow_in_yaml,
        special_file,
    ],
    workspace: [literal_secret, workspace_range, invalid_account_url, datastore_credentials],
}

/// Runs every pipeline rule on `pipeline` and on each pipeline nested in it.
pub fn check_pipeline(
    pipeline: &Pipeline,
    workspace: &Workspace,
    sources: &SourceMap,
    out: &mut Diagnostics,
) {
    run_pipeline_rules(&Context { pipeline, workspace, sources }, out);
    for step in &pipeline.steps {
        if let StepKind::Pipeline(sub) = &step.kind {
            check_pipeline(sub, workspace, sources, out);
        }
    }
}
