//! `sluice rules`.

use anyhow::Result;
use serde_json::json;

use super::{Outcome, print_out};
use crate::cli::RulesArgs;

/// Prints every diagnostic code with its default severity and summary.
pub fn run(args: &RulesArgs) -> Result<Outcome> {
    let rules = sluice_compiler::every_rule();
    let text = if args.json {
        let list: Vec<_> = rules
            .iter()
            .map(|r| json!({"code": r.code, "severity": r.severity.as_str(), "summary": r.summary}))
            .collect();
        format!("{:#}\n", json!({"version": 1, "rules": list}))
    } else {
        let width = rules.iter().map(|r| r.code.len()).max().unwrap_or(0);
        rules
            .iter()
            .map(|r| format!("{:width$}  {:7}  {}\n", r.code, r.severity.as_str(), r.summary))
            .collect()
    };
    print_out(&text);
    Ok(Outcome::Success)
}
