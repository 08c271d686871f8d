//! `sluice compile --target azureml` of every corpus pipeline equals what azure-ai-ml makes of
//! it (shared/corpus/azureml-v2-expected.jsonl): the job body and the component registrations,
//! compared as JSON values. Each mismatch is reported with its first differing JSON path.
//!
//! One normalisation, for one machine-dependent value: azure-ai-ml writes the absolute path of
//! a docker build context into the environment (`build.path`), so the expected spec of
//! `6c_r_iris` names the folder where the oracle ran (`/work/steering/shared/corpus/...`). The
//! expected file's corpus root is replaced by ours in every string, and the anonymous component
//! ids of specs that changed are recomputed from the normalised spec (`anonymous_id_from_spec`)
//! and replaced wherever they appear. Nothing else is adjusted.

mod support;

use std::fs;

use serde_json::Value;
use sluice_compiler::emit::azureml::hash::anonymous_id_from_spec;
use support::{first_difference, require_shared};

#[test]
fn corpus_pipelines_compile_to_the_sdk_bodies() {
    let Some(shared) = require_shared("corpus_pipelines_compile_to_the_sdk_bodies") else { return };
    let corpus = shared.join("corpus/azureml-v2");
    let expected =
        fs::read_to_string(shared.join("corpus/azureml-v2-expected.jsonl")).expect("expected file");
    let ours = fs::canonicalize(&corpus).expect("corpus folder");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in expected.lines() {
        let record: Value = serde_json::from_str(line).expect("a JSON line");
        let file = record["file"].as_str().expect("file").to_string();
        count += 1;
        let want = normalise(&record, &ours.to_string_lossy());
        let got = match support::compile(&corpus.join(&file)) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        if let Some(d) = first_difference("body", &want["body"], &got["body"]) {
            failures.push(format!("{file}: {d}"));
        }
        if let Some(d) = first_difference("components", &want["components"], &got["components"]) {
            failures.push(format!("{file}: {d}"));
        }
    }
    assert_eq!(count, 49, "the corpus has 49 pipelines");
    assert!(failures.is_empty(), "{} of {count} differ:\n{}", failures.len(), failures.join("\n"));
}

/// The expected record with the oracle machine's corpus root replaced by `ours`, and the ids of
/// the component specs that changed recomputed.
fn normalise(record: &Value, ours: &str) -> Value {
    let mut v = record.clone();
    replace_root(&mut v, ours);
    let Some(components) = v["components"].as_object().cloned() else { return v };
    let mut renames = Vec::new();
    for (id, body) in &components {
        if body == &record["components"][id] {
            continue;
        }
        let new_hash = anonymous_id_from_spec(&body["properties"]["componentSpec"]);
        let (prefix, _) = id.rsplit_once('/').expect("an id with versions/");
        renames.push((id.clone(), format!("{prefix}/{new_hash}")));
    }
    let mut text = serde_json::to_string(&v).expect("JSON");
    for (old, new) in renames {
        text = text.replace(&old, &new);
    }
    serde_json::from_str(&text).expect("JSON")
}

/// Replaces `<anything>/corpus/azureml-v2` at the start of absolute paths by `ours`.
fn replace_root(v: &mut Value, ours: &str) {
    match v {
        Value::String(s) => {
            if s.starts_with('/')
                && let Some(i) = s.find("/corpus/azureml-v2/")
            {
                *s = format!("{ours}{}", &s[i + "/corpus/azureml-v2".len()..]);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| replace_root(i, ours)),
        Value::Object(m) => m.values_mut().for_each(|i| replace_root(i, ours)),
        _ => {}
    }
}
