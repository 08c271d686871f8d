//! Diagnostics: what every check, parser and loader reports.

use crate::source::{FileId, Span};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth a look; does not fail `check`.
    Warning,
    /// The pipeline cannot run as written; `check` exits 1.
    Error,
}

impl Severity {
    /// Lower-case name used in JSON, SARIF and GitHub output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A place in a file, with an optional note saying what is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// File the span belongs to.
    pub file: FileId,
    /// Byte range in that file.
    pub span: Span,
    /// What this place has to do with the problem.
    pub message: Option<String>,
}

impl Label {
    /// A label without a note.
    pub fn new(file: FileId, span: Span) -> Self {
        Label { file, span, message: None }
    }

    /// A label with a note.
    pub fn with_message(file: FileId, span: Span, message: impl Into<String>) -> Self {
        Label { file, span, message: Some(message.into()) }
    }
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable kebab-case code, e.g. `unknown-step`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Where the problem is.
    pub primary: Label,
    /// Other places that explain it (the first definition of a duplicate, the rest of a cycle).
    pub secondary: Vec<Label>,
    /// How to fix it, when a fix can be guessed.
    pub help: Option<String>,
    /// The primary span holds a secret: renderers must not show its text.
    pub conceal: bool,
}

impl Diagnostic {
    /// Marks the primary span as secret so no output shows its text.
    pub fn concealed(mut self) -> Self {
        self.conceal = true;
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, label: Label) -> Self {
        self.secondary.push(label);
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line when there is one.
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Sets the note on the primary label.
    pub fn with_primary_message(mut self, message: impl Into<String>) -> Self {
        self.primary.message = Some(message.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A kind of diagnostic: its stable code, default severity and a one-line summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case code.
    pub code: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// What the rule finds, in one line (SARIF `shortDescription`, docs).
    pub summary: &'static str,
}

impl Rule {
    /// A diagnostic of this rule at one place.
    pub fn at(&self, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: self.code,
            severity: self.severity,
            message: message.into(),
            primary: Label::new(file, span),
            secondary: Vec::new(),
            help: None,
            conceal: false,
        }
    }
}

/// Collects diagnostics.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Adds many.
    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    /// True when at least one error was reported.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// The diagnostics so far.
    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Sorts by file, position and code, and drops exact repeats, so output is stable.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (a.primary.file, a.primary.span.start, a.code, &a.message).cmp(&(
                b.primary.file,
                b.primary.span.start,
                b.code,
                &b.message,
            ))
        });
        self.items.dedup();
    }

    /// Takes the diagnostics out.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}
