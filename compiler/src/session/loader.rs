//! What the session gives lowering (the [`Loader`] it implements), and the checks of v2 files
//! that run as they are read.

use std::path::Path;

use super::Session;
use crate::check;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir::Workspace;
use crate::lower::{self, Loader};
use crate::source::{FileId, SourceMap};
use crate::syntax::v2;
use crate::yaml::{DeError, Node};

impl Session {
    /// Checks a standalone v2 component file: lowered as a reusable pipeline and checked like
    /// one.
    pub(super) fn check_component(&mut self, file: FileId, node: &Node) {
        let Some(doc) = self.read_partial::<v2::ComponentFile>(file, node) else { return };
        let path = self.sources.get(file).path.clone();
        let workspace = self.workspace_for(&path);
        let canonical = std::fs::canonicalize(&path).ok();
        // A file already read as another's component had its values checked then.
        if canonical.as_ref().is_none_or(|c| !self.v2.components.contains_key(c)) {
            self.yaml11_values(file, node);
        }
        let pipeline = lower::v2::lower_component(self, file, node, doc, canonical);
        let mut out = Diagnostics::new();
        check::check_pipeline(&pipeline, &workspace, &self.sources, &mut out);
        self.diagnostics.extend(out.into_vec());
    }

    /// Warns about plain values of a v2 file that Azure ML reads otherwise (YAML 1.1).
    pub(super) fn yaml11_values(&mut self, file: FileId, node: &Node) {
        let text = self.sources.get(file).text.clone();
        let mut out = Diagnostics::new();
        check::yaml11_value::check(file, node, &text, &mut out);
        self.diagnostics.extend(out.into_vec());
    }
}

impl Loader for Session {
    fn sources(&self) -> &SourceMap {
        &self.sources
    }

    fn load(&mut self, path: &Path) -> Option<FileId> {
        Session::load(self, path).ok()
    }

    fn parse(&mut self, file: FileId) -> Option<Node> {
        Session::parse(self, file)
    }

    fn read_component(&mut self, file: FileId, node: &Node) -> Option<v2::ComponentFile> {
        let doc = self.read_partial(file, node)?;
        self.yaml11_values(file, node);
        Some(doc)
    }

    fn workspace_for(&mut self, path: &Path) -> Workspace {
        Session::workspace_for(self, path)
    }

    fn report(&mut self, diagnostics: Vec<Diagnostic>) {
        self.diagnostics.extend(diagnostics);
    }

    fn read_errors(&mut self, file: FileId, node: &Node, errors: Vec<DeError>) {
        self.diagnostics.extend(errors.into_iter().map(|e| super::de_diagnostic(file, node, e)));
    }

    fn v2_cache(&mut self) -> &mut lower::v2::Cache {
        &mut self.v2
    }
}
