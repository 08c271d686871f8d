//! `invalid-range` in workspace files: compute clusters whose minimum is above their maximum.

use serde_json::Value as Json;

pub use super::invalid_range::RULE;
use crate::diagnostic::Diagnostics;
use crate::ir::Workspace;
use crate::source::SourceMap;

/// Checks `min_instances` against `max_instances` of each compute.
pub fn check_workspace(ws: &Workspace, _sources: &SourceMap, out: &mut Diagnostics) {
    for c in &ws.computes {
        let get = |k: &str| c.settings.get(k).and_then(Json::as_u64);
        let (Some(min), Some(max), Some((file, span))) = (get("min_instances"), get("max_instances"), c.defined_at)
        else {
            continue;
        };
        if min > max {
            out.push(
                RULE.at(file, span, format!("compute `{}` has min_instances {min} above max_instances {max}", c.name))
                    .with_help("swap them"),
            );
        }
    }
}
