//! `sluice run`.

use std::io::IsTerminal;

use anyhow::Result;
use sluice_runtime::plan::PlanOptions;
use sluice_runtime::progress::{PlainReporter, Reporter, TerminalReporter};
use sluice_runtime::run::{self, RunOptions};
use sluice_runtime::state::LockWait;
use sluice_runtime::store::status;

use super::{Outcome, compile, parameter_files, parameters, runtime_failure};
use crate::cli::RunArgs;

/// Runs a pipeline; exits 0 when every step succeeded or was reused, 1 when a step failed or
/// the pipeline cannot run here, 130 when canceled.
pub fn run(args: &RunArgs) -> Result<Outcome> {
    let Some(compiled) = compile(&args.file, &args.workspace)? else {
        return Ok(Outcome::Failure);
    };
    let opts = RunOptions {
        plan: PlanOptions {
            parameters: [
                parameters(&args.settings.parameters)?,
                parameter_files(&args.settings.parameter_files)?,
            ]
            .concat(),
            regenerate_outputs: args.settings.regenerate_outputs,
            explain: false,
        },
        jobs: args.jobs.map(usize::from),
        experiment: args.experiment.clone(),
        continue_on_step_failure: args.continue_on_step_failure,
        wait: match (args.no_wait, args.wait_timeout) {
            (true, _) => LockWait::No,
            (false, Some(d)) => LockWait::Timeout(d),
            (false, None) => LockWait::Forever,
        },
        log_limit: args.max_log_size,
        ..RunOptions::default()
    };
    let fancy = std::io::stderr().is_terminal() && std::env::var_os("TERM").is_some_and(|t| t != "dumb");
    let mut reporter: Box<dyn Reporter> =
        if fancy { Box::new(TerminalReporter::new()) } else { Box::new(PlainReporter) };
    match run::run(&compiled, &args.file, &opts, reporter.as_mut()) {
        Ok(summary) => Ok(match summary.status {
            status::COMPLETED => Outcome::Success,
            status::CANCELED => Outcome::Canceled,
            _ => Outcome::Failure,
        }),
        Err(e) => runtime_failure(e),
    }
}
