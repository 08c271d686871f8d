//! Emitters: what sluice makes from a checked pipeline.

pub mod azureml;
pub mod graph;
