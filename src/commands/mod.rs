//! One module per command; each is thin and calls the libraries.

pub mod check;
pub mod compile;
pub mod dataset;
pub mod datastore;
pub mod endpoint;
pub mod graph;
pub mod pipeline;
pub mod plan;
pub mod publish;
pub mod remote;
pub mod remote_runs;
pub mod rules;
pub mod run;
pub mod runs;
pub mod schema;
pub mod serve;
pub mod submit;
pub mod token;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};

use sluice_compiler::report;
use sluice_compiler::session::{Session, WorkspaceChoice};
use sluice_runtime::secrets::{MaskingWriter, mask};

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
    let out = std::io::BufWriter::new(std::io::stderr().lock());
    let mut err = MaskingWriter::new(out, sluice_runtime::secrets::installed());
    let _ = report::write_human(ds, &session.sources, &human_options(color), &mut err);
    let _ = err.finish();
}

/// Prints a runtime error and gives the exit it calls for: 2 for I/O and usage (a bad `-p`, an
/// upload that cannot be done as asked), 1 for problems with the pipeline, its data or this
/// machine.
pub fn runtime_failure(e: sluice_runtime::RuntimeError) -> anyhow::Result<Outcome> {
    use sluice_runtime::RuntimeError as E;
    match e {
        // A state folder in use by another process (`--no-wait`, `--wait-timeout`): the run did
        // not start, as for an I/O problem.
        E::Io { .. }
        | E::Store { .. }
        | E::StoreVersion { .. }
        | E::Parameter(_)
        | E::Busy { .. }
        | E::Upload(_) => Err(e.into()),
        E::Canceled(_) => {
            eprintln!("{}", mask(&e.to_string()));
            Ok(Outcome::Canceled)
        }
        other => {
            eprintln!("error: {}", mask(&other.to_string()));
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

/// The largest `--parameter-file`: far more than one program argument can carry (128 KiB on
/// Linux), so a bigger file is a mistake.
const PARAMETER_FILE_LIMIT: u64 = 1 << 20;

/// Reads `--parameter-file NAME=FILE` arguments: each value is the file's text, byte for byte.
pub fn parameter_files(given: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    use std::io::Read;
    given
        .iter()
        .map(|p| {
            let (name, path) = sluice_compiler::fingerprint::params::split_assignment(p)?;
            let what = format!("--parameter-file {name}={path}");
            let file = std::fs::File::open(&path).with_context(|| format!("{what}: cannot open `{path}`"))?;
            let mut bytes = Vec::new();
            file.take(PARAMETER_FILE_LIMIT + 1)
                .read_to_end(&mut bytes)
                .with_context(|| format!("{what}: cannot read `{path}`"))?;
            if bytes.len() as u64 > PARAMETER_FILE_LIMIT {
                bail!("{what}: the file is larger than 1 MiB; pass large data as a file input (uri_file), not a parameter");
            }
            let text = String::from_utf8(bytes).map_err(|e| {
                let at = e.utf8_error().valid_up_to();
                anyhow::anyhow!(
                    "{what}: the file is not UTF-8 text (byte {at} is 0x{:02x}); parameter values are text",
                    e.as_bytes()[at]
                )
            })?;
            if let Some(at) = text.find('\0') {
                bail!("{what}: the file holds a NUL byte (at byte {at}), which no program argument can carry");
            }
            Ok((name, text))
        })
        .collect()
}

/// Compiles a pipeline file, printing its diagnostics on stderr; `None` when it has errors.
pub fn compile(
    file: &std::path::Path,
    ws: &WorkspaceArgs,
) -> anyhow::Result<Option<sluice_compiler::Compiled>> {
    let mut s = session(ws)?;
    let compiled = s.compile(file)?;
    // From here on, nothing printed shows the value of a secret the workspace names.
    if let Some(c) = &compiled {
        sluice_runtime::secrets::install(sluice_runtime::secrets::Secrets::of_workspace(&c.workspace));
    }
    print_diagnostics(&s);
    Ok(compiled)
}

/// Writes a command's product to stdout as `write` makes it (secrets' values masked); a reader
/// that went away (`| head`) is not an error.
pub fn write_out(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> Result<()> {
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut out = MaskingWriter::new(out, sluice_runtime::secrets::installed());
    match write(&mut out).and_then(|_| out.finish().map(drop)) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("cannot write the output"))
        }
        _ => Ok(()),
    }
}

/// Writes a command's product to stdout (secrets' values masked); a reader that went away
/// (`| head`) is not an error.
pub fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(mask(text).as_bytes()).and_then(|_| out.flush());
}
