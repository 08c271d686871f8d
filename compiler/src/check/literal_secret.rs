//! `literal-secret`: a secret written in the file instead of `${env:NAME}`.

use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::Workspace;
use crate::source::SourceMap;

/// A secret field holds a literal value; secrets are written only as `${env:NAME}`.
pub const RULE: Rule = Rule {
    code: "literal-secret",
    severity: Severity::Error,
    summary: "A secret field (account key, SAS token, bearer token, access token, client secret) holds a literal value instead of ${env:NAME}.",
};

/// Checks every secret field of the workspace. The value is never shown.
pub fn check_workspace(ws: &Workspace, _sources: &SourceMap, out: &mut Diagnostics) {
    let fields = ws
        .datastores
        .iter()
        .flat_map(|d| d.secrets.iter().map(move |s| (d.name.as_str(), s)))
        .chain(ws.computes.iter().flat_map(|c| c.secrets.iter().map(move |s| (c.name.as_str(), s))));
    for (owner, secret) in fields {
        if secret.env_var().is_some() {
            continue;
        }
        let suggested = format!("{}_{}", owner, secret.field).to_ascii_uppercase().replace(['-', '.', ' '], "_");
        let looks_like_env = secret.value.value.starts_with("${");
        let message = if looks_like_env {
            format!("`{}` of `{owner}` is not a valid `${{env:NAME}}` reference", secret.field)
        } else {
            format!("`{}` of `{owner}` holds a literal secret", secret.field)
        };
        out.push(
            RULE.at(secret.value.file, secret.value.span, message)
                .with_help(format!(
                    "write `${{env:{suggested}}}` and set {suggested} in the environment; if this value was committed, rotate it"
                ))
                .concealed(),
        );
    }
}
