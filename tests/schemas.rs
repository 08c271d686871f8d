//! The JSON schemas in `schemas/` are what the code generates, every example names its schema on
//! its first line, and every example and valid fixture validates against its schema.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use sluice_compiler::syntax::{Format, detect_format};
use sluice_compiler::yaml::{Limits, parse};
use support::{Kind, fixtures, root, walk};

const COMMENT: &str = "# yaml-language-server: $schema=";

#[test]
fn committed_schemas_are_the_generated_ones() {
    let dir = root().join("schemas");
    let generated = sluice_compiler::schema::all();
    let mut stale = Vec::new();
    for s in &generated {
        let path = dir.join(s.file_name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(s.json.as_str()) {
            stale.push(s.file_name.to_string());
        }
    }
    for entry in std::fs::read_dir(&dir).expect("schemas/ exists") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") && !generated.iter().any(|s| s.file_name == name) {
            stale.push(format!("{name} (no longer generated: delete it)"));
        }
    }
    assert!(
        stale.is_empty(),
        "schemas/ is out of date: {}\nrun `sluice schema --out schemas` (or `cargo run -- schema --out schemas`) and commit the result",
        stale.join(", ")
    );
}

/// A YAML file read as JSON, with the format sluice tells from it.
fn read_yaml(path: &Path) -> (Format, Value) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (node, errors) = parse(&text, &Limits::default());
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    let node = node.unwrap_or_else(|| panic!("{}: no YAML", path.display()));
    (detect_format(path, &node), node.to_json())
}

/// Pipeline and workspace files under a folder (component files and other YAML are left out).
fn pipeline_and_workspace_files(dir: &Path) -> Vec<(PathBuf, Format, Value)> {
    walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .map(|p| {
            let (format, json) = read_yaml(&p);
            (p, format, json)
        })
        .filter(|(_, f, _)| {
            matches!(f, Format::V1Pipeline | Format::V1Schedule | Format::V2Pipeline | Format::Workspace)
        })
        .collect()
}

/// The schema a file's first line names, resolved against the file's folder.
fn schema_comment(path: &Path) -> Result<PathBuf, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let first = text.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
    let rel = first.strip_prefix(COMMENT).ok_or_else(|| format!("first line is not `{COMMENT}<path>`"))?;
    let schema = path.parent().unwrap_or(Path::new(".")).join(rel.trim());
    let schemas = root().join("schemas");
    let canonical = schema.canonicalize().map_err(|_| format!("`{}` does not exist", rel.trim()))?;
    if canonical.parent() != Some(schemas.canonicalize().map_err(|e| e.to_string())?.as_path()) {
        return Err(format!("`{}` is not a file in schemas/", rel.trim()));
    }
    Ok(canonical)
}

/// The schema a file of this format validates against.
fn schema_for(format: Format) -> Option<&'static str> {
    match format {
        Format::V1Pipeline => Some("pipeline-v1.schema.json"),
        Format::V1Schedule => Some("schedule-v1.schema.json"),
        Format::Workspace => Some("workspace.schema.json"),
        _ => None,
    }
}

fn validate(schema_path: &Path, instance: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema readable"))
        .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator.iter_errors(instance).map(|e| format!("{} at `{}`", e, e.instance_path())).collect()
}

#[test]
fn every_example_names_an_existing_schema_of_its_format() {
    let files = pipeline_and_workspace_files(&root().join("examples"));
    assert!(files.len() >= 4, "examples hold pipelines and workspaces");
    let mut problems = Vec::new();
    for (path, format, _) in &files {
        match schema_comment(path) {
            Err(e) => problems.push(format!("{}: {e}", path.display())),
            Ok(schema) => {
                let name = schema.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if let Some(want) = schema_for(*format)
                    && name != want
                {
                    problems.push(format!(
                        "{}: names `{name}`, but a {format:?} file is checked by `{want}`",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_example_validates_against_its_schema() {
    let mut problems = Vec::new();
    for (path, _, json) in pipeline_and_workspace_files(&root().join("examples")) {
        let Ok(schema) = schema_comment(&path) else { continue }; // reported by the test above
        for e in validate(&schema, &json) {
            problems.push(format!("{}: {e}", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_valid_fixture_validates_against_its_schema() {
    let schemas = root().join("schemas");
    let mut problems = Vec::new();
    let mut checked = 0;
    for f in fixtures(Kind::Valid) {
        let files = match &f.folder {
            Some(folder) => pipeline_and_workspace_files(&f.cwd.join(folder)),
            None => {
                let (format, json) = read_yaml(&f.target_path());
                vec![(f.target_path(), format, json)]
            }
        };
        for (path, format, json) in files {
            let Some(schema) = schema_for(format) else { continue };
            checked += 1;
            for e in validate(&schemas.join(schema), &json) {
                problems.push(format!("{}: {e}", path.display()));
            }
        }
    }
    assert!(checked >= 10, "only {checked} valid fixture files were validated");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Shape codes: a probe sluice refuses for one of these on purpose need not fit the schema.
const SHAPE_CODES: [&str; 5] =
    ["unknown-key", "wrong-type", "invalid-value", "missing-key", "conflicting-keys"];

/// The schemas accept every shape the SDK v1 reads: each probe of tests/fixtures/v1-sdk that the
/// SDK loads validates (its ParallelRunConfig file too), unless sluice refuses its shape on
/// purpose (`# sluice-stricter:` with a shape code).
#[test]
fn every_probe_the_sdk_loads_validates() {
    let dir = root().join("tests").join("fixtures").join("v1-sdk");
    let schemas = root().join("schemas");
    let verdicts = std::fs::read_to_string(dir.join("verdicts.jsonl")).expect("verdicts.jsonl");
    let mut checked = 0;
    let mut problems = Vec::new();
    for line in verdicts.lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        if v["ok"] != true {
            continue;
        }
        let path = dir.join(v["probe"].as_str().expect("probe"));
        let text = std::fs::read_to_string(&path).expect("probe readable");
        let stricter_shape = text
            .lines()
            .filter_map(|l| l.strip_prefix("# sluice-stricter:"))
            .any(|l| SHAPE_CODES.iter().any(|c| l.trim().starts_with(c)));
        if stricter_shape {
            continue;
        }
        let (format, json) = read_yaml(&path);
        let Some(schema) = schema_for(format) else { continue };
        checked += 1;
        problems.extend(
            validate(&schemas.join(schema), &json).into_iter().map(|e| format!("{}: {e}", path.display())),
        );
        if let Some(config) = json
            .pointer("/pipeline/steps")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .find_map(|(_, s)| s["parallel_run_config"].as_str())
        {
            let config = path.parent().expect("folder").join(config);
            if config.is_file() {
                let (_, json) = read_yaml(&config);
                problems.extend(
                    validate(&schemas.join("parallel-run-config-v1.schema.json"), &json)
                        .into_iter()
                        .map(|e| format!("{}: {e}", config.display())),
                );
            }
        }
    }
    assert!(checked >= 80, "only {checked} probes were validated");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The schemas are not so loose that anything passes: a misspelt key, a wrong step type and a
/// literal secret are refused, as `sluice check` refuses them.
#[test]
fn the_schemas_refuse_what_check_refuses() {
    let schemas = root().join("schemas");
    let pipeline =
        serde_json::json!({"pipeline": {"steps": {"a": {"type": "PythonScriptStep", "scrip_name": "a.py"}}}});
    assert!(!validate(&schemas.join("pipeline-v1.schema.json"), &pipeline).is_empty());
    let pipeline =
        serde_json::json!({"pipeline": {"steps": {"a": {"type": "PythonStep", "script_name": "a.py"}}}});
    assert!(!validate(&schemas.join("pipeline-v1.schema.json"), &pipeline).is_empty());
    let workspace = serde_json::json!({"datastores": {"b": {"type": "azure_blob", "account_name": "a",
        "container_name": "c", "account_key": "bGl0ZXJhbA=="}}});
    assert!(!validate(&schemas.join("workspace.schema.json"), &workspace).is_empty());
    let workspace = serde_json::json!({"datastores": {"b": {"type": "azure_blob", "account_name": "a",
        "container_name": "c", "account_key": "${env:KEY}"}}});
    assert_eq!(validate(&schemas.join("workspace.schema.json"), &workspace), Vec::<String>::new());
}
