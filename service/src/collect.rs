//! What a published pipeline's snapshot holds, gathered on the publisher's machine: every
//! file its fingerprints read as code (source folders and hash paths honouring `.amlignore` /
//! `.gitignore`, run configurations, conda files, build contexts, local data given by path),
//! the files the compiler read (pipeline, components, workspace), and where each local
//! datastore is (data on datastores stays live, as in Azure ML).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use sluice_compiler::Compiled;
use sluice_compiler::fingerprint::canonical::hex;
use sluice_compiler::fingerprint::{HashCache, HashError, IgnoreRules, TreeHasher, data};
use sluice_compiler::ir::{DataLocation, DatastoreKind, Environment, Pipeline, Source};
use sluice_compiler::session::Session;
use sluice_runtime::StateDir;

use crate::snapshot::{relative, validate};
use crate::wire::{SnapshotFile, SnapshotManifest};

/// Why a snapshot cannot be gathered.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// A file or folder the pipeline needs could not be read.
    #[error("{what}: {source}")]
    Hash {
        /// What it is (`source folder of step prep`, ...).
        what: String,
        /// Why.
        #[source]
        source: HashError,
    },
    /// A path cannot be written in a snapshot (not UTF-8).
    #[error("`{}` cannot be published: its path is not UTF-8", .0.display())]
    Path(PathBuf),
    /// The snapshot breaks a rule of the service (overlapping datastore, too many files).
    #[error("{0}")]
    Invalid(String),
}

/// A gathered snapshot: the manifest and, for each content hash, a file holding it.
#[derive(Debug, Clone)]
pub struct Collected {
    /// The manifest to publish.
    pub manifest: SnapshotManifest,
    /// A file for each content hash, to upload what the service lacks.
    pub sources: BTreeMap<String, PathBuf>,
    /// Bytes of all files.
    pub total_bytes: u64,
}

/// `path` without `.` and with `..` applied (lexically, as the compiler joins paths).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn absolute(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// What to hash: a path, its ignore rules, and what it is (for messages).
type Root = (PathBuf, IgnoreRules, String);

fn code_roots(pipeline: &Pipeline) -> Vec<Root> {
    let mut roots: Vec<Root> = Vec::new();
    let data = |loc: &DataLocation, what: String, roots: &mut Vec<Root>| {
        if let DataLocation::Local(p) = loc {
            roots.push((p.resolved(), IgnoreRules::None, what));
        }
    };
    for d in &pipeline.data {
        data(&d.location, format!("data reference `{}`", d.name.value), &mut roots);
    }
    for i in &pipeline.inputs {
        if let Some(loc) = &i.data {
            data(loc, format!("pipeline input `{}`", i.name.value), &mut roots);
        }
    }
    for step in &pipeline.steps {
        let key = &step.key.value;
        if let Some(dir) = step.code_folder() {
            roots.push((dir, IgnoreRules::Project, format!("source folder of step `{key}`")));
        }
        for hp in &step.hash_paths {
            roots.push((
                hp.resolved(),
                IgnoreRules::Project,
                format!("hash path `{}` of step `{key}`", hp.raw.value),
            ));
        }
        match &step.environment {
            Environment::RunConfig(p) => {
                roots.push((p.resolved(), IgnoreRules::None, format!("runconfig of step `{key}`")))
            }
            Environment::Inline { conda_file, build, .. } => {
                if let Some(p) = conda_file {
                    roots.push((p.resolved(), IgnoreRules::None, format!("conda file of step `{key}`")));
                }
                if let Some(p) = build {
                    roots.push((p.resolved(), IgnoreRules::None, format!("build context of step `{key}`")));
                }
            }
            _ => {}
        }
        for port in &step.inputs {
            if let Source::Location(loc) = &port.source {
                data(loc, format!("input `{}` of step `{key}`", port.name.value), &mut roots);
            }
        }
    }
    roots
}

/// Where each local datastore is expected inside the snapshot (absolute, on this machine) and
/// the folder it reads. A datastore written with an absolute path needs no link.
fn datastore_links(compiled: &Compiled, session: &Session) -> Vec<(PathBuf, PathBuf)> {
    let ws = &compiled.workspace;
    let ws_dir = ws.file.map(|f| absolute(session.sources.get(f).dir()));
    ws.datastores
        .iter()
        .filter(|d| d.kind == DatastoreKind::Local && d.local_path.is_some())
        .filter_map(|d| {
            let target = data::datastore_folder(ws, &d.name).ok()?;
            let target = absolute(&target);
            let target = target.canonicalize().unwrap_or(target);
            let at = match &ws_dir {
                Some(dir) => {
                    let written = d.settings.get("path").and_then(|v| v.as_str())?;
                    if Path::new(written).is_absolute() {
                        return None;
                    }
                    normalize(&dir.join(written))
                }
                None => absolute(d.local_path.as_deref()?),
            };
            Some((at, target))
        })
        .collect()
}

/// The deepest folder holding every path.
fn common_root<'a>(paths: impl Iterator<Item = &'a Path>) -> PathBuf {
    let mut root: Option<PathBuf> = None;
    for p in paths {
        let dir = p.to_path_buf();
        root = Some(match root {
            None => dir,
            Some(r) => {
                let mut common = PathBuf::new();
                for (a, b) in r.components().zip(dir.components()) {
                    if a != b {
                        break;
                    }
                    common.push(a);
                }
                common
            }
        });
    }
    root.unwrap_or_else(|| PathBuf::from("/"))
}

fn rel(root: &Path, path: &Path) -> Result<String, CollectError> {
    relative(root, path).ok_or_else(|| CollectError::Path(path.to_path_buf()))
}

/// Gathers the snapshot of `compiled`, read by `session` from `pipeline_file`.
pub fn collect(
    session: &Session,
    compiled: &Compiled,
    pipeline_file: &Path,
) -> Result<Collected, CollectError> {
    let flat;
    let pipeline = if sluice_runtime::flatten::has_nested(&compiled.pipeline) {
        flat = sluice_runtime::flatten::flatten(&compiled.pipeline);
        &flat
    } else {
        &compiled.pipeline
    };
    // The publisher's hash cache makes this quick after a run; nothing is written back.
    let cache = HashCache::load(&StateDir::for_root(&compiled.workspace.root).hash_cache_path());
    let hasher = TreeHasher::new(&cache);
    let mut files: BTreeMap<PathBuf, SnapshotFile> = BTreeMap::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut add = |path: &Path, rules: IgnoreRules, what: String| -> Result<(), CollectError> {
        let h = hasher.hash(path, rules).map_err(|source| CollectError::Hash { what, source })?;
        let base = normalize(&h.path);
        if h.is_dir {
            dirs.push(base.clone());
        }
        for f in &h.files {
            let p = if h.is_dir { base.join(&f.rel) } else { base.clone() };
            files.insert(p, SnapshotFile { sha256: hex(&f.hash), size: f.size });
        }
        Ok(())
    };
    for (path, rules, what) in code_roots(pipeline) {
        add(&path, rules, what)?;
    }
    for (_, source) in session.sources.iter() {
        add(&absolute(&source.path), IgnoreRules::None, format!("`{}`", source.path.display()))?;
    }
    let pipeline_path = absolute(pipeline_file);
    add(&pipeline_path, IgnoreRules::None, format!("`{}`", pipeline_file.display()))?;
    let workspace_path = compiled.workspace.file.map(|f| absolute(&session.sources.get(f).path));
    let links = datastore_links(compiled, session);

    let root = common_root(
        files
            .keys()
            .map(|p| p.parent().unwrap_or(p))
            .chain(dirs.iter().map(PathBuf::as_path))
            .chain(links.iter().map(|(at, _)| at.parent().unwrap_or(at))),
    );
    let mut sources = BTreeMap::new();
    let mut manifest_files = BTreeMap::new();
    let mut total_bytes = 0;
    for (path, f) in files {
        total_bytes += f.size;
        sources.entry(f.sha256.clone()).or_insert_with(|| path.clone());
        manifest_files.insert(rel(&root, &path)?, f);
    }
    let mut manifest_dirs = Vec::new();
    for d in dirs {
        if d != root {
            manifest_dirs.push(rel(&root, &d)?);
        }
    }
    manifest_dirs.sort();
    manifest_dirs.dedup();
    let mut datastores = BTreeMap::new();
    for (at, target) in links {
        let target = target.to_str().ok_or_else(|| CollectError::Path(target.clone()))?.to_string();
        datastores.insert(rel(&root, &at)?, target);
    }
    let manifest = SnapshotManifest {
        pipeline_file: rel(&root, &pipeline_path)?,
        workspace_file: workspace_path.map(|p| rel(&root, &p)).transpose()?,
        files: manifest_files,
        dirs: manifest_dirs,
        datastores,
    };
    validate(&manifest).map_err(|e| CollectError::Invalid(e.to_string()))?;
    Ok(Collected { manifest, sources, total_bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_applies_parent_parts() {
        assert_eq!(normalize(Path::new("/a/b/./c/../../d")), PathBuf::from("/a/d"));
        assert_eq!(
            common_root([Path::new("/a/b/c"), Path::new("/a/b/d/e")].into_iter()),
            PathBuf::from("/a/b")
        );
    }
}
