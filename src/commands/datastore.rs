//! `sluice datastore upload|download|list|rm`: opens the datastore the workspace declares and
//! hands the work to `sluice_runtime::datastore`.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Result;
use sluice_compiler::ir::Workspace;
use sluice_runtime::StateDir;
use sluice_runtime::datastore::progress::{BarReporter, PlainReporter, TransferReporter};
use sluice_runtime::datastore::{
    self, DatastoreError, DownloadRequest, Entry, NetOptions, RemoveRequest, Store, Summary, UploadRequest,
    transfer,
};

use super::{Outcome, print_out, session};
use crate::cli::{DatastoreArgs, DatastoreCommand, TransferArgs};

/// Dispatches `sluice datastore ...`.
pub fn run(cmd: &DatastoreCommand) -> Result<Outcome> {
    match cmd {
        DatastoreCommand::Upload(a) => {
            let req = UploadRequest {
                sources: a.files.clone(),
                target_path: a.target_path.clone(),
                overwrite: a.overwrite,
            };
            transfer_command(&a.store, a.transfer, true, |store, rep| async move {
                let summary = transfer::upload(&store, &req, usize::from(a.transfer.jobs), rep).await?;
                Ok(summary.line("uploaded to", &format!("datastore `{}`", store.name())))
            })
        }
        DatastoreCommand::Download(a) => {
            let req = DownloadRequest {
                paths: a.paths.clone(),
                target: a.target_path.clone(),
                overwrite: a.overwrite,
            };
            transfer_command(&a.store, a.transfer, false, |store, rep| async move {
                let summary = transfer::download(&store, &req, usize::from(a.transfer.jobs), rep).await?;
                Ok(summary.line(
                    "downloaded from",
                    &format!("datastore `{}` into {}", store.name(), req.target.display()),
                ))
            })
        }
        DatastoreCommand::Rm(a) => {
            let req = RemoveRequest { paths: a.paths.clone(), recursive: a.recursive, dry_run: a.dry_run };
            transfer_command(&a.store, a.transfer, !a.dry_run, |store, rep| async move {
                let summary: Summary = transfer::remove(&store, &req, rep).await?;
                let n = summary.files.len();
                let verb = if req.dry_run { "would be deleted" } else { "deleted" };
                Ok(format!(
                    "{n} file{} {verb} from datastore `{}`",
                    if n == 1 { "" } else { "s" },
                    store.name()
                ))
            })
        }
        DatastoreCommand::List(a) => {
            let (ws, store) = match open(&a.store, a.transfer)? {
                Ok(opened) => opened,
                Err(outcome) => return Ok(outcome),
            };
            drop(ws);
            let name = store.name().to_string();
            let entries = datastore::block_on(async move { transfer::list(&store, &a.paths).await });
            finish(entries.map(|entries| {
                print_out(&if a.json { list_json(&name, &entries) } else { list_text(&entries) });
                let bytes: u64 = entries.iter().map(|e| e.size).sum();
                format!(
                    "{} file{}, {} on datastore `{name}`",
                    entries.len(),
                    if entries.len() == 1 { "" } else { "s" },
                    datastore::format_bytes(bytes)
                )
            }))
        }
    }
}

/// Opens the datastore, or says why not: `Ok(Err(outcome))` when the workspace file has errors
/// (printed).
fn open(args: &DatastoreArgs, t: TransferArgs) -> Result<Result<(Workspace, Store), Outcome>> {
    let mut s = session(&args.workspace)?;
    // The workspace of the pipeline named, else of the current folder.
    let anchor = args.pipeline.clone().unwrap_or_else(|| std::path::PathBuf::from("./.sluice-anchor"));
    let ws = s.workspace_for(&anchor);
    if s.diagnostics.has_errors() {
        super::print_diagnostics(&s);
        return Ok(Err(Outcome::Failure));
    }
    let net = NetOptions { retries: usize::from(t.retries), ..NetOptions::default() };
    match datastore::open(&ws, &args.datastore, net) {
        Ok(store) => Ok(Ok((ws, store))),
        Err(e) => finish::<String>(Err(e)).map(Err),
    }
}

/// Opens the datastore, takes the state lock when writing to a local one (built-in datastores
/// live in `.sluice/`), runs `op` with a progress display and prints its summary line.
fn transfer_command<F, Fut>(args: &DatastoreArgs, t: TransferArgs, writes: bool, op: F) -> Result<Outcome>
where
    F: FnOnce(Store, Arc<dyn TransferReporter>) -> Fut,
    Fut: std::future::Future<Output = Result<String, DatastoreError>>,
{
    let (ws, store) = match open(args, t)? {
        Ok(opened) => opened,
        Err(outcome) => return Ok(outcome),
    };
    let _lock = if writes && store.is_local() {
        let state = StateDir::for_root(&ws.root);
        state.create()?;
        Some(state.lock(&mut |holder| eprintln!("waiting for {holder} to finish with the state folder..."))?)
    } else {
        None
    };
    let reporter: Arc<dyn TransferReporter> = if std::io::stderr().is_terminal() {
        Arc::new(BarReporter::default())
    } else {
        Arc::new(PlainReporter)
    };
    finish(datastore::block_on(op(store, reporter)))
}

/// Prints the summary or the error and gives the exit: 2 for usage and local I/O, 130 when
/// canceled, 1 for failures of the datastore or the data.
fn finish<T: std::fmt::Display>(result: Result<T, DatastoreError>) -> Result<Outcome> {
    match result {
        Ok(line) => {
            eprintln!("{line}");
            Ok(Outcome::Success)
        }
        Err(DatastoreError::Canceled) => {
            eprintln!("canceled: files not yet complete were not written");
            Ok(Outcome::Canceled)
        }
        Err(e) if e.is_usage() => Err(e.into()),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(Outcome::Failure)
        }
    }
}

/// One line per file: size, modification time, MD5 (`-` when the service holds none), path.
fn list_text(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        let modified = e.modified_ms.map(sluice_runtime::time::format_utc).unwrap_or_else(|| "-".to_string());
        let md5 = e.md5.as_ref().map(datastore::md5_hex).unwrap_or_else(|| "-".to_string());
        out.push_str(&format!(
            "{:>10}  {modified:<20}  {md5:<32}  {}\n",
            datastore::format_bytes(e.size),
            e.path
        ));
    }
    out
}

fn list_json(name: &str, entries: &[Entry]) -> String {
    let files: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "path": e.path,
                "size": e.size,
                "modified": e.modified_ms.map(sluice_runtime::time::format_utc),
                "md5": e.md5.as_ref().map(datastore::md5_hex),
                "etag": e.etag,
            })
        })
        .collect();
    let doc = serde_json::json!({"version": 1, "datastore": name, "files": files});
    format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default())
}
