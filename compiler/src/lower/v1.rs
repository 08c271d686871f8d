//! Lowering of v1 pipelines (DESIGN 2.1) into the IR.

use std::collections::HashMap;

use serde_json::{Map as JsonMap, Value as Json};

use super::{LowerCtx, Sink};
use crate::check;
use crate::ir::{
    Arg, Dag, DataLocation, DataRef, DataType, DatabricksSpec, Environment, InputPort, Literal, Mode, Name,
    OutputPort, ParallelSpec, Pipeline, PipelineInput, PortRole, RefKind, Source, Step, StepId, StepKind,
    Unresolved,
};
use crate::syntax::common::Scalar;
use crate::syntax::v1::{self, BindMode, DataReference, ParameterDefault, ParameterType, StepInput};
use crate::yaml::{Map, Spanned};

/// Lowers a v1 pipeline file.
pub fn lower(file: &v1::PipelineFile, cx: &LowerCtx, sink: &mut Sink) -> Pipeline {
    let p = &file.pipeline;
    let inputs: Vec<PipelineInput> = p.parameters.iter().map(|(k, v)| parameter(cx, k, v)).collect();
    let data: Vec<DataRef> = p.data_references.iter().map(|(k, v)| data_reference(cx, k, v, sink)).collect();

    // PipelineData names: which step output writes each (the first, if two do; a check reports it).
    let mut destinations: HashMap<&str, (StepId, &str)> = HashMap::new();
    for (i, (_, step)) in p.steps.iter().enumerate() {
        for (out_name, out) in step.common().outputs.iter() {
            destinations
                .entry(out.destination.value.as_str())
                .or_insert((StepId(i), out_name.value.as_str()));
        }
        if let v1::Step::DataTransferStep(t) = step {
            let dest = t.destination_data_reference.value.as_str();
            if !p.data_references.contains_key(dest) {
                destinations.entry(dest).or_insert((StepId(i), "destination"));
            }
        }
    }
    let resolver = Resolver { cx, pipeline: p, destinations, inputs: &inputs };

    let steps: Vec<Step> =
        p.steps.iter().map(|(key, step)| lower_step(cx, key, step, &resolver, sink)).collect();
    let dag = Dag::build(&steps);
    Pipeline {
        file: cx.file,
        name: p.name.as_ref().map(|n| cx.name(n)),
        // The studio shows a v1 pipeline under its name, as v2 shows `display_name`.
        display_name: p.name.as_ref().map(|n| n.value.clone()),
        description: p.description.clone(),
        experiment_name: None,
        default_compute: p.default_compute.as_ref().map(|n| cx.name(n)),
        default_datastore: p.default_datastore.as_ref().map(|n| cx.name(n)),
        continue_on_step_failure: p.continue_on_step_failure.unwrap_or(false),
        force_rerun: false,
        inputs,
        outputs: Vec::new(),
        data,
        steps,
        dag,
        settings: JsonMap::new(),
        unresolved: Vec::new(),
        reusable: false,
        opaque: false,
        steps_at: None,
        bound_inputs: Vec::new(),
    }
}

fn parameter(cx: &LowerCtx, key: &Spanned<String>, p: &v1::Parameter) -> PipelineInput {
    let ty = p.ty.as_ref().and_then(|t| {
        let ty = match t.value {
            ParameterType::String => DataType::String,
            ParameterType::Int => DataType::Integer,
            ParameterType::Float => DataType::Number,
            ParameterType::Bool => DataType::Boolean,
            ParameterType::Datapath => return None,
        };
        Some(Spanned::new(ty, t.span))
    });
    let (default, data) = match p.default.as_ref() {
        Some(Spanned { value: ParameterDefault::Literal(s), span }) => {
            (Some(Spanned::new(literal(s), *span)), None)
        }
        Some(Spanned { value: ParameterDefault::DataPath(d), .. }) => (
            None,
            Some(DataLocation::Datastore {
                datastore: cx.name(&d.datastore),
                path: cx.name(&d.path_on_datastore),
            }),
        ),
        None => (None, None),
    };
    PipelineInput {
        name: cx.name(key),
        ty,
        default,
        data,
        optional: false,
        description: p.description.clone(),
        mode: None,
        settings: JsonMap::new(),
    }
}

/// A YAML scalar as an IR literal.
pub fn literal(s: &Scalar) -> Literal {
    match s {
        Scalar::Bool(b) => Literal::Bool(*b),
        Scalar::Int(i) => Literal::Int(*i),
        Scalar::Float(f) => Literal::Float(*f),
        Scalar::Str(s) => Literal::Str(s.clone()),
    }
}

fn mode(m: Option<&Spanned<BindMode>>, output: bool) -> Option<Mode> {
    m.map(|m| match m.value {
        BindMode::Mount if output => Mode::RwMount,
        BindMode::Mount => Mode::RoMount,
        BindMode::Download => Mode::Download,
        BindMode::Upload => Mode::Upload,
        BindMode::Direct => Mode::Direct,
    })
}

fn data_reference(cx: &LowerCtx, key: &Spanned<String>, d: &DataReference, sink: &mut Sink) -> DataRef {
    let mut kinds: Vec<(&str, &Spanned<String>)> = Vec::new();
    if let Some(ds) = &d.datastore {
        kinds.push(("datastore", ds));
    }
    if let Some(n) = &d.dataset_name {
        kinds.push(("dataset_name", n));
    }
    if let Some(n) = &d.dataset_id {
        kinds.push(("dataset_id", n));
    }
    for sql in [&d.sql_table, &d.sql_query, &d.sql_stored_procedure].into_iter().flatten() {
        kinds.push(("sql", sql));
    }
    let rule = check::invalid_data_reference::RULE;
    let location = match kinds.as_slice() {
        [] => {
            sink.push(
                rule.at(
                    cx.file,
                    key.span,
                    format!("data reference `{}` says nowhere to find its data", key.value),
                )
                .with_help(
                    "give `datastore` and `path_on_datastore`, `dataset_name`, `dataset_id`, or a SQL source",
                ),
            );
            DataLocation::Invalid
        }
        [("datastore", ds)] => {
            let path = d.path_on_datastore.as_ref().map(|p| cx.name(p)).unwrap_or_else(|| Name {
                value: String::new(),
                file: cx.file,
                span: ds.span,
            });
            if !d.sql_stored_procedure_params.is_empty() {
                sink.push(rule.at(
                    cx.file,
                    key.span,
                    "`sql_stored_procedure_params` needs `sql_stored_procedure`",
                ));
            }
            DataLocation::Datastore { datastore: cx.name(ds), path }
        }
        [("datastore", _), ("sql", q)] => DataLocation::Sql { query: cx.name(q) },
        [("dataset_name", n)] => DataLocation::Dataset {
            name: cx.name(n),
            version: d.dataset_version.as_ref().map(|v| v.value.to_text()),
        },
        [("dataset_id", n)] => DataLocation::DatasetId(cx.name(n)),
        [(_, q)] => {
            sink.push(
                rule.at(cx.file, q.span, "a SQL data reference needs the `datastore` holding the database")
                    .with_help("add `datastore: <sql datastore>`"),
            );
            DataLocation::Invalid
        }
        [first, second, ..] => {
            sink.push(
                rule.at(
                    cx.file,
                    second.1.span,
                    format!(
                        "data reference `{}` gives both `{}` and `{}`; it must name one source",
                        key.value, first.0, second.0
                    ),
                )
                .with_label(crate::diagnostic::Label::with_message(
                    cx.file,
                    first.1.span,
                    "first source here",
                )),
            );
            DataLocation::Invalid
        }
    };
    if let Some(p) = &d.path_on_datastore
        && d.datastore.is_none()
    {
        sink.push(
            rule.at(cx.file, p.span, "`path_on_datastore` without `datastore`")
                .with_help("add `datastore: <name>`"),
        );
    }
    DataRef {
        name: cx.name(key),
        location,
        mode: mode(d.bind_mode.as_ref(), false),
        path_on_compute: d.path_on_compute.as_ref().map(|p| p.value.clone()),
    }
}

struct Resolver<'a> {
    cx: &'a LowerCtx,
    pipeline: &'a v1::Pipeline,
    destinations: HashMap<&'a str, (StepId, &'a str)>,
    inputs: &'a [PipelineInput],
}

impl Resolver<'_> {
    /// A data source name: PipelineData, data reference or `datapath` parameter.
    fn data_source(&self, name: &Spanned<String>) -> Source {
        let at = self.cx.name(name);
        if let Some((step, output)) = self.destinations.get(name.value.as_str()) {
            return Source::StepOutput { step: *step, output: output.to_string(), at };
        }
        if let Some(index) = self.pipeline.data_references.keys().position(|k| k == name.value) {
            return Source::Data { index, at };
        }
        if let Some(index) = self.inputs.iter().position(|i| i.name.value == name.value) {
            return Source::PipelineInput { index, at };
        }
        let mut candidates: Vec<String> = self.destinations.keys().map(|k| k.to_string()).collect();
        candidates.sort();
        candidates.extend(self.pipeline.data_references.keys().map(str::to_string));
        candidates.extend(self.inputs.iter().filter(|i| i.data.is_some()).map(|i| i.name.value.clone()));
        Source::Unresolved(Unresolved { kind: RefKind::DataSource, name: at, candidates, step: None })
    }

    /// A pipeline parameter name.
    fn parameter(&self, name: &Spanned<String>) -> Source {
        let at = self.cx.name(name);
        match self.inputs.iter().position(|i| i.name.value == name.value) {
            Some(index) => Source::PipelineInput { index, at },
            None => Source::Unresolved(Unresolved {
                kind: RefKind::PipelineInput,
                name: at,
                candidates: self.inputs.iter().map(|i| i.name.value.clone()).collect(),
                step: None,
            }),
        }
    }
}

fn data_input(cx: &LowerCtx, name: &Spanned<String>, input: &StepInput, r: &Resolver) -> InputPort {
    InputPort {
        name: cx.name(name),
        role: PortRole::Data,
        ty: None,
        source: r.data_source(&input.source),
        mode: mode(input.bind_mode.as_ref(), false),
        optional: false,
        default: None,
        settings: JsonMap::new(),
    }
}

fn lower_step(cx: &LowerCtx, key: &Spanned<String>, step: &v1::Step, r: &Resolver, sink: &mut Sink) -> Step {
    let c = step.common();
    let code = step.source_directory().map(|d| cx.path(d, &cx.dir, Some(&cx.root)));
    let code_dir = code.as_ref().map(|c| c.resolved()).unwrap_or_else(|| cx.dir.clone());
    let script_at = |s: &Spanned<String>| cx.path(s, &code_dir, Some(&code_dir));

    let mut inputs: Vec<InputPort> = c.inputs.iter().map(|(k, v)| data_input(cx, k, v, r)).collect();
    inputs.extend(c.parameters.iter().map(|(k, p)| InputPort {
        name: cx.name(k),
        role: PortRole::Parameter,
        ty: None,
        source: r.parameter(&p.source),
        mode: None,
        optional: false,
        default: None,
        settings: JsonMap::new(),
    }));
    let mut outputs: Vec<OutputPort> = c
        .outputs
        .iter()
        .map(|(k, o)| OutputPort {
            name: cx.name(k),
            ty: Some(DataType::UriFolder),
            destination: Some(cx.name(&o.destination)),
            datastore: o.datastore.as_ref().map(|d| cx.name(d)),
            mode: mode(o.bind_mode.as_ref(), true),
            pipeline_output: None,
            path: None,
            settings: JsonMap::new(),
        })
        .collect();

    let mut settings = JsonMap::new();
    if !c.runconfig_parameters.is_empty() {
        settings.insert("runconfig_parameters".into(), scalars(c.runconfig_parameters));
    }
    let mut script = None;
    let kind = match step {
        v1::Step::PythonScriptStep(s) => {
            script = Some(script_at(&s.script_name));
            StepKind::Command
        }
        v1::Step::DatabricksStep(s) => {
            script = s.python_script_name.as_ref().map(script_at);
            databricks_settings(cx, s, &mut settings, sink);
            StepKind::Databricks(DatabricksSpec {
                notebook_path: s.notebook_path.as_ref().map(|n| cx.name(n)),
                python_script_path: s.python_script_path.as_ref().map(|n| cx.name(n)),
                main_class_name: s.main_class_name.as_ref().map(|n| cx.name(n)),
                existing_cluster_id: s.existing_cluster_id.as_ref().map(|n| n.value.clone()),
                settings: settings.clone(),
            })
        }
        v1::Step::DataTransferStep(t) => {
            inputs.push(InputPort {
                name: Name { value: "source".into(), file: cx.file, span: t.source_data_reference.span },
                role: PortRole::Data,
                ty: None,
                source: r.data_source(&t.source_data_reference),
                mode: None,
                optional: false,
                default: None,
                settings: JsonMap::new(),
            });
            let dest = &t.destination_data_reference;
            let is_data_ref = r.pipeline.data_references.contains_key(&dest.value);
            outputs.push(OutputPort {
                name: Name { value: "destination".into(), file: cx.file, span: dest.span },
                ty: None,
                destination: (!is_data_ref).then(|| cx.name(dest)),
                datastore: None,
                mode: None,
                pipeline_output: None,
                path: None,
                settings: JsonMap::new(),
            });
            for (k, v) in [
                ("source_reference_type", &t.source_reference_type),
                ("destination_reference_type", &t.destination_reference_type),
            ] {
                if let Some(v) = v {
                    settings.insert(k.into(), v.clone().into());
                }
            }
            StepKind::DataTransfer { source: cx.name(&t.source_data_reference), destination: cx.name(dest) }
        }
        v1::Step::AdlaStep(s) => {
            script = Some(script_at(&s.script_name));
            if !s.params.is_empty() {
                settings.insert("params".into(), scalars(&s.params));
            }
            insert_opt(
                &mut settings,
                "degree_of_parallelism",
                s.degree_of_parallelism.as_ref().map(|d| d.value),
            );
            insert_opt(&mut settings, "priority", s.priority);
            insert_opt(&mut settings, "runtime_version", s.runtime_version.clone());
            StepKind::Adla
        }
        v1::Step::AzureBatchStep(s) => {
            script = Some(script_at(&s.executable));
            insert_opt(&mut settings, "vm_size", s.vm_size.clone());
            insert_opt(&mut settings, "vm_image_urn", s.vm_image_urn.clone());
            insert_opt(&mut settings, "pool_id", s.pool_id.clone());
            insert_opt(&mut settings, "create_pool", s.create_pool);
            insert_opt(&mut settings, "delete_batch_job_after_finish", s.delete_batch_job_after_finish);
            insert_opt(&mut settings, "delete_batch_pool_after_finish", s.delete_batch_pool_after_finish);
            insert_opt(&mut settings, "is_positive_exit_code_failure", s.is_positive_exit_code_failure);
            insert_opt(&mut settings, "run_task_as_admin", s.run_task_as_admin);
            insert_opt(&mut settings, "target_compute_nodes", s.target_compute_nodes);
            StepKind::AzureBatch
        }
        v1::Step::ParallelRunStep(s) => {
            let prc = &s.parallel_run_config;
            script = Some(script_at(&prc.entry_script));
            for side in &s.side_inputs {
                inputs.push(InputPort {
                    name: cx.name(side),
                    role: PortRole::SideInput,
                    ty: None,
                    source: r.data_source(side),
                    mode: None,
                    optional: false,
                    default: None,
                    settings: JsonMap::new(),
                });
            }
            let spec = ParallelSpec {
                entry_script: Some(script_at(&prc.entry_script)),
                mini_batch_size: prc.mini_batch_size.as_ref().map(|m| m.value.to_text()),
                node_count: prc.node_count.as_ref().map(|n| n.value),
                process_count_per_node: prc.process_count_per_node.as_ref().map(|n| n.value),
                error_threshold: prc.error_threshold,
                output_action: prc.output_action.as_ref().map(|a| match a.value {
                    v1::OutputAction::AppendRow => "append_row".to_string(),
                    v1::OutputAction::SummaryOnly => "summary_only".to_string(),
                }),
            };
            insert_opt(&mut settings, "mini_batch_size", spec.mini_batch_size.clone());
            insert_opt(&mut settings, "node_count", spec.node_count);
            insert_opt(&mut settings, "process_count_per_node", spec.process_count_per_node);
            insert_opt(&mut settings, "error_threshold", spec.error_threshold);
            insert_opt(&mut settings, "output_action", spec.output_action.clone());
            insert_opt(&mut settings, "append_row_file_name", prc.append_row_file_name.clone());
            insert_opt(&mut settings, "run_invocation_timeout", prc.run_invocation_timeout);
            insert_opt(&mut settings, "run_max_try", prc.run_max_try);
            StepKind::Parallel(spec)
        }
    };

    Step {
        key: cx.name(key),
        display_name: c.name.map(|n| n.value.clone()),
        description: c.description.map(str::to_string),
        kind,
        compute: c.compute.map(|n| cx.name(n)),
        code,
        script,
        command: None,
        arguments: c.arguments.iter().map(|a| argument(cx, a)).collect(),
        inputs,
        outputs,
        allow_reuse: c.allow_reuse.is_none_or(|a| a.value),
        hash_paths: c.hash_paths.iter().map(|h| cx.path(h, &code_dir, None)).collect(),
        run_after: c.run_after.iter().map(|n| cx.name(n)).collect(),
        environment: c
            .runconfig
            .map(|rc| Environment::RunConfig(cx.path(rc, &cx.dir, Some(&cx.root))))
            .unwrap_or_default(),
        settings,
        component: None,
        templates: Vec::new(),
        written: JsonMap::new(),
    }
}

/// Reads `input:X`, `output:X`, `parameter:X` and `side_input:X`; anything else is literal.
fn argument(cx: &LowerCtx, a: &Spanned<Scalar>) -> Arg {
    let text = a.value.to_text();
    if let Scalar::Str(s) = &a.value {
        for (prefix, make) in [
            ("input:", Arg::Input as fn(Name) -> Arg),
            ("output:", Arg::Output),
            ("parameter:", Arg::Parameter),
            ("side_input:", Arg::SideInput),
        ] {
            if let Some(name) = s.strip_prefix(prefix) {
                // The name's span: inside the scalar, after the prefix (and an opening quote).
                let raw = a.span;
                let quote = usize::from(raw.len() as usize > s.len());
                let span = raw.sub(quote + prefix.len(), name.len());
                return make(Name { value: name.to_string(), file: cx.file, span });
            }
        }
    }
    Arg::Literal(Spanned::new(text, a.span))
}

fn scalars(m: &Map<Scalar>) -> Json {
    m.iter().map(|(k, v)| (k.value.clone(), literal(v).to_json())).collect::<JsonMap<_, _>>().into()
}

fn insert_opt<T: Into<Json>>(settings: &mut JsonMap<String, Json>, key: &str, v: Option<T>) {
    if let Some(v) = v {
        settings.insert(key.to_string(), v.into());
    }
}

fn databricks_settings(
    cx: &LowerCtx,
    s: &v1::DatabricksStep,
    settings: &mut JsonMap<String, Json>,
    sink: &mut Sink,
) {
    let names = |v: &[Spanned<String>]| Json::from(v.iter().map(|x| x.value.clone()).collect::<Vec<_>>());
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
    insert_opt(settings, "run_name", s.run_name.clone());
    insert_opt(settings, "spark_version", s.spark_version.clone());
    insert_opt(settings, "node_type", s.node_type.clone());
    insert_opt(settings, "instance_pool_id", s.instance_pool_id.clone());
    insert_opt(settings, "num_workers", s.num_workers.as_ref().map(|n| n.value));
    insert_opt(settings, "min_workers", s.min_workers.as_ref().map(|n| n.value));
    insert_opt(settings, "max_workers", s.max_workers.as_ref().map(|n| n.value));
    insert_opt(settings, "cluster_log_dbfs_path", s.cluster_log_dbfs_path.clone());
    insert_opt(settings, "timeout_seconds", s.timeout_seconds);
    insert_opt(settings, "permit_cluster_restart", s.permit_cluster_restart);
    if !s.spark_conf.is_empty() {
        settings.insert("spark_conf".into(), scalars(&s.spark_conf));
    }
    if !s.spark_env_variables.is_empty() {
        settings.insert("spark_env_variables".into(), scalars(&s.spark_env_variables));
    }
    if !s.init_scripts.is_empty() {
        settings.insert("init_scripts".into(), s.init_scripts.clone().into());
    }
    let mut maven: Vec<Spanned<String>> = s.maven_libraries.clone();
    let mut rcran: Vec<Spanned<String>> = s.rcran_libraries.clone();
    for (wrong, right, list, target) in [
        ("maven_libabries", "maven_libraries", &s.maven_libabries, &mut maven),
        ("rcran_libabries", "rcran_libraries", &s.rcran_libabries, &mut rcran),
    ] {
        if let Some(given) = list {
            check::misspelt_key::report(cx.file, cx.key_before(given.span, wrong), wrong, right, sink);
            target.extend(given.value.iter().cloned());
        }
    }
    for (k, v) in [
        ("pypi_libraries", &s.pypi_libraries),
        ("egg_libraries", &s.egg_libraries),
        ("jar_libraries", &s.jar_libraries),
        ("maven_libraries", &maven),
        ("rcran_libraries", &rcran),
    ] {
        if !v.is_empty() {
            settings.insert(k.into(), names(v));
        }
    }
}
