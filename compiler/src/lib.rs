//! sluice's compiler: pipeline files -> syntax -> IR (a typed DAG) -> checks -> fingerprints ->
//! emitters.

pub mod diagnostic;
pub mod source;
pub mod suggest;
pub mod yaml;
