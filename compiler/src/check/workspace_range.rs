//! `invalid-range` in workspace files: compute clusters whose minimum is above their maximum.

use serde_json::Value as Json;

pub use super::invalid_range::RULE;
use crate::diagnostic::{Diagnostics, Label};
use crate::ir::Workspace;
use crate::source::SourceMap;

/// Checks `min_instances` against `max_instances` of each compute.
pub fn check_workspace(ws: &Workspace, sources: &SourceMap, out: &mut Diagnostics) {
    for c in &ws.computes {
        let get = |k: &str| c.settings.get(k).and_then(Json::as_u64);
        let (Some(min), Some(max), Some((file, span))) = (get("min_instances"), get("max_instances"), c.defined_at)
        else {
            continue;
        };
        if min > max {
            let at = |k: &str| super::invalid_range::value_after(sources, file, span, k).unwrap_or(span);
            out.push(
                RULE.at(
                    file,
                    at("min_instances"),
                    format!("compute `{}` has min_instances {min} above max_instances {max}", c.name),
                )
                .with_label(Label::with_message(file, at("max_instances"), "max_instances given here"))
                .with_help("swap them"),
            );
        }
    }
}
