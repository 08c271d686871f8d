//! The compiler driver: loads files, tells their format, reads, lowers and checks them, and
//! keeps every diagnostic with the sources it points into.

mod loader;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::Compiled;
use crate::check;
use crate::diagnostic::{Diagnostic, Diagnostics, Label};
use crate::ir::Workspace;
pub use crate::lower::project_root;
use crate::lower::{self, LowerCtx};
pub use crate::paths::{WORKSPACE_FILE_NAMES, absolute, find_workspace_file};
use crate::source::{Bounded, FileId, ReadError, SourceFile, SourceMap, Span, read_bounded};
use crate::suggest::did_you_mean;
pub use crate::syntax::{Format, detect_format};
use crate::syntax::{v2, workspace::WorkspaceFile};
use crate::yaml::{self, DeError, DeErrorKind, Limits, Node, ParseError, ParseErrorKind, dispose};

/// Why a file could not be read at all (the CLI exits 2 for these).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file or folder could not be read.
    #[error("cannot read `{path}`")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The path is a FIFO, socket or device: sluice never opens one (it could block forever).
    #[error("`{}` is {kind}, not a file: sluice reads only regular files", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is, in words.
        kind: &'static str,
    },
    /// A folder was given where a file is read.
    #[error("`{}` is a folder, not a file{}", path.display(), hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    IsFolder {
        /// The folder.
        path: PathBuf,
        /// The pipeline files in it, as a "did you mean".
        hint: Option<String>,
    },
    /// A folder given to `check` holds no pipeline, component or workspace file.
    #[error(
        "nothing checked: `{}` {}holds no pipeline, component or workspace file{}",
        path.display(),
        if path.extension().is_some_and(|e| e == "yml" || e == "yaml") { "is a folder, and " } else { "" },
        match skipped { 0 => String::new(), 1 => " (1 other YAML file skipped)".to_string(), n => format!(" ({n} other YAML files skipped)") }
    )]
    NothingToCheck {
        /// The folder.
        path: PathBuf,
        /// YAML files in it of no sluice format.
        skipped: usize,
    },
    /// A folder walk failed.
    #[error("cannot walk `{path}`: {message}")]
    Walk {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The name standard input is shown under (`sluice check -`).
pub const STDIN_NAME: &str = "<stdin>";

/// How to find the workspace of a pipeline.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceChoice {
    /// A workspace file given by `--workspace` or `SLUICE_WORKSPACE`.
    pub explicit: Option<PathBuf>,
}

/// One compiler session.
#[derive(Debug, Default)]
pub struct Session {
    /// Every file loaded.
    pub sources: SourceMap,
    /// Every diagnostic reported.
    pub diagnostics: Diagnostics,
    /// Input limits.
    pub limits: Limits,
    /// How to find workspaces.
    pub workspace_choice: WorkspaceChoice,
    workspaces: HashMap<PathBuf, Workspace>,
    checked_workspaces: Vec<PathBuf>,
    /// Loaded files by absolute path, so a file reached by two spellings is read once.
    loaded: HashMap<PathBuf, FileId>,
    /// v2 component files read so far (each is read once per session).
    pub(crate) v2: lower::v2::Cache,
    /// The workspace file found above each folder (`None`: none).
    workspace_files: HashMap<PathBuf, Option<PathBuf>>,
}

impl Session {
    /// A session finding workspaces as `choice` says.
    pub fn new(choice: WorkspaceChoice) -> Self {
        Session { workspace_choice: choice, ..Session::default() }
    }

    /// Loads a file (once) and returns its id.
    pub fn load(&mut self, path: &Path) -> Result<FileId, LoadError> {
        let key = absolute(path);
        if let Some(&id) = self.loaded.get(&key) {
            return Ok(id);
        }
        let id = self.load_new(path)?;
        self.loaded.insert(key, id);
        Ok(id)
    }

    fn load_new(&mut self, path: &Path) -> Result<FileId, LoadError> {
        let path = &crate::source::shown_path(path);
        let limit = self.limits.max_bytes as u64;
        match read_bounded(path, limit) {
            Ok(Bounded::Bytes(text)) => Ok(self.add_source(path, text)),
            // Too large to read: keep the file empty and report the limit at its start.
            Ok(Bounded::TooLarge { at_least }) => Ok(self.too_large(path, at_least)),
            Err(ReadError::NotAFile { kind: "a folder", .. }) => {
                Err(LoadError::IsFolder { path: path.to_path_buf(), hint: folder_hint(path) })
            }
            Err(ReadError::NotAFile { kind, .. }) => {
                Err(LoadError::NotAFile { path: path.to_path_buf(), kind })
            }
            Err(ReadError::Io { source, .. }) => Err(LoadError::Io { path: path.to_path_buf(), source }),
        }
    }

    /// An empty file at `path` with a `yaml-limit` error at its start.
    fn too_large(&mut self, path: &Path, at_least: u64) -> FileId {
        let id = self.sources.add(SourceFile::new(path, ""));
        let (message, help) = self.limits.too_large(at_least);
        self.diagnostics.push(check::yaml_limit::RULE.at(id, Span::point(0), message).with_help(help));
        id
    }

    /// Checks what standard input holds, read up to the size limit, as a file named `<stdin>` in
    /// the working folder (`sluice check -`).
    pub fn check_stdin(&mut self, input: impl std::io::Read) -> Result<(), LoadError> {
        let path = Path::new(STDIN_NAME);
        let io = |source| LoadError::Io { path: path.to_path_buf(), source };
        let file =
            match crate::source::read_stream_bounded(input, self.limits.max_bytes as u64).map_err(io)? {
                Bounded::Bytes(bytes) => self.add_source(path, bytes),
                Bounded::TooLarge { at_least } => self.too_large(path, at_least),
            };
        yaml::on_big_stack(|| self.check_loaded(file, true));
        self.diagnostics.sort();
        Ok(())
    }

    /// Adds a file whose bytes are already in memory, as if read from `path`; invalid UTF-8 is
    /// reported (and replaced) here, the size limit when it is parsed.
    pub fn add_source(&mut self, path: &Path, bytes: Vec<u8>) -> FileId {
        match String::from_utf8(bytes) {
            Ok(text) => self.sources.add(SourceFile::new(path, text)),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let id = self.sources.add(SourceFile::new(path, text));
                // The bad bytes became U+FFFD: point at the whole of that character.
                let end = (valid + char::REPLACEMENT_CHARACTER.len_utf8()) as u32;
                self.diagnostics.push(
                    check::yaml_syntax::RULE
                        .at(id, Span::new(valid as u32, end), "the file is not valid UTF-8")
                        .with_help("save the file as UTF-8"),
                );
                id
            }
        }
    }

    /// Checks a file given by its path and content, as `sluice check PATH` checks it when the file
    /// holds `bytes` (workspace discovery and the files it names are still looked up on disk).
    /// For editors, tests and fuzzing.
    pub fn check_source(&mut self, path: &Path, bytes: impl Into<Vec<u8>>) -> FileId {
        let file = self.add_source(path, bytes.into());
        yaml::on_big_stack(|| self.check_loaded(file, true));
        self.diagnostics.sort();
        file
    }

    /// Parses a loaded file into nodes, reporting YAML errors.
    pub fn parse(&mut self, file: FileId) -> Option<Node> {
        if self.diagnostics.as_slice().iter().any(|d| d.primary.file == file && d.is_error()) {
            return None;
        }
        let text = self.sources.get(file).text.clone();
        let (node, errors) = yaml::parse(&text, &self.limits);
        for e in errors {
            self.diagnostics.push(parse_diagnostic(file, e));
        }
        node
    }

    /// Reads a parsed file into its syntax type, reporting shape errors.
    pub fn read<T: DeserializeOwned + Send>(&mut self, file: FileId, node: &Node) -> Option<T> {
        let text = self.sources.get(file).text.clone();
        match yaml::from_node::<T>(node, &text) {
            Ok(v) => Some(v),
            Err(errors) => {
                for e in errors {
                    self.diagnostics.push(de_diagnostic(file, node, e));
                }
                None
            }
        }
    }

    /// Reads a parsed file into its syntax type, reporting shape errors; the value is kept when
    /// the only problems are unknown keys, so that later checks still run.
    pub fn read_partial<T: DeserializeOwned + Send>(&mut self, file: FileId, node: &Node) -> Option<T> {
        let text = self.sources.get(file).text.clone();
        let (value, errors) = yaml::from_node_partial::<T>(node, &text);
        for e in errors {
            self.diagnostics.push(de_diagnostic(file, node, e));
        }
        value
    }

    /// Checks files and folders: a folder means every pipeline and workspace file under it.
    pub fn check_paths(&mut self, paths: &[PathBuf]) -> Result<(), LoadError> {
        // One thread with a deep stack for the whole check, rather than one per file read.
        yaml::on_big_stack(|| self.check_paths_here(paths))
    }

    fn check_paths_here(&mut self, paths: &[PathBuf]) -> Result<(), LoadError> {
        for path in paths {
            if path.as_os_str() == "-" {
                self.check_stdin(std::io::stdin().lock())?;
            } else if path.is_dir() {
                let files = yaml_files(path)?;
                let mut checked = 0;
                for file in &files {
                    checked += usize::from(self.check_file(file, false)?);
                }
                // A folder with nothing of ours in it is a mistake in the command, not a pass.
                if checked == 0 {
                    return Err(LoadError::NothingToCheck { path: path.clone(), skipped: files.len() });
                }
            } else {
                self.check_file(path, true)?;
            }
        }
        self.diagnostics.sort();
        Ok(())
    }

    /// Checks one file. `explicit`: the user named it, so an unknown format is an error. False
    /// when the file was skipped (a YAML file of no sluice format, in a folder walk).
    pub fn check_file(&mut self, path: &Path, explicit: bool) -> Result<bool, LoadError> {
        let file = self.load(path)?;
        Ok(self.check_loaded(file, explicit))
    }

    fn check_loaded(&mut self, file: FileId, explicit: bool) -> bool {
        let Some(node) = self.parse(file) else {
            return true;
        };
        let path = self.sources.get(file).path.clone();
        match detect_format(&path, &node) {
            Format::V1Pipeline | Format::V2Pipeline => {
                dispose(self.compile_node(file, node, false));
            }
            Format::Workspace => {
                self.workspace_from(file, &node);
            }
            Format::V1Schedule => {
                crate::lower::v1::check_schedule(self, file, &node);
            }
            Format::V2Component => {
                self.check_component(file, &node);
            }
            Format::Unknown => {
                // In a folder walk, other YAML files are skipped unless a root key is a near miss
                // of a sluice one: a misspelt `pipeline:` must not pass unnoticed.
                let near_miss = misspelt_root_key(&node).is_some();
                if !(explicit || near_miss) {
                    return false;
                }
                self.diagnostics.push(unknown_format(file, &node, "pipeline, component or workspace file"));
            }
        }
        true
    }

    /// Loads, reads, lowers and checks a pipeline file. `None` when it has errors.
    pub fn compile(&mut self, path: &Path) -> Result<Option<Compiled>, LoadError> {
        self.compile_with(path, false)
    }

    /// Like [`Session::compile`], but the pipeline is returned whenever it could be lowered,
    /// whatever the checks found (they are in `diagnostics`): for comparing with the Azure ML
    /// SDK, which accepts some mistakes sluice reports as errors (a misspelt setting).
    pub fn compile_despite_errors(&mut self, path: &Path) -> Result<Option<Compiled>, LoadError> {
        self.compile_with(path, true)
    }

    fn compile_with(&mut self, path: &Path, despite_errors: bool) -> Result<Option<Compiled>, LoadError> {
        let file = self.load(path)?;
        let Some(node) = self.parse(file) else {
            return Ok(None);
        };
        match detect_format(path, &node) {
            Format::V1Pipeline | Format::V2Pipeline => Ok(self.compile_node(file, node, despite_errors)),
            _ => {
                self.diagnostics.push(unknown_format(file, &node, "pipeline file"));
                Ok(None)
            }
        }
    }

    fn compile_node(&mut self, file: FileId, node: Node, despite_errors: bool) -> Option<Compiled> {
        let path = self.sources.get(file).path.clone();
        let errors_before = self.diagnostics.error_count();
        let workspace = self.workspace_for(&path);
        let cx = self.lower_ctx(file, &workspace);
        let pipeline = match detect_format(&path, &node) {
            Format::V1Pipeline => lower::v1::lower_pipeline(self, file, node, &cx)?,
            _ => {
                let doc: Option<v2::PipelineFile> = self.read_partial(file, &node);
                let doc = doc?;
                self.yaml11_values(file, &node);
                let p = lower::v2::lower_pipeline(self, &doc, &node, &cx);
                dispose(node);
                dispose(doc);
                p
            }
        };
        let mut out = Diagnostics::new();
        check::check_pipeline(&pipeline, &workspace, &self.sources, &mut out);
        self.diagnostics.extend(out.into_vec());
        (despite_errors || self.diagnostics.error_count() == errors_before)
            .then_some(Compiled { pipeline, workspace })
    }

    /// What lowering a file needs: its folder and the project root.
    pub fn lower_ctx(&self, file: FileId, workspace: &Workspace) -> LowerCtx {
        let path = &self.sources.get(file).path;
        let dir = absolute(path.parent().unwrap_or(Path::new("")));
        let root = project_root(&dir, workspace);
        LowerCtx { file, dir, root, text: self.sources.get(file).text.clone() }
    }

    /// The workspace of a pipeline at `path` (loaded and checked once per workspace file).
    pub fn workspace_for(&mut self, pipeline_path: &Path) -> Workspace {
        let dir = absolute(pipeline_path.parent().unwrap_or(Path::new("")));
        // Many files share a folder (a pipeline and its components): search upward once per folder.
        let found = match self.workspace_choice.explicit.clone() {
            Some(explicit) => Some(explicit),
            None => {
                self.workspace_files.entry(dir.clone()).or_insert_with(|| find_workspace_file(&dir)).clone()
            }
        };
        let Some(ws_path) = found else {
            return Workspace::builtin(dir);
        };
        if let Some(ws) = self.workspaces.get(&ws_path) {
            return ws.clone();
        }
        let ws = match self.load(&ws_path) {
            Ok(file) => match self.parse(file) {
                Some(node) => self.workspace_from(file, &node),
                None => None,
            },
            Err(e) => {
                let message = match &e {
                    LoadError::Io { path, source } => {
                        format!("cannot read workspace file `{}`: {source}", path.display())
                    }
                    other => other.to_string(),
                };
                let file = self.loaded.get(&absolute(pipeline_path)).copied().unwrap_or(FileId(0));
                self.diagnostics.push(
                    check::missing_file::RULE
                        .at(file, Span::point(0), message)
                        .with_help("check --workspace and SLUICE_WORKSPACE"),
                );
                None
            }
        };
        // A broken workspace file was reported; check the pipeline without strict names.
        let ws = ws.unwrap_or_else(|| Workspace::builtin(dir));
        self.workspaces.insert(ws_path, ws.clone());
        ws
    }

    fn workspace_from(&mut self, file: FileId, node: &Node) -> Option<Workspace> {
        let path = absolute(&self.sources.get(file).path);
        let doc: WorkspaceFile = self.read(file, node)?;
        let dir = absolute(path.parent().unwrap_or(Path::new("")));
        let cx = LowerCtx { file, dir: dir.clone(), root: dir, text: self.sources.get(file).text.clone() };
        let ws = lower::workspace::lower(&doc, &cx);
        if !self.checked_workspaces.contains(&path) {
            self.checked_workspaces.push(path.clone());
            let mut out = Diagnostics::new();
            check::check_workspace(&ws, &self.sources, &mut out);
            self.diagnostics.extend(out.into_vec());
        }
        self.workspaces.insert(path, ws.clone());
        Some(ws)
    }
}

/// Keys that tell a file's format, for "did you mean" at the root.
const ROOT_KEYS: [&str; 6] = ["pipeline", "jobs", "datastores", "computes", "type", "Schedule"];

/// A root key that looks like a misspelling of one that tells the format.
fn misspelt_root_key(node: &Node) -> Option<(&Node, &'static str)> {
    node.entries().iter().find_map(|(k, _)| {
        let key = k.as_str()?;
        let right = crate::suggest::closest(key, &ROOT_KEYS)?;
        ROOT_KEYS.iter().find(|r| **r == right).map(|r| (k, *r))
    })
}

/// The diagnostic for a file whose format cannot be told; `what` says what it should have been.
fn unknown_format(file: FileId, node: &Node, what: &str) -> Diagnostic {
    let rule = check::unknown_format::RULE;
    let help = "a v1 pipeline has `pipeline:` at its root; a v1 schedule `Schedule:`; a v2 pipeline \
                `type: pipeline` and `jobs:`; a workspace `datastores:` or `computes:`";
    if let Some((key, right)) = misspelt_root_key(node) {
        return rule
            .at(
                file,
                key.span,
                format!("unknown root key `{}`: this is not a sluice {what}", key.key_string()),
            )
            .with_help(format!("did you mean `{right}`?"));
    }
    let message = match &node.value {
        crate::yaml::Value::Null => "the file is empty".to_string(),
        crate::yaml::Value::Map(_) => format!("not a sluice {what}"),
        other => format!("not a sluice {what}: its root is {}, not a mapping", other.kind_name()),
    };
    let span = match &node.value {
        crate::yaml::Value::Null => Span::point(0),
        _ => node.span,
    };
    rule.at(file, Span::point(span.start), message).with_help(help)
}

/// For a folder given where a file is read: the pipeline files right inside it.
fn folder_hint(dir: &Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            (n.ends_with(".yml") || n.ends_with(".yaml")) && !WORKSPACE_FILE_NAMES.contains(&n.as_str())
        })
        .collect();
    names.sort();
    let shown: Vec<String> = names.iter().take(3).map(|n| format!("`{}`", dir.join(n).display())).collect();
    (!shown.is_empty()).then(|| format!("did you mean {}?", shown.join(" or ")))
}

/// YAML files under a folder, sorted, honouring `.gitignore` and skipping hidden folders.
fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(dir).build() {
        let entry = entry.map_err(|e| LoadError::Walk { path: dir.to_path_buf(), message: e.to_string() })?;
        let p = entry.path();
        if entry.file_type().is_some_and(|t| t.is_file())
            && p.extension().and_then(|e| e.to_str()).is_some_and(|e| e == "yml" || e == "yaml")
        {
            files.push(p.to_path_buf());
        }
    }
    files.sort();
    Ok(files)
}

fn parse_diagnostic(file: FileId, e: ParseError) -> Diagnostic {
    match e.kind {
        ParseErrorKind::Syntax => check::yaml_syntax::RULE.at(file, e.span, e.message).with_help_opt(e.help),
        ParseErrorKind::Limit => check::yaml_limit::RULE.at(file, e.span, e.message).with_help_opt(e.help),
        ParseErrorKind::ComplexKey => check::yaml_syntax::RULE.at(file, e.span, e.message),
        ParseErrorKind::DuplicateKey { key, first } => check::duplicate_key::RULE
            .at(file, e.span, format!("key `{key}` is given twice"))
            .with_label(Label::with_message(file, first, "first given here"))
            .with_help("remove one of them"),
    }
}

fn de_diagnostic(file: FileId, root: &Node, e: DeError) -> Diagnostic {
    let span = e.span.unwrap_or(root.span);
    match e.kind {
        DeErrorKind::UnknownField { field, expected } => {
            check::unknown_key::RULE.at(file, span, format!("unknown key `{field}`")).with_help_opt(
                did_you_mean(&field, expected)
                    .or_else(|| Some(format!("allowed keys: {}", crate::suggest::list_names(expected, 12)))),
            )
        }
        DeErrorKind::MissingField { field } => check::missing_key::RULE
            .at(file, span, format!("missing required key `{field}`"))
            .with_help(format!("add `{field}:`")),
        DeErrorKind::MissingTag { expected } => check::missing_key::RULE
            .at(file, span, "missing required key `type`")
            .with_help(format!("add `type:` with one of {}", crate::suggest::list_names(expected, 8))),
        DeErrorKind::UnknownVariant { variant, expected } => {
            check::invalid_value::RULE.at(file, span, format!("unknown value `{variant}`")).with_help_opt(
                did_you_mean(&variant, expected)
                    .or_else(|| Some(format!("expected {}", crate::suggest::list_names(expected, 12)))),
            )
        }
        DeErrorKind::InvalidType { found, expected } => {
            check::wrong_type::RULE.at(file, span, format!("expected {expected}, found {found}"))
        }
        DeErrorKind::InvalidValue { found, expected } => {
            check::invalid_value::RULE.at(file, span, format!("invalid value {found}: expected {expected}"))
        }
        DeErrorKind::InvalidLength { len, expected } => {
            check::wrong_type::RULE.at(file, span, format!("{len} items given: expected {expected}"))
        }
        DeErrorKind::DuplicateField { field } => {
            check::duplicate_key::RULE.at(file, span, format!("key `{field}` is given twice"))
        }
        DeErrorKind::Custom(message) => check::wrong_type::RULE.at(file, span, message),
        DeErrorKind::Recovered => check::wrong_type::RULE.at(file, span, "invalid value"),
    }
}
