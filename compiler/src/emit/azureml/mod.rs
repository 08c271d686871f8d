//! The Azure ML target: request bodies the Azure ML v2 REST API takes, as azure-ai-ml builds them.

pub mod hash;
