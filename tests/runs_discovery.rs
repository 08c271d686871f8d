//! `sluice runs` from a folder above the pipelines (a repository's root): the state folders
//! below are found (bounded, ignored folders left out), `runs list` lists each one's runs under
//! its folder, and a command that needs one run says exactly what to type when several are
//! found. End to end with the real binary; the pipelines' steps need `python3`.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{Run, sluice_run};

const PIPELINE: &str = "\
pipeline:
  name: NAME
  default_compute: local
  steps:
    hello:
      type: PythonScriptStep
      script_name: hello.py
      source_directory: src
      arguments: [--out, output:greeting]
      outputs: {greeting: {destination: greeting}}
";

const SCRIPT: &str = "\
import argparse, os
p = argparse.ArgumentParser()
p.add_argument('--out')
a = p.parse_args()
open(os.path.join(a.out, 'hello.txt'), 'w').write('hello')
print('said hello')
";

/// A one-step pipeline in `root/rel`, run once from `root`.
fn project_run_once(root: &Path, rel: &str) {
    let dir = root.join(rel);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("pipeline.yml"), PIPELINE.replace("NAME", &rel.replace('/', "-"))).unwrap();
    std::fs::write(dir.join("src/hello.py"), SCRIPT).unwrap();
    let pipeline = format!("{rel}/pipeline.yml");
    let r = sluice_run(root, &["run", &pipeline]);
    assert_eq!(r.code, Some(0), "run {rel}: {}", r.all_output());
    assert!(dir.join(".sluice/runs.db").is_file());
}

fn ok(r: &Run, what: &str) {
    r.assert_no_panic(what);
    assert_eq!(r.code, Some(0), "{what}: {}", r.all_output());
}

#[test]
fn runs_commands_find_the_state_folders_below_the_current_folder() {
    if !support::require_python("runs_commands_find_the_state_folders_below_the_current_folder") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    // Nothing here, above or below: say what to do.
    let r = sluice_run(root, &["runs", "list"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(r.stderr.contains("no .sluice folder here, above, or in the folders below"), "{}", r.stderr);
    assert!(r.stderr.contains("--pipeline FILE"), "{}", r.stderr);

    // One project below: its runs, under its folder; commands that read a run use it.
    project_run_once(root, "examples/first");
    let r = sluice_run(root, &["runs", "list"]);
    ok(&r, "runs list with one state folder below");
    assert!(
        r.stdout.starts_with(
            "examples/first/.sluice (sluice runs show RUN --pipeline examples/first/pipeline.yml)\nRUN"
        ),
        "{}",
        r.stdout
    );
    let r = sluice_run(root, &["runs", "show", "latest", "--json"]);
    ok(&r, "runs show with one state folder below");
    let shown: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(shown["run"]["pipeline_name"], "examples-first");
    assert!(r.stderr.contains("reading examples/first/.sluice"), "{}", r.stderr);

    // More projects: one ignored by git, one in a build folder; neither is listed.
    project_run_once(root, "examples/second");
    project_run_once(root, "scratch/third");
    project_run_once(root, "target/fourth");
    std::fs::write(root.join(".gitignore"), "scratch/\n").unwrap();
    let r = sluice_run(root, &["runs", "list"]);
    ok(&r, "runs list with several state folders below");
    let headers: Vec<&str> = r.stdout.lines().filter(|l| l.contains("/.sluice")).collect();
    assert_eq!(
        headers,
        [
            "examples/first/.sluice (sluice runs show RUN --pipeline examples/first/pipeline.yml)",
            "examples/second/.sluice (sluice runs show RUN --pipeline examples/second/pipeline.yml)",
        ],
        "{}",
        r.stdout
    );
    let r = sluice_run(root, &["runs", "list", "--json"]);
    ok(&r, "runs list --json");
    let listed: Value = serde_json::from_str(&r.stdout).unwrap();
    let states: Vec<&str> =
        listed["runs"].as_array().unwrap().iter().map(|run| run["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["examples/first/.sluice", "examples/second/.sluice"]);

    // A command that reads one run: several folders is a usage error naming each command.
    let r = sluice_run(root, &["runs", "logs", "1", "hello"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(r.stderr.contains("2 state folders below here; say which one:"), "{}", r.stderr);
    let commands: Vec<&str> = r
        .stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("sluice "))
        .map(|l| l.split("    #").next().unwrap().trim())
        .collect();
    assert_eq!(
        commands,
        [
            "runs logs 1 hello --pipeline examples/first/pipeline.yml",
            "runs logs 1 hello --pipeline examples/second/pipeline.yml",
        ],
        "{}",
        r.stderr
    );
    // What it says to type works as it is.
    let args: Vec<&str> = commands[1].split(' ').collect();
    let r = sluice_run(root, &args);
    ok(&r, "the suggested command");
    assert!(r.stdout.contains("said hello"), "{}", r.stdout);
}
