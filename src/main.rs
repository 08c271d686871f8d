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
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
