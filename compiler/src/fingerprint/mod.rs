//! Reuse fingerprints (DESIGN section 5). A step's fingerprint is the SHA-256 of a canonical
//! serialisation (sorted keys, no whitespace, a format version) of everything that decides its
//! result: kind; script or command and arguments (placeholders symbolic); resolved parameter
//! values; each input's identity (an upstream step's fingerprint and output name; a datastore,
//! path and, for local datastores, content hash; a dataset name and version); output names,
//! types, datastores and modes; compute name and kind; environment; the content hash of the
//! source folder, of each `hash_paths` entry and of each configuration file (a ParallelRunStep's
//! configuration, a conda file a run configuration names); the step's settings. Not the step
//! key, not YAML comments or formatting, not display names.
//!
//! Each step's inputs are kept by name in a [`Manifest`], so a later plan can say which changed
//! ([`explain`]).

pub mod cache;
pub mod canonical;
pub mod data;
pub mod explain;
pub mod manifest;
pub mod params;
pub mod tree;
pub mod walk;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value as Json, json};

pub use cache::{FileKey, HashCache};
pub use manifest::{FORMAT_VERSION, Field, Listing, Manifest, Origin};
pub use params::{ParameterError, ParameterValues};
pub use tree::{HashError, IgnoreRules, PathHash, TreeHasher};

use crate::ir::{
    Arg, Arguments, DataLocation, Environment, InputPort, Invocation, Pipeline, PortRole, Source, Step,
    StepId, StepKind, Workspace,
};

/// A step's fingerprint with its manifest and the hashed paths behind it.
#[derive(Debug, Clone)]
pub struct StepFingerprint {
    /// The step.
    pub step: StepId,
    /// SHA-256 of the manifest's canonical form, lower-case hex.
    pub fingerprint: String,
    /// Every input of the hash by name.
    pub manifest: Manifest,
    /// The source folder as hashed: the files a run snapshots.
    pub source: Option<Arc<PathHash>>,
    /// Every hashed path behind a field, by its hash.
    pub trees: BTreeMap<String, Arc<PathHash>>,
}

/// Why fingerprints could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum FingerprintError {
    /// A file or folder of a step could not be hashed.
    #[error("step `{step}`: {what}: {source}")]
    Hash {
        /// The step key.
        step: String,
        /// What was hashed (source folder, hash path, data reference, ...).
        what: String,
        /// Why it failed.
        #[source]
        source: HashError,
    },
    /// A parameter a step reads has no value.
    #[error(
        "step `{step}` reads parameter `{parameter}`, which has no default; give it with `-p {parameter}=VALUE`"
    )]
    MissingValue {
        /// The step key.
        step: String,
        /// The pipeline parameter.
        parameter: String,
    },
    /// The steps form a cycle (checks report it first).
    #[error("the steps form a cycle")]
    Cycle,
    /// Data not on this machine whose identity could not be looked up (a listing of a blob
    /// container failed, a registered dataset is unknown).
    #[error("step `{step}`: {what}: {message}")]
    Remote {
        /// The step key.
        step: String,
        /// The data reference or input.
        what: String,
        /// Why, in words (names the datastore and path, never a credential).
        message: String,
    },
}

/// The identity of data that is not a local file, as the caller looks it up: a listing of a
/// blob container (ETags and MD5s), a registered dataset's version. The compiler reads no
/// network; the runtime gives one of these to [`fingerprint_steps_with`].
pub trait DataResolver: Sync {
    /// `None`: not data this resolver knows (it is kept by where it is); `Some(Err)`: data it
    /// should know but could not look up.
    fn identity(&self, location: &DataLocation) -> Option<Result<RemoteIdentity, String>>;
}

/// What a [`DataResolver`] found.
#[derive(Debug, Clone)]
pub struct RemoteIdentity {
    /// Fields added to the input's identity (`content`, a dataset's `resolved` version, ...).
    pub fields: serde_json::Map<String, Json>,
    /// The files behind it, so a later plan can name those that changed.
    pub listing: Option<Arc<PathHash>>,
}

/// Computes the fingerprint of every step, in step order (index = [`StepId`]). Upstream
/// fingerprints are chained into their consumers.
pub fn fingerprint_steps(
    pipeline: &Pipeline,
    workspace: &Workspace,
    values: &ParameterValues,
    hasher: &TreeHasher,
) -> Result<Vec<StepFingerprint>, FingerprintError> {
    fingerprint_steps_with(pipeline, workspace, values, hasher, None)
}

/// [`fingerprint_steps`], with the identities of data not on this machine looked up by
/// `remote`.
pub fn fingerprint_steps_with(
    pipeline: &Pipeline,
    workspace: &Workspace,
    values: &ParameterValues,
    hasher: &TreeHasher,
    remote: Option<&dyn DataResolver>,
) -> Result<Vec<StepFingerprint>, FingerprintError> {
    let order = pipeline.dag.topological_order().ok_or(FingerprintError::Cycle)?;
    let mut done: Vec<Option<StepFingerprint>> = vec![None; pipeline.steps.len()];
    let cx = Cx { pipeline, workspace, values, hasher, remote };
    for id in order {
        let fp = cx.step(id, &done)?;
        done[id.0] = Some(fp);
    }
    done.into_iter().map(|f| f.ok_or(FingerprintError::Cycle)).collect()
}

struct Cx<'a> {
    pipeline: &'a Pipeline,
    workspace: &'a Workspace,
    values: &'a ParameterValues,
    hasher: &'a TreeHasher<'a>,
    remote: Option<&'a dyn DataResolver>,
}

/// What a step's fields are being built into.
struct Building<'s> {
    step: &'s Step,
    manifest: Manifest,
    trees: BTreeMap<String, Arc<PathHash>>,
}

impl Building<'_> {
    fn hashed(
        &mut self,
        what: impl Into<String>,
        h: Result<Arc<PathHash>, HashError>,
    ) -> Result<Arc<PathHash>, FingerprintError> {
        let h = h.map_err(|source| FingerprintError::Hash {
            step: self.step.key.value.clone(),
            what: what.into(),
            source,
        })?;
        self.trees.insert(h.hash.clone(), h.clone());
        Ok(h)
    }
}

impl Cx<'_> {
    fn step(
        &self,
        id: StepId,
        done: &[Option<StepFingerprint>],
    ) -> Result<StepFingerprint, FingerprintError> {
        let step = self.pipeline.step(id);
        let mut b = Building { step, manifest: Manifest::default(), trees: BTreeMap::new() };
        b.manifest.insert("kind", Field::new(kind(&step.kind)));
        invocation(&mut b.manifest, &step.invocation);
        for port in &step.inputs {
            let prefix = if port.role == PortRole::Parameter { "parameter" } else { "input" };
            let field = self.input(&mut b, port, done)?;
            b.manifest.insert(format!("{prefix}:{}", port.name.value), field);
        }
        outputs(&mut b.manifest, step);
        b.manifest.insert("compute", Field::new(self.compute(step)));
        let environment = self.environment(&mut b)?;
        b.manifest.insert("environment", environment);
        let source = self.source_folder(&mut b)?;
        self.hash_paths(&mut b)?;
        self.config_files(&mut b)?;
        settings(&mut b.manifest, step);
        let fingerprint = b.manifest.fingerprint();
        Ok(StepFingerprint { step: id, fingerprint, manifest: b.manifest, source, trees: b.trees })
    }

    /// The step's code folder by content.
    fn source_folder(&self, b: &mut Building) -> Result<Option<Arc<PathHash>>, FingerprintError> {
        let step = b.step;
        let Some(dir) = step.code_folder() else { return Ok(None) };
        let h = b.hashed("source folder", self.hasher.hash(&dir, IgnoreRules::Project))?;
        let origin = step.code.as_ref().map_or_else(|| ".".to_string(), |c| c.raw.value.clone());
        b.manifest.insert(
            "source",
            Field {
                value: h.hash.clone().into(),
                origin: Some(Origin::Path(origin)),
                tree: Some(h.hash.clone()),
            },
        );
        Ok(Some(h))
    }

    /// Each `hash_paths` entry by content.
    fn hash_paths(&self, b: &mut Building) -> Result<(), FingerprintError> {
        let step = b.step;
        for hp in &step.hash_paths {
            let raw = hp.raw.value.clone();
            let h = b.hashed(
                format!("hash path `{raw}`"),
                self.hasher.hash(&hp.resolved(), IgnoreRules::Project),
            )?;
            b.manifest.insert(
                format!("hash_path:{raw}"),
                Field {
                    value: json!({"hash": h.hash, "dir": h.is_dir}),
                    origin: Some(Origin::Path(raw)),
                    tree: Some(h.hash.clone()),
                },
            );
        }
        Ok(())
    }

    /// Configuration files by content (a ParallelRunStep's configuration, a conda file a run
    /// configuration names).
    fn config_files(&self, b: &mut Building) -> Result<(), FingerprintError> {
        let step = b.step;
        for c in &step.config_files {
            let raw = c.raw.value.clone();
            let h = b.hashed(
                format!("configuration file `{raw}`"),
                self.hasher.hash(&c.resolved(), IgnoreRules::None),
            )?;
            b.manifest.insert(
                format!("config:{raw}"),
                Field { value: h.hash.clone().into(), origin: Some(Origin::Path(raw)), tree: None },
            );
        }
        Ok(())
    }

    fn input(
        &self,
        b: &mut Building,
        port: &InputPort,
        done: &[Option<StepFingerprint>],
    ) -> Result<Field, FingerprintError> {
        let ty = port.ty.map(|t| t.as_str());
        let with_type = |mut v: Json| {
            if let (Some(t), Json::Object(m)) = (ty, &mut v) {
                m.insert("type".into(), t.into());
            }
            v
        };
        let step_key = || b.step.key.value.clone();
        Ok(match &port.source {
            Source::StepOutput { step, output, .. } => {
                let upstream = done.get(step.0).and_then(Option::as_ref).ok_or(FingerprintError::Cycle)?;
                Field::new(with_type(json!({"step": upstream.fingerprint, "output": output})))
                    .from(Origin::Step(self.pipeline.step(*step).key.value.clone()))
            }
            Source::Data { index, .. } => {
                let d = &self.pipeline.data[*index];
                let what = format!("data reference `{}`", d.name.value);
                let mut f = self.data(b, &d.location, what)?;
                f.value = with_type(f.value);
                f.from(Origin::Data(d.name.value.clone()))
            }
            Source::PipelineInput { index, .. } => {
                let input = &self.pipeline.inputs[*index];
                let name = input.name.value.clone();
                if let Some(loc) = &input.data {
                    let mut f = self.data(b, loc, format!("data parameter `{name}`"))?;
                    f.value = with_type(f.value);
                    f.from(Origin::Parameter(name))
                } else {
                    let Some(v) = self.values.get(*index) else {
                        if port.optional {
                            return Ok(Field::new(Json::Null).from(Origin::Parameter(name)));
                        }
                        return Err(FingerprintError::MissingValue { step: step_key(), parameter: name });
                    };
                    let v = v.to_json();
                    let value =
                        if port.role == PortRole::Parameter { v } else { with_type(json!({"value": v})) };
                    Field::new(value).from(Origin::Parameter(name))
                }
            }
            Source::Literal(l) => {
                let v = l.value.to_json();
                let value = if port.role == PortRole::Parameter { v } else { with_type(json!({"value": v})) };
                Field::new(value).from(Origin::Literal)
            }
            Source::Location(loc) => {
                let origin = match loc {
                    DataLocation::Local(p) => Origin::Path(p.raw.value.clone()),
                    _ => Origin::Literal,
                };
                let mut f = self.data(b, loc, format!("input `{}`", port.name.value))?;
                f.value = with_type(f.value);
                f.from(origin)
            }
            Source::None | Source::Unresolved(_) => {
                Field::new(port.default.as_ref().map_or(Json::Null, |d| d.value.to_json()))
                    .from(Origin::Literal)
            }
        })
    }

    /// A data location's identity: where it is and, when it is on this machine, its content hash.
    fn data(&self, b: &mut Building, loc: &DataLocation, what: String) -> Result<Field, FingerprintError> {
        let mut value = match loc {
            DataLocation::Datastore { datastore, path } => {
                json!({"datastore": datastore.value, "path": path.value})
            }
            DataLocation::Local(p) => json!({"local": p.raw.value}),
            DataLocation::Dataset { name, version } => json!({"dataset": name.value, "version": version}),
            DataLocation::DatasetId(id) => json!({"dataset_id": id.value}),
            DataLocation::Sql { datastore, query } => {
                json!({"sql": query.value, "datastore": datastore.value})
            }
            DataLocation::Uri(u) => json!({"uri": u.value}),
            DataLocation::Asset(a) => json!({"asset": a.value}),
            DataLocation::Invalid => Json::Null,
        };
        let mut tree = None;
        // Data that is on this machine is identified by its content too; other data by where it
        // is (sluice cannot run steps reading it, and says so before a run).
        if let Ok(local) = data::resolve(loc, self.workspace) {
            let h = b.hashed(what, self.hasher.hash(&local.path, IgnoreRules::None))?;
            if let Json::Object(m) = &mut value {
                m.insert("content".into(), h.hash.clone().into());
            }
            tree = Some(h.hash.clone());
        } else if let Some(found) = self.remote.and_then(|r| r.identity(loc)) {
            // Data elsewhere (a blob container, a registered dataset): identified by what its
            // service reports, read from a listing, never by downloading it.
            let found = found.map_err(|message| FingerprintError::Remote {
                step: b.step.key.value.clone(),
                what: what.clone(),
                message,
            })?;
            if let Json::Object(m) = &mut value {
                m.extend(found.fields);
            }
            if let Some(l) = found.listing {
                tree = Some(l.hash.clone());
                b.trees.insert(l.hash.clone(), l);
            }
        }
        Ok(Field { value, origin: None, tree })
    }

    fn compute(&self, step: &Step) -> Json {
        let name = step.compute.as_ref().or(self.pipeline.default_compute.as_ref()).map(|n| n.value.as_str());
        let kind = name.map(|n| self.workspace.compute(n).map_or("local", |c| c.kind.as_str()));
        json!({"name": name.map(|n| n.strip_prefix("azureml:").unwrap_or(n)), "kind": kind})
    }

    fn environment(&self, b: &mut Building) -> Result<Field, FingerprintError> {
        let step = b.step;
        Ok(match &step.environment {
            Environment::Default => Field::new("default".into()),
            Environment::Reference(r) => Field::new(json!({"reference": r.value})),
            Environment::RunConfig(p) => {
                let h = b.hashed("runconfig", self.hasher.hash(&p.resolved(), IgnoreRules::None))?;
                Field::new(json!({"runconfig": h.hash})).from(Origin::Path(p.raw.value.clone()))
            }
            Environment::Inline { image, conda_file, build, settings } => {
                let conda = match conda_file {
                    Some(p) => Some(
                        b.hashed("conda file", self.hasher.hash(&p.resolved(), IgnoreRules::None))?
                            .hash
                            .clone(),
                    ),
                    None => None,
                };
                // A docker build context counts by content, every file of it.
                let build = match build {
                    Some(p) => Some(
                        b.hashed("docker build context", self.hasher.hash(&p.resolved(), IgnoreRules::None))?
                            .hash
                            .clone(),
                    ),
                    None => None,
                };
                Field::new(json!({
                    "image": image.as_ref().map(|i| i.value.as_str()),
                    "conda": conda,
                    "build": build,
                    "settings": settings,
                }))
            }
        })
    }
}

/// Keys that describe a step or output without deciding its result.
const METADATA: [&str; 6] = ["tags", "properties", "display_name", "description", "name", "version"];

/// Settings without the keys that only describe (changing a tag does not re-run a step).
fn without_metadata(settings: &serde_json::Map<String, Json>) -> serde_json::Map<String, Json> {
    settings
        .iter()
        .filter(|(k, _)| !METADATA.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// What of a component decides a step's result beyond the step's own fields: where it comes
/// from when registered, its declared inputs and outputs (defaults, types, modes), and the rest
/// of its body (resources, distribution, ...).
fn component(c: &crate::ir::Component) -> Json {
    let registered = match &c.origin {
        crate::ir::ComponentOrigin::Registered(r) => Some(r.value.clone()),
        _ => None,
    };
    let port = |p: &crate::ir::PortDecl| {
        json!({
            "name": p.name.value,
            "type": p.type_name,
            "optional": p.optional,
            "default": p.default.as_ref().map(|d| d.value.to_json()),
            "mode": p.mode.map(|m| m.as_str()),
        })
    };
    json!({
        "kind": c.kind,
        "registered": registered,
        "inputs": c.inputs.iter().map(port).collect::<Vec<_>>(),
        "outputs": c.outputs.iter().map(port).collect::<Vec<_>>(),
        "settings": without_metadata(&c.settings),
    })
}

/// What the step runs: its script, its command or argument template, its arguments.
fn invocation(manifest: &mut Manifest, invocation: &Invocation) {
    match invocation {
        Invocation::None => {}
        Invocation::Command(command) => {
            manifest.insert("command", Field::new(command.text.clone().into()));
        }
        Invocation::Script { script, arguments } => {
            if let Some(script) = script {
                manifest.insert("script", Field::new(script.raw.value.clone().into()));
            }
            match arguments {
                // The field keeps its name from when a template was the step's command.
                Arguments::Template(template) => {
                    manifest.insert("command", Field::new(template.text.clone().into()));
                }
                Arguments::List(list) if !list.is_empty() => {
                    manifest.insert("arguments", Field::new(list.iter().map(argument).collect()));
                }
                Arguments::List(_) => {}
            }
        }
    }
}

/// Each output's type, datastore, mode, path and settings.
fn outputs(manifest: &mut Manifest, step: &Step) {
    for out in &step.outputs {
        manifest.insert(
            format!("output:{}", out.name.value),
            Field::new(json!({
                "type": out.ty.map(|t| t.as_str()),
                "datastore": out.datastore.as_ref().map(|d| d.value.as_str()),
                "mode": out.mode.map(|m| m.as_str()),
                "path": out.path.as_ref().map(|p| p.value.as_str()),
                "settings": without_metadata(&out.settings),
            })),
        );
    }
}

/// The settings passed on unread, the other templates and the component.
fn settings(manifest: &mut Manifest, step: &Step) {
    let settings = without_metadata(&step.settings);
    if !settings.is_empty() {
        manifest.insert("settings", Field::new(Json::Object(settings)));
    }
    if !step.templates.is_empty() {
        let texts: Vec<Json> = step.templates.iter().map(|t| t.text.clone().into()).collect();
        manifest.insert("templates", Field::new(Json::Array(texts)));
    }
    if let Some(c) = &step.component {
        manifest.insert("component", Field::new(component(c)));
    }
}

fn argument(a: &Arg) -> Json {
    match a {
        Arg::Literal(s) => s.value.clone().into(),
        Arg::Input(n) => json!({"input": n.value}),
        Arg::Output(n) => json!({"output": n.value}),
        Arg::Parameter(n) => json!({"parameter": n.value}),
        Arg::SideInput(n) => json!({"side_input": n.value}),
    }
}

fn kind(k: &StepKind) -> Json {
    let mut m = serde_json::Map::new();
    m.insert("name".into(), k.name().into());
    match k {
        StepKind::Parallel(p) => {
            m.insert("entry_script".into(), p.entry_script.as_ref().map(|e| e.raw.value.clone()).into());
            m.insert("mini_batch_size".into(), p.mini_batch_size.clone().into());
            m.insert("node_count".into(), p.node_count.into());
            m.insert("process_count_per_node".into(), p.process_count_per_node.into());
            m.insert("error_threshold".into(), p.error_threshold.into());
            m.insert("output_action".into(), p.output_action.clone().into());
        }
        StepKind::Databricks(d) => {
            let n = |x: &Option<crate::ir::Name>| x.as_ref().map(|n| n.value.clone());
            m.insert("notebook_path".into(), n(&d.notebook_path).into());
            m.insert("python_script_path".into(), n(&d.python_script_path).into());
            m.insert("main_class_name".into(), n(&d.main_class_name).into());
            m.insert("existing_cluster_id".into(), d.existing_cluster_id.clone().into());
        }
        StepKind::DataTransfer { source, destination, .. } => {
            m.insert("source".into(), source.value.clone().into());
            m.insert("destination".into(), destination.value.clone().into());
        }
        StepKind::Module(r) => {
            let n = |x: &Option<crate::ir::Name>| x.as_ref().map(|n| n.value.clone());
            m.insert("module".into(), n(&r.name).into());
            m.insert("module_id".into(), n(&r.id).into());
            m.insert("module_version".into(), r.version.clone().into());
        }
        _ => {}
    }
    Json::Object(m)
}

#[cfg(test)]
mod tests;
