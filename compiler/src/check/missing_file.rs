//! `missing-file`: a source directory, script, run configuration or hash path that does not
//! exist.

use std::collections::HashMap;
use std::path::Path;

use super::Context;
use super::path_escapes_root::{EscapeCache, is_absolute, is_script, normalize, step_paths};
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::suggest::did_you_mean;

/// A file or folder the pipeline names does not exist.
pub const RULE: Rule = Rule {
    code: "missing-file",
    severity: Severity::Error,
    summary: "A source directory, script, component file, run configuration or hash path does not exist.",
};

/// Checks that every named path exists and is of the right kind.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    // Steps share source folders and scripts: work out and stat each distinct path once.
    let mut escape = EscapeCache::default();
    let mut kinds: HashMap<(&Path, &str), Option<bool>> = HashMap::new();
    for step in &cx.pipeline.steps {
        let mut code_missing = false;
        for (path, what) in step_paths(step) {
            let raw = &path.raw;
            // A path that leaves its root is reported as such (path-escapes-root), and so is the
            // script of a source directory that does: one mistake, one diagnostic.
            if is_absolute(&raw.value) {
                // An absolute path that exists is path-escapes-root's; one that does not is
                // missing here, wherever it was written.
                if !Path::new(&raw.value).exists() {
                    code_missing |= what == "source directory";
                    out.push(
                        RULE.at(raw.file, raw.span, format!("{what} `{}` does not exist on this machine", raw.value))
                            .with_help("an absolute path ties the pipeline to one machine: write it relative to the pipeline file"),
                    );
                }
                continue;
            }
            if raw.value.is_empty() || escape.escapes(path) {
                code_missing |= what == "source directory";
                continue;
            }
            // A script in a missing source directory is reported once, with its folder.
            if is_script(what) && code_missing {
                continue;
            }
            let want_dir = matches!(what, "source directory" | "build context");
            let key = (path.base.as_path(), raw.value.as_str());
            let is_dir =
                *kinds.entry(key).or_insert_with(|| std::fs::metadata(path.resolved()).ok().map(|m| m.is_dir()));
            let problem = match is_dir {
                Some(is_dir) if want_dir && !is_dir => Some("is not a folder"),
                Some(is_dir) if !want_dir && what != "hash path" && is_dir => Some("is a folder, not a file"),
                Some(_) => None,
                None => Some("does not exist"),
            };
            let Some(problem) = problem else { continue };
            let full = path.resolved();
            code_missing |= want_dir;
            let siblings = full
                .parent()
                .and_then(|p| std::fs::read_dir(p).ok())
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok())
                        .filter_map(|e| e.file_name().into_string().ok())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            let file_name = full.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let help = did_you_mean(file_name, &siblings)
                .or_else(|| Some(format!("looked for `{}`", crate::source::shown_path(&normalize(&full)).display())));
            out.push(
                RULE.at(raw.file, raw.span, format!("{what} `{}` {problem}", raw.value)).with_help_opt(help),
            );
        }
    }
}
