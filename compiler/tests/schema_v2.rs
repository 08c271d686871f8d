//! The v2 schemas: the committed files equal what the code generates, and every real pipeline
//! and component file of the shared corpus validates against them.

mod support;

use std::path::{Path, PathBuf};

use sluice_compiler::schema;
use sluice_compiler::session::{Format, detect_format};
use sluice_compiler::yaml::{Limits, parse};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn generated(name: &str) -> serde_json::Value {
    let file = schema::all().into_iter().find(|s| s.file_name == name).expect("schema is generated");
    serde_json::from_str(&file.json).expect("schema is JSON")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
}

#[test]
fn committed_v2_schemas_are_current() {
    for name in ["pipeline-v2.schema.json", "component-v2.schema.json"] {
        let file = schema::all().into_iter().find(|s| s.file_name == name).expect("schema is generated");
        let committed = std::fs::read_to_string(repo().join("schemas").join(name)).unwrap_or_default();
        assert!(committed == file.json, "schemas/{name} is stale: run `sluice schema --out schemas`");
    }
}

/// Validates every v2 pipeline and component file under `dirs`; returns (pipelines,
/// components, problems).
fn validate(dirs: &[PathBuf]) -> (usize, usize, Vec<String>) {
    let pipeline =
        jsonschema::draft7::new(&generated("pipeline-v2.schema.json")).expect("pipeline schema compiles");
    let component =
        jsonschema::draft7::new(&generated("component-v2.schema.json")).expect("component schema compiles");
    let mut files = Vec::new();
    for dir in dirs {
        yaml_files(dir, &mut files);
    }
    files.sort();
    let (mut pipelines, mut components, mut failures) = (0, 0, Vec::new());
    for path in &files {
        let text = std::fs::read_to_string(path).expect("file reads");
        let (Some(node), _) = parse(&text, &Limits::default()) else { continue };
        let validator = match detect_format(path, &node) {
            Format::V2Pipeline => {
                pipelines += 1;
                &pipeline
            }
            Format::V2Component => {
                components += 1;
                &component
            }
            _ => continue,
        };
        let json = node.to_json();
        for e in validator.iter_errors(&json) {
            failures.push(format!("{}: {} at {}", path.display(), e, e.instance_path()));
        }
    }
    (pipelines, components, failures)
}

#[test]
fn corpus_files_validate_against_the_v2_schemas() {
    let Some(shared) = support::require_shared("corpus_files_validate_against_the_v2_schemas") else {
        return;
    };
    let (pipelines, components, failures) = validate(&[shared.join("corpus/azureml-v2")]);
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(pipelines, 49, "the corpus has 49 pipelines");
    assert!(components >= 40, "only {components} component files found");
}

#[test]
fn fixtures_and_examples_validate_against_the_v2_schemas() {
    let dirs = [repo().join("tests/fixtures/valid/v2"), repo().join("examples/v2-train-compare")];
    let (pipelines, components, failures) = validate(&dirs);
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert!(pipelines >= 12 && components >= 15, "{pipelines} pipelines, {components} components");
}

#[test]
fn the_schemas_reject_what_sluice_rejects() {
    let pipeline =
        jsonschema::draft7::new(&generated("pipeline-v2.schema.json")).expect("pipeline schema compiles");
    let text = "type: pipeline\njobs:\n  a:\n    comand: echo\n  b:\n    type: sweep\n    trial: ./t.yml\n";
    let (Some(node), _) = parse(text, &Limits::default()) else { panic!("parses") };
    // An unknown key in a job written without `type`, and a sweep without objective and limits.
    assert!(!pipeline.is_valid(&node.to_json()));
    let ok = "type: pipeline\njobs:\n  a:\n    command: echo hi\n    environment: azureml:env:1\n";
    let (Some(node), _) = parse(ok, &Limits::default()) else { panic!("parses") };
    assert!(pipeline.is_valid(&node.to_json()));
}
