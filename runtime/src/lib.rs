//! sluice's local runtime (DESIGN section 6): plans a compiled pipeline against the state in
//! `.sluice/` (reuse verdicts and their reasons) and runs it on this machine: each step from a
//! snapshot of its source folder, as its own process group, independent steps in parallel,
//! outputs moved into the cache only on success, everything recorded in an SQLite run store.

pub mod cache;
pub mod cancel;
pub mod command;
pub mod data_transfer;
pub mod dataset;
pub mod datastore;
pub mod discover;
pub mod disk;
pub mod error;
pub mod exec;
pub mod flatten;
pub mod git;
pub mod logs;
pub mod orphans;
pub mod parallel;
pub mod plan;
pub mod profile;
pub mod progress;
pub mod remote;
pub mod run;
pub mod secrets;
pub mod shell;
pub mod state;
pub mod store;
pub mod time;

pub use cancel::CancelToken;
pub use error::RuntimeError;
pub use plan::{Plan, PlanOptions, PlannedStep, Reuse};
pub use run::{RunOptions, RunSummary};
pub use state::StateDir;
pub use store::RunStore;
