//! The OpenAPI document (`/openapi.json`) is made from the handlers' annotations; the committed
//! copy `service/openapi.json` is kept equal to it (`SLUICE_UPDATE_OPENAPI=1 cargo test -p
//! sluice-service --test openapi` rewrites it), and its shape is checked: every operation is
//! tagged, named and answered, every path parameter declared, every reference resolved, and
//! the bearer scheme required.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

use std::collections::BTreeSet;

use serde_json::Value as Json;

fn committed() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = sluice_service::openapi::document_json();
    if std::env::var_os("SLUICE_UPDATE_OPENAPI").is_some() {
        std::fs::write(committed(), &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(committed()).unwrap_or_default();
    assert!(
        on_disk == generated,
        "service/openapi.json differs from the routes' document; run SLUICE_UPDATE_OPENAPI=1 cargo test -p sluice-service --test openapi"
    );
}

fn refs(v: &Json, out: &mut BTreeSet<String>) {
    match v {
        Json::Object(m) => {
            if let Some(Json::String(r)) = m.get("$ref") {
                out.insert(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Json::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn every_operation_is_documented_whole() {
    let doc: Json = serde_json::to_value(sluice_service::openapi::document()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["security"], serde_json::json!([{"bearer": []}]));
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 25, "{} paths", paths.len());
    let mut ids = BTreeSet::new();
    for (path, item) in paths {
        assert!(path.starts_with("/pipelines/v1.0/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}/"), "{path}");
        let common: Vec<&str> =
            item["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        for (method, op) in item.as_object().unwrap().iter().filter(|(k, _)| *k != "parameters") {
            let what = format!("{method} {path}");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{what} has a tag");
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_string()), "{what}: operationId {id} is unique");
            let codes: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            assert!(codes.iter().any(|c| c.starts_with('2')), "{what} documents its success: {codes:?}");
            assert!(codes.iter().any(|c| c.starts_with('4')), "{what} documents its refusals: {codes:?}");
            let own: Vec<&str> = op["parameters"]
                .as_array()
                .map(|a| {
                    a.iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().unwrap()).collect()
                })
                .unwrap_or_default();
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    common.contains(&name) || own.contains(&name),
                    "{what} declares path parameter {name}"
                );
            }
            if matches!(method.as_str(), "post" | "put") && !path.ends_with("/Execution") {
                assert!(op.get("requestBody").is_some(), "{what} documents its body");
            }
        }
    }
    let mut found = BTreeSet::new();
    refs(&doc, &mut found);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for r in found {
        let name =
            r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("a component schema: {r}"));
        assert!(schemas.contains_key(name), "{r} resolves");
    }
    for wire in
        ["PipelineRun", "PublishedPipeline", "PipelineEndpoint", "SubmitRequest", "ErrorResponse", "StepRun"]
    {
        assert!(schemas.contains_key(wire), "{wire} is described");
    }
    // PascalCase on the wire, as Azure ML's API.
    let run = &schemas["PipelineRun"]["properties"];
    for key in [
        "Id",
        "Status",
        "PipelineId",
        "RunHistoryExperimentName",
        "ParameterAssignments",
        "RunSource",
        "CreatedDate",
    ] {
        assert!(run.get(key).is_some(), "PipelineRun has {key}");
    }
}
