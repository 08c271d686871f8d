//! One module per command; each is thin and calls the libraries.

pub mod check;
pub mod compile;
pub mod datastore;
pub mod graph;
pub mod plan;
pub mod rules;
pub mod run;
pub mod runs;
pub mod schema;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Result, bail};

use sluice_compiler::report;
use sluice_compiler::session::{Session, WorkspaceChoice};

use crate::cli::{ColorChoice, WorkspaceArgs};

/// How a command ended: the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the input has errors.
    Failure,
    /// Exit 130: a run was canceled.
    Canceled,
}

/// `--max-diagnostics` of this process, for [`print_diagnostics`].
static MAX_DIAGNOSTICS: AtomicUsize = AtomicUsize::new(report::DEFAULT_MAX_PER_CODE);

/// How `--format human` renders for this command line.
pub fn human_options(color: bool) -> report::HumanOptions {
    report::HumanOptions { color, max_per_code: MAX_DIAGNOSTICS.load(Ordering::Relaxed) }
}

/// A session with the workspace choice and input limits from the command line. A workspace file
/// that was named but cannot be used is a usage error (exit 2), not a finding in the pipeline.
pub fn session(ws: &WorkspaceArgs) -> Result<Session> {
    MAX_DIAGNOSTICS.store(ws.input.max_diagnostics, Ordering::Relaxed);
    if let Some(path) = &ws.workspace {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => bail!("workspace file `{}` is a folder", path.display()),
            Ok(m) if !m.is_file() => bail!(
                "workspace file `{}` is {}, not a file (from --workspace or SLUICE_WORKSPACE)",
                path.display(),
                sluice_compiler::source::special_kind(&m)
            ),
            Ok(_) => {}
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "cannot read workspace file `{}` (from --workspace or SLUICE_WORKSPACE)",
                    path.display()
                )));
            }
        }
    }
    let mut s = Session::new(WorkspaceChoice { explicit: ws.workspace.clone() });
    if let Some(bytes) = ws.input.max_file_size {
        s.limits = sluice_compiler::yaml::Limits::for_max_bytes(bytes);
    }
    Ok(s)
}

/// Whether to colour output written to stdout.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// Prints the session's diagnostics for people on stderr (used by commands whose stdout is
/// their product: graph, plan, compile).
pub fn print_diagnostics(session: &Session) {
    let ds = session.diagnostics.as_slice();
    if ds.is_empty() {
        return;
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    let _ = report::write_human(ds, &session.sources, &human_options(color), &mut err);
    let _ = std::io::Write::flush(&mut err);
}

/// Prints a runtime error and gives the exit it calls for: 2 for I/O and usage (a bad `-p`, an
/// upload that cannot be done as asked), 1 for problems with the pipeline, its data or this
/// machine.
pub fn runtime_failure(e: sluice_runtime::RuntimeError) -> anyhow::Result<Outcome> {
    use sluice_runtime::RuntimeError as E;
    match e {
        E::Io { .. } | E::Store { .. } | E::StoreVersion { .. } | E::Parameter(_) | E::Upload(_) => {
            Err(e.into())
        }
        other => {
            eprintln!("error: {other}");
            Ok(Outcome::Failure)
        }
    }
}

/// Reads `-p NAME=VALUE` arguments.
pub fn parameters(given: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    given
        .iter()
        .map(|p| sluice_compiler::fingerprint::params::split_assignment(p).map_err(anyhow::Error::from))
        .collect()
}

/// Compiles a pipeline file, printing its diagnostics on stderr; `None` when it has errors.
pub fn compile(
    file: &std::path::Path,
    ws: &WorkspaceArgs,
) -> anyhow::Result<Option<sluice_compiler::session::Compiled>> {
    let mut s = session(ws)?;
    let compiled = s.compile(file)?;
    print_diagnostics(&s);
    Ok(compiled)
}

/// Writes a command's product to stdout as `write` makes it; a reader that went away (`| head`)
/// is not an error.
pub fn write_out(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match write(&mut out).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("cannot write the output"))
        }
        _ => Ok(()),
    }
}

/// Writes a command's product to stdout; a reader that went away (`| head`) is not an error.
pub fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}
