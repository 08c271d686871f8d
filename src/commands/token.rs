//! `sluice token create|list|revoke`: tokens of a service, on its state folder (beside it).

use anyhow::Result;
use serde_json::json;
use sluice_service::auth::{Role, create_token};
use sluice_service::store::{Db, tokens};
use sluice_service::time::{iso, parse_duration};

use super::{Outcome, print_out};
use crate::service_cli::{RoleArg, TokenCommand};

/// Dispatches `sluice token ...`.
pub fn run(cmd: &TokenCommand) -> Result<Outcome> {
    match cmd {
        TokenCommand::Create(a) => {
            let role = match a.role {
                RoleArg::Reader => Role::Reader,
                RoleArg::Submitter => Role::Submitter,
                RoleArg::Admin => Role::Admin,
            };
            let expires =
                a.expires_in.as_deref().map(parse_duration).transpose().map_err(anyhow::Error::msg)?;
            let secret = create_token(&a.state.state, &a.name, role, expires)?;
            let until = expires
                .map(|ms| format!(", expires {}", iso(sluice_runtime::time::now_ms() + ms)))
                .unwrap_or_default();
            eprintln!(
                "token `{}` (role {}{until}) added to {}; it is shown once, below (only its hash is kept):",
                a.name,
                role.as_str(),
                a.state.state.display()
            );
            print_out(&format!("{secret}\n"));
            Ok(Outcome::Success)
        }
        TokenCommand::List(a) => {
            let db = Db::open(&a.state.state)?;
            let rows = db.with(|c| tokens::list(c))?;
            if a.json {
                let list: Vec<_> = rows
                    .iter()
                    .map(|t| {
                        json!({"Name": t.name, "Role": t.role, "CreatedDate": iso(t.created_ms),
                               "ExpiresDate": t.expires_ms.map(iso), "Revoked": t.revoked})
                    })
                    .collect();
                print_out(&format!("{}\n", serde_json::to_string_pretty(&list)?));
                return Ok(Outcome::Success);
            }
            if rows.is_empty() {
                print_out("no tokens; make one with `sluice token create --name NAME --role ROLE`\n");
                return Ok(Outcome::Success);
            }
            let mut out = String::from("NAME  ROLE  CREATED  EXPIRES  REVOKED\n");
            for t in rows {
                out.push_str(&format!(
                    "{}  {}  {}  {}  {}\n",
                    t.name,
                    t.role,
                    iso(t.created_ms),
                    t.expires_ms.map_or_else(|| "never".to_string(), iso),
                    if t.revoked { "yes" } else { "no" }
                ));
            }
            print_out(&out);
            Ok(Outcome::Success)
        }
        TokenCommand::Revoke(a) => {
            let db = Db::open(&a.state.state)?;
            if db.with(|c| tokens::revoke(c, &a.name))? {
                eprintln!("token `{}` revoked", a.name);
                Ok(Outcome::Success)
            } else {
                anyhow::bail!("no token named `{}` in {}", a.name, a.state.state.display())
            }
        }
    }
}
