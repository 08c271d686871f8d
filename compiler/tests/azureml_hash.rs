//! Every code folder hash and anonymous component id in the corpus's expected output
//! (shared/corpus/azureml-v2-expected.jsonl, made by azure-ai-ml 1.35.2), recomputed.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use support::require_shared;

use serde_json::Value;
use sluice_compiler::emit::azureml::hash::{anonymous_id_from_spec, code_content_hash};

fn load_yaml(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The `<hash>` of `.../codes/<hash>/versions/1`.
fn code_hash_of(code_id: &str) -> Option<&str> {
    let (_, rest) = code_id.split_once("/codes/")?;
    rest.split_once("/versions/").map(|(hash, _)| hash)
}

/// The code reference of a component: `code`, or `task.code` for a parallel one.
fn code_of(component: &Value) -> Option<&str> {
    component.get("code").or_else(|| component.get("task")?.get("code"))?.as_str()
}

/// The YAML that defines a job's component and the folder its relative paths start from: a
/// component file (`component:` or a sweep's `trial:`), an inline component, or the job itself.
fn component_source(job: &Value, pipeline_dir: &Path) -> (Value, PathBuf) {
    match job.get("component").or_else(|| job.get("trial")) {
        Some(Value::String(reference)) => {
            let file = pipeline_dir.join(reference.strip_prefix("file:").unwrap_or(reference));
            let base = file.parent().unwrap_or(pipeline_dir).to_path_buf();
            (load_yaml(&file), base)
        }
        Some(inline @ Value::Object(_)) => (inline.clone(), pipeline_dir.to_path_buf()),
        _ => (job.clone(), pipeline_dir.to_path_buf()),
    }
}

#[test]
fn corpus_code_hashes_and_anonymous_ids_match_the_sdk() {
    let Some(shared) = require_shared("corpus_code_hashes_and_anonymous_ids_match_the_sdk") else { return };
    let corpus = shared.join("corpus/azureml-v2");
    let expected_path = shared.join("corpus/azureml-v2-expected.jsonl");
    let expected = fs::read_to_string(&expected_path).expect("expected output of the corpus");

    let mut mismatches = Vec::new();
    let (mut ids, mut codes_checked) = (0, 0);
    let mut folders = BTreeSet::new();
    // (file, component id) of every component with a code id, and of those traced to a folder.
    let (mut with_code, mut traced) = (BTreeSet::new(), BTreeSet::new());
    for line in expected.lines() {
        let record: Value = serde_json::from_str(line).expect("a JSON line");
        let file = record["file"].as_str().expect("file");
        let Some(components) = record["components"].as_object() else {
            continue;
        };

        for (id, body) in components {
            let spec = &body["properties"]["componentSpec"];
            let want = id.rsplit('/').next().unwrap_or_default();
            let got = anonymous_id_from_spec(spec);
            ids += 1;
            if got != want {
                mismatches.push(format!("{file}: component {want}: anonymous id {got}"));
            }
            if code_of(spec).and_then(code_hash_of).is_some() {
                with_code.insert((file.to_owned(), id.clone()));
            }
        }

        let pipeline_path = corpus.join(file);
        let pipeline_dir = pipeline_path.parent().expect("a folder");
        let pipeline = load_yaml(&pipeline_path);
        let Some(jobs) = pipeline["jobs"].as_object() else {
            continue;
        };
        let body_jobs = &record["body"]["properties"]["jobs"];
        for (name, job) in jobs {
            let body_job = &body_jobs[name];
            let component_id = body_job
                .get("componentId")
                .or_else(|| body_job.get("trial")?.get("componentId"))
                .and_then(Value::as_str);
            let Some((id, spec)) = component_id.and_then(|id| components.get_key_value(id)) else {
                continue;
            };
            let spec = &spec["properties"]["componentSpec"];
            let Some(want) = code_of(spec).and_then(code_hash_of) else {
                continue;
            };
            let (component, base) = component_source(job, pipeline_dir);
            let Some(code) = code_of(&component) else {
                mismatches.push(format!("{file}: job {name}: no local code folder found"));
                continue;
            };
            let folder = base.join(code);
            codes_checked += 1;
            traced.insert((file.to_owned(), id.clone()));
            match code_content_hash(&folder) {
                Ok(got) if got == want => {
                    folders.insert(fs::canonicalize(&folder).unwrap_or(folder));
                }
                Ok(got) => mismatches.push(format!(
                    "{file}: job {name} (component {id}): code {folder:?}: hash {got}, SDK {want}"
                )),
                Err(e) => {
                    mismatches.push(format!("{file}: job {name} (component {id}): code {folder:?}: {e}"))
                }
            }
        }
    }

    eprintln!(
        "{ids} anonymous ids, {codes_checked} code hashes ({} distinct folders) checked",
        folders.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(ids > 0, "no anonymous component in {expected_path:?}");
    let untraced: Vec<_> = with_code.difference(&traced).collect();
    assert!(untraced.is_empty(), "code ids not traced to a folder: {untraced:?}");
}
