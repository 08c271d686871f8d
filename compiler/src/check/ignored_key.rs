//! `ignored-key`: a key the Azure ML SDK v1 reads past, so it has no effect.

use crate::diagnostic::{Rule, Severity};

/// A key the SDK v1 ignores where it is written (`adla_compute_name`, a data reference's
/// `bind_mode`, the `parameters` of a DatabricksStep, ...). Reported by v1 lowering, which knows
/// where each key has an effect.
pub const RULE: Rule = Rule {
    code: "ignored-key",
    severity: Severity::Warning,
    summary: "A key the Azure ML SDK v1 reads past where it is written (adla_compute_name, a data reference's bind_mode, parameters of a DatabricksStep, ...): it has no effect.",
};
