//! Lowering: syntax trees of each format into the format-neutral IR. Lowering never fails; it
//! resolves what it can and leaves the rest as [`crate::ir::Source::Unresolved`] for the checks.

pub mod v1;
pub mod v2;
pub mod workspace;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Diagnostics;
use crate::ir::{Name, PathRef};
use crate::source::FileId;
use crate::yaml::Spanned;

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

/// Diagnostics that lowering itself reports (shapes only the format knows).
pub type Sink = Diagnostics;

/// Lowers a v2 pipeline; `None` when it could not be read.
pub fn v2_pipeline(
    session: &mut crate::session::Session,
    file: FileId,
    node: &crate::yaml::Node,
    cx: &LowerCtx,
) -> Option<crate::ir::Pipeline> {
    v2::lower_pipeline(session, file, node, cx)
}

/// Checks a standalone v2 component file.
pub fn v2_component_check(session: &mut crate::session::Session, file: FileId, node: &crate::yaml::Node) {
    v2::check_component(session, file, node);
}
