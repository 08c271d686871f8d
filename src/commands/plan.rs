//! `sluice plan`.

use std::fmt::Write;

use anyhow::Result;
use sluice_compiler::fingerprint::HashCache;
use sluice_runtime::plan::{self, InputValue, Plan, PlanOptions, Reuse};
use sluice_runtime::{RunStore, StateDir};

use super::{Outcome, compile, parameter_files, parameters, print_out, runtime_failure};
use crate::cli::PlanArgs;

/// Prints the plan of a pipeline; exits 1 when it cannot run on this machine.
pub fn run(args: &PlanArgs) -> Result<Outcome> {
    let Some(compiled) = compile(&args.file, &args.workspace)? else {
        return Ok(Outcome::Failure);
    };
    let opts = PlanOptions {
        parameters: [
            parameters(&args.settings.parameters)?,
            parameter_files(&args.settings.parameter_files)?,
        ]
        .concat(),
        regenerate_outputs: args.settings.regenerate_outputs,
        explain: args.explain,
    };
    let state = StateDir::for_root(&compiled.workspace.root);
    // A plan writes nothing where nothing ran yet: without a state folder, every step is
    // "never run" and file hashes are not kept.
    let result = (|| {
        if !state.exists() {
            return plan::plan(&compiled, &args.file, &state, None, &HashCache::new(), &opts);
        }
        let store = RunStore::open(&state.store_path())?;
        let cache = HashCache::load(&state.hash_cache_path());
        let plan = plan::plan(&compiled, &args.file, &state, Some(&store), &cache, &opts)?;
        // Keep what was hashed, so the next plan reads nothing that did not change.
        let _ = cache.save(&state.hash_cache_path());
        Ok(plan)
    })();
    let plan = match result {
        Ok(p) => p,
        Err(e) => return runtime_failure(e),
    };
    if args.json {
        print_out(&format!("{}\n", serde_json::to_string_pretty(&plan)?));
    } else {
        print_out(&human(&plan, args.explain));
    }
    if !plan.problems.is_empty() {
        eprintln!("error: the pipeline cannot run on this machine:");
        for p in &plan.problems {
            eprintln!("  - {}", sluice_runtime::secrets::mask(p));
        }
        return Ok(Outcome::Failure);
    }
    Ok(Outcome::Success)
}

/// The plan for people.
pub fn human(plan: &Plan, explain: bool) -> String {
    let mut out = String::new();
    let (hits, misses, disabled) = plan.counts();
    let _ = writeln!(
        out,
        "plan of {}: {} steps, {} to run, {} reused (state in {})",
        plan.pipeline,
        plan.steps.len(),
        misses + disabled,
        hits,
        plan.state.display()
    );
    let width = plan.steps.iter().map(|s| s.key.chars().count()).max().unwrap_or(0);
    for (n, level) in plan.levels.iter().enumerate() {
        let _ = writeln!(out, "  level {}", n + 1);
        for key in level {
            let Some(s) = plan.steps.iter().find(|s| &s.key == key) else { continue };
            let verdict = match s.reuse {
                Reuse::Hit => "reuse",
                Reuse::Miss => "run",
                Reuse::Disabled => "run",
            };
            let first = s.changes.first().cloned().unwrap_or_default();
            let more = if s.changes.len() > 1 && !explain {
                format!(" (and {} more)", s.changes.len() - 1)
            } else {
                String::new()
            };
            let _ = writeln!(out, "    {:<width$}  {verdict:<5}  {first}{more}", s.key);
            if explain {
                let pad = " ".repeat(width + 9);
                for c in s.changes.iter().skip(1) {
                    let _ = writeln!(out, "    {pad}{c}");
                }
                let _ = writeln!(out, "    {pad}fingerprint {}", s.fingerprint);
                if let Some(cmd) = &s.command {
                    let _ = writeln!(out, "    {pad}command     {}", shell_words(cmd));
                }
                if let Some(cwd) = &s.cwd {
                    let _ = writeln!(out, "    {pad}cwd         {} (a snapshot of it)", cwd.display());
                }
                for (name, v) in &s.inputs {
                    let v = match v {
                        InputValue::Path(p) => p.display().to_string(),
                        InputValue::Value(v) => v.to_string(),
                        InputValue::Unbound => "(none)".to_string(),
                    };
                    let _ = writeln!(out, "    {pad}input       {name} = {v}");
                }
                for (name, p) in &s.outputs {
                    let _ = writeln!(out, "    {pad}output      {name} -> {}", p.display());
                }
            }
        }
    }
    out
}

/// A command line as one would type it.
pub fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
