//! Each input of a fingerprint changes it; what is not an input (ignored files, YAML comments and
//! layout, step keys, display names, `allow_reuse`) does not.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::explain::{self, describe};
use super::*;
use crate::session::{Session, WorkspaceChoice};

const PIPELINE: &str = "\
pipeline:
  name: t
  default_compute: cpu
  parameters:
    lr: {type: float, default: 0.1}
    unused: {type: int, default: 3}
  data_references:
    raw: {datastore: store, path_on_datastore: raw.csv}
  steps:
    prep:
      type: PythonScriptStep
      name: Prepare
      script_name: prep.py
      source_directory: steps/prep
      arguments: [--raw, input:raw, --out, output:clean]
      inputs: {raw: {source: raw}}
      outputs: {clean: {destination: clean_data}}
      hash_paths: [../../requirements.txt]
    train:
      type: PythonScriptStep
      script_name: train.py
      source_directory: steps/train
      arguments: [--data, input:clean, --lr, parameter:lr, --model, output:model]
      inputs: {clean: {source: clean_data}}
      outputs: {model: {destination: model}}
      parameters: {lr: {source: lr}}
      runconfig: conf/rc.yml
";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(
        r,
        "workspace.yaml",
        "datastores:\n  store: {type: local, path: ./data}\n  other: {type: local, path: ./data2}\n\
         computes:\n  cpu: {type: amlcompute}\n  local: {type: local}\n",
    );
    write(r, "data/raw.csv", "a,b\n1,2\n");
    write(r, "requirements.txt", "numpy==1\n");
    write(r, "conf/rc.yml", "environment: {python: {user_managed_dependencies: true}}\n");
    write(r, "steps/prep/prep.py", "print('prep')\n");
    write(r, "steps/prep/.amlignore", "NOTES.md\nscratch/\n");
    write(r, "steps/prep/NOTES.md", "notes\n");
    write(r, "steps/train/train.py", "print('train')\n");
    write(r, "pipeline.yml", PIPELINE);
    d
}

fn compile(root: &Path) -> crate::Compiled {
    let mut s = Session::new(WorkspaceChoice::default());
    let c = s.compile(&root.join("pipeline.yml")).unwrap();
    assert!(!s.diagnostics.has_errors(), "{:?}", s.diagnostics.as_slice());
    c.unwrap()
}

fn fingerprints_with(root: &Path, overrides: &[(&str, &str)]) -> BTreeMap<String, StepFingerprint> {
    let c = compile(root);
    let overrides: Vec<(String, String)> =
        overrides.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    let values = params::resolve(&c.pipeline, &overrides).unwrap();
    let cache = HashCache::new();
    let hasher = TreeHasher::new(&cache);
    let fps = fingerprint_steps(&c.pipeline, &c.workspace, &values, &hasher).unwrap();
    fps.into_iter().map(|f| (c.pipeline.step(f.step).key.value.clone(), f)).collect()
}

fn fingerprints(root: &Path) -> BTreeMap<String, String> {
    fingerprints_with(root, &[]).into_iter().map(|(k, f)| (k, f.fingerprint)).collect()
}

fn edit_pipeline(root: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(root.join("pipeline.yml")).unwrap();
    assert!(text.contains(from), "`{from}` not in the pipeline");
    fs::write(root.join("pipeline.yml"), text.replacen(from, to, 1)).unwrap();
}

/// Applies `change` and returns which steps' fingerprints changed.
fn changed_by(change: impl FnOnce(&Path)) -> Vec<String> {
    let d = project();
    let before = fingerprints(d.path());
    change(d.path());
    let after = fingerprints(d.path());
    let mut keys: Vec<String> = after.keys().chain(before.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().filter(|k| before.get(k) != after.get(k)).collect()
}

#[test]
fn fingerprints_are_stable() {
    let d = project();
    assert_eq!(fingerprints(d.path()), fingerprints(d.path()));
    let fps = fingerprints(d.path());
    assert_ne!(fps["prep"], fps["train"]);
    assert!(fps.values().all(|f| f.len() == 64));
}

#[test]
fn a_source_file_changes_its_step_and_downstream() {
    assert_eq!(changed_by(|r| write(r, "steps/prep/prep.py", "print('new')\n")), ["prep", "train"]);
    assert_eq!(changed_by(|r| write(r, "steps/train/train.py", "print(2)\n")), ["train"]);
    assert_eq!(changed_by(|r| write(r, "steps/train/helper.py", "x = 1\n")), ["train"]);
}

#[test]
fn ignored_files_do_not_count() {
    assert!(changed_by(|r| write(r, "steps/prep/NOTES.md", "other notes\n")).is_empty());
    assert!(changed_by(|r| write(r, "steps/prep/scratch/x.txt", "x")).is_empty());
    // Without .amlignore, .gitignore counts.
    assert!(
        changed_by(|r| {
            write(r, "steps/train/.gitignore", "*.log\n");
            let _ = r;
        }) == ["train"]
    );
    let d = project();
    write(d.path(), "steps/train/.gitignore", "*.log\n");
    let before = fingerprints(d.path());
    write(d.path(), "steps/train/run.log", "log");
    assert_eq!(before, fingerprints(d.path()));
    write(d.path(), "steps/train/.sluice/state", "x");
    assert_eq!(before, fingerprints(d.path()));
}

#[test]
fn comments_layout_keys_and_names_do_not_count() {
    assert!(
        changed_by(|r| edit_pipeline(r, "pipeline:\n", "# a comment\npipeline:  # here too\n")).is_empty()
    );
    assert!(
        changed_by(|r| edit_pipeline(
            r,
            "inputs: {raw: {source: raw}}",
            "inputs:\n        raw:\n          source: raw"
        ))
        .is_empty()
    );
    assert!(changed_by(|r| edit_pipeline(r, "name: Prepare", "name: Prepare the data")).is_empty());
    assert!(
        changed_by(|r| edit_pipeline(r, "    prep:\n", "    prepare:\n"))
            .iter()
            .all(|k| k == "prep" || k == "prepare")
    );
    let d = project();
    let before = fingerprints(d.path());
    edit_pipeline(d.path(), "    prep:\n", "    prepare:\n");
    let after = fingerprints(d.path());
    assert_eq!(before["prep"], after["prepare"]);
    assert_eq!(before["train"], after["train"]);
    assert!(
        changed_by(|r| edit_pipeline(r, "      runconfig:", "      allow_reuse: false\n      runconfig:"))
            .is_empty()
    );
    assert!(
        changed_by(|r| edit_pipeline(
            r,
            "unused: {type: int, default: 3}",
            "unused: {type: int, default: 4}"
        ))
        .is_empty()
    );
}

#[test]
fn parameters_count_with_their_resolved_value() {
    assert_eq!(changed_by(|r| edit_pipeline(r, "default: 0.1", "default: 0.2")), ["train"]);
    let d = project();
    let base = fingerprints_with(d.path(), &[]);
    let same = fingerprints_with(d.path(), &[("lr", "0.1")]);
    let other = fingerprints_with(d.path(), &[("lr", "0.5")]);
    assert_eq!(base["train"].fingerprint, same["train"].fingerprint);
    assert_ne!(base["train"].fingerprint, other["train"].fingerprint);
    assert_eq!(base["prep"].fingerprint, other["prep"].fingerprint);
}

#[test]
fn arguments_script_and_outputs_count() {
    assert_eq!(
        changed_by(|r| edit_pipeline(r, "--lr, parameter:lr", "--learning-rate, parameter:lr")),
        ["train"]
    );
    assert_eq!(
        changed_by(|r| {
            write(r, "steps/train/train2.py", "");
            edit_pipeline(r, "script_name: train.py", "script_name: train2.py");
        }),
        ["train"]
    );
    assert_eq!(
        changed_by(|r| edit_pipeline(r, "{destination: model}", "{destination: model, datastore: other}")),
        ["train"]
    );
    assert_eq!(
        changed_by(|r| edit_pipeline(r, "{destination: model}", "{destination: model, bind_mode: upload}")),
        ["train"]
    );
}

#[test]
fn data_content_counts() {
    assert_eq!(changed_by(|r| write(r, "data/raw.csv", "a,b\n1,3\n")), ["prep", "train"]);
    assert!(changed_by(|r| write(r, "data/unrelated.csv", "x")).is_empty());
    assert_eq!(
        changed_by(|r| {
            write(r, "data2/raw.csv", "a,b\n1,2\n");
            edit_pipeline(
                r,
                "{datastore: store, path_on_datastore: raw.csv}",
                "{datastore: other, path_on_datastore: raw.csv}",
            );
        }),
        ["prep", "train"]
    );
}

#[test]
fn hash_paths_compute_environment_and_settings_count() {
    assert_eq!(changed_by(|r| write(r, "requirements.txt", "numpy==2\n")), ["prep", "train"]);
    assert_eq!(
        changed_by(|r| edit_pipeline(r, "default_compute: cpu", "default_compute: local")),
        ["prep", "train"]
    );
    assert_eq!(changed_by(|r| write(r, "conf/rc.yml", "environment: {}\n")), ["train"]);
    assert_eq!(
        changed_by(|r| edit_pipeline(
            r,
            "      runconfig:",
            "      runconfig_parameters: {NodeCount: {source: lr}}\n      runconfig:"
        )),
        ["train"]
    );
}

#[test]
fn explain_names_files_parameters_and_upstream_steps() {
    let d = project();
    let before = fingerprints_with(d.path(), &[]);
    write(d.path(), "steps/prep/prep.py", "print('new')\n");
    write(d.path(), "steps/prep/extra.py", "");
    let after = fingerprints_with(d.path(), &[("lr", "0.5")]);
    let listing =
        |h: &str| before.values().chain(after.values()).find_map(|f| f.trees.get(h)).map(|p| Listing::of(p));
    let reasons = |key: &str| -> Vec<String> {
        explain::diff(&before[key].manifest, &after[key].manifest, &listing)
            .iter()
            .map(|c| describe(c, &|k| k == "prep"))
            .collect()
    };
    assert_eq!(reasons("prep"), ["source file `prep.py` changed; source file `extra.py` added"]);
    assert_eq!(
        reasons("train"),
        ["upstream step `prep` re-runs (input `clean`)", "parameter `lr` changed from 0.1 to 0.5"]
    );
}

#[test]
fn manifests_round_trip_through_json() {
    let d = project();
    let fps = fingerprints_with(d.path(), &[]);
    let m = &fps["train"].manifest;
    let text = serde_json::to_string(m).unwrap();
    let back: Manifest = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, m);
    assert_eq!(back.fingerprint(), fps["train"].fingerprint);
    let l = Listing::of(fps["prep"].source.as_ref().unwrap());
    assert_eq!(Listing::decode(&l.encode()), Some(l));
}

#[test]
fn missing_data_and_parameters_are_errors() {
    let d = project();
    let c = compile(d.path());
    // Gone after the checks ran (they report a missing file themselves).
    fs::remove_file(d.path().join("data/raw.csv")).unwrap();
    let values = params::resolve(&c.pipeline, &[]).unwrap();
    let cache = HashCache::new();
    let e = fingerprint_steps(&c.pipeline, &c.workspace, &values, &TreeHasher::new(&cache)).unwrap_err();
    assert!(e.to_string().starts_with("step `prep`: data reference `raw`:"), "{e}");
    assert!(e.to_string().contains("does not exist"), "{e}");

    let e = params::resolve(&c.pipeline, &[("rl".into(), "1".into())]).unwrap_err();
    assert_eq!(e.to_string(), "the pipeline has no parameter `rl`; did you mean `lr`?");
    let e = params::resolve(&c.pipeline, &[("lr".into(), "fast".into())]).unwrap_err();
    assert_eq!(e.to_string(), "parameter `lr`: `fast` is not a number");
}

const PARALLEL: &str = "\
pipeline:
  name: p
  default_compute: cpu
  steps:
    make:
      type: PythonScriptStep
      script_name: prep.py
      source_directory: steps/prep
      runconfig: conf/conda-rc.yml
      arguments: [--out, output:o, --n, parameter:n]
      parameters: {n: 7}
      outputs: {o: {destination: made, as_dataset: true}}
    score:
      type: ParallelRunStep
      name: score
      parallel_run_config: conf/parallel.yml
      inputs: {i: {source: made}}
      outputs: {s: {destination: scores}}
";

/// A project with a ParallelRunStep whose configuration is a file, after a step whose run
/// configuration names a conda file.
fn parallel_project() -> tempfile::TempDir {
    let d = project();
    let r = d.path();
    write(r, "pipeline.yml", PARALLEL);
    write(r, "conf/conda-rc.yml", "environment:\n  python:\n    condaDependenciesFile: conda.yml\n");
    write(r, "conf/conda.yml", "dependencies: [python=3.10]\n");
    write(
        r,
        "conf/parallel.yml",
        "parallel_run_config:\n  entry_script: score.py\n  source_directory: steps/score\n  compute_target_name: cpu\n  \
         environment_name: env\n  node_count: 1\n  error_threshold: 5\n  output_action: append_row\n  mini_batch_size: \"2\"\n",
    );
    write(r, "steps/score/score.py", "def init(): pass\ndef run(b): return b\n");
    d
}

#[test]
fn a_parallel_configuration_and_a_conda_file_count_by_content() {
    let changed = |change: &dyn Fn(&Path)| {
        let d = parallel_project();
        let before = fingerprints(d.path());
        change(d.path());
        let after = fingerprints(d.path());
        let mut keys: Vec<String> =
            before.keys().filter(|k| before.get(*k) != after.get(*k)).cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(
        changed(&|r| write(
            r,
            "conf/parallel.yml",
            &fs::read_to_string(r.join("conf/parallel.yml")).unwrap().replace("\"2\"", "\"4\"")
        )),
        ["score"]
    );
    // A comment changes no setting, but the file is part of the fingerprint by content.
    assert_eq!(
        changed(&|r| write(
            r,
            "conf/parallel.yml",
            &(fs::read_to_string(r.join("conf/parallel.yml")).unwrap() + "# note\n")
        )),
        ["score"]
    );
    assert_eq!(changed(&|r| write(r, "conf/conda.yml", "dependencies: [python=3.11]\n")), ["make", "score"]);
    assert_eq!(changed(&|r| edit_pipeline(r, "parameters: {n: 7}", "parameters: {n: 8}")), ["make", "score"]);
    // And the explanation names the file.
    let d = parallel_project();
    let before = fingerprints_with(d.path(), &[]);
    write(
        d.path(),
        "conf/parallel.yml",
        &(fs::read_to_string(d.path().join("conf/parallel.yml")).unwrap() + "# note\n"),
    );
    let after = fingerprints_with(d.path(), &[]);
    let changes = explain::diff(&before["score"].manifest, &after["score"].manifest, &|_| None);
    let words: Vec<String> = changes.iter().map(|c| describe(c, &|_| false)).collect();
    assert_eq!(words, ["configuration file `conf/parallel.yml` changed"]);
}

/// A resolver that knows data references by their path, as a listing would.
struct Listed(std::sync::Mutex<BTreeMap<String, Result<String, String>>>);

impl DataResolver for Listed {
    fn identity(&self, location: &DataLocation) -> Option<Result<RemoteIdentity, String>> {
        let DataLocation::Dataset { name, .. } = location else { return None };
        let found = self.0.lock().unwrap().get(&name.value).cloned()?;
        Some(found.map(|content| {
            let mut fields = serde_json::Map::new();
            fields.insert("content".into(), content.clone().into());
            fields.insert("dataset".into(), name.value.clone().into());
            fields.insert("resolved".into(), (if content == "c1" { 1 } else { 2 }).into());
            RemoteIdentity { fields, listing: None }
        }))
    }
}

#[test]
fn data_elsewhere_is_identified_by_its_resolver_and_a_lookup_failure_names_the_step() {
    let d = project();
    let r = d.path();
    edit_pipeline(r, "raw: {datastore: store, path_on_datastore: raw.csv}", "raw: {dataset_name: sales}");
    let c = compile(r);
    let values = params::resolve(&c.pipeline, &[]).unwrap();
    let cache = HashCache::new();
    let listed = Listed(std::sync::Mutex::new(BTreeMap::from([("sales".to_string(), Ok("c1".to_string()))])));
    let fp = |l: &Listed| {
        fingerprint_steps_with(&c.pipeline, &c.workspace, &values, &TreeHasher::new(&cache), Some(l))
    };
    let first = fp(&listed).unwrap();
    assert_eq!(first[0].manifest.fields["input:raw"].value["content"], "c1");
    // Without a resolver the data is known by where it is only: a different fingerprint.
    let bare = fingerprint_steps(&c.pipeline, &c.workspace, &values, &TreeHasher::new(&cache)).unwrap();
    assert_ne!(bare[0].fingerprint, first[0].fingerprint);
    listed.0.lock().unwrap().insert("sales".into(), Ok("c2".into()));
    let second = fp(&listed).unwrap();
    assert_ne!(first[0].fingerprint, second[0].fingerprint);
    assert_ne!(first[1].fingerprint, second[1].fingerprint, "downstream follows");
    let changes = explain::diff(&first[0].manifest, &second[0].manifest, &|_| None);
    let words: Vec<String> = changes.iter().map(|c| describe(c, &|_| false)).collect();
    assert_eq!(words, ["data reference `raw` (input `raw`): dataset `sales` version 1 -> 2"]);
    listed.0.lock().unwrap().insert("sales".into(), Err("access denied (datastore `lake`)".into()));
    let e = fp(&listed).unwrap_err().to_string();
    assert_eq!(e, "step `prep`: data reference `raw`: access denied (datastore `lake`)");
}
