//! Syntax layer: one module per input format, serde structs with spans, read through
//! [`crate::yaml`]. Nothing here resolves names; that is [`crate::lower`]'s job.

pub mod common;
pub mod v1;
pub mod v2;
pub mod workspace;
