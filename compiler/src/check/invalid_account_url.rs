//! `invalid-account-url`: a datastore's `account_url` that is not the URL of a Blob service
//! (`http(s)://host[:port][/path]`), or that is given together with `protocol`/`endpoint`,
//! which it replaces.

use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::Workspace;
use crate::source::SourceMap;

/// A datastore's `account_url` cannot be used.
pub const RULE: Rule = Rule {
    code: "invalid-account-url",
    severity: Severity::Error,
    summary: "A datastore's account_url is not an http(s) URL of a Blob service, carries a query (a SAS goes in sas_token), or is given with protocol/endpoint, which it replaces.",
};

/// Why `url` cannot be a Blob service URL, if it cannot.
pub fn url_problem(url: &str) -> Option<String> {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return Some("it must start with `https://` (or `http://` for an emulator)".to_string());
    };
    if url.contains('?') {
        return Some(
            "it carries a query: write the shared access signature in `sas_token` (as `${env:NAME}`)"
                .to_string(),
        );
    }
    if url.contains('#') {
        return Some("it carries a fragment (`#...`)".to_string());
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Some("it carries user information (`user@host`): credentials go in their own fields".to_string());
    }
    // `[v6]:port`, `host:port` or `host`.
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, rest)) => (h, rest.strip_prefix(':')),
            None => ("", None),
        },
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if let Some(port) = port.filter(|p| p.parse::<u16>().is_err()) {
        return Some(format!("its port `{port}` is not a number from 0 to 65535"));
    }
    if host.is_empty() || host.chars().any(|c| c.is_whitespace()) {
        return Some("it names no host".to_string());
    }
    None
}

/// Checks the `account_url` of every cloud datastore.
pub fn check_workspace(ws: &Workspace, _sources: &SourceMap, out: &mut Diagnostics) {
    for d in &ws.datastores {
        let (Some(url), Some((file, _))) = (d.setting("account_url"), d.defined_at) else {
            continue;
        };
        let Some(&span) = d.setting_spans.get("account_url") else {
            continue;
        };
        if let Some(why) = url_problem(url) {
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

#[cfg(test)]
mod tests {
    use super::url_problem;

    #[test]
    fn blob_service_urls() {
        assert_eq!(url_problem("https://acct.blob.core.windows.net"), None);
        assert_eq!(url_problem("http://127.0.0.1:10000/devstoreaccount1"), None);
        assert_eq!(url_problem("https://[::1]:10000/devstoreaccount1"), None);
        assert!(url_problem("acct.blob.core.windows.net").is_some());
        assert!(url_problem("ftp://acct").is_some());
        assert!(url_problem("https://acct.blob.core.windows.net/?sv=1&sig=x").unwrap().contains("sas_token"));
        assert!(url_problem("https://user:pw@acct.blob.core.windows.net").is_some());
        assert!(url_problem("https://").is_some());
        assert!(url_problem("http://127.0.0.1:99999").unwrap().contains("port"));
    }
}
