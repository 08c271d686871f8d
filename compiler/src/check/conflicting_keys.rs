//! `conflicting-keys`: keys that exclude each other are given together.

use crate::diagnostic::{Rule, Severity};

/// Two keys that exclude each other are both given (`num_workers` with `min_workers`,
/// `node_type` with `instance_pool_id`, `mini_batch_size` with `partition_keys`, a schedule's
/// `time_of_day` with `hours`). Reported where the format is read.
pub const RULE: Rule = Rule {
    code: "conflicting-keys",
    severity: Severity::Error,
    summary: "Keys that exclude each other are given together (num_workers with min_workers, mini_batch_size with partition_keys, time_of_day with hours, ...).",
};
