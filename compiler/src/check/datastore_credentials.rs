//! `datastore-credentials`: a cloud datastore with more than one credential (sluice would have
//! to guess which one to use), or an incomplete service principal.

use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::{Datastore, Workspace};
use crate::source::{FileId, SourceMap, Span};

/// A datastore's credentials are ambiguous or incomplete.
pub const RULE: Rule = Rule {
    code: "datastore-credentials",
    severity: Severity::Error,
    summary: "A cloud datastore gives more than one credential (account_key, sas_token, bearer_token, client_secret), or a service principal without all of tenant_id, client_id and client_secret.",
};

/// The credential fields, in the order sluice prefers none of them: exactly one may be given.
pub const CREDENTIALS: [&str; 4] = ["account_key", "sas_token", "bearer_token", "client_secret"];

/// The fields that only go with `client_secret`.
const PRINCIPAL: [&str; 3] = ["tenant_id", "client_id", "authority_url"];

/// Checks each datastore's credential fields.
pub fn check_workspace(ws: &Workspace, _sources: &SourceMap, out: &mut Diagnostics) {
    for d in &ws.datastores {
        let Some((file, _)) = d.defined_at else { continue };
        let given: Vec<(&str, Span)> = CREDENTIALS
            .iter()
            .filter_map(|f| d.secret(f).map(|s| (*f, s.value.span)))
            .collect();
        if let [(first, first_at), rest @ ..] = given.as_slice() {
            for (field, at) in rest {
                out.push(
                    RULE.at(file, *at, format!("datastore `{}` gives both `{first}` and `{field}`", d.name))
                        .with_label(Label::with_message(file, *first_at, format!("`{first}` given here")))
                        .with_help("give one credential: keep the one this machine should use and remove the other"),
                );
            }
        }
        principal(d, file, out);
    }
}

/// `client_secret` needs `tenant_id` and `client_id`; they, and `authority_url`, need it.
fn principal(d: &Datastore, file: FileId, out: &mut Diagnostics) {
    let secret = d.secret("client_secret").map(|s| s.value.span);
    match secret {
        Some(at) => {
            let missing: Vec<&str> =
                ["tenant_id", "client_id"].into_iter().filter(|k| d.setting(k).is_none()).collect();
            if !missing.is_empty() {
                out.push(
                    RULE.at(
                        file,
                        at,
                        format!(
                            "the service principal of datastore `{}` has no `{}`",
                            d.name,
                            missing.join("` and no `")
                        ),
                    )
                    .with_help("a service principal is `tenant_id`, `client_id` and `client_secret` together"),
                );
            }
        }
        None => {
            for key in PRINCIPAL {
                if let Some(&at) = d.setting_spans.get(key) {
                    out.push(
                        RULE.at(file, at, format!("`{key}` of datastore `{}` is used only with `client_secret`", d.name))
                            .with_help("add `client_secret: ${env:NAME}` for a service principal, or remove it"),
                    );
                }
            }
        }
    }
}
