//! One reading of a code folder's `.amlignore`: what the fingerprint hashes, what a local run
//! snapshots and what the Azure upload hash covers are the same files, chosen by azure-ai-ml's
//! rules, on an ignore file where those rules and git's differ.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::path::Path;

const PIPELINE: &str = "\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
settings:
  default_compute: azureml:cpu-cluster
jobs:
  list:
    type: command
    code: ./src
    command: python list.py
    environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
";

/// Git would keep nothing of `build/` (a `!` line cannot re-include a file whose folder is
/// excluded) and would read `  spaced.txt` with its leading spaces; azure-ai-ml re-includes
/// `build/keep.txt` and strips the line to `spaced.txt`.
const AMLIGNORE: &str = "build/\n!build/keep.txt\n  spaced.txt\n";

const LIST: &str = "\
import os
for root, _, files in os.walk(\".\"):
    for f in files:
        print(\"file:\", os.path.relpath(os.path.join(root, f), \".\").replace(os.sep, \"/\"))
";

/// The files azure-ai-ml uploads, from
/// `get_upload_files_from_folder(p, ignore_file=get_ignore_file(p))` on this tree.
const SDK_FILES: [&str; 4] = [".amlignore", "build/keep.txt", "list.py", "other.txt"];

/// `get_content_hash(p, get_ignore_file(p))` on this tree (azure-ai-ml 1.35.2, the venv of
/// shared/oracle/setup.sh); also the `codes/<hash>` of the oracle's body for `PIPELINE`.
const SDK_HASH: &str = "4eee7877b04d46596b1103a02d96db45cba27149d007d7d85d587dba9c53aec8";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("pipeline.yml", PIPELINE);
    write("src/.amlignore", AMLIGNORE);
    write("src/list.py", LIST);
    write("src/build/keep.txt", "keep\n");
    write("src/build/drop.txt", "drop\n");
    write("src/spaced.txt", "s\n");
    write("src/other.txt", "o\n");
    dir
}

fn sluice(dir: &Path, args: &[&str]) -> support::Run {
    let run = support::run(support::sluice(dir).args(args));
    run.assert_no_panic(&args.join(" "));
    run
}

#[test]
fn upload_hash_is_the_sdks() {
    let dir = project();
    let out = sluice(dir.path(), &["compile", "--target", "azureml", "pipeline.yml"]);
    assert_eq!(out.code, Some(0), "{}", out.all_output());
    assert!(out.stdout.contains(&format!("/codes/{SDK_HASH}/versions/1")), "{}", out.stdout);
}

fn fingerprint(dir: &Path) -> String {
    let out = sluice(dir, &["plan", "--json", "pipeline.yml"]);
    assert_eq!(out.code, Some(0), "{}", out.all_output());
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    plan["steps"][0]["fingerprint"].as_str().unwrap().to_owned()
}

#[test]
fn fingerprint_covers_the_files_azure_uploads() {
    let dir = project();
    let first = fingerprint(dir.path());
    // Files Azure leaves out change nothing...
    std::fs::write(dir.path().join("src/build/drop.txt"), "changed\n").unwrap();
    std::fs::write(dir.path().join("src/spaced.txt"), "changed\n").unwrap();
    assert_eq!(fingerprint(dir.path()), first, "a file azure-ai-ml does not upload changed the fingerprint");
    // ...a file it re-includes below an excluded folder does.
    std::fs::write(dir.path().join("src/build/keep.txt"), "changed\n").unwrap();
    assert_ne!(fingerprint(dir.path()), first, "a file azure-ai-ml uploads did not change the fingerprint");
}

#[test]
fn local_snapshot_holds_the_files_azure_uploads() {
    if !support::require_python("local_snapshot_holds_the_files_azure_uploads") {
        return;
    }
    let dir = project();
    let out = sluice(dir.path(), &["run", "pipeline.yml"]);
    assert_eq!(out.code, Some(0), "{}", out.all_output());
    let log = std::fs::read_to_string(dir.path().join(".sluice/runs/1/list/stdout")).unwrap();
    let mut seen: Vec<&str> = log.lines().filter_map(|l| l.strip_prefix("file: ")).collect();
    seen.sort_unstable();
    assert_eq!(seen, SDK_FILES, "{log}");
}
