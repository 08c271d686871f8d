//! sluice's compiler: pipeline files -> syntax -> IR (a typed DAG) -> checks -> fingerprints ->
//! emitters.

pub mod casing;
pub mod check;
pub mod diagnostic;
pub mod emit;
pub mod fingerprint;
pub mod ignore_file;
pub mod ir;
pub mod lower;
pub mod paths;
pub mod python;
pub mod report;
pub mod schema;
pub mod session;
pub mod source;
pub mod suggest;
pub mod syntax;
pub mod synth;
pub mod yaml;

/// Every diagnostic sluice can give, in code order: the check rules, then those of `compile`.
pub fn every_rule() -> Vec<diagnostic::Rule> {
    use emit::azureml::error;
    let mut rules = check::all_rules();
    rules.extend([error::NO_EQUIVALENT, error::UNREADABLE, error::REJECTED, error::NOT_KEPT]);
    rules
}

/// A pipeline ready for planning, running or emitting.
#[derive(Debug)]
pub struct Compiled {
    /// The checked pipeline.
    pub pipeline: ir::Pipeline,
    /// The workspace it runs in.
    pub workspace: ir::Workspace,
}
