//! `invalid-account-url`: a datastore's `account_url` that is not the URL of a Blob service
//! (`http(s)://host[:port][/path]`), or that is given together with `protocol`/`endpoint`,
//! which it replaces.

use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::{Workspace, account_url_problem};
use crate::source::SourceMap;

/// A datastore's `account_url` cannot be used.
pub const RULE: Rule = Rule {
    code: "invalid-account-url",
    severity: Severity::Error,
    summary: "A datastore's account_url is not an http(s) URL of a Blob service, carries a query (a SAS goes in sas_token), or is given with protocol/endpoint, which it replaces.",
};

/// Checks the `account_url` of every cloud datastore.
pub fn check_workspace(ws: &Workspace, _sources: &SourceMap, out: &mut Diagnostics) {
    for d in &ws.datastores {
        let (Some(url), Some((file, _))) = (d.setting("account_url"), d.defined_at) else {
            continue;
        };
        let Some(&span) = d.setting_spans.get("account_url") else {
            continue;
        };
        if let Some(why) = account_url_problem(url) {
            let d = RULE
                .at(file, span, format!("`account_url` of datastore `{}` cannot be used: {why}", d.name))
                .with_help(format!(
                    "write the Blob service URL of the account, e.g. `https://{}.blob.core.windows.net` or, for Azurite, `http://127.0.0.1:10000/devstoreaccount1`",
                    d.setting("account_name").unwrap_or("ACCOUNT")
                ));
            // A query is most likely a SAS: its value is not shown.
            out.push(if url.contains('?') { d.concealed() } else { d });
            continue;
        }
        for replaced in ["protocol", "endpoint"] {
            if let Some(&at) = d.setting_spans.get(replaced) {
                out.push(
                    RULE.at(
                        file,
                        at,
                        format!("datastore `{}` gives both `account_url` and `{replaced}`", d.name),
                    )
                    .with_label(Label::with_message(file, span, "the account URL given here"))
                    .with_help(format!("`account_url` replaces `protocol` and `endpoint`: remove `{replaced}`")),
                );
            }
        }
    }
}
