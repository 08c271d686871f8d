//! `sluice serve`.

use anyhow::Result;
use sluice_service::server::{ServeOptions, serve_blocking};

use super::Outcome;
use crate::service_cli::{LogFormat, ServeArgs};

/// Runs the service until SIGINT or SIGTERM.
pub fn run(a: &ServeArgs) -> Result<Outcome> {
    serve_blocking(ServeOptions {
        state: a.state.state.clone(),
        listen: a.listen,
        no_auth: a.no_auth,
        workers: usize::from(a.workers),
        jobs: a.jobs.map(usize::from),
        public_url: a.public_url.clone(),
        workspace: a.workspace_name.clone(),
        max_body: a.max_body,
        max_upload: a.max_upload,
        log_json: a.log_format == LogFormat::Json,
    })?;
    Ok(Outcome::Success)
}
