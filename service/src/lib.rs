//! sluice's workspace service (DESIGN section 8): publish pipelines as content-addressed
//! snapshots, submit runs over a REST API that is wire-compatible with Azure ML's v1 pipelines
//! API, put versions behind named endpoints, run them from a durable queue with the local
//! runtime (same cache, same reuse, same run store), authenticate with bearer tokens and roles,
//! and show it all in the studio pages. `client` is what the `sluice` commands use to talk to it.

pub mod api;
pub mod app;
pub mod auth;
pub mod catalog;
pub mod client;
pub mod collect;
pub mod error;
pub mod logging;
pub mod openapi;
pub mod queue;
pub mod server;
pub mod snapshot;
pub mod store;
pub mod studio;
pub mod time;
pub mod wire;

pub use error::ServiceError;
