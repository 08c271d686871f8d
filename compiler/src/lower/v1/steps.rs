//! Lowering of one step: what every step type shares (ports, parameters, arguments, run
//! configuration, reuse), then its type's own part ([`super::kinds`], [`super::parallel`]).

use serde_json::{Map as JsonMap, Value as Json};

use super::Lowerer;
use super::data::Resolver;
use crate::check::{invalid_value, unknown_placeholder, wrong_type};
use crate::ir::{
    Arg, Arguments, DataType, Environment, InputPort, Invocation, Mode, Name, OutputPort, PortRole,
    ServiceJob, Source, Step, StepKind, Unresolved,
};
use crate::syntax::common::Scalar;
use crate::syntax::v1::{
    self, Argument, InputMode, OutputMode, RUNCONFIG_PARAMETERS, StepInput, StepOutput, StepParameter,
};
use crate::yaml::{Map, Spanned};

/// The outputs of a step that write PipelineData (a ParallelRunStep writes only its first).
pub(super) fn written_outputs(step: &v1::Step) -> Vec<(&Spanned<String>, &StepOutput)> {
    let outputs = step.common().outputs.iter();
    match step {
        v1::Step::ParallelRunStep(_) => outputs.take(1).collect(),
        _ => outputs.collect(),
    }
}

/// A step input's mode in the IR.
pub(super) fn input_mode(m: Option<&Spanned<InputMode>>) -> Option<Mode> {
    m.map(|m| match m.value {
        InputMode::Mount => Mode::RoMount,
        InputMode::Download => Mode::Download,
    })
}

fn output_mode(m: Option<&Spanned<OutputMode>>) -> Option<Mode> {
    m.map(|m| match m.value {
        OutputMode::Mount => Mode::RwMount,
        OutputMode::Upload => Mode::Upload,
    })
}

/// The step's own settings of an input beyond its source, as written.
fn input_settings(input: &StepInput) -> JsonMap<String, Json> {
    let mut s = JsonMap::new();
    if let Some(p) = &input.path_on_compute {
        s.insert("path_on_compute".into(), p.value.clone().into());
    }
    if let Some(o) = &input.overwrite {
        s.insert("overwrite".into(), o.value.into());
    }
    s
}

impl Lowerer<'_, '_> {
    /// Lowers one step.
    pub(super) fn step(
        &mut self,
        key: &Spanned<String>,
        step: &v1::Step,
        r: &Resolver,
        unresolved: &mut Vec<Unresolved>,
        bound: &mut Vec<usize>,
    ) -> Step {
        let cx = self.cx;
        let c = step.common();
        let code = c.source_directory.map(|d| cx.path(d, &cx.dir, Some(&cx.root)));
        let mut out = Step {
            key: cx.name(key),
            display_name: c.name.map(|n| n.value.clone()),
            description: c.description.map(|d| d.value.clone()),
            kind: StepKind::Command,
            compute: c.compute.map(|n| cx.name(n)),
            code,
            invocation: Invocation::None,
            inputs: c.inputs.iter().map(|(k, v)| data_input(cx, k, v, r)).collect(),
            outputs: written_outputs(step).into_iter().map(|(k, o)| data_output(cx, k, o)).collect(),
            allow_reuse: c.allow_reuse.is_none_or(|a| a.value),
            hash_paths: Vec::new(),
            config_files: Vec::new(),
            run_after: c.run_after.iter().map(|n| cx.name(n)).collect(),
            environment: Environment::Default,
            settings: JsonMap::new(),
            component: None,
            templates: Vec::new(),
            environment_variables: Vec::new(),
            service: ServiceJob::None,
        };
        let code_dir = out.code.as_ref().map(|c| c.resolved()).unwrap_or_else(|| cx.dir.clone());
        out.hash_paths = c.hash_paths.iter().map(|h| cx.path(h, &code_dir, None)).collect();
        self.parameters(step, &mut out, r, unresolved);
        self.runconfig_parameters(step, &mut out, r, unresolved, bound);
        if let Some(v) = c.version {
            out.settings.insert("version".into(), v.value.clone().into());
        }
        // The SDK loads a step's run configuration whatever its type; the types that use it run in
        // its environment.
        if let Some(rc) = c.runconfig {
            let path = cx.path(rc, &cx.dir, Some(&cx.root));
            let conda = self.runconfig(rc);
            out.config_files.extend(conda);
            match step {
                v1::Step::PythonScriptStep(_) | v1::Step::DatabricksStep(_) | v1::Step::ModuleStep(_) => {
                    out.environment = Environment::RunConfig(path);
                }
                _ => out.config_files.push(path),
            }
        }
        out.invocation.set_arguments(Arguments::List(self.arguments(step, c.arguments)));
        match step {
            v1::Step::PythonScriptStep(s) => {
                out.invocation.set_script(cx.path(&s.script_name, &code_dir, Some(&code_dir)));
                if out.display_name.is_none() {
                    out.display_name = Some(s.script_name.value.clone());
                }
                out.service = ServiceJob::Script;
            }
            v1::Step::ParallelRunStep(s) => {
                self.parallel_run(key, s, &mut out, r);
                out.service = ServiceJob::Script;
            }
            v1::Step::AdlaStep(s) => self.adla(s, &mut out, &code_dir),
            v1::Step::AzureBatchStep(s) => self.azure_batch(s, &mut out, &code_dir),
            v1::Step::DatabricksStep(s) => self.databricks(key, s, &mut out, &code_dir),
            v1::Step::DataTransferStep(s) => {
                self.data_transfer(s, &mut out, r);
                out.service = ServiceJob::Copy;
            }
            v1::Step::ModuleStep(s) => self.module(key, s, &mut out),
        }
        out
    }

    /// Step parameters: the ports `parameter:X` arguments read, for the types that take them; the
    /// SDK checks the sources of the others too, so they must name pipeline parameters.
    fn parameters(
        &mut self,
        step: &v1::Step,
        out: &mut Step,
        r: &Resolver,
        unresolved: &mut Vec<Unresolved>,
    ) {
        let cx = self.cx;
        let (params, used): (&Map<Spanned<StepParameter>>, bool) = match step {
            v1::Step::PythonScriptStep(s) => (&s.parameters, true),
            v1::Step::AdlaStep(s) => (&s.parameters, true),
            v1::Step::ModuleStep(s) => (&s.parameters, true),
            v1::Step::ParallelRunStep(s) => (&s.parameters, false),
            v1::Step::AzureBatchStep(s) => (&s.parameters, false),
            v1::Step::DatabricksStep(s) => (&s.parameters, false),
            v1::Step::DataTransferStep(s) => (&s.parameters, false),
        };
        for (k, p) in params.iter() {
            let source = match &p.value {
                StepParameter::Literal(s) => Source::Literal(Spanned::new(super::literal(s), p.span)),
                StepParameter::Source(name) => r.parameter(name),
            };
            if used {
                out.inputs.push(InputPort {
                    name: cx.name(k),
                    role: PortRole::Parameter,
                    ty: None,
                    source,
                    mode: None,
                    optional: false,
                    default: None,
                    settings: JsonMap::new(),
                });
            } else if let Source::Unresolved(u) = source {
                unresolved.push(u);
            }
        }
    }

    /// `runconfig_parameters`: properties of the run configuration set by pipeline parameters.
    fn runconfig_parameters(
        &mut self,
        step: &v1::Step,
        out: &mut Step,
        r: &Resolver,
        unresolved: &mut Vec<Unresolved>,
        bound: &mut Vec<usize>,
    ) {
        let given = match step {
            v1::Step::PythonScriptStep(s) => &s.runconfig_parameters,
            v1::Step::ModuleStep(s) => &s.runconfig_parameters,
            v1::Step::ParallelRunStep(s) => &s.runconfig_parameters,
            v1::Step::AdlaStep(s) => &s.runconfig_parameters,
            v1::Step::AzureBatchStep(s) => &s.runconfig_parameters,
            v1::Step::DatabricksStep(s) => &s.runconfig_parameters,
            v1::Step::DataTransferStep(s) => &s.runconfig_parameters,
        };
        let checked = matches!(step, v1::Step::PythonScriptStep(_) | v1::Step::ModuleStep(_));
        let mut settings = JsonMap::new();
        for (k, v) in given.iter() {
            if checked && !RUNCONFIG_PARAMETERS.contains(&k.value.as_str()) {
                self.sink.push(
                    invalid_value::RULE
                        .at(
                            self.cx.file,
                            k.span,
                            format!("`{}` is not a run configuration property a parameter can set", k.value),
                        )
                        .with_help_opt(
                            crate::suggest::did_you_mean(&k.value, &RUNCONFIG_PARAMETERS).or_else(|| {
                                Some(format!(
                                    "the SDK knows {}",
                                    crate::suggest::list_names(&RUNCONFIG_PARAMETERS, 4)
                                ))
                            }),
                        ),
                );
            }
            match r.parameter(&v.source) {
                Source::PipelineInput { index, .. } => bound.push(index),
                Source::Unresolved(u) => unresolved.push(u),
                _ => {}
            }
            settings.insert(k.value.clone(), serde_json::json!({"source": v.source.value}));
        }
        if checked && !settings.is_empty() {
            out.settings.insert("runconfig_parameters".into(), settings.into());
        }
    }

    /// The step's arguments, for the types that pass them (the SDK refuses non-text ones).
    fn arguments(&mut self, step: &v1::Step, args: &[Argument]) -> Vec<Arg> {
        let cx = self.cx;
        let parallel = matches!(step, v1::Step::ParallelRunStep(_));
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            let Scalar::Str(s) = &a.value else {
                self.sink.push(
                    wrong_type::RULE
                        .at(
                            cx.file,
                            a.span,
                            format!(
                                "argument `{}` is {} {}; the SDK refuses arguments that are not text",
                                raw(cx, a.span),
                                crate::suggest::article(a.value.type_name()),
                                a.value.type_name()
                            ),
                        )
                        .with_help(format!("quote it: '{}'", raw(cx, a.span))),
                );
                out.push(Arg::Literal(Spanned::new(a.value.to_text(), a.span)));
                continue;
            };
            if let Some(what) = typed_by_sdk(cx, a) {
                self.sink.push(
                    wrong_type::RULE
                        .at(cx.file, a.span, format!("argument `{s}` is {what} to the SDK's YAML reader, which refuses arguments that are not text"))
                        .with_help(format!("quote it: '{s}'")),
                );
            }
            let arg = argument(cx, a, s);
            // A ParallelRunStep gets no step parameters: the SDK passes `parameter:X` as text.
            if parallel && let Arg::Parameter(n) = &arg {
                self.sink.push(
                    unknown_placeholder::RULE
                        .at(n.file, n.span, format!("`parameter:{}` names no parameter: a ParallelRunStep takes no step parameters", n.value))
                        .with_help("the SDK passes `parameter:` text as it is; write the value itself, or `--name` and the value as two arguments"),
                );
                out.push(Arg::Literal(Spanned::new(s.clone(), a.span)));
                continue;
            }
            out.push(arg);
        }
        out
    }
}

/// What the SDK's YAML reader makes of a plain scalar sluice reads as text, when not text.
pub(super) fn typed_by_sdk(cx: &crate::lower::LowerCtx, a: &Spanned<Scalar>) -> Option<&'static str> {
    match &a.value {
        Scalar::Str(s) if raw(cx, a.span) == s => crate::yaml::ruamel::non_text(s),
        _ => None,
    }
}

/// The text of `span` in the pipeline file.
pub(super) fn raw(cx: &crate::lower::LowerCtx, span: crate::source::Span) -> &str {
    cx.text.get(span.start as usize..span.end as usize).unwrap_or("")
}

/// Reads `input:X`, `output:X`, `parameter:X` and `side_input:X`; anything else is literal.
fn argument(cx: &crate::lower::LowerCtx, a: &Argument, s: &str) -> Arg {
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
    Arg::Literal(Spanned::new(s.to_string(), a.span))
}

/// A step input as a data port.
pub(super) fn data_input(
    cx: &crate::lower::LowerCtx,
    name: &Spanned<String>,
    input: &StepInput,
    r: &Resolver,
) -> InputPort {
    InputPort {
        name: cx.name(name),
        role: PortRole::Data,
        ty: None,
        source: r.data_source(&input.source),
        mode: input_mode(input.mode()),
        optional: false,
        default: None,
        settings: input_settings(input),
    }
}

/// A step output as a PipelineData port.
fn data_output(cx: &crate::lower::LowerCtx, name: &Spanned<String>, o: &StepOutput) -> OutputPort {
    let mut settings = JsonMap::new();
    if let Some(p) = &o.path_on_compute {
        settings.insert("path_on_compute".into(), p.value.clone().into());
    }
    if let Some(v) = &o.overwrite {
        settings.insert("overwrite".into(), v.value.into());
    }
    if let Some(v) = &o.as_dataset {
        settings.insert("as_dataset".into(), v.value.into());
    }
    OutputPort {
        name: cx.name(name),
        ty: Some(DataType::UriFolder),
        destination: Some(cx.name(&o.destination)),
        datastore: o.datastore.as_ref().map(|d| cx.name(d)),
        mode: output_mode(o.mode()),
        pipeline_output: None,
        path: None,
        settings,
    }
}

/// Inserts `v` under `key` when given.
pub(super) fn insert_opt<T: Into<Json>>(settings: &mut JsonMap<String, Json>, key: &str, v: Option<T>) {
    if let Some(v) = v {
        settings.insert(key.to_string(), v.into());
    }
}

/// A map of scalars as JSON.
pub(super) fn scalars(m: &Map<Scalar>) -> Json {
    m.iter().map(|(k, v)| (k.value.clone(), super::literal(v).to_json())).collect::<JsonMap<_, _>>().into()
}
