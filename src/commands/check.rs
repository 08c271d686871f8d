//! `sluice check`.

use anyhow::Result;
use sluice_compiler::report::{self, Format};

use super::{Outcome, human_options, session, use_color, write_out};
use crate::cli::{CheckArgs, ReportFormat};

/// Checks the paths and prints the diagnostics in the chosen format.
pub fn run(args: &CheckArgs) -> Result<Outcome> {
    let mut s = session(&args.workspace)?;
    s.check_paths(&args.paths)?;
    let format = match args.format {
        ReportFormat::Human => Format::Human,
        ReportFormat::Json => Format::Json,
        ReportFormat::Sarif => Format::Sarif,
        ReportFormat::Github => Format::Github,
    };
    let ds = s.diagnostics.as_slice();
    let human = human_options(use_color(args.color));
    write_out(|out| report::write(format, ds, &s.sources, &human, out))?;
    Ok(if s.diagnostics.has_errors() { Outcome::Failure } else { Outcome::Success })
}
