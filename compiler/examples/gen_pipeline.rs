//! Writes a synthetic v1 project (pipeline, workspace file, source folders, scripts, data) for
//! benchmarks: `cargo run --release -p sluice-compiler --example gen_pipeline -- --steps 10000
//! --out /tmp/synth-10k [--style flow|block|dense] [--seed N]`. Prints the pipeline file's path.

use std::path::PathBuf;
use std::process::ExitCode;

use sluice_compiler::synth::{Options, Style, write_project};

const USAGE: &str = "usage: gen_pipeline --steps N --out DIR [--style flow|block|dense] [--seed N]";

fn main() -> ExitCode {
    let mut steps: Option<usize> = None;
    let mut out: Option<PathBuf> = None;
    let mut style = Style::Flow;
    let mut seed: Option<u64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        let ok = match (arg.as_str(), value) {
            ("--steps", Some(v)) => v.parse().map(|v| steps = Some(v)).is_ok(),
            ("--out", Some(v)) => {
                out = Some(PathBuf::from(v));
                true
            }
            ("--style", Some(v)) => match v.as_str() {
                "flow" => {
                    style = Style::Flow;
                    true
                }
                "block" => {
                    style = Style::Block;
                    true
                }
                "dense" => {
                    style = Style::Dense;
                    true
                }
                _ => false,
            },
            ("--seed", Some(v)) => v.parse().map(|v| seed = Some(v)).is_ok(),
            _ => false,
        };
        if !ok {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let (Some(steps), Some(out)) = (steps, out) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut options = Options::new(steps, style);
    if let Some(seed) = seed {
        options.seed = seed;
    }
    match write_project(&out, &options) {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}
