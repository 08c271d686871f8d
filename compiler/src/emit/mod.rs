//! Emitters: what sluice makes from a checked pipeline.

pub mod graph;
