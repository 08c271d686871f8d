//! Lowering of v1 files into the IR, checked on the IR itself.

use std::path::Path;

use crate::ir::{Pipeline, ServiceJob};
use crate::session::{Session, WorkspaceChoice};

/// The example pipeline in `examples/<name>`, lowered despite its errors.
fn example(name: &str) -> Pipeline {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name).join("pipeline.yml");
    let mut s = Session::new(WorkspaceChoice::default());
    s.compile(&path).expect("loads").expect("lowers").pipeline
}

/// How each step reaches the service, by key.
fn services(p: &Pipeline) -> Vec<(&str, &ServiceJob)> {
    p.steps.iter().map(|s| (s.key.value.as_str(), &s.service)).collect()
}

#[test]
fn each_step_type_says_how_it_reaches_the_service() {
    let p = example("compare-models");
    assert!(services(&p).iter().all(|(_, s)| **s == ServiceJob::Script), "{:?}", services(&p));
    let p = example("databricks-transfer");
    let got: Vec<(&str, &ServiceJob)> = services(&p);
    let kinds: Vec<(&str, &str)> = p.steps.iter().map(|s| (s.key.value.as_str(), s.kind.name())).collect();
    for ((key, service), (_, kind)) in got.iter().zip(&kinds) {
        let want = match *kind {
            "data_transfer" => ServiceJob::Copy,
            "command" | "parallel" => ServiceJob::Script,
            _ => ServiceJob::None,
        };
        assert_eq!(**service, want, "step `{key}` ({kind})");
    }
    assert!(
        kinds.iter().any(|(_, k)| *k == "data_transfer") && kinds.iter().any(|(_, k)| *k == "databricks")
    );
}
