//! Lowering: syntax trees of each format into the format-neutral IR. Lowering never fails; it
//! resolves what it can and leaves the rest as [`crate::ir::Source::Unresolved`] for the checks.

pub mod v1;
pub mod v2;
pub mod workspace;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir::{Name, PathRef, Workspace};
use crate::source::{FileId, SourceMap};
use crate::syntax::v2::ComponentFile;
use crate::yaml::{DeError, Node, ReadOptions, Spanned};
use serde::de::DeserializeOwned;

/// What lowering one file needs to know about where it is.
#[derive(Debug, Clone)]
pub struct LowerCtx {
    /// The file being lowered.
    pub file: FileId,
    /// Folder holding the file; its relative paths resolve here.
    pub dir: PathBuf,
    /// Folder that source paths must stay inside (the project root).
    pub root: PathBuf,
    /// The file's text.
    pub text: Arc<str>,
}

impl LowerCtx {
    /// A name written in this file.
    pub fn name(&self, s: &Spanned<String>) -> Name {
        Name::new(self.file, s)
    }

    /// A path written in this file, relative to `base`, that must stay inside `root`.
    pub fn path(&self, s: &Spanned<String>, base: &Path, root: Option<&Path>) -> PathRef {
        PathRef { raw: self.name(s), base: base.to_path_buf(), root: root.map(Path::to_path_buf) }
    }
}

impl LowerCtx {
    /// The span of `key` written before `value` (serde hands values, not keys, their spans).
    pub fn key_before(&self, value: crate::source::Span, key: &str) -> crate::source::Span {
        let before = &self.text[..(value.start as usize).min(self.text.len())];
        match before.rfind(key) {
            Some(i) => crate::source::Span::new(i as u32, (i + key.len()) as u32),
            None => value,
        }
    }
}

/// The folder source paths must stay inside: the nearest folder at or above `dir` holding
/// `.git` or the workspace file; else `dir` itself.
pub fn project_root(dir: &Path, workspace: &crate::ir::Workspace) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists() || (workspace.file.is_some() && *d == workspace.root))
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.to_path_buf())
}

/// Reads a parsed file into its syntax type as `options` say; `None` after reporting why not.
pub fn read_with<T: DeserializeOwned + Send>(
    loader: &mut dyn Loader,
    file: FileId,
    node: &Node,
    options: ReadOptions,
) -> Option<T> {
    let text = loader.sources().get(file).text.clone();
    match crate::yaml::from_node_with::<T>(node, &text, options) {
        Ok(v) => Some(v),
        Err(errors) => {
            loader.read_errors(file, node, errors);
            None
        }
    }
}

/// Diagnostics that lowering itself reports (shapes only the format knows).
pub type Sink = Diagnostics;

/// What lowering needs from its driver: files loaded and parsed, component files read (each
/// once), the workspace of a folder, and a place for the diagnostics lowering reports. The
/// session implements it; lowering asks only this, never the session itself.
pub trait Loader {
    /// Every file loaded so far.
    fn sources(&self) -> &SourceMap;
    /// Loads the file at `path` (once); `None` when it cannot be read.
    fn load(&mut self, path: &Path) -> Option<FileId>;
    /// Parses a loaded file; `None` after reporting why it is not YAML.
    fn parse(&mut self, file: FileId) -> Option<Node>;
    /// Reads a parsed v2 component file (what can be read of it); `None` after reporting.
    fn read_component(&mut self, file: FileId, node: &Node) -> Option<ComponentFile>;
    /// The workspace of the file at `path`.
    fn workspace_for(&mut self, path: &Path) -> Workspace;
    /// Reports diagnostics.
    fn report(&mut self, diagnostics: Vec<Diagnostic>);
    /// Reports why a parsed file could not be read into its syntax type.
    fn read_errors(&mut self, file: FileId, node: &Node, errors: Vec<DeError>);
    /// The v2 component files read so far.
    fn v2_cache(&mut self) -> &mut v2::Cache;
}
