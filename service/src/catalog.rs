//! Published pipelines ready to run: each snapshot materialised once and compiled (kept in
//! memory, so a submission is checked against the pipeline's parameters without reading files
//! again), and the checks of a submission against it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;
use sluice_compiler::Compiled;
use sluice_compiler::fingerprint::params::{self, ParameterError};
use sluice_compiler::ir::{DataLocation, DataType, DatastoreKind, Name, Pipeline};
use sluice_compiler::paths::find_workspace_file;
use sluice_compiler::report;
use sluice_compiler::session::{Session, WorkspaceChoice};

use crate::error::{Result, ServiceError};
use crate::snapshot::{self, BlobStore};
use crate::store::{Db, pipelines};
use crate::wire::{DataPath, GraphStep, PipelineParameter, SnapshotManifest, SubmitRequest};

/// A published pipeline's snapshot, materialised and compiled.
#[derive(Debug)]
pub struct Prepared {
    /// The materialised snapshot.
    pub folder: PathBuf,
    /// The pipeline file in it.
    pub pipeline_file: PathBuf,
    /// The compiled pipeline.
    pub compiled: Compiled,
}

impl Prepared {
    /// A copy of the compiled pipeline, to change for one run.
    pub fn compiled_copy(&self) -> Compiled {
        Compiled { pipeline: self.compiled.pipeline.clone(), workspace: self.compiled.workspace.clone() }
    }
}

/// The snapshots of the service.
#[derive(Debug)]
pub struct Catalog {
    blobs: BlobStore,
    snapshots: PathBuf,
    prepared: Mutex<HashMap<String, Arc<Prepared>>>,
}

impl Catalog {
    /// The catalog of the service state folder `state`.
    pub fn new(state: &Path) -> Catalog {
        Catalog {
            blobs: BlobStore::new(state.join("blobs")),
            snapshots: state.join("snapshots"),
            prepared: Mutex::new(HashMap::new()),
        }
    }

    /// Removes what a crash may have left half-made: snapshots being materialised and blobs
    /// being written (neither was ever used).
    pub fn clean_leftovers(&self) {
        let half_made = |dir: &Path, prefix: &str| {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(prefix) {
                    let _ = snapshot::remove_all(&e.path());
                }
            }
        };
        half_made(&self.snapshots, ".tmp-");
        if let Ok(shards) = std::fs::read_dir(self.blobs.dir()) {
            for shard in shards.flatten() {
                half_made(&shard.path(), ".");
            }
        }
    }

    /// The content store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// Materialises and compiles a snapshot (blocking). `Err` with a 400 when the pipeline has
    /// errors (their text, with paths inside the snapshot).
    pub fn prepare(&self, id: &str, manifest: &SnapshotManifest) -> Result<Arc<Prepared>> {
        if let Some(p) = self.prepared.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(Arc::clone(p));
        }
        let folder = snapshot::materialise(&self.blobs, &self.snapshots, id, manifest)?;
        let pipeline_file = under(&folder, &manifest.pipeline_file);
        let workspace = manifest.workspace_file.as_ref().map(|w| under(&folder, w));
        if workspace.is_none()
            && let Some(outside) = pipeline_file.parent().and_then(find_workspace_file)
        {
            return Err(ServiceError::Internal(format!(
                "the service's state folder lies under a workspace file ({}), which a published pipeline without one would read: move the state folder",
                outside.display()
            )));
        }
        let mut session = Session::new(WorkspaceChoice { explicit: workspace });
        let compiled = session
            .compile(&pipeline_file)
            .map_err(|e| ServiceError::bad_at("BadSnapshot", &manifest.pipeline_file, e.to_string()))?;
        let Some(compiled) = compiled else {
            let text = report::render_human(session.diagnostics.as_slice(), &session.sources, false);
            let prefix = format!("{}/", folder.display());
            return Err(ServiceError::BadRequest {
                code: "PipelineHasErrors",
                message: format!("the pipeline has errors:\n{}", text.replace(&prefix, "")),
                target: Some(manifest.pipeline_file.clone()),
                known: Vec::new(),
            });
        };
        let prepared = Arc::new(Prepared { folder, pipeline_file, compiled });
        self.prepared.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), Arc::clone(&prepared));
        Ok(prepared)
    }

    /// The prepared snapshot of a published pipeline (on a blocking thread).
    pub async fn prepared(self: &Arc<Self>, db: &Arc<Db>, snapshot_id: &str) -> Result<Arc<Prepared>> {
        if let Some(p) = self.prepared.lock().unwrap_or_else(|p| p.into_inner()).get(snapshot_id) {
            return Ok(Arc::clone(p));
        }
        let id = snapshot_id.to_string();
        let manifest = db
            .call({
                let id = id.clone();
                move |c| pipelines::snapshot_manifest(c, &id)
            })
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("snapshot {id} is not recorded")))?;
        let manifest: SnapshotManifest = serde_json::from_str(&manifest)
            .map_err(|e| ServiceError::Internal(format!("snapshot {id} is damaged: {e}")))?;
        let catalog = Arc::clone(self);
        tokio::task::spawn_blocking(move || catalog.prepare(&id, &manifest)).await?
    }
}

fn under(root: &Path, rel: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    p.extend(rel.split('/'));
    p
}

/// The flattened pipeline (nested pipelines run as their steps).
pub fn flat(compiled: &Compiled) -> std::borrow::Cow<'_, Pipeline> {
    if sluice_runtime::flatten::has_nested(&compiled.pipeline) {
        std::borrow::Cow::Owned(sluice_runtime::flatten::flatten(&compiled.pipeline))
    } else {
        std::borrow::Cow::Borrowed(&compiled.pipeline)
    }
}

fn type_name(ty: Option<DataType>, is_data: bool) -> String {
    match ty {
        Some(t) => t.as_str().to_string(),
        None if is_data => "datapath".to_string(),
        None => "string".to_string(),
    }
}

/// A pipeline's parameters with types and defaults.
pub fn parameters(pipeline: &Pipeline) -> Vec<PipelineParameter> {
    pipeline
        .inputs
        .iter()
        .map(|i| {
            let ty = i.effective_type();
            let is_data = i.data.is_some() || ty.is_some_and(|t| !t.is_literal());
            let default = match (&i.default, &i.data) {
                (Some(d), _) => Some(d.value.to_json()),
                (None, Some(DataLocation::Datastore { datastore, path })) => {
                    Some(serde_json::json!({"DataStoreName": datastore.value, "RelativePath": path.value}))
                }
                (None, Some(DataLocation::Local(p))) => Some(Json::String(p.raw.value.clone())),
                _ => None,
            };
            PipelineParameter {
                name: i.name.value.clone(),
                ty: type_name(ty, is_data),
                default,
                optional: i.optional,
                is_data,
                description: i.description.clone(),
            }
        })
        .collect()
}

/// A pipeline's steps in an order where each comes after what it waits for.
pub fn graph(compiled: &Compiled) -> Vec<GraphStep> {
    let pipeline = flat(compiled);
    let order = pipeline.dag.topological_order().unwrap_or_default();
    order
        .into_iter()
        .map(|id| {
            let step = pipeline.step(id);
            GraphStep {
                name: step.key.value.clone(),
                display_name: step.display_name.clone(),
                kind: step.kind.name().to_string(),
                depends_on: pipeline
                    .dag
                    .dependencies(id)
                    .into_iter()
                    .map(|d| pipeline.step(d).key.value.clone())
                    .collect(),
                outputs: step.outputs.iter().map(|o| o.name.value.clone()).collect(),
            }
        })
        .collect()
}

/// A submission checked against its pipeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checked {
    /// Parameter values given, as text read with each parameter's type.
    pub assignments: BTreeMap<String, String>,
    /// Every parameter value the run uses.
    pub parameters: BTreeMap<String, Json>,
    /// Data paths given.
    pub data_paths: BTreeMap<String, DataPath>,
}

fn value_text(name: &str, v: &Json) -> Result<String> {
    match v {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        other => Err(ServiceError::bad_at(
            "BadParameterValue",
            name,
            format!(
                "parameter `{name}`: give a string, number or boolean, not {}",
                match other {
                    Json::Null => "null",
                    Json::Array(_) => "an array",
                    _ => "an object",
                }
            ),
        )),
    }
}

fn known_values(pipeline: &Pipeline) -> Vec<String> {
    parameters(pipeline)
        .into_iter()
        .filter(|p| !p.is_data)
        .map(|p| format!("{} ({})", p.name, p.ty))
        .collect()
}

fn known_data(pipeline: &Pipeline) -> Vec<String> {
    parameters(pipeline).into_iter().filter(|p| p.is_data).map(|p| p.name).collect()
}

/// Checks a submission's parameters and data paths against the pipeline: each name must be a
/// parameter of it and each value of its type (a 400 naming it and the known ones otherwise).
pub fn check_submission(compiled: &Compiled, req: &SubmitRequest) -> Result<Checked> {
    let pipeline = &compiled.pipeline;
    if req.data_set_definition_value_assignments.as_ref().is_some_and(|d| !d.is_empty()) {
        return Err(ServiceError::bad_at(
            "NotSupported",
            "DataSetDefinitionValueAssignments",
            "DataSetDefinitionValueAssignments (registered datasets) cannot be used here; use DataPathAssignments",
        ));
    }
    let mut pairs = Vec::new();
    for (name, v) in &req.parameter_assignments {
        pairs.push((name.clone(), value_text(name, v)?));
    }
    let values = params::resolve(pipeline, &pairs).map_err(|e| {
        let (code, target) = match &e {
            ParameterError::Unknown { name, .. } => ("UnknownParameter", name.clone()),
            ParameterError::BadValue { name, .. } => ("BadParameterValue", name.clone()),
            ParameterError::DataInput { name } => ("DataParameter", name.clone()),
            // Cannot come from a JSON object's keys, but is named like the others if it does.
            ParameterError::Repeated { name, .. } => ("RepeatedParameter", name.clone()),
            ParameterError::Syntax(t) => ("BadParameterValue", t.clone()),
        };
        let message = match &e {
            ParameterError::DataInput { name } => {
                format!("parameter `{name}` is a data parameter: set it in DataPathAssignments")
            }
            other => other.to_string(),
        };
        ServiceError::BadRequest { code, message, target: Some(target), known: known_values(pipeline) }
    })?;
    for (i, input) in pipeline.inputs.iter().enumerate() {
        let is_data = input.data.is_some() || input.effective_type().is_some_and(|t| !t.is_literal());
        if values.get(i).is_none() && !is_data && !input.optional {
            let name = &input.name.value;
            return Err(ServiceError::BadRequest {
                code: "MissingParameter",
                message: format!("parameter `{name}` has no default: give it in ParameterAssignments"),
                target: Some(name.clone()),
                known: known_values(pipeline),
            });
        }
    }
    let mut data_paths = BTreeMap::new();
    for (name, dp) in &req.data_path_assignments {
        check_data_path(compiled, name, dp)?;
        data_paths.insert(name.clone(), dp.clone());
    }
    let parameters = match values.to_json(pipeline) {
        Json::Object(m) => m.into_iter().collect(),
        _ => BTreeMap::new(),
    };
    Ok(Checked { assignments: pairs.into_iter().collect(), parameters, data_paths })
}

fn check_data_path(compiled: &Compiled, name: &str, dp: &DataPath) -> Result<()> {
    let pipeline = &compiled.pipeline;
    let is_data = |i: &&sluice_compiler::ir::PipelineInput| {
        i.data.is_some() || i.effective_type().is_some_and(|t| !t.is_literal())
    };
    if !pipeline.inputs.iter().filter(is_data).any(|i| i.name.value == name) {
        let known = known_data(pipeline);
        let hint = if known.is_empty() {
            "it has no data parameters".to_string()
        } else {
            format!("its data parameters: {}", known.join(", "))
        };
        return Err(ServiceError::BadRequest {
            code: "UnknownDataParameter",
            message: format!("the pipeline has no data parameter `{name}`; {hint}"),
            target: Some(name.to_string()),
            known,
        });
    }
    if dp.sql_data_path.as_ref().is_some_and(|s| !s.is_null()) {
        return Err(ServiceError::bad_at(
            "NotSupported",
            name,
            format!("data parameter `{name}`: SQL data paths cannot be read here"),
        ));
    }
    let ws = &compiled.workspace;
    let Some(store) = ws.datastore(&dp.data_store_name) else {
        let known: Vec<String> = ws.datastores.iter().map(|d| d.name.clone()).collect();
        return Err(ServiceError::BadRequest {
            code: "UnknownDatastore",
            message: format!(
                "data parameter `{name}`: the workspace has no datastore `{}`; its datastores: {}",
                dp.data_store_name,
                known.join(", ")
            ),
            target: Some(dp.data_store_name.clone()),
            known,
        });
    };
    if store.kind != DatastoreKind::Local {
        return Err(ServiceError::bad_at(
            "DatastoreNotLocal",
            &dp.data_store_name,
            format!(
                "data parameter `{name}`: datastore `{}` is of type {}; runs here read local datastores only",
                store.name,
                store.kind.as_str()
            ),
        ));
    }
    let rel = dp.relative_path.trim_start_matches('/');
    let escapes = rel.is_empty()
        || rel.contains('\0')
        || rel.contains('\\')
        || Path::new(rel)
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir));
    if escapes {
        return Err(ServiceError::bad_at(
            "BadDataPath",
            name,
            format!(
                "data parameter `{name}`: RelativePath `{}` must be a path inside datastore `{}` (no `..`, not empty)",
                dp.relative_path, store.name
            ),
        ));
    }
    Ok(())
}

/// Sets each data parameter named in `data_paths` to its datastore path, for one run.
pub fn apply_data_paths(compiled: &mut Compiled, data_paths: &BTreeMap<String, DataPath>) {
    for input in &mut compiled.pipeline.inputs {
        if let Some(dp) = data_paths.get(&input.name.value) {
            let at =
                |value: &str| Name { value: value.to_string(), file: input.name.file, span: input.name.span };
            input.data = Some(DataLocation::Datastore {
                datastore: at(&dp.data_store_name),
                path: at(dp.relative_path.trim_start_matches('/')),
            });
        }
    }
}
