//! `sluice graph`.

use anyhow::Result;
use sluice_compiler::emit::graph::{self, GraphFormat as Format};

use super::{Outcome, print_diagnostics, print_out, session};
use crate::cli::{GraphArgs, GraphFormat};

/// Prints the DAG of a pipeline that checks clean.
pub fn run(args: &GraphArgs) -> Result<Outcome> {
    let mut s = session(&args.workspace)?;
    let compiled = s.compile(&args.file)?;
    print_diagnostics(&s);
    let Some(c) = compiled else {
        return Ok(Outcome::Failure);
    };
    let format = match args.format {
        GraphFormat::Dot => Format::Dot,
        GraphFormat::Mermaid => Format::Mermaid,
    };
    print_out(&graph::render(&c.pipeline, format));
    Ok(Outcome::Success)
}
