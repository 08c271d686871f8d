//! ParallelRunStep: its configuration file and the checks of the SDK's `ParallelRunConfig` and
//! `ParallelRunStep` constructors.

use serde_json::Map as JsonMap;

use super::Lowerer;
use super::config::LoadedParallel;
use super::data::Resolver;
use super::steps::insert_opt;
use crate::check::{binding_type_mismatch, invalid_value, missing_key, sdk_cannot_load};
use crate::ir::{Arg, DataLocation, Environment, InputPort, ParallelSpec, PortRole, Source, Step, StepKind};
use crate::syntax::v1::parallel_run_config::ParallelRunConfig;
use crate::syntax::v1::{self, StepOutput};
use crate::yaml::Spanned;

/// Arguments a ParallelRunStep passes itself; the SDK refuses them from the user.
const RESERVED: [&str; 12] = [
    "mini_batch_size",
    "error_threshold",
    "allowed_failed_count",
    "allowed_failed_percent",
    "output",
    "output_action",
    "logging_level",
    "process_count_per_node",
    "run_invocation_timeout",
    "run_max_try",
    "append_row_file_name",
    "partition_keys",
];

impl Lowerer<'_, '_> {
    /// A ParallelRunStep: its configuration file, inputs, arguments, side inputs and output.
    pub(super) fn parallel_run(
        &mut self,
        key: &Spanned<String>,
        s: &v1::ParallelRunStep,
        out: &mut Step,
        r: &Resolver,
    ) {
        let cx = self.cx;
        out.kind = StepKind::Parallel(ParallelSpec::default());
        // The step's own compute and runconfig play no part: the configuration says both.
        out.compute = None;
        out.environment = Environment::Default;
        let config_path = cx.path(&s.parallel_run_config, &cx.dir, Some(&cx.root));
        out.config_files.push(config_path);
        if let Some(config) = self.parallel_config(&s.parallel_run_config) {
            self.lower_parallel_config(s, out, &config);
        } else {
            out.compute = self.parallel_compute(&s.parallel_run_config);
        }
        self.parallel_inputs(key, s, out, r);
        self.parallel_arguments(out);
        self.parallel_side_inputs_and_outputs(key, s, out, r);
    }

    /// What a loaded parallel run configuration gives the step: compute, code folder, entry
    /// script, settings, environment.
    fn lower_parallel_config(&self, s: &v1::ParallelRunStep, out: &mut Step, config: &LoadedParallel) {
        let cx = self.cx;
        let c = &config.config;
        out.compute = Some(config.name(&c.compute_target_name));
        if let Some(d) = &c.source_directory {
            // Relative to the pipeline's folder, as the SDK resolves it from the working folder.
            out.code = Some(cx.path(
                &Spanned::new(d.value.clone(), s.parallel_run_config.span),
                &cx.dir,
                Some(&cx.root),
            ));
        }
        let code_dir = out.code.as_ref().map(|c| c.resolved()).unwrap_or_else(|| cx.dir.clone());
        let script = c.entry_script.as_ref().map(|e| {
            let mut p = cx.path(
                &Spanned::new(e.value.clone(), s.parallel_run_config.span),
                &code_dir,
                Some(&code_dir),
            );
            p.raw = config.name(e);
            p
        });
        if let Some(code) = &mut out.code
            && let Some(d) = &c.source_directory
        {
            code.raw = config.name(d);
        }
        if let Some(script) = &script {
            out.invocation.set_script(script.clone());
        }
        let spec = ParallelSpec {
            entry_script: script,
            mini_batch_size: c.mini_batch_size.as_ref().map(|m| m.value.to_text()),
            node_count: u32::try_from(c.node_count.value).ok(),
            process_count_per_node: c
                .process_count_per_node
                .as_ref()
                .and_then(|n| u32::try_from(n.value).ok()),
            error_threshold: Some(c.error_threshold.value),
            output_action: Some(c.output_action.value.as_str().to_string()),
            split: Vec::new(),
            max_tries: c.run_max_try.as_ref().and_then(|n| u32::try_from(n.value).ok()),
            timeout: c.run_invocation_timeout.as_ref().and_then(|n| u32::try_from(n.value).ok()),
            append_row_file_name: c.append_row_file_name.as_ref().map(|n| n.value.clone()),
        };
        parallel_settings(&mut out.settings, &spec, c);
        out.environment_variables = Step::variables_of(out.settings.get("environment_variables"));
        if let Some(name) = &c.environment_name {
            out.environment = Environment::Reference(config.name(name));
        }
        out.config_files.extend(config.files.iter().cloned());
        out.kind = StepKind::Parallel(spec);
    }

    /// A ParallelRunStep's side inputs (which the SDK cannot load from YAML) and its one output.
    fn parallel_side_inputs_and_outputs(
        &mut self,
        key: &Spanned<String>,
        s: &v1::ParallelRunStep,
        out: &mut Step,
        r: &Resolver,
    ) {
        let cx = self.cx;
        let file = cx.file;
        for (k, side) in s.side_inputs.iter() {
            out.inputs.push(InputPort {
                name: cx.name(k),
                role: PortRole::SideInput,
                ty: None,
                source: r.data_source(&side.source),
                mode: super::steps::input_mode(side.mode()),
                optional: false,
                default: None,
                settings: JsonMap::new(),
            });
        }
        if let Some((first, _)) = s.side_inputs.iter().next() {
            self.sink.push(
                sdk_cannot_load::RULE
                    .at(file, first.span, "the SDK cannot load a ParallelRunStep with `side_inputs` from YAML")
                    .with_help("its reader hands side inputs over as port bindings, which ParallelRunStep refuses (\"Step input must be of any type\"); build this step in Python, or read the data as an input of an earlier step"),
            );
        }
        if s.outputs.is_empty() {
            self.sink.push(
                missing_key::RULE
                    .at(file, key.span, format!("ParallelRunStep `{}` has no `outputs`", key.value))
                    .with_help("the SDK's reader needs one output (`outputs: {<name>: {destination: <name>}}`); the step writes its results there"),
            );
        }
        if let Some((extra, _)) = s.outputs.iter().nth(1) {
            self.sink.push(
                crate::check::ignored_key::RULE
                    .at(
                        file,
                        extra.span,
                        "a ParallelRunStep writes one output; the SDK ignores all but the first",
                    )
                    .with_help("remove the other outputs"),
            );
        }
    }

    /// The inputs of a ParallelRunStep must be datasets: registered ones, or outputs made
    /// datasets with `as_dataset: true`.
    fn parallel_inputs(&mut self, key: &Spanned<String>, s: &v1::ParallelRunStep, out: &Step, r: &Resolver) {
        let file = self.cx.file;
        if s.inputs.is_empty() {
            self.sink.push(
                missing_key::RULE
                    .at(file, key.span, format!("ParallelRunStep `{}` has no `inputs`", key.value))
                    .with_help("give the datasets it splits into mini-batches under `inputs`"),
            );
        }
        for port in out.inputs.iter().filter(|p| p.role == PortRole::Data) {
            let problem = match &port.source {
                Source::Data { index, .. } => match &r.data_ref(*index).location {
                    DataLocation::Dataset { .. } | DataLocation::DatasetId(_) | DataLocation::Invalid => None,
                    _ => Some("a datastore path, not a dataset".to_string()),
                },
                Source::StepOutput { step: _, output, .. } => {
                    let as_dataset = self.output_is_dataset(r, port, output);
                    (!as_dataset).then(|| "PipelineData that is not a dataset".to_string())
                }
                Source::PipelineInput { .. } => Some("a pipeline parameter, not a dataset".to_string()),
                _ => None,
            };
            if let Some(problem) = problem {
                let at = match &port.source {
                    Source::Data { at, .. }
                    | Source::StepOutput { at, .. }
                    | Source::PipelineInput { at, .. } => at.clone(),
                    _ => port.name.clone(),
                };
                self.sink.push(
                    binding_type_mismatch::RULE
                        .at(at.file, at.span, format!("input `{}` of a ParallelRunStep is {problem}", port.name.value))
                        .with_help("a ParallelRunStep reads datasets: a data reference with `dataset_name` or `dataset_id`, or a step output with `as_dataset: true`"),
                );
            }
        }
    }

    /// True when the step output a port reads is declared `as_dataset: true`.
    fn output_is_dataset(&self, r: &Resolver, port: &InputPort, output: &str) -> bool {
        let Source::StepOutput { at, .. } = &port.source else { return false };
        let _ = output;
        r.output_decl(&at.value).and_then(|o: &StepOutput| o.as_dataset.as_ref()).is_some_and(|a| a.value)
    }

    /// The SDK merges the arguments with its own: keyword arguments only, not its names.
    fn parallel_arguments(&mut self, out: &Step) {
        let text = |a: &Arg| match a {
            Arg::Literal(s) => Some((s.value.clone(), s.span)),
            _ => None,
        };
        if let Some(first) = out.invocation.arguments().first() {
            let (value, span) = match first {
                Arg::Literal(s) => (s.value.clone(), s.span),
                Arg::Input(n) | Arg::Output(n) | Arg::Parameter(n) | Arg::SideInput(n) => {
                    (n.value.clone(), n.span)
                }
            };
            if !value.starts_with('-') {
                self.sink.push(
                    invalid_value::RULE
                        .at(self.cx.file, span, format!("the first argument of a ParallelRunStep must be a `--name`, not `{value}`"))
                        .with_help("its arguments are merged with the step's own, so only keyword arguments work: `--name value`"),
                );
            }
        }
        // Its inputs reach the entry script as datasets: the SDK finds no input for `input:X`.
        for arg in out.invocation.arguments() {
            if let Arg::Input(n) = arg {
                self.sink.push(
                    sdk_cannot_load::RULE
                        .at(n.file, n.span, format!("the SDK fails on `input:{}` in a ParallelRunStep's arguments (\"Input {} appears in arguments list but is not in the input list\")", n.value, n.value))
                        .with_help("a ParallelRunStep hands its inputs to the entry script's `run(mini_batch)` itself: remove the argument"),
                );
            }
        }
        for (value, span) in out.invocation.arguments().iter().filter_map(text) {
            let Some(name) = value.strip_prefix("--") else { continue };
            let name = name.split('=').next().unwrap_or(name);
            if RESERVED.contains(&name) {
                self.sink.push(
                    invalid_value::RULE
                        .at(
                            self.cx.file,
                            span,
                            format!("`--{name}` is an argument the ParallelRunStep passes itself"),
                        )
                        .with_help(format!(
                            "set `{name}` in the parallel run configuration, or use another argument name"
                        )),
                );
            }
        }
    }
}

/// The settings of a parallel run configuration that decide the step's result.
fn parallel_settings(
    st: &mut JsonMap<String, serde_json::Value>,
    spec: &ParallelSpec,
    c: &ParallelRunConfig,
) {
    insert_opt(st, "mini_batch_size", spec.mini_batch_size.clone());
    insert_opt(st, "node_count", spec.node_count);
    insert_opt(st, "process_count_per_node", spec.process_count_per_node);
    insert_opt(st, "error_threshold", spec.error_threshold);
    insert_opt(st, "output_action", spec.output_action.clone());
    insert_opt(st, "append_row_file_name", c.append_row_file_name.as_ref().map(|v| v.value.clone()));
    insert_opt(st, "run_invocation_timeout", c.run_invocation_timeout.as_ref().map(|v| v.value));
    insert_opt(st, "run_max_try", c.run_max_try.as_ref().map(|v| v.value));
    insert_opt(st, "logging_level", c.logging_level.as_ref().map(|v| v.value.clone()));
    insert_opt(st, "allowed_failed_count", c.allowed_failed_count.as_ref().map(|v| v.value));
    insert_opt(st, "allowed_failed_percent", c.allowed_failed_percent.as_ref().map(|v| v.value));
    if let Some(keys) = &c.partition_keys {
        st.insert("partition_keys".into(), keys.iter().map(|k| k.value.clone()).collect::<Vec<_>>().into());
    }
    if !c.environment_variables.is_empty() {
        st.insert("environment_variables".into(), super::steps::scalars(&c.environment_variables));
    }
}
