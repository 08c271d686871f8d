//! The two hashes azure-ai-ml 1.35.2 computes offline and puts into request bodies: the content
//! hash of a local `code:` folder (`.../codes/<hash>/versions/1`) and the id of an anonymous
//! component (`.../components/azureml_anonymous/versions/<uuid>`). See docs/azureml-hashing.md.

mod pyjson;

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ignore_file::{IgnoreError, IgnoreFile};

/// Why a code folder could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The code path does not exist or cannot be resolved to an absolute path.
    #[error("cannot resolve the code path {path}: {source}")]
    Resolve {
        /// The path as given.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A file to hash cannot be examined or read (missing target of a link, no permission...).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file, as reached from the code folder.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Something to hash is neither a regular file nor a directory (FIFO, socket, device).
    #[error("{path} is neither a regular file nor a directory")]
    NotAFile {
        /// The entry, as reached from the code folder.
        path: PathBuf,
    },
    /// The `.amlignore` or `.gitignore` cannot be read, or has a pattern azure-ai-ml rejects.
    #[error(transparent)]
    Ignore(#[from] IgnoreError),
    /// A directory link leads back to a directory it lies in, so the walk would never end.
    #[error("the directory link {path} leads back to one of its own ancestors")]
    SymlinkLoop {
        /// The link, as reached from the code folder.
        path: PathBuf,
    },
    /// A file name is not UTF-8, which the SDK cannot encode into the hash either.
    #[error("the file name of {path} is not valid UTF-8")]
    NonUtf8Name {
        /// The file, as reached from the code folder.
        path: PathBuf,
    },
}

/// Content hash of a local code folder (or single file), equal to azure-ai-ml's
/// `get_content_hash(path, get_ignore_file(path))` on the resolved path.
///
/// The walk follows links; files excluded by the folder's `.amlignore` (else `.gitignore`) are
/// left out, empty folders count for nothing. SHA-256 over: the file count, then `#<path>#<size>`
/// for each file in order of its lowercased `/`-separated relative path, then every file's bytes
/// in the same order. Directories the walk cannot list are skipped, as `os.walk` skips them.
pub fn code_content_hash(dir: &Path) -> Result<String, HashError> {
    let root =
        fs::canonicalize(dir).map_err(|source| HashError::Resolve { path: dir.to_path_buf(), source })?;
    let meta = fs::metadata(&root).map_err(|source| HashError::Read { path: root.clone(), source })?;
    if meta.is_file() {
        // A single file is hashed under its own (resolved) name.
        let Some(name) = root.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            return Err(HashError::NonUtf8Name { path: root });
        };
        return hash_file_list(vec![FileEntry { rel: name, path: root }]);
    }
    if !meta.is_dir() {
        return Err(HashError::NotAFile { path: root });
    }
    let ignore = IgnoreFile::for_folder(&root)?;
    let mut walk = Walk { ignore: ignore.as_ref(), ancestors: vec![root.clone()], files: Vec::new() };
    walk.dir(&root, &root, Some(""))?;
    hash_file_list(walk.files)
}

/// `get_object_hash(path, get_ignore_file(path))`, the older hash azure-ai-ml gives a docker
/// build context (and the local inputs of a pipeline component's jobs, without an ignore file):
/// SHA-256 seeded with `Initialize for october 2021 AML CLI version`, then for each entry of a
/// folder, sorted by its full path lowercased and skipping excluded ones, its name and then its
/// bytes (a file) or its own entries (a folder). A file alone adds just its bytes.
pub fn object_hash(path: &Path, honour_ignore_file: bool) -> Result<String, HashError> {
    let mut hasher = Sha256::new();
    hasher.update(b"Initialize for october 2021 AML CLI version");
    let meta = fs::metadata(path).map_err(|source| HashError::Read { path: path.to_path_buf(), source })?;
    if meta.is_dir() {
        let ignore = if honour_ignore_file {
            let root = fs::canonicalize(path)
                .map_err(|source| HashError::Resolve { path: path.to_path_buf(), source })?;
            IgnoreFile::for_folder(&root)?
        } else {
            None
        };
        object_hash_dir(path, &mut hasher, ignore.as_ref(), 0)?;
    } else if meta.is_file() {
        hash_file_into(path, &mut hasher)?;
    } else {
        // A FIFO would block the read for good; a device is no data.
        return Err(HashError::NotAFile { path: path.to_path_buf() });
    }
    Ok(hex(&hasher.finalize()))
}

fn object_hash_dir(
    dir: &Path,
    hasher: &mut Sha256,
    ignore: Option<&IgnoreFile>,
    depth: usize,
) -> Result<(), HashError> {
    // A directory link back up would recurse forever; the SDK would too, so stop with an error.
    if depth > 256 {
        return Err(HashError::SymlinkLoop { path: dir.to_path_buf() });
    }
    let listing = fs::read_dir(dir).map_err(|source| HashError::Read { path: dir.to_path_buf(), source })?;
    let mut entries: Vec<PathBuf> = listing
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|source| HashError::Read { path: dir.to_path_buf(), source })?;
    entries.sort_by_cached_key(|p| p.to_string_lossy().to_lowercase());
    for entry in entries {
        if let Some(rules) = ignore
            && rules.is_excluded(&entry)?
        {
            continue;
        }
        let Some(name) = entry.file_name().and_then(|n| n.to_str()) else {
            return Err(HashError::NonUtf8Name { path: entry });
        };
        hasher.update(name.as_bytes());
        let meta = fs::metadata(&entry).map_err(|source| HashError::Read { path: entry.clone(), source })?;
        if meta.is_file() {
            hash_file_into(&entry, hasher)?;
        } else if meta.is_dir() {
            object_hash_dir(&entry, hasher, ignore, depth + 1)?;
        }
    }
    Ok(())
}

fn hash_file_into(path: &Path, hasher: &mut Sha256) -> Result<(), HashError> {
    let read_error = |source| HashError::Read { path: path.to_path_buf(), source };
    let mut f = File::open(path).map_err(read_error)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match f.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(e)),
        }
    }
}

/// Lowercase hex SHA-256 of a text, as `get_sha256_string` computes it.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// A file to hash: where it is reached, and its name in the hash.
struct FileEntry {
    /// Path through the walked folders (links unresolved; reading follows them).
    path: PathBuf,
    /// `/`-separated path relative to the code folder.
    rel: String,
}

/// The state of `os.walk(root, followlinks=True)` plus `traverse_directory`'s filtering.
struct Walk<'a> {
    ignore: Option<&'a IgnoreFile>,
    /// Resolved paths of the directories from the root down to the one being listed.
    ancestors: Vec<PathBuf>,
    files: Vec<FileEntry>,
}

impl Walk<'_> {
    /// Lists `path` (reached as `path`, resolved as `resolved`, `prefix` relative to the root;
    /// `None` below a name that is not UTF-8, an error only once a file there is kept): its files
    /// first, in directory order, then each subdirectory in turn, as `os.walk` yields.
    fn dir(&mut self, path: &Path, resolved: &Path, prefix: Option<&str>) -> Result<(), HashError> {
        // `os.walk` drops a directory it cannot list, or fails to list to the end.
        let Ok(listing) = fs::read_dir(path) else {
            return Ok(());
        };
        let Ok(entries) = listing.collect::<Result<Vec<_>, _>>() else {
            return Ok(());
        };
        let mut dirs = Vec::new();
        for entry in entries {
            let name = entry.file_name();
            let entry_path = entry.path();
            let file_type = entry.file_type().ok();
            let is_link = file_type.is_some_and(|t| t.is_symlink());
            // `DirEntry.is_dir()` follows links and says "no" when it cannot tell.
            let is_dir = match file_type {
                Some(t) if t.is_symlink() => fs::metadata(&entry_path).is_ok_and(|m| m.is_dir()),
                Some(t) => t.is_dir(),
                None => false,
            };
            if is_dir {
                dirs.push((name, entry_path, is_link));
                continue;
            }
            // The SDK tests `resolve(folder)/name` against the ignore file.
            if let Some(ignore) = self.ignore
                && ignore.is_excluded(&resolved.join(&name))?
            {
                continue;
            }
            let rel = match (prefix, name.to_str()) {
                (Some(prefix), Some(name)) => join_rel(prefix, name),
                _ => return Err(HashError::NonUtf8Name { path: entry_path }),
            };
            self.files.push(FileEntry { rel, path: entry_path });
        }
        for (name, sub_path, is_link) in dirs {
            let sub_resolved = if is_link {
                fs::canonicalize(&sub_path)
                    .map_err(|source| HashError::Resolve { path: sub_path.clone(), source })?
            } else {
                resolved.join(&name)
            };
            if self.ancestors.contains(&sub_resolved) {
                return Err(HashError::SymlinkLoop { path: sub_path });
            }
            let sub_prefix = prefix.zip(name.to_str()).map(|(p, n)| join_rel(p, n));
            self.ancestors.push(sub_resolved.clone());
            let result = self.dir(&sub_path, &sub_resolved, sub_prefix.as_deref());
            self.ancestors.pop();
            result?;
        }
        Ok(())
    }
}

fn join_rel(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_owned() } else { format!("{prefix}/{name}") }
}

/// `_get_file_list_content_hash`: count, then names and sizes, then contents, in the order of
/// the names lowercased as `str.lower` does (a stable sort: equal keys keep walk order).
fn hash_file_list(mut files: Vec<FileEntry>) -> Result<String, HashError> {
    files.sort_by_cached_key(|f| f.rel.to_lowercase());
    let mut hasher = Sha256::new();
    hasher.update(files.len().to_string().as_bytes());
    for file in &files {
        let meta =
            fs::metadata(&file.path).map_err(|source| HashError::Read { path: file.path.clone(), source })?;
        // The SDK would block on a FIFO or hash a device; neither is code.
        if !meta.is_file() {
            return Err(HashError::NotAFile { path: file.path.clone() });
        }
        hasher.update(format!("#{}#{}", file.rel, meta.len()).as_bytes());
    }
    let mut buf = vec![0u8; 64 * 1024];
    for file in &files {
        let read_error = |source| HashError::Read { path: file.path.clone(), source };
        let mut f = File::open(&file.path).map_err(read_error)?;
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_error(e)),
            }
        }
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// `Component._get_anonymous_hash()`: the UUID-shaped id of an anonymous component.
///
/// `component` is the dict the SDK hashes, `Component._to_dict()` (the schema dump of the
/// component, local `code` already replaced by its `azureml:/subscriptions/.../codes/<hash>/
/// versions/1` id). The top-level keys `name`, `id` and `version` are dropped, the rest is
/// serialised as Python's `json.dumps(sort_keys=True)` (`", "`/`": "` separators, ASCII only,
/// floats as `repr`), SHA-256'd, and the first 32 hex digits are shaped `8-4-4-4-12`.
///
/// For a command, spark or parallel component that dict is the registered `componentSpec`
/// without `_source`; [`anonymous_id_from_spec`] does that step. A pipeline component hashes
/// its `componentSpec` instead (without `name`, `_source`, `id`, `version`).
pub fn anonymous_component_hash(component: &Value) -> String {
    hash_dict(component, &["name", "id", "version"])
}

/// The anonymous component id for a `componentSpec` as registered (the
/// `properties.componentSpec` of a component version body): the spec without its top-level
/// `name`, `id`, `version` and `_source`, hashed as [`anonymous_component_hash`] does.
///
/// Exact for every component of the corpus (command, spark, parallel). The registered spec
/// differs from the hashed dict, so this is wrong, for: a parallel component with
/// `partition_keys` (a JSON string in the spec, a list when hashed), an import component (its
/// spec is rewritten into a command one), a component with `intellectual_property` (renamed
/// `intellectualProperty` in the spec), and a pipeline component whose jobs take a local path
/// input (the SDK adds that path's `content_hash` into the hashed copy).
pub fn anonymous_id_from_spec(spec: &Value) -> String {
    hash_dict(spec, &["name", "id", "version", "_source"])
}

/// `hash_dict(component, keys_to_omit)`: the UUID-shaped hash of a dict without some top-level
/// keys (`client_component_hash` omits only `version`).
pub fn hash_dict_omitting(component: &Value, keys_to_omit: &[&str]) -> String {
    hash_dict(component, keys_to_omit)
}

/// `azure.ai.ml._utils.utils.hash_dict`: `UUID(sha256(json.dumps(items minus keys,
/// sort_keys=True)).hexdigest()[:32])`.
fn hash_dict(items: &Value, keys_to_omit: &[&str]) -> String {
    let mut json = String::new();
    match items {
        Value::Object(map) => pyjson::dumps_object_sorted(
            map.iter().filter(|(k, _)| !keys_to_omit.contains(&k.as_str())),
            &mut json,
        ),
        other => pyjson::dumps_sorted(other, &mut json),
    }
    let digest = hex(&Sha256::digest(json.as_bytes()));
    format!(
        "{}-{}-{}-{}-{}",
        &digest[0..8],
        &digest[8..12],
        &digest[12..16],
        &digest[16..20],
        &digest[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(unix)]
    use std::os::unix::fs::symlink;

    /// Builds a folder from `(relative path, contents)`; a `None` content makes a directory.
    fn tree(root: &Path, entries: &[(&str, Option<&str>)]) {
        for (rel, contents) in entries {
            let path = root.join(rel);
            match contents {
                Some(text) => {
                    fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
                    fs::write(&path, text).expect("write");
                }
                None => fs::create_dir_all(&path).expect("mkdir"),
            }
        }
    }

    fn hash(path: &Path) -> String {
        code_content_hash(path).expect("hashes")
    }

    // Expected values below come from the SDK, on the same trees built by a Python twin of
    // `tree` (same paths, same UTF-8 bytes, same links), with
    //   python -c 'import sys; from azure.ai.ml._utils._asset_utils import get_content_hash,
    //   get_ignore_file as g; p=sys.argv[1]; print(get_content_hash(p, g(p)))' DIR
    // run in the venv of shared/oracle/setup.sh.

    #[test]
    fn empty_folder_is_the_hash_of_zero() {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(dir.path(), &[("empty/deeper", None)]);
        assert_eq!(hash(dir.path()), EMPTY);
    }

    const EMPTY: &str = "5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9";

    #[test]
    fn nested_folder_sorted_case_insensitively() {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(
            dir.path(),
            &[
                ("b.txt", Some("b")),
                ("A.txt", Some("a")),
                ("Z.txt", Some("zz")),
                ("sub/y.py", Some("print(1)\n")),
                ("Sub2/x.py", Some("")),
                ("sub/deep/é.txt", Some("accent")),
                ("empty", None),
            ],
        );
        assert_eq!(hash(dir.path()), NESTED);
    }

    const NESTED: &str = "4b9e00333ae0826cb67ae8e4da15d1d9f507e1bad65a8880312a996a7c224719";

    #[test]
    fn amlignore_wins_over_gitignore() {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(
            dir.path(),
            &[
                (".amlignore", Some("*.log\n!keep.log\nbuild/\n/top.txt\n  # comment\n")),
                (".gitignore", Some("*.py\n")),
                ("a.py", Some("a")),
                ("x.log", Some("x")),
                ("d/keep.log", Some("k")),
                ("build/out.bin", Some("o")),
                ("top.txt", Some("t")),
                ("d/top.txt", Some("t2")),
            ],
        );
        assert_eq!(hash(dir.path()), AMLIGNORE);
    }

    const AMLIGNORE: &str = "f941029c4d9cdad4152992c01d075f1b4b0f6fd033e1a3c18396ff76c01ac651";

    #[test]
    fn gitignore_when_no_amlignore() {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(
            dir.path(),
            &[
                (".gitignore", Some("\u{feff}*.py\r\n.gitignore\r\ndata/**/*.csv")),
                ("a.py", Some("a")),
                ("b.txt", Some("b")),
                ("data/x/y.csv", Some("y")),
                ("data/z.csv", Some("z")),
            ],
        );
        assert_eq!(hash(dir.path()), GITIGNORE);
    }

    const GITIGNORE: &str = "d51d74a8498d3b285451442b8429283965fdb22ee9b34796d23585ddd34d80cd";

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_matched_at_their_resolved_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(
            dir.path(),
            &[
                ("code/.amlignore", Some("*.skip\n../outside/b.txt\n")),
                ("code/main.py", Some("m")),
                ("outside/a.txt", Some("a")),
                ("outside/b.txt", Some("b")),
                ("outside/c.skip", Some("c")),
            ],
        );
        let code = dir.path().join("code");
        symlink(dir.path().join("outside"), code.join("linked")).expect("symlink");
        symlink(code.join("main.py"), code.join("alias.py")).expect("symlink");
        assert_eq!(hash(&code), LINKS);
    }

    const LINKS: &str = "54e4df652713bed2c05dac2953fa3911195722f615cff83e84a552500a076c7d";

    #[test]
    fn relative_dot_paths_and_single_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(dir.path(), &[("src/f.txt", Some("f")), ("src/g/h.txt", Some("h"))]);
        let src = dir.path().join("src");
        let dotted = src.join("g/../.");
        assert_eq!(hash(&dotted), hash(&src));
        assert_eq!(hash(&src), DOT);
        assert_eq!(hash(&src.join("g/h.txt")), SINGLE_FILE);
    }

    const DOT: &str = "c00c8f5334bf07b197d1a05496c045f177c476afdd3e52159d152a75a378d640";
    const SINGLE_FILE: &str = "67ac261cee9ab35ccb76155a2276138f577acd018712d98109b765105dd1403a";

    #[cfg(unix)]
    #[test]
    fn odd_inputs_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(dir.path(), &[("loop/f.txt", Some("f")), ("dangling", None)]);
        symlink(dir.path().join("loop"), dir.path().join("loop/self")).expect("symlink");
        assert!(matches!(code_content_hash(&dir.path().join("loop")), Err(HashError::SymlinkLoop { .. })));
        symlink(dir.path().join("nowhere"), dir.path().join("dangling/x")).expect("symlink");
        assert!(matches!(code_content_hash(&dir.path().join("dangling")), Err(HashError::Read { .. })));
        assert!(matches!(code_content_hash(&dir.path().join("missing")), Err(HashError::Resolve { .. })));
        tree(dir.path(), &[("bad/.amlignore", Some("ok\n[z-a]\n")), ("bad/f", Some(""))]);
        assert!(matches!(
            code_content_hash(&dir.path().join("bad")),
            Err(HashError::Ignore(IgnoreError::InvalidPattern { line: 2, .. }))
        ));
    }

    #[test]
    fn names_equal_but_for_case_keep_walk_order() {
        // python -c 'from azure.ai.ml._utils._asset_utils import _get_file_list_content_hash as f;
        //   print(f([(A, "A.txt"), (a, "a.txt")]), f([(a, "a.txt"), (A, "A.txt")]))'
        // with A holding "upper" and a holding "lower".
        let dir = tempfile::tempdir().expect("tempdir");
        tree(dir.path(), &[("A.txt", Some("upper")), ("a.txt", Some("lower"))]);
        let entry = |rel: &str| FileEntry { rel: rel.to_owned(), path: dir.path().join(rel) };
        let upper_first = hash_file_list(vec![entry("A.txt"), entry("a.txt")]).expect("hashes");
        let lower_first = hash_file_list(vec![entry("a.txt"), entry("A.txt")]).expect("hashes");
        assert_eq!(upper_first, "267ced79a842fe670b0ad934d9390e04ade503ed2ec5b2fcfd0848e37b6a87de");
        assert_eq!(lower_first, "9e138ce53dcff0badaaef2d717235ca7e5e827f19b266018c28cf21e1af8cda1");
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_matter_only_when_hashed() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join(OsStr::from_bytes(b"bad\xff"));
        tree(&bad, &[("f.txt", Some("f"))]);
        tree(dir.path(), &[("ok.txt", Some("ok"))]);
        assert!(matches!(code_content_hash(dir.path()), Err(HashError::NonUtf8Name { .. })));
        // Excluded, the folder is fine (the SDK raises UnicodeEncodeError only when hashing).
        tree(dir.path(), &[(".amlignore", Some("bad*/\n"))]);
        assert_eq!(hash(dir.path()), NON_UTF8_EXCLUDED);
    }

    const NON_UTF8_EXCLUDED: &str = "78b08cf22981b5ced22abf4ec1e08add24c571babccd1e0982e117d9ec62a2ca";

    #[test]
    fn anonymous_hash_as_hash_dict() {
        // python -c 'from azure.ai.ml._utils.utils import hash_dict; print(hash_dict({...},
        //   keys_to_omit=["name", "id", "version"]))' with the dict below.
        let component = json!({
            "name": "ignored", "version": "1", "id": "x",
            "type": "command", "command": "echo ${{inputs.x}} é",
            "inputs": {"x": {"type": "number", "default": 0.5}, "n": {"type": "integer", "default": 3}},
            "is_deterministic": true,
        });
        assert_eq!(anonymous_component_hash(&component), ANON);
        let mut spec = component.clone();
        spec["_source"] = json!("YAML.COMPONENT");
        assert_eq!(anonymous_id_from_spec(&spec), ANON);
    }

    const ANON: &str = "ae3d500a-a449-5ca2-e801-b61138f95cfb";
}
