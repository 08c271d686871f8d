//! The `sluice` binary: parses the command line and hands each command to the libraries.

mod cli;
mod commands;
mod service_cli;

use std::process::ExitCode;

// mimalloc: the compiler allocates many small nodes; glibc's per-thread arenas grow by mprotect
// calls and were a tenth of a large check's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

use cli::{Cli, Command};
use commands::Outcome;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check(a) => commands::check::run(a),
        Command::Graph(a) => commands::graph::run(a),
        Command::Schema(a) => commands::schema::run(a),
        Command::Plan(a) => commands::plan::run(a),
        Command::Run(a) => commands::run::run(a),
        Command::Runs(a) => commands::runs::run(a),
        Command::Datastore(a) => commands::datastore::run(a),
        Command::Dataset(a) => commands::dataset::run(a),
        Command::Compile(a) => commands::compile::run(a),
        Command::Rules(a) => commands::rules::run(a),
        Command::Serve(a) => commands::serve::run(a),
        Command::Publish(a) => commands::publish::run(a),
        Command::Pipeline(a) => commands::pipeline::run(a),
        Command::Endpoint(a) => commands::endpoint::run(a),
        Command::Submit(a) => commands::submit::run(a),
        Command::Token(a) => commands::token::run(a),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::from(1),
        // A run stopped by Ctrl-C, as shells report SIGINT.
        Ok(Outcome::Canceled) => ExitCode::from(130),
        // Usage and I/O failures.
        Err(e) => {
            eprintln!("error: {}", sluice_runtime::secrets::mask(&error_chain(e.chain())));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes, each said once: a cause whose words the error before it already
/// shows (a library error that prints its source) is left out, and so is a cause that only
/// repeats the one before in other words (`Error code 13: database or disk is full` after
/// `database or disk is full`).
fn error_chain<'a>(chain: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>) -> String {
    let mut shown = String::new();
    let mut last = String::new();
    for cause in chain {
        let text = cause.to_string();
        let repeats =
            !last.is_empty() && (shown.contains(&text) || (text.contains(&last) && shown.contains(&last)));
        if !repeats && !text.is_empty() {
            if !shown.is_empty() {
                shown.push_str(": ");
            }
            shown.push_str(&text);
        }
        last = text;
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    fn render(e: E) -> String {
        error_chain(anyhow::Error::new(e).chain())
    }

    #[test]
    fn each_cause_is_said_once() {
        let io = || E("File exists (os error 17)", None);
        assert_eq!(
            render(E("`/p/.sluice`: File exists (os error 17)", Some(Box::new(io())))),
            "`/p/.sluice`: File exists (os error 17)"
        );
        // A cause that rewords the one before is left out too.
        let sqlite = E(
            "run store `x`: database or disk is full",
            Some(Box::new(E(
                "database or disk is full",
                Some(Box::new(E("Error code 13: database or disk is full", None))),
            ))),
        );
        assert_eq!(render(sqlite), "run store `x`: database or disk is full");
        // Causes that add something are kept.
        assert_eq!(
            render(E(
                "cannot read workspace file `w.yaml`",
                Some(Box::new(E("No such file or directory (os error 2)", None)))
            )),
            "cannot read workspace file `w.yaml`: No such file or directory (os error 2)"
        );
    }
}
