//! One module per command; each is thin and calls the libraries.

pub mod check;
pub mod graph;
pub mod schema;

use std::io::IsTerminal;

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
}

/// A session with the workspace choice from the command line.
pub fn session(ws: &WorkspaceArgs) -> Session {
    Session::new(WorkspaceChoice { explicit: ws.workspace.clone() })
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
    eprint!("{}", report::render_human(ds, &session.sources, color));
}
