//! What stops a payload from being made, as diagnostics at the place in the pipeline that caused
//! it (a step with no Azure ML v2 equivalent, a code folder that cannot be hashed, ...).

use crate::diagnostic::{Diagnostic, Rule, Severity};
use crate::source::{FileId, Span};

/// A step, or a setting of one, that Azure ML v2 cannot express.
pub const NO_EQUIVALENT: Rule = Rule {
    code: "no-azureml-equivalent",
    severity: Severity::Error,
    summary: "A step or setting has no Azure ML v2 equivalent, so no request body can be made for it.",
};

/// A file the payload depends on cannot be read or hashed.
pub const UNREADABLE: Rule = Rule {
    code: "azureml-unreadable",
    severity: Severity::Error,
    summary: "A code folder, conda file or build context the payload names cannot be read or hashed.",
};

/// A value azure-ai-ml would reject while building the payload.
pub const REJECTED: Rule = Rule {
    code: "azureml-rejected",
    severity: Severity::Error,
    summary: "A value the Azure ML SDK rejects while building the request body.",
};

/// Where an error points: a file and a span in it.
#[derive(Clone, Copy, Debug)]
pub struct At {
    /// The file.
    pub file: FileId,
    /// The span.
    pub span: Span,
}

impl At {
    /// A place.
    pub fn new(file: FileId, span: Span) -> Self {
        At { file, span }
    }

    /// A diagnostic of `rule` here.
    pub fn error(self, rule: Rule, message: impl Into<String>) -> Diagnostic {
        rule.at(self.file, self.span, message)
    }
}

/// Diagnostics gathered while emitting; emitting goes on past each so all are reported at once.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<Diagnostic>);

impl Errors {
    /// Records one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
