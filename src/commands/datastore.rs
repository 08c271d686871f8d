//! `sluice datastore upload`.

use anyhow::Result;
use sluice_runtime::datastore::{self, Upload};

use super::{Outcome, runtime_failure, session};
use crate::cli::{DatastoreCommand, UploadArgs};

/// Dispatches `sluice datastore ...`.
pub fn run(cmd: &DatastoreCommand) -> Result<Outcome> {
    match cmd {
        DatastoreCommand::Upload(a) => upload(a),
    }
}

fn upload(a: &UploadArgs) -> Result<Outcome> {
    let mut s = session(&a.workspace)?;
    // The workspace of the pipeline named, else of the current folder.
    let anchor = a.pipeline.clone().unwrap_or_else(|| std::path::PathBuf::from("./.sluice-anchor"));
    let ws = s.workspace_for(&anchor);
    if s.diagnostics.has_errors() {
        super::print_diagnostics(&s);
        return Ok(Outcome::Failure);
    }
    let up = Upload {
        datastore: a.datastore.clone(),
        target_path: a.target_path.clone(),
        overwrite: a.overwrite,
        files: a.files.clone(),
    };
    match datastore::upload(&ws, &up, &mut |holder| {
        eprintln!("waiting for {holder} to finish with the state folder...")
    }) {
        Ok(written) => {
            for p in &written {
                eprintln!("uploaded {}", p.display());
            }
            eprintln!(
                "{} file{} uploaded to datastore `{}`",
                written.len(),
                if written.len() == 1 { "" } else { "s" },
                a.datastore
            );
            Ok(Outcome::Success)
        }
        Err(e) => runtime_failure(e),
    }
}
