//! The plan of a local run (DESIGN section 6): every step in order with its fingerprint, reuse
//! verdict and the reason for it, its command, working folder, the paths of its inputs and
//! outputs, and the levels of steps that may run at once.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value as Json;
use sluice_compiler::Compiled;
use sluice_compiler::fingerprint::explain::{self, describe};
use sluice_compiler::fingerprint::{
    self, HashCache, HashError, Listing, Manifest, ParameterValues, PathHash, StepFingerprint, TreeHasher,
    data, params,
};
use sluice_compiler::ir::{
    ComputeKind, DataLocation, EndpointShape, Literal, Pipeline, Source, Step, StepId, StepKind,
    TransferTask, Workspace,
};

use crate::RuntimeError;
use crate::cache::{EntryState, OutputCache};
use crate::command;
use crate::remote::{Fetch, Located, Publish, Resolver};
use crate::state::StateDir;
use crate::store::{RunStore, status};

/// Version of the plan's JSON form.
pub const PLAN_VERSION: u32 = 1;

/// Whether a step's outputs are reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reuse {
    /// The cache holds intact outputs for its fingerprint (or another step of this run with the
    /// same fingerprint makes them first).
    Hit,
    /// The step runs.
    Miss,
    /// Reuse is off for it (`allow_reuse: false`, `--regenerate-outputs`, `force_rerun`): it runs.
    Disabled,
}

impl Reuse {
    /// `hit`, `miss` or `disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reuse::Hit => "hit",
            Reuse::Miss => "miss",
            Reuse::Disabled => "disabled",
        }
    }
}

/// What a step input is at run time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputValue {
    /// A file or folder.
    Path(PathBuf),
    /// A value (parameters), as JSON.
    Value(Json),
    /// Nothing bound (an optional input).
    Unbound,
}

impl InputValue {
    /// The text that replaces the input's placeholder on a command line.
    pub fn text(&self) -> Option<String> {
        match self {
            InputValue::Path(p) => Some(p.to_string_lossy().into_owned()),
            InputValue::Value(v) => Some(match v {
                Json::String(s) => s.clone(),
                Json::Bool(b) => if *b { "True" } else { "False" }.to_string(),
                Json::Number(n) => n
                    .as_f64()
                    .filter(|_| n.is_f64())
                    .map_or_else(|| n.to_string(), sluice_compiler::python::python_float),
                other => other.to_string(),
            }),
            InputValue::Unbound => None,
        }
    }
}

/// The run and step whose outputs a hit reuses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReusedFrom {
    /// The run that produced them (`None`: this run, by another step with the same fingerprint).
    pub run: Option<i64>,
    /// The step that produced them.
    pub step: String,
}

/// One step of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    /// Step key.
    pub key: String,
    /// Step kind (`command`, `databricks`, ...).
    pub kind: String,
    /// Fingerprint (hex SHA-256).
    pub fingerprint: String,
    /// Reuse verdict.
    pub reuse: Reuse,
    /// Why, in words.
    pub reason: String,
    /// Each reason on its own (the same as `reason`, split).
    pub changes: Vec<String>,
    /// Steps it waits for.
    pub depends_on: Vec<String>,
    /// The command line (argv); `None` for kinds sluice does not run itself.
    pub command: Option<Vec<String>>,
    /// The folder the step runs in: a snapshot of this source folder is taken at run time.
    pub cwd: Option<PathBuf>,
    /// Inputs by name: a path, a value, or null.
    pub inputs: BTreeMap<String, InputValue>,
    /// Outputs by name: where they are kept once the step succeeds.
    pub outputs: BTreeMap<String, PathBuf>,
    /// For hits: whose outputs are reused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reused_from: Option<ReusedFrom>,
    /// Why this step cannot run on this machine (only for steps that would run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The fingerprint's inputs (with `--explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<BTreeMap<String, Json>>,
    /// The step's id in the pipeline.
    #[serde(skip)]
    pub id: StepId,
    /// Another step of this plan with the same fingerprint that runs first.
    #[serde(skip)]
    pub same_as: Option<StepId>,
    /// The full fingerprint (manifest, hashed paths).
    #[serde(skip)]
    pub fp: StepFingerprint,
    /// True when the step must run because an upstream step whose result may differ re-runs.
    #[serde(skip)]
    pub volatile: bool,
    /// The step itself.
    #[serde(skip)]
    pub step: Step,
    /// Inputs on cloud datastores (or registered datasets there), fetched before it runs.
    #[serde(skip)]
    pub fetches: Vec<Fetch>,
    /// Outputs uploaded to a datastore once it succeeds.
    #[serde(skip)]
    pub publishes: Vec<Publish>,
}

impl PlannedStep {
    /// True when the step runs (a miss or disabled reuse).
    pub fn runs(&self) -> bool {
        self.reuse != Reuse::Hit
    }
}

/// A plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// [`PLAN_VERSION`].
    pub version: u32,
    /// Pipeline name.
    pub pipeline: String,
    /// The pipeline file.
    pub file: PathBuf,
    /// The state folder.
    pub state: PathBuf,
    /// Parameter values.
    pub parameters: Json,
    /// Steps in an order where each comes after what it waits for.
    pub steps: Vec<PlannedStep>,
    /// Step keys grouped into levels that may run at once.
    pub levels: Vec<Vec<String>>,
    /// Why the pipeline cannot run on this machine (empty: it can).
    pub problems: Vec<String>,
    /// The pipeline file relative to the state's root (how the run store names it).
    #[serde(skip)]
    pub store_name: String,
    /// Parameter values by input index.
    #[serde(skip)]
    pub values: ParameterValues,
}

impl Plan {
    /// The planned step of a step id.
    pub fn step(&self, id: StepId) -> Option<&PlannedStep> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Counts of (hits, misses, disabled).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |r| self.steps.iter().filter(|s| s.reuse == r).count();
        (n(Reuse::Hit), n(Reuse::Miss), n(Reuse::Disabled))
    }

    /// The listings behind every step's fingerprint, for the run store.
    pub fn listings(&self) -> Vec<(String, Listing)> {
        let mut seen: BTreeMap<&str, &Arc<PathHash>> = BTreeMap::new();
        for s in &self.steps {
            for (h, p) in &s.fp.trees {
                seen.entry(h.as_str()).or_insert(p);
            }
        }
        seen.into_iter().map(|(h, p)| (h.to_string(), Listing::of(p))).collect()
    }
}

/// What a plan is made with.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// `-p NAME=VALUE` given.
    pub parameters: Vec<(String, String)>,
    /// Run every step, reusing nothing.
    pub regenerate_outputs: bool,
    /// Keep each step's manifest in the plan.
    pub explain: bool,
}

/// Plans `compiled` (read from `pipeline_file`) against the state in `state`.
pub fn plan(
    compiled: &Compiled,
    pipeline_file: &Path,
    state: &StateDir,
    store: Option<&RunStore>,
    hash_cache: &HashCache,
    opts: &PlanOptions,
) -> Result<Plan, RuntimeError> {
    // Nested pipelines run as their steps.
    let flat;
    let pipeline = if crate::flatten::has_nested(&compiled.pipeline) {
        flat = crate::flatten::flatten(&compiled.pipeline);
        &flat
    } else {
        &compiled.pipeline
    };
    // Data references a DataTransferStep of this pipeline writes are read as its output.
    let rebound;
    let pipeline = match crate::data_transfer::rebind(pipeline) {
        Some(p) => {
            rebound = p;
            &rebound
        }
        None => pipeline,
    };
    let workspace = &compiled.workspace;
    let values = params::resolve(pipeline, &opts.parameters)?;
    let hasher = TreeHasher::new(hash_cache);
    let resolver = Resolver::new(workspace, state, hash_cache);
    let fps = fingerprint::fingerprint_steps_with(pipeline, workspace, &values, &hasher, Some(&resolver))
        .map_err(|e| explain_missing_data(e, state))?;
    let cache = OutputCache::new(state.cache_dir(), state.tmp_dir());
    let levels = pipeline.dag.levels().ok_or(fingerprint::FingerprintError::Cycle)?;
    let store_name = store_name(pipeline_file, state);

    let mut steps: Vec<PlannedStep> = Vec::with_capacity(pipeline.steps.len());
    let mut index: HashMap<StepId, usize> = HashMap::new();
    let mut first_run_of: HashMap<String, StepId> = HashMap::new();
    let mut problems = Vec::new();
    for id in levels.iter().flatten().copied() {
        let step = pipeline.step(id);
        let fp = fps[id.0].clone();
        let deps = pipeline.dag.dependencies(id);
        let data_deps: Vec<StepId> = step
            .inputs
            .iter()
            .filter_map(|p| match &p.source {
                Source::StepOutput { step, .. } => Some(*step),
                _ => None,
            })
            .collect();
        let upstream = |s: &StepId| index.get(s).map(|&i| &steps[i]);
        let volatile_upstream = data_deps
            .iter()
            .filter_map(upstream)
            .find(|u| u.reuse == Reuse::Disabled || u.volatile)
            .map(|u| u.key.clone());

        let mut same_as = None;
        let mut reused_from = None;
        let mut volatile = false;
        let (reuse, changes): (Reuse, Vec<String>) = if opts.regenerate_outputs {
            (Reuse::Disabled, vec!["--regenerate-outputs".to_string()])
        } else if pipeline.force_rerun {
            (Reuse::Disabled, vec!["force_rerun is set for the pipeline".to_string()])
        } else if !step.allow_reuse {
            (Reuse::Disabled, vec!["allow_reuse is false".to_string()])
        } else if let Some(u) = volatile_upstream {
            volatile = true;
            (
                Reuse::Miss,
                vec![format!("upstream step `{u}` re-runs and its outputs may differ (its reuse is off)")],
            )
        } else {
            // Reused only when the outputs are still those the step stored.
            match cache.verify(&fp.fingerprint, hash_cache) {
                EntryState::Intact(m) => {
                    let why = if m.step == step.key.value {
                        format!("unchanged since run {}", m.run)
                    } else {
                        format!("same inputs as step `{}` of run {}", m.step, m.run)
                    };
                    reused_from = Some(ReusedFrom { run: Some(m.run), step: m.step });
                    (Reuse::Hit, vec![why])
                }
                entry => {
                    if let Some(&twin) = first_run_of.get(&fp.fingerprint) {
                        let twin_key = pipeline.step(twin).key.value.clone();
                        same_as = Some(twin);
                        reused_from = Some(ReusedFrom { run: None, step: twin_key.clone() });
                        (
                            Reuse::Hit,
                            vec![format!("same inputs as step `{twin_key}`, which runs first in this run")],
                        )
                    } else if entry != EntryState::Missing {
                        (Reuse::Miss, entry.reasons())
                    } else {
                        let reruns = |key: &str| steps.iter().any(|s| s.key == key && s.runs());
                        (Reuse::Miss, miss_reasons(store, &store_name, step, &fp, &steps, &reruns)?)
                    }
                }
            }
        };
        if reuse == Reuse::Miss && !volatile {
            first_run_of.entry(fp.fingerprint.clone()).or_insert(id);
        }

        let mut fetches = Vec::new();
        let data = DataCx { workspace, resolver: &resolver, remote_dir: state.dir.join("remote") };
        let inputs = input_values(pipeline, &data, &values, step, &steps, &index, &cache, &mut fetches);
        let publishes = publishes(&resolver, step, &fp.fingerprint);
        let outputs: BTreeMap<String, PathBuf> = step
            .outputs
            .iter()
            .map(|o| (o.name.value.clone(), cache.output_path(&fp.fingerprint, &o.name.value)))
            .collect();
        let mut why = Vec::new();
        if reuse != Reuse::Hit {
            why.extend(runnable(pipeline, workspace, step).err());
            why.extend(publishes.as_ref().err().cloned());
            why.extend(
                inputs
                    .iter()
                    .filter_map(|(name, v)| v.as_ref().err().map(|e| format!("input `{name}`: {e}"))),
            );
        }
        let inputs: BTreeMap<String, InputValue> =
            inputs.into_iter().map(|(k, v)| (k, v.unwrap_or(InputValue::Unbound))).collect();
        let command = match command::command_line(step, &inputs, &outputs, &state.dir) {
            Ok(c) => c,
            Err(e) => {
                if why.is_empty() && reuse != Reuse::Hit {
                    why.push(e);
                }
                None
            }
        };
        let mut problem = None;
        if !why.is_empty() {
            let text = format!("step `{}`: {}", step.key.value, why.join("; "));
            problems.push(text.clone());
            problem = Some(text);
        }
        let manifest = opts.explain.then(|| manifest_values(&fp.manifest));
        index.insert(id, steps.len());
        steps.push(PlannedStep {
            key: step.key.value.clone(),
            kind: step.kind.name().to_string(),
            fingerprint: fp.fingerprint.clone(),
            reuse,
            reason: changes.join("; "),
            changes,
            depends_on: deps.iter().map(|d| pipeline.step(*d).key.value.clone()).collect(),
            command,
            cwd: step.code_folder(),
            inputs,
            outputs,
            reused_from,
            problem,
            manifest,
            id,
            same_as,
            fp,
            volatile,
            step: step.clone(),
            fetches,
            publishes: publishes.unwrap_or_default(),
        });
    }
    Ok(Plan {
        version: PLAN_VERSION,
        pipeline: pipeline
            .name
            .as_ref()
            .map(|n| n.value.clone())
            .or_else(|| pipeline.display_name.clone())
            .unwrap_or_else(|| file_stem(pipeline_file)),
        file: pipeline_file.to_path_buf(),
        state: state.dir.clone(),
        parameters: values.to_json(pipeline),
        levels: levels
            .iter()
            .map(|l| l.iter().map(|s| pipeline.step(*s).key.value.clone()).collect())
            .collect(),
        steps,
        problems,
        store_name,
        values,
    })
}

/// How the run store names a pipeline file: its path relative to the state's root.
pub fn store_name(pipeline_file: &Path, state: &StateDir) -> String {
    let abs = std::path::absolute(pipeline_file).unwrap_or_else(|_| pipeline_file.to_path_buf());
    abs.strip_prefix(state.root()).unwrap_or(&abs).to_string_lossy().replace('\\', "/")
}

fn file_stem(p: &Path) -> String {
    p.file_stem().map_or_else(|| "pipeline".to_string(), |s| s.to_string_lossy().into_owned())
}

fn manifest_values(m: &Manifest) -> BTreeMap<String, Json> {
    m.fields.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect()
}

/// A missing file on a built-in datastore: say how to put it there.
fn explain_missing_data(e: fingerprint::FingerprintError, state: &StateDir) -> RuntimeError {
    if let fingerprint::FingerprintError::Hash { source: HashError::NotFound { path }, step, what } = &e {
        let datastores = state.dir.join("datastores");
        if let Ok(rel) = path.strip_prefix(&datastores) {
            let mut parts = rel.components();
            let store =
                parts.next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
            let inner = parts.as_path().to_string_lossy().replace('\\', "/");
            let (target, file) = match inner.rsplit_once('/') {
                Some((dir, file)) => (dir.to_string(), file.to_string()),
                None => (String::new(), inner.clone()),
            };
            let target = if target.is_empty() { String::new() } else { format!(" --target-path {target}") };
            return RuntimeError::Other(format!(
                "step `{step}`: {what}: `{inner}` is not on datastore `{store}` (a folder under {}); upload it with `sluice datastore upload --datastore {store}{target} {file}`",
                datastores.display()
            ));
        }
    }
    e.into()
}

/// Why the step does not run (words for each change since its last run).
fn miss_reasons(
    store: Option<&RunStore>,
    store_name: &str,
    step: &Step,
    fp: &StepFingerprint,
    planned: &[PlannedStep],
    reruns: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, RuntimeError> {
    let Some(last) = store.map(|s| s.last_step_run(store_name, &step.key.value)).transpose()?.flatten()
    else {
        return Ok(vec!["never run".to_string()]);
    };
    let listing = |hash: &str| -> Option<Listing> {
        fp.trees
            .get(hash)
            .map(|p| Listing::of(p))
            .or_else(|| planned.iter().find_map(|s| s.fp.trees.get(hash)).map(|p| Listing::of(p)))
            .or_else(|| store.and_then(|s| s.listing(hash)))
    };
    let changes = explain::diff(&last.manifest, &crate::secrets::mask_manifest(&fp.manifest), &listing);
    if !changes.is_empty() {
        return Ok(changes.iter().map(|c| describe(c, reruns)).collect());
    }
    let run = last.run_id;
    Ok(vec![match last.status.as_str() {
        status::FAILED => format!("its last run (run {run}) failed"),
        status::CANCELED => format!("its last run (run {run}) was canceled"),
        status::INTERRUPTED | status::RUNNING => format!("its last run (run {run}) did not finish"),
        status::SKIPPED | status::QUEUED => format!("it did not run in its last run (run {run})"),
        _ if last.fingerprint != fp.fingerprint => "its inputs changed".to_string(),
        _ => format!("its outputs from run {run} are no longer in the cache"),
    }])
}

/// What data inputs are resolved with.
struct DataCx<'a> {
    workspace: &'a Workspace,
    resolver: &'a Resolver<'a>,
    /// Where fetched copies of cloud data are kept.
    remote_dir: PathBuf,
}

impl DataCx<'_> {
    /// The local path of `loc`: a file or folder here, or the cached copy of cloud data (then
    /// added to `fetches` under `input`).
    fn path(
        &self,
        input: &str,
        loc: &DataLocation,
        fetches: &RefCell<Vec<Fetch>>,
    ) -> Result<InputValue, String> {
        let err = match data::resolve(loc, self.workspace) {
            Ok(d) => return Ok(InputValue::Path(d.path)),
            Err(e) => e,
        };
        match self.resolver.locate(loc) {
            Some(Ok(found)) => match found.located {
                Located::Local(path, _) => Ok(InputValue::Path(path)),
                Located::Remote(r) => {
                    let path = r.cache_path(&self.remote_dir);
                    fetches.borrow_mut().push(Fetch {
                        input: input.to_string(),
                        data: r,
                        dataset: found.dataset,
                    });
                    Ok(InputValue::Path(path))
                }
            },
            Some(Err(e)) => Err(e),
            None => Err(match loc {
                DataLocation::Sql { .. } => format!(
                    "{err}: Azure SQL and PostgreSQL sources are read only by Azure Data Factory, which cannot run here; run this pipeline in Azure ML"
                ),
                _ => err.to_string(),
            }),
        }
    }
}

/// The outputs of `step` uploaded when it succeeds: those on a cloud datastore, and a
/// DataTransferStep's destination on any datastore.
fn publishes(resolver: &Resolver, step: &Step, fingerprint: &str) -> Result<Vec<Publish>, String> {
    let transfer = matches!(step.kind, StepKind::DataTransfer { .. });
    let mut out = Vec::new();
    for o in &step.outputs {
        let Some(ds) = &o.datastore else { continue };
        if !transfer && !resolver.is_cloud(ds.as_str()) {
            continue;
        }
        let store = resolver.store(ds.as_str()).map_err(|e| format!("output `{}`: {e}", o.name.value))?;
        let raw = o.path.as_ref().map(|p| p.value.as_str()).unwrap_or("");
        let given = raw
            .strip_prefix("azureml://datastores/")
            .and_then(|r| r.split_once("/paths/"))
            .map_or(raw, |(_, p)| p);
        let path = if given.trim_matches('/').is_empty() && !transfer {
            // As Azure ML's default for an output: a folder of its own per producing run; here
            // per fingerprint, so a reused step's output is where its first run put it.
            format!("azureml/{}/{}", &fingerprint[..16], o.name.value)
        } else {
            given.replace("{output-name}", &o.name.value).replace("{name}", &o.name.value)
        };
        let path = crate::datastore::paths::clean(&path, "output path")
            .map_err(|e| format!("output `{}`: {e}", o.name.value))?;
        let as_file =
            matches!(step.kind, StepKind::DataTransfer { destination_shape: Some(EndpointShape::File), .. });
        out.push(Publish { output: o.name.value.clone(), store, path, as_file });
    }
    Ok(out)
}

/// Each input's value: a path, a value, or why it cannot be had on this machine.
#[allow(clippy::too_many_arguments)]
fn input_values(
    pipeline: &Pipeline,
    data: &DataCx,
    values: &ParameterValues,
    step: &Step,
    planned: &[PlannedStep],
    index: &HashMap<StepId, usize>,
    cache: &OutputCache,
    fetches: &mut Vec<Fetch>,
) -> BTreeMap<String, Result<InputValue, String>> {
    let found = RefCell::new(Vec::new());
    let local = |name: &str, loc: &DataLocation| data.path(name, loc, &found);
    let literal = |l: &Literal| Ok(InputValue::Value(l.to_json()));
    // Inputs the component declares that the step does not give take their default.
    let mut out: BTreeMap<String, Result<InputValue, String>> = step
        .component
        .iter()
        .flat_map(|c| &c.inputs)
        .filter(|d| step.input(&d.name.value).is_none())
        .map(|d| {
            (d.name.value.clone(), d.default.as_ref().map_or(Ok(InputValue::Unbound), |l| literal(&l.value)))
        })
        .collect();
    out.extend(step.inputs.iter().map(|port| {
        let v = match &port.source {
            Source::StepOutput { step: up, output, .. } => match index.get(up).map(|&i| &planned[i]) {
                Some(u) => Ok(InputValue::Path(cache.output_path(&u.fingerprint, output))),
                None => Err("its upstream step is not planned".to_string()),
            },
            Source::Data { index, .. } => {
                let d = &pipeline.data[*index];
                local(&port.name.value, &d.location).map_err(|e| format!("data reference `{}`: {e}", d.name.value))
            }
            Source::PipelineInput { index: i, .. } => {
                let input = &pipeline.inputs[*i];
                match (&input.data, values.get(*i)) {
                    (Some(loc), _) => local(&port.name.value, loc),
                    (None, Some(v)) => literal(v).and_then(|v| match v.text().and_then(|t| t.find('\0')) {
                        Some(at) => Err(format!(
                            "the value of pipeline parameter `{}` holds a NUL byte (at byte {at}), which no program argument or environment variable can carry",
                            input.name.value
                        )),
                        None => Ok(v),
                    }),
                    (None, None) => Ok(InputValue::Unbound),
                }
            }
            Source::Literal(l) => literal(&l.value),
            Source::Location(loc) => local(&port.name.value, loc),
            Source::None | Source::Unresolved(_) => match &port.default {
                Some(d) => literal(&d.value),
                None => Ok(InputValue::Unbound),
            },
        };
        (port.name.value.clone(), v)
    }));
    fetches.extend(found.into_inner());
    out
}

/// Why a step cannot run on this machine, if it cannot.
pub fn runnable(pipeline: &Pipeline, workspace: &Workspace, step: &Step) -> Result<(), String> {
    let kind_problem = match &step.kind {
        StepKind::Command | StepKind::Parallel(_) => None,
        StepKind::Databricks(_) => Some(
            "it runs on Databricks; submitting Databricks jobs is not supported yet, so run this pipeline in Azure ML",
        ),
        StepKind::DataTransfer { task: task @ (TransferTask::Import | TransferTask::Export), .. } => {
            let (what, way) = match task {
                TransferTask::Import => ("imports", "from"),
                _ => ("exports", "to"),
            };
            return Err(format!(
                "it {what} data {way} a database or another cloud's storage through an Azure ML connection, which only Azure ML reaches; run this pipeline in Azure ML"
            ));
        }
        StepKind::DataTransfer { destination, .. } => {
            // Copied here (crate::data_transfer); a database is read and written only by Data Factory.
            let sql = pipeline
                .data
                .iter()
                .any(|d| d.name.value == destination.value && matches!(d.location, DataLocation::Sql { .. }));
            if sql {
                return Err(format!(
                    "its destination `{}` is a SQL table (Azure SQL / PostgreSQL), which only Azure Data Factory writes and which cannot be reached from here; run this pipeline in Azure ML",
                    destination.value
                ));
            }
            return Ok(());
        }
        StepKind::Adla => {
            Some("it runs U-SQL on Azure Data Lake Analytics (retired), which cannot run on this machine")
        }
        StepKind::AzureBatch => Some("it runs on Azure Batch, which cannot run on this machine"),
        StepKind::Module(_) => {
            Some("it runs a module registered in an Azure ML workspace, which sluice cannot see or run here")
        }
        StepKind::Sweep { .. } => Some("sweep jobs cannot run on this machine yet"),
        StepKind::Spark { .. } => Some("Spark jobs cannot run on this machine"),
        StepKind::AutoMl => Some("AutoML jobs run only in Azure ML"),
        // Flattened before planning; one left here is known only by reference.
        StepKind::Pipeline(_) => {
            Some("its pipeline component is registered in Azure ML; sluice cannot see its steps")
        }
        StepKind::ControlFlow(_) => Some("control-flow nodes cannot run on this machine yet"),
    };
    if let Some(p) = kind_problem {
        return Err(p.to_string());
    }
    let compute = step.compute.as_ref().or(pipeline.default_compute.as_ref());
    if let Some(c) = compute.and_then(|n| workspace.compute(n.as_str()))
        && !matches!(c.kind, ComputeKind::Local | ComputeKind::AmlCompute | ComputeKind::Serverless)
    {
        return Err(format!(
            "it runs on compute `{}` of type {}, which cannot run on this machine",
            c.name,
            c.kind.as_str()
        ));
    }
    Ok(())
}
