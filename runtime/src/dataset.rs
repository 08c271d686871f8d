//! Registered datasets (issue 12, item 4): `sluice dataset register` records a version 1, 2,
//! ... of a name, each pinning the content identity of what it points to (a tree hash of files
//! on a local datastore, the listing of MD5s of a cloud one). Kept in `.sluice/datasets/`, one
//! JSON file a name, written whole (temporary file, then rename) under the state folder's lock.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use sluice_compiler::fingerprint::HashCache;
use sluice_compiler::ir::Workspace;

use crate::remote::{Located, Resolver};
use crate::state::StateDir;

/// What a dataset holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetKind {
    /// Files (a `FileDataset`): the step receives them as they are.
    Files,
    /// A delimited file (a `TabularDataset` from `from_delimited_files`).
    Delimited,
}

impl DatasetKind {
    /// `files` or `delimited`, as the CLI option says it.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetKind::Files => "files",
            DatasetKind::Delimited => "delimited",
        }
    }
}

/// One version of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetVersion {
    /// 1, 2, ...
    pub version: u32,
    /// Files or delimited.
    pub kind: DatasetKind,
    /// The datastore.
    pub datastore: String,
    /// The path on it.
    pub path: String,
    /// The description given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The content identity it pins.
    pub content: String,
    /// Files it covers.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// When it was registered, Unix milliseconds.
    pub registered_ms: i64,
}

/// A dataset: its name and versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// The name.
    pub name: String,
    /// The versions.
    pub versions: Vec<DatasetVersion>,
}

/// The datasets of a state folder.
#[derive(Debug, Clone)]
pub struct Registry {
    dir: PathBuf,
}

impl Registry {
    /// The registry of `state` (its `datasets/` folder, which may not exist yet).
    pub fn new(state: &StateDir) -> Self {
        Registry { dir: state.dir.join("datasets") }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// The dataset `name`, if registered.
    pub fn get(&self, name: &str) -> Result<Option<Dataset>, String> {
        check_name(name)?;
        let path = self.file(name);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{} is damaged: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Every dataset, by name.
    pub fn all(&self) -> Result<Vec<Dataset>, String> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(format!("cannot read {}: {e}", self.dir.display())),
        };
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            if let Some(name) = file.strip_suffix(".json")
                && let Some(d) = self.get(name)?
            {
                out.push(d);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Version `version` of `name` (`None` or `latest`: the newest).
    pub fn resolve(&self, name: &str, version: Option<&str>) -> Result<DatasetVersion, String> {
        let Some(d) = self.get(name)? else {
            let names: Vec<String> = self.all().unwrap_or_default().into_iter().map(|d| d.name).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let hint = sluice_compiler::suggest::did_you_mean(name, &refs)
                .map(|h| format!("; {h}"))
                .unwrap_or_default();
            return Err(format!(
                "dataset `{name}` is not registered{hint} (register it with `sluice dataset register --name {name} --files DATASTORE:PATH`)"
            ));
        };
        match version.map(str::trim).filter(|v| !v.is_empty() && *v != "latest") {
            None => d.versions.last().cloned().ok_or_else(|| format!("dataset `{name}` has no version")),
            Some(v) => {
                let n: u32 =
                    v.parse().map_err(|_| format!("dataset `{name}`: version `{v}` is not a number"))?;
                d.versions.iter().find(|x| x.version == n).cloned().ok_or_else(|| {
                    let last = d.versions.last().map_or(0, |x| x.version);
                    format!("dataset `{name}` has no version {n} (its versions are 1 to {last})")
                })
            }
        }
    }

    /// Adds `v` as the next version of `name` unless the newest already pins the same data;
    /// returns the version and whether it is new.
    pub fn register(&self, name: &str, mut v: DatasetVersion) -> Result<(DatasetVersion, bool), String> {
        check_name(name)?;
        let mut d =
            self.get(name)?.unwrap_or_else(|| Dataset { name: name.to_string(), versions: Vec::new() });
        if let Some(last) = d.versions.last()
            && last.content == v.content
            && last.datastore == v.datastore
            && last.path == v.path
            && last.kind == v.kind
            && (v.description.is_none() || last.description == v.description)
        {
            return Ok((last.clone(), false));
        }
        v.version = d.versions.last().map_or(1, |l| l.version + 1);
        d.versions.push(v.clone());
        let bytes = serde_json::to_vec_pretty(&d).map_err(|e| e.to_string())?;
        write_whole(&self.file(name), &bytes)?;
        Ok((v, true))
    }
}

/// A dataset name: letters, digits, `-`, `_` and `.`, starting with a letter or digit.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= 255
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a dataset name (letters, digits, `-`, `_` and `.`, starting with a letter or digit)"
        ))
    }
}

/// Registers what `datastore:path` holds now as the next version of `name` (unless the newest
/// version already pins it): its content identity from a hash of the files on a local
/// datastore, from a listing (MD5s) on a cloud one. Holds the state folder's lock meanwhile.
pub fn register(
    workspace: &Workspace,
    state: &StateDir,
    name: &str,
    kind: DatasetKind,
    datastore: &str,
    path: &str,
    description: Option<String>,
) -> Result<(DatasetVersion, bool), String> {
    check_name(name)?;
    state.create().map_err(|e| e.to_string())?;
    let _lock = state
        .lock(&mut |holder| eprintln!("waiting for {holder} to finish with the state folder..."))
        .map_err(|e| e.to_string())?;
    let hashes = HashCache::load(&state.hash_cache_path());
    let resolver = Resolver::new(workspace, state, &hashes);
    let path = crate::datastore::paths::clean(path, "path").map_err(|e| e.to_string())?;
    let mut v = DatasetVersion {
        version: 0,
        kind,
        datastore: datastore.to_string(),
        path,
        description,
        content: String::new(),
        files: 0,
        bytes: 0,
        registered_ms: crate::time::now_ms(),
    };
    if workspace.datastore(datastore).is_none() {
        // The same words as every other command that names a datastore.
        crate::datastore::open(workspace, datastore, Default::default()).map_err(|e| e.to_string())?;
    }
    let (located, content) = resolver.current(&v)?;
    let (is_dir, files, bytes) = match &located {
        Located::Remote(r) => (r.is_dir, r.entries.len() as u64, r.entries.iter().map(|e| e.size).sum()),
        Located::Local(_, Some(h)) => (h.is_dir, h.files.len() as u64, h.total_bytes()),
        Located::Local(p, None) => (p.is_dir(), 0, 0),
    };
    if kind == DatasetKind::Delimited && is_dir {
        return Err(format!(
            "`{datastore}:{}` is a folder; --delimited names one delimited file (register a folder with --files)",
            v.path
        ));
    }
    if files == 0 {
        return Err(format!("`{datastore}:{}` holds no file", v.path));
    }
    // A local dataset's version is kept as it is now: later edits in place do not change it.
    if let Located::Local(src, _) = &located {
        keep_copy(state, &content, src, &crate::remote::data_name(datastore, &v.path))?;
    }
    let _ = hashes.save(&state.hash_cache_path());
    v.content = content;
    v.files = files;
    v.bytes = bytes;
    Registry::new(state).register(name, v)
}

/// Copies `src` to `.sluice/remote/<content>/<name>` unless a copy is there (a temporary folder
/// renamed into place, so a copy is whole or absent).
fn keep_copy(state: &StateDir, content: &str, src: &Path, name: &str) -> Result<(), String> {
    let dir = state.dir.join("remote").join(content);
    if dir.is_dir() {
        return Ok(());
    }
    let tmp =
        state.tmp_dir().join(format!("dataset-{}-{}", &content[..16.min(content.len())], std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let made = if src.is_dir() {
        crate::data_transfer::copy_verified(src, &tmp.join(name))
    } else {
        crate::data_transfer::copy_verified(src, &tmp)
    };
    let renamed = made.and_then(|_| {
        std::fs::create_dir_all(state.dir.join("remote")).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &dir).map_err(|e| format!("cannot keep a copy in {}: {e}", dir.display()))
    });
    if renamed.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    renamed
}

/// The local path of a dataset version's data: its kept copy, else the data in place or
/// (cloud) a fetched copy. Fails when the data no longer is what the version pins.
pub fn local_copy(
    workspace: &Workspace,
    state: &StateDir,
    name: &str,
    v: &DatasetVersion,
) -> Result<PathBuf, String> {
    let hashes = HashCache::load(&state.hash_cache_path());
    let resolver = Resolver::new(workspace, state, &hashes);
    match resolver.dataset_version(name, v)?.located {
        Located::Local(p, _) => Ok(p),
        Located::Remote(r) => {
            // A run starting meanwhile clears `.sluice/tmp`, where the copy is being made.
            let _lock = state
                .lock(&mut |holder| eprintln!("waiting for {holder} to finish with the state folder..."))
                .map_err(|e| e.to_string())?;
            let (remote_dir, tmp) = (state.dir.join("remote"), state.tmp_dir());
            std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
            crate::remote::apart(|| crate::remote::fetch(&r, &remote_dir, &tmp))?;
            Ok(r.cache_path(&remote_dir))
        }
    }
}

fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(content: &str) -> DatasetVersion {
        DatasetVersion {
            version: 0,
            kind: DatasetKind::Files,
            datastore: "ds".into(),
            path: "p".into(),
            description: None,
            content: content.into(),
            files: 1,
            bytes: 1,
            registered_ms: 0,
        }
    }

    #[test]
    fn versions_count_up_and_the_same_content_is_not_a_new_version() {
        let dir = tempfile::tempdir().unwrap();
        let r = Registry::new(&StateDir { dir: dir.path().to_path_buf() });
        assert_eq!(
            r.register("sales", version("a")).unwrap(),
            (DatasetVersion { version: 1, ..version("a") }, true)
        );
        assert!(!r.register("sales", version("a")).unwrap().1);
        assert_eq!(r.register("sales", version("b")).unwrap().0.version, 2);
        assert_eq!(r.resolve("sales", None).unwrap().content, "b");
        assert_eq!(r.resolve("sales", Some("1")).unwrap().content, "a");
        assert!(r.resolve("sales", Some("3")).unwrap_err().contains("versions are 1 to 2"));
        assert!(r.resolve("sale", None).unwrap_err().contains("did you mean `sales`"));
        assert!(check_name("../x").is_err());
    }
}
