//! What the commands that talk to the workspace service share: the client, printing the
//! service's objects, and turning its refusals into messages and exit codes (1 when the
//! service refused, 2 when it cannot be reached or the command is wrong).

use anyhow::Result;
use serde::Serialize;
use sluice_service::client::{Client, ClientError};

use super::{Outcome, print_out};

/// The client of `--server` (or `SLUICE_SERVER`), with the token in `SLUICE_TOKEN`.
pub fn client(server: Option<&str>) -> Result<Client> {
    Ok(Client::from_env(server)?)
}

/// Prints a value as pretty JSON.
pub fn print_json<T: Serialize>(value: &T) -> Result<()> {
    print_out(&format!("{}\n", serde_json::to_string_pretty(value)?));
    Ok(())
}

/// How a failed request ends the command: a refusal by the service is printed and exits 1;
/// anything else (no service, no connection) is an error (exit 2).
pub fn refused(e: ClientError) -> Result<Outcome> {
    match e {
        ClientError::Status { status, code, message, known } => {
            let mut text = format!(
                "error: {message} (HTTP {status}{})",
                if code.is_empty() { String::new() } else { format!(", {code}") }
            );
            if !known.is_empty() {
                text.push_str(&format!("\n  known: {}", known.join(", ")));
            }
            if status == 401 {
                text.push_str("\n  help: set SLUICE_TOKEN to a token made with `sluice token create` beside the service");
            }
            eprintln!("{text}");
            Ok(Outcome::Failure)
        }
        other => Err(other.into()),
    }
}

/// Runs a request: its value, or the command's end.
pub fn attempt<T>(r: Result<T, ClientError>) -> Result<Result<T, Outcome>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(e) => refused(e).map(Err),
    }
}

/// `Some(v)` from a request, or returns the command's end from the enclosing function.
#[macro_export]
macro_rules! or_end {
    ($e:expr) => {
        match $crate::commands::remote::attempt($e)? {
            Ok(v) => v,
            Err(outcome) => return Ok(outcome),
        }
    };
}

/// `NAME=VALUE` pairs.
pub fn pairs(given: &[String], what: &str) -> Result<Vec<(String, String)>> {
    given
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(anyhow::anyhow!("`{p}` is not {what}")),
        })
        .collect()
}

/// Left-aligned columns; the last one is not padded.
pub fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                l.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        format!("{}\n", l.trim_end())
    };
    let mut out = line(head.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}
