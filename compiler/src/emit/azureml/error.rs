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

/// A setting that has no v2 equivalent and is left out (the payload is still made).
pub const NOT_KEPT: Rule = Rule {
    code: "azureml-not-kept",
    severity: Severity::Warning,
    summary: "A setting with no Azure ML v2 equivalent is left out of the request body.",
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
pub struct Errors {
    /// Errors: no payload is made.
    pub errors: Vec<Diagnostic>,
    /// Warnings: the payload is made without what they name.
    pub warnings: Vec<Diagnostic>,
}

impl Errors {
    /// Records one, by its severity.
    pub fn push(&mut self, d: Diagnostic) {
        if d.is_error() {
            self.errors.push(d);
        } else {
            self.warnings.push(d);
        }
    }

    /// True when no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}
