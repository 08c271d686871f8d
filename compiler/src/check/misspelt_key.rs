//! `misspelt-key`: a key spelt as the Azure ML SDK v1 misspelt it; accepted, with the right
//! spelling named.

use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::source::{FileId, Span};

/// A key spelt as the Azure ML SDK v1 misspelt it (`maven_libabries`); accepted with a warning.
pub const RULE: Rule = Rule {
    code: "misspelt-key",
    severity: Severity::Warning,
    summary: "A key uses the Azure ML SDK v1's misspelling; sluice accepts it but names the right spelling.",
};

/// Reports `wrong` (at `span`) and names `right`.
pub fn report(file: FileId, span: Span, wrong: &str, right: &str, out: &mut Diagnostics) {
    out.push(
        RULE.at(file, span, format!("`{wrong}` is the SDK's misspelling of `{right}`"))
            .with_help(format!("rename the key to `{right}`")),
    );
}
