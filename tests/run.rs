//! End-to-end tests of `sluice plan`, `sluice run`, `sluice runs` and `sluice datastore` with the
//! real binary, on a four-step pipeline: a data reference on a local datastore, two trainings
//! with different parameters, a comparison, and an `.amlignore` in a source folder.
//!
//! Every check goes through exit codes and the versioned JSON of `plan --json` and
//! `runs show --json`, as a CI job would.
//!
//! Running steps needs `python3`; without it those tests say `skipped:` (a failure under
//! `SLUICE_CI=1`).
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nix::unistd::Pid;
use serde_json::Value;

const WORKSPACE: &str = "\
name: test-ws
datastores:
  data: {type: local, path: ./data}
computes:
  cpu: {type: amlcompute}
";

const PIPELINE: &str = "\
# Four steps: prepare, two trainings, compare.
pipeline:
  name: e2e
  default_compute: cpu
  parameters:
    lr_a: {type: float, default: 0.1}
    lr_b: {type: float, default: 0.5}
  data_references:
    sales: {datastore: data, path_on_datastore: sales.csv}
  steps:
    prep:
      type: PythonScriptStep
      script_name: prep.py
      source_directory: src/prep
      arguments: [--raw, input:raw, --out, output:clean]
      inputs: {raw: {source: sales}}
      outputs: {clean: {destination: clean}}
    train_a:
      type: PythonScriptStep
      script_name: train.py
      source_directory: src/train
      arguments: [--data, input:clean, --lr, parameter:lr, --model, output:model]
      inputs: {clean: {source: clean}}
      outputs: {model: {destination: model_a}}
      parameters: {lr: {source: lr_a}}
    train_b:
      type: PythonScriptStep
      script_name: train.py
      source_directory: src/train
      arguments: [--data, input:clean, --lr, parameter:lr, --model, output:model]
      inputs: {clean: {source: clean}}
      outputs: {model: {destination: model_b}}
      parameters: {lr: {source: lr_b}}
    compare:
      type: PythonScriptStep
      script_name: compare.py
      source_directory: src/compare
      arguments: [--a, input:a, --b, input:b, --report, output:report]
      inputs: {a: {source: model_a}, b: {source: model_b}}
      outputs: {report: {destination: report}}
";

const PREP: &str = r#"
import argparse, os
p = argparse.ArgumentParser()
p.add_argument("--raw"); p.add_argument("--out")
a = p.parse_args()
rows = [l.strip().split(",") for l in open(a.raw) if l.strip()][1:]
with open(os.path.join(a.out, "data.csv"), "w") as f:
    for x, y in rows:
        f.write(f"{float(x)},{float(y)}\n")
print(f"prep: {len(rows)} rows")
"#;

const TRAIN: &str = r#"
import argparse, json, os, sys, time
p = argparse.ArgumentParser()
p.add_argument("--data"); p.add_argument("--lr", type=float); p.add_argument("--model")
a = p.parse_args()
if os.environ.get("TEST_FAIL_LR") == str(a.lr):
    sys.exit(f"training with lr={a.lr} diverged")
pts = [tuple(map(float, l.split(","))) for l in open(os.path.join(a.data, "data.csv"))]
w = 0.0
for _ in range(50):
    w -= a.lr * sum((w * x - y) * x for x, y in pts) / len(pts) / 10
hold = os.environ.get("TEST_HOLD", "") + "-" + str(a.lr)
if os.path.exists(hold):
    # Leave a partial output behind, then wait to be killed.
    open(os.path.join(a.model, "model.json"), "w").write("{partial")
    print("holding", flush=True)
    for _ in range(600):
        time.sleep(0.1)
json.dump({"w": w, "lr": a.lr}, open(os.path.join(a.model, "model.json"), "w"))
with open(os.environ["SLUICE_METRICS"], "a") as f:
    f.write(json.dumps({"name": "w", "value": w}) + "\n")
print(f"lr={a.lr} w={w:.4f}")
"#;

const COMPARE: &str = r#"
import argparse, json, os
p = argparse.ArgumentParser()
p.add_argument("--a"); p.add_argument("--b"); p.add_argument("--report")
a = p.parse_args()
ma = json.load(open(os.path.join(a.a, "model.json")))
mb = json.load(open(os.path.join(a.b, "model.json")))
json.dump({"a": ma, "b": mb}, open(os.path.join(a.report, "report.json"), "w"))
print("compared")
"#;

/// A project in a temporary folder.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        let p = Project { dir };
        p.write("workspace.yaml", WORKSPACE);
        p.write("pipeline.yml", PIPELINE);
        p.write("data/sales.csv", "x,y\n1,2\n2,4.1\n3,5.9\n4,8.2\n");
        p.write("src/prep/prep.py", PREP);
        p.write("src/train/train.py", TRAIN);
        p.write("src/train/.amlignore", "NOTES.md\nscratch/\n");
        p.write("src/train/NOTES.md", "Notes that do not change the training.\n");
        p.write("src/compare/compare.py", COMPARE);
        p
    }

    /// A project whose steps can run: `None` after a `skipped:` line when `python3` is missing.
    fn runnable(test: &str) -> Option<Project> {
        support::require_python(test).then(Project::new)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn append(&self, rel: &str, text: &str) {
        let old = std::fs::read_to_string(self.path(rel)).unwrap();
        self.write(rel, &format!("{old}{text}"));
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sluice"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .env_remove("SLUICE_WORKSPACE")
            .env_remove("SLUICE_PYTHON")
            .env_remove("TEST_FAIL_LR")
            .env_remove("TEST_HOLD")
            // Steps see only the variables they are given; these tests steer them with TEST_*.
            .env("SLUICE_PASS_ENV", "TEST_*");
        c
    }

    fn sluice(&self, args: &[&str]) -> Output {
        run_with_timeout(self.command(args), Duration::from_secs(120))
    }

    /// `sluice run pipeline.yml ARGS`, asserting the exit code.
    fn run(&self, args: &[&str], code: i32) -> Output {
        let mut all = vec!["run", "pipeline.yml"];
        all.extend_from_slice(args);
        let out = self.sluice(&all);
        assert_eq!(out.status.code(), Some(code), "sluice {all:?}\n{}", text(&out));
        out
    }

    /// `sluice plan pipeline.yml --json ARGS`.
    fn plan(&self, args: &[&str]) -> Value {
        let mut all = vec!["plan", "pipeline.yml", "--json"];
        all.extend_from_slice(args);
        let out = self.sluice(&all);
        assert_eq!(out.status.code(), Some(0), "sluice {all:?}\n{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// `sluice runs show RUN --json`.
    fn show(&self, run: &str) -> Value {
        let out = self.sluice(&["runs", "show", run, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn run_with_timeout(mut c: Command, limit: Duration) -> Output {
    let child = c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = signal(id, Signal::SIGKILL);
            panic!("sluice took longer than {limit:?}");
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// (reuse, reason) of a step in a plan.
fn verdict<'a>(plan: &'a Value, key: &str) -> (&'a str, &'a str) {
    let s = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no step {key}"));
    (s["reuse"].as_str().unwrap(), s["reason"].as_str().unwrap())
}

fn verdicts(plan: &Value) -> Vec<(String, String)> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap().to_string(), s["reuse"].as_str().unwrap().to_string()))
        .collect()
}

fn all(plan: &Value, reuse: &str) -> bool {
    verdicts(plan).iter().all(|(_, r)| r == reuse)
}

/// Step statuses of a run, by key.
fn statuses(show: &Value) -> Vec<(String, String)> {
    show["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap().to_string(), s["status"].as_str().unwrap().to_string()))
        .collect()
}

fn status_of(show: &Value, key: &str) -> String {
    statuses(show).into_iter().find(|(k, _)| k == key).map(|(_, s)| s).unwrap()
}

#[test]
fn plan_json_has_the_versioned_shape() {
    let p = Project::new();
    let plan = p.plan(&[]);
    assert_eq!(plan["version"], 1);
    assert_eq!(plan["levels"], serde_json::json!([["prep"], ["train_a", "train_b"], ["compare"]]));
    for s in plan["steps"].as_array().unwrap() {
        for field in [
            "key",
            "kind",
            "fingerprint",
            "reuse",
            "reason",
            "depends_on",
            "command",
            "cwd",
            "inputs",
            "outputs",
        ] {
            assert!(s.get(field).is_some(), "step {} has no `{field}`", s["key"]);
        }
        assert_eq!(s["fingerprint"].as_str().unwrap().len(), 64);
        assert_eq!(s["reuse"], "miss");
        assert_eq!(s["reason"], "never run");
    }
    let train_a = &plan["steps"][1];
    assert_eq!(train_a["key"], "train_a");
    assert_eq!(train_a["depends_on"], serde_json::json!(["prep"]));
    assert_eq!(train_a["inputs"]["lr"], serde_json::json!({"value": 0.1}));
    let cmd: Vec<&str> = train_a["command"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(&cmd[..2], ["python3", "train.py"]);
    assert_eq!(cmd[5], "0.1");
    assert!(train_a["cwd"].as_str().unwrap().ends_with("src/train"));
    let sales = plan["steps"][0]["inputs"]["raw"]["path"].as_str().unwrap();
    assert!(sales.ends_with("data/sales.csv"), "{sales}");
    // Two trainings with different parameters have different fingerprints.
    assert_ne!(plan["steps"][1]["fingerprint"], plan["steps"][2]["fingerprint"]);
}

#[test]
fn run_then_rerun_reuses_every_step_and_says_so() {
    let Some(p) = Project::runnable("run_then_rerun_reuses_every_step_and_says_so") else { return };
    let first = p.run(&[], 0);
    assert!(String::from_utf8_lossy(&first.stderr).contains("4 ran, 0 reused"), "{}", text(&first));
    let plan = p.plan(&[]);
    assert!(all(&plan, "hit"), "{:?}", verdicts(&plan));
    assert_eq!(verdict(&plan, "compare").1, "unchanged since run 1");
    let second = p.run(&[], 0);
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("all 4 steps reused"), "{err}");
    let show = p.show("latest");
    assert_eq!(show["run"]["id"], 2);
    assert_eq!(show["run"]["status"], "completed");
    assert!(statuses(&show).iter().all(|(_, s)| s == "reused"), "{:?}", statuses(&show));
    // Outputs are where the plan says.
    let report = plan["steps"][3]["outputs"]["report"].as_str().unwrap();
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(report).join("report.json")).unwrap())
            .unwrap();
    assert_eq!(r["a"]["lr"], 0.1);
}

#[test]
fn editing_a_script_reruns_that_step_and_downstream_naming_the_file() {
    let Some(p) = Project::runnable("editing_a_script_reruns_that_step_and_downstream_naming_the_file")
    else {
        return;
    };
    p.run(&[], 0);
    p.append("src/train/train.py", "# tuned\n");
    let plan = p.plan(&[]);
    assert_eq!(verdict(&plan, "prep"), ("hit", "unchanged since run 1"));
    for key in ["train_a", "train_b"] {
        let (reuse, reason) = verdict(&plan, key);
        assert_eq!(reuse, "miss");
        assert!(reason.contains("`train.py` changed"), "{reason}");
    }
    let (reuse, reason) = verdict(&plan, "compare");
    assert_eq!(reuse, "miss");
    assert!(reason.contains("upstream step `train_a` re-runs"), "{reason}");
    p.run(&[], 0);
    let show = p.show("latest");
    assert_eq!(
        statuses(&show),
        [("prep", "reused"), ("train_a", "completed"), ("train_b", "completed"), ("compare", "completed")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert!(all(&p.plan(&[]), "hit"));
}

#[test]
fn editing_an_ignored_file_reruns_nothing() {
    let Some(p) = Project::runnable("editing_an_ignored_file_reruns_nothing") else { return };
    p.run(&[], 0);
    p.append("src/train/NOTES.md", "More notes.\n");
    p.write("src/train/scratch/try.py", "print('scratch')\n");
    let plan = p.plan(&[]);
    assert!(all(&plan, "hit"), "{:?}", verdicts(&plan));
    // A file the ignore rules keep does count.
    p.write("src/train/helper.py", "X = 1\n");
    let plan = p.plan(&[]);
    assert_eq!(verdict(&plan, "train_a").0, "miss");
    assert!(verdict(&plan, "train_a").1.contains("`helper.py` added"), "{}", verdict(&plan, "train_a").1);
}

#[test]
fn a_parameter_given_with_p_is_named_with_both_values() {
    let Some(p) = Project::runnable("a_parameter_given_with_p_is_named_with_both_values") else { return };
    p.run(&[], 0);
    let plan = p.plan(&["-p", "lr_a=0.3"]);
    let (reuse, reason) = verdict(&plan, "train_a");
    assert_eq!(reuse, "miss");
    assert!(reason.contains("parameter `lr_a` changed from 0.1 to 0.3"), "{reason}");
    assert_eq!(verdict(&plan, "train_b").0, "hit");
    assert_eq!(verdict(&plan, "prep").0, "hit");
    assert_eq!(verdict(&plan, "compare").0, "miss");
    p.run(&["-p", "lr_a=0.3"], 0);
    assert!(all(&p.plan(&["-p", "lr_a=0.3"]), "hit"));
    // Back to the default: the first run's outputs are still cached.
    assert!(all(&p.plan(&[]), "hit"));
    let show = p.show("latest");
    assert_eq!(show["run"]["parameters"]["lr_a"], 0.3);
    // A parameter that does not exist, or a value of the wrong type, is a usage error.
    let out = p.sluice(&["plan", "pipeline.yml", "-p", "lr_c=1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no parameter `lr_c`"), "{}", text(&out));
    let out = p.sluice(&["run", "pipeline.yml", "-p", "lr_a=fast"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`fast` is not a number"), "{}", text(&out));
}

#[test]
fn changed_data_reruns_everything_downstream_of_it() {
    let Some(p) = Project::runnable("changed_data_reruns_everything_downstream_of_it") else { return };
    p.run(&[], 0);
    p.append("data/sales.csv", "5,9.9\n");
    let plan = p.plan(&[]);
    assert!(all(&plan, "miss"), "{:?}", verdicts(&plan));
    assert!(verdict(&plan, "prep").1.contains("data reference `sales`"), "{}", verdict(&plan, "prep").1);
}

#[test]
fn a_failing_step_fails_the_run_shows_its_stderr_and_skips_downstream() {
    let Some(p) = Project::runnable("a_failing_step_fails_the_run_shows_its_stderr_and_skips_downstream")
    else {
        return;
    };
    let mut c = p.command(&["run", "pipeline.yml"]);
    c.env("TEST_FAIL_LR", "0.1");
    let out = run_with_timeout(c, Duration::from_secs(120));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("training with lr=0.1 diverged"), "{err}");
    assert!(err.contains("train_a: failed (exit code 1)"), "{err}");
    let show = p.show("1");
    assert_eq!(show["run"]["status"], "failed");
    assert_eq!(status_of(&show, "prep"), "completed");
    assert_eq!(status_of(&show, "train_a"), "failed");
    assert_eq!(status_of(&show, "compare"), "skipped");
    // Nothing of the failed step is reused; the next run says why it runs again.
    let plan = p.plan(&[]);
    assert_eq!(verdict(&plan, "prep").0, "hit");
    assert_eq!(verdict(&plan, "train_a"), ("miss", "its last run (run 1) failed"));
    p.run(&[], 0);
    let show = p.show("2");
    assert_eq!(status_of(&show, "train_a"), "completed");
    assert_eq!(status_of(&show, "compare"), "completed");
}

#[test]
fn continue_on_step_failure_runs_what_does_not_depend_on_the_failure() {
    let Some(p) = Project::runnable("continue_on_step_failure_runs_what_does_not_depend_on_the_failure")
    else {
        return;
    };
    let mut c = p.command(&["run", "pipeline.yml", "--continue-on-step-failure", "--jobs", "1"]);
    c.env("TEST_FAIL_LR", "0.1");
    let out = run_with_timeout(c, Duration::from_secs(120));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let show = p.show("1");
    assert_eq!(status_of(&show, "train_a"), "failed");
    assert_eq!(status_of(&show, "train_b"), "completed");
    assert_eq!(status_of(&show, "compare"), "skipped");
}

/// Starts `sluice run` and waits until the step held by `TEST_HOLD` prints "holding".
fn start_held_run(p: &Project, hold: &Path, log: &Path) -> Child {
    let mut c = p.command(&["run", "pipeline.yml"]);
    c.env("TEST_HOLD", hold).stdout(Stdio::null()).stderr(Stdio::null());
    let child = c.spawn().unwrap();
    let t0 = Instant::now();
    while !std::fs::read_to_string(log).is_ok_and(|t| t.contains("holding")) {
        assert!(t0.elapsed() < Duration::from_secs(60), "the held step did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn kill_9_during_a_step_then_a_new_run_reuses_what_completed_and_nothing_partial() {
    let Some(p) =
        Project::runnable("kill_9_during_a_step_then_a_new_run_reuses_what_completed_and_nothing_partial")
    else {
        return;
    };
    let hold = p.path("hold");
    std::fs::write(p.path("hold-0.5"), "").unwrap();
    let mut child = start_held_run(&p, &hold, &p.path(".sluice/runs/1/train_b/stdout"));
    // Let train_a (which runs beside train_b) finish.
    let t0 = Instant::now();
    while status_of(&p.show("1"), "train_a") != "completed" {
        assert!(t0.elapsed() < Duration::from_secs(60), "train_a did not complete");
        std::thread::sleep(Duration::from_millis(50));
    }
    // train_b has written half its output; kill sluice without warning. Its step process
    // names the project's folder in its arguments (the paths of its input and output).
    let project = p.dir.path().to_string_lossy().into_owned();
    assert!(!support::processes_mentioning(&project).is_empty(), "the held step is not seen running");
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(p.path("hold-0.5")).unwrap();

    let plan = p.plan(&[]);
    assert_eq!(verdict(&plan, "prep").0, "hit");
    assert_eq!(verdict(&plan, "train_a").0, "hit");
    assert_eq!(verdict(&plan, "train_b"), ("miss", "its last run (run 1) did not finish"));
    assert_eq!(verdict(&plan, "compare").0, "miss");
    // No partial output is in the cache where the plan looks for it.
    let model_b = plan["steps"][2]["outputs"]["model"].as_str().unwrap();
    assert!(!Path::new(model_b).exists(), "a partial output reached the cache");

    p.run(&[], 0);
    let first = p.show("1");
    assert_eq!(first["run"]["status"], "interrupted");
    let second = p.show("2");
    assert_eq!(status_of(&second, "prep"), "reused");
    assert_eq!(status_of(&second, "train_a"), "reused");
    assert_eq!(status_of(&second, "train_b"), "completed");
    let model: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(model_b).join("model.json")).unwrap())
            .unwrap();
    assert_eq!(model["lr"], 0.5);
    // The killed run's step process was ended before the new run started.
    let leftover = support::processes_mentioning(&project);
    assert!(leftover.is_empty(), "a step of the killed run still runs: {leftover:?}");
}

/// Sends `sig` to process `pid` (no `kill` program needed).
fn signal(pid: u32, sig: Signal) -> nix::Result<()> {
    nix::sys::signal::kill(Pid::from_raw(i32::try_from(pid).unwrap()), sig)
}

#[test]
fn ctrl_c_ends_the_steps_and_records_the_run_as_canceled() {
    let Some(p) = Project::runnable("ctrl_c_ends_the_steps_and_records_the_run_as_canceled") else { return };
    let hold = p.path("hold");
    std::fs::write(p.path("hold-0.5"), "").unwrap();
    let mut child = start_held_run(&p, &hold, &p.path(".sluice/runs/1/train_b/stdout"));
    signal(child.id(), Signal::SIGINT).unwrap();
    let t0 = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "sluice did not stop after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(130));
    let show = p.show("1");
    assert_eq!(show["run"]["status"], "canceled");
    assert_eq!(status_of(&show, "train_b"), "canceled");
    assert_eq!(status_of(&show, "compare"), "skipped");
}

#[test]
fn two_concurrent_runs_share_the_state_without_harm() {
    let Some(p) = Project::runnable("two_concurrent_runs_share_the_state_without_harm") else { return };
    let spawn = || {
        let mut c = p.command(&["run", "pipeline.yml"]);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c.spawn().unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    assert_eq!(b.status.code(), Some(0), "{}", text(&b));
    // Each step ran once; the other run reused it.
    let mut ran = std::collections::BTreeMap::new();
    for run in ["1", "2"] {
        let show = p.show(run);
        assert_eq!(show["run"]["status"], "completed");
        for (k, s) in statuses(&show) {
            assert!(s == "completed" || s == "reused", "{k}: {s}");
            if s == "completed" {
                *ran.entry(k).or_insert(0) += 1;
            }
        }
    }
    assert_eq!(ran.values().copied().collect::<Vec<_>>(), [1, 1, 1, 1], "{ran:?}");
    assert!(all(&p.plan(&[]), "hit"));
}

#[test]
fn regenerate_outputs_and_allow_reuse_false_disable_reuse() {
    let Some(p) = Project::runnable("regenerate_outputs_and_allow_reuse_false_disable_reuse") else { return };
    p.run(&[], 0);
    let plan = p.plan(&["--regenerate-outputs"]);
    assert!(all(&plan, "disabled"));
    assert_eq!(verdict(&plan, "prep").1, "--regenerate-outputs");
    let yaml = std::fs::read_to_string(p.path("pipeline.yml")).unwrap();
    p.write(
        "pipeline.yml",
        &yaml.replace(
            "      source_directory: src/prep\n",
            "      source_directory: src/prep\n      allow_reuse: false\n",
        ),
    );
    let plan = p.plan(&[]);
    assert_eq!(verdict(&plan, "prep"), ("disabled", "allow_reuse is false"));
    // What reads a step whose result may change re-runs too.
    assert_eq!(verdict(&plan, "train_a").0, "miss");
    assert!(
        verdict(&plan, "train_a").1.contains("upstream step `prep` re-runs"),
        "{}",
        verdict(&plan, "train_a").1
    );
    p.run(&[], 0);
}

#[test]
fn runs_commands_read_the_store() {
    let Some(p) = Project::runnable("runs_commands_read_the_store") else { return };
    p.run(&["--experiment", "trials"], 0);
    p.run(&[], 0);
    let list = p.sluice(&["runs", "list", "--json"]);
    assert_eq!(list.status.code(), Some(0));
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list["version"], 1);
    assert_eq!(list["runs"].as_array().unwrap().len(), 2);
    assert_eq!(list["runs"][1]["experiment"], "trials");
    assert_eq!(list["runs"][0]["experiment"], "e2e");
    let human = p.sluice(&["runs", "list"]);
    assert!(String::from_utf8_lossy(&human.stdout).starts_with("RUN"), "{}", text(&human));

    let metrics = p.sluice(&["runs", "metrics", "1", "--json"]);
    let metrics: Value = serde_json::from_slice(&metrics.stdout).unwrap();
    let names: Vec<(&str, &str)> = metrics["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["step"].as_str().unwrap(), m["name"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("train_a", "w"), ("train_b", "w")]);
    // A reused step brings its metrics along.
    let metrics = p.sluice(&["runs", "metrics", "2", "--json"]);
    let metrics: Value = serde_json::from_slice(&metrics.stdout).unwrap();
    assert_eq!(metrics["metrics"][0]["reused"], true);

    let logs = p.sluice(&["runs", "logs", "2", "prep"]);
    let out = String::from_utf8_lossy(&logs.stdout);
    assert!(out.contains("prep: 4 rows"), "{out}");
    assert!(out.contains("reused from run 1"), "{out}");
    let bad = p.sluice(&["runs", "logs", "2", "perp"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("did you mean `prep`?"), "{}", text(&bad));
    let missing = p.sluice(&["runs", "show", "9"]);
    assert_eq!(missing.status.code(), Some(1));
    let shown = p.sluice(&["runs", "show", "1"]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("experiment  trials") && shown.contains("train_b"), "{shown}");
}

#[test]
fn builtin_datastores_take_uploads_and_cloud_datastores_need_their_credential() {
    let Some(p) =
        Project::runnable("builtin_datastores_take_uploads_and_cloud_datastores_need_their_credential")
    else {
        return;
    };
    // Without a workspace file, the built-in workspace's blob store is a local folder.
    std::fs::remove_file(p.path("workspace.yaml")).unwrap();
    let yaml = std::fs::read_to_string(p.path("pipeline.yml")).unwrap();
    p.write(
        "pipeline.yml",
        &yaml.replace(
            "{datastore: data, path_on_datastore: sales.csv}",
            "{datastore: workspaceblobstore, path_on_datastore: in/sales.csv}",
        ),
    );
    let out = p.sluice(&["plan", "pipeline.yml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("sluice datastore upload --datastore workspaceblobstore --target-path in sales.csv"),
        "{}",
        text(&out)
    );
    let up = p.sluice(&[
        "datastore",
        "upload",
        "--datastore",
        "workspaceblobstore",
        "--target-path",
        "in",
        "data/sales.csv",
    ]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    assert!(p.path(".sluice/datastores/workspaceblobstore/in/sales.csv").is_file());
    let again = p.sluice(&[
        "datastore",
        "upload",
        "--datastore",
        "workspaceblobstore",
        "--target-path",
        "in",
        "data/sales.csv",
    ]);
    // As the SDK's upload_files: a file already there is skipped, with a note.
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let note = String::from_utf8_lossy(&again.stderr);
    assert!(note.contains("skipped in/sales.csv: already on datastore `workspaceblobstore`"), "{note}");
    assert!(note.contains("--overwrite"), "{note}");
    p.run(&[], 0);

    // A datastore in the cloud whose credential is not set stops the run before anything
    // starts, naming it and the variable (runs read cloud datastores: tests/remote_data.rs).
    p.write(
        "workspace.yaml",
        "datastores:\n  lake: {type: azure_blob, account_name: acct, container_name: c, account_key: \"${env:KEY}\"}\ncomputes:\n  cpu: {type: amlcompute}\n",
    );
    let yaml = std::fs::read_to_string(p.path("pipeline.yml")).unwrap();
    p.write("pipeline.yml", &yaml.replace("datastore: workspaceblobstore", "datastore: lake"));
    let out = p.sluice(&["run", "pipeline.yml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "data reference `sales`: datastore `lake`: `account_key` comes from ${env:KEY}, which is not set"
        ),
        "{err}"
    );
    assert!(!p.path(".sluice/runs/2").exists(), "a run started");
    // The plan still shows every step, with the missing credential as the problem.
    let plan = p.sluice(&["plan", "pipeline.yml"]);
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    let shown = String::from_utf8_lossy(&plan.stdout);
    assert!(shown.contains("prep") && shown.contains("train_a"), "{}", text(&plan));
    assert!(
        String::from_utf8_lossy(&plan.stderr)
            .contains("step `prep`: input `raw`: data reference `sales`: datastore `lake`"),
        "{}",
        text(&plan)
    );
}

#[test]
fn steps_that_cannot_run_here_are_named_before_anything_starts() {
    let p = Project::new();
    p.write(
        "workspace.yaml",
        "datastores:\n  data: {type: local, path: ./data}\ncomputes:\n  cpu: {type: amlcompute}\n  dbx: {type: databricks, workspace_url: https://adb-1.azuredatabricks.net, access_token: \"${env:DBX}\"}\n",
    );
    p.append(
        "pipeline.yml",
        "    notebook:\n      type: DatabricksStep\n      name: notebook\n      compute: dbx\n      notebook_path: /Shared/x\n      run_name: x\n      existing_cluster_id: c-1\n",
    );
    let out = p.sluice(&["run", "pipeline.yml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("step `notebook`: it runs on Databricks"), "{err}");
    assert!(!p.path(".sluice/runs/1").exists());
}

#[test]
fn a_parallel_run_step_runs_its_entry_script_over_mini_batches() {
    let Some(p) = Project::runnable("a_parallel_run_step_runs_its_entry_script_over_mini_batches") else {
        return;
    };
    for i in 0..5 {
        p.write(&format!("data/images/img{i}.txt"), &format!("{}\n", i * 10));
    }
    p.write(
        "src/score/score.py",
        "import argparse\n\
         def init():\n    global factor\n    ap = argparse.ArgumentParser()\n    ap.add_argument('--factor', type=int)\n    factor = ap.parse_known_args()[0].factor\n\
         def run(mini_batch):\n    return [f'{p.rsplit(\"/\", 1)[1]},{int(open(p).read()) * factor},{len(mini_batch)}' for p in mini_batch]\n",
    );
    // A ParallelRunStep reads datasets: here the output of a step that gathers the images, made a
    // dataset with `as_dataset` (registered datasets do not run on this machine).
    p.write(
        "src/gather/gather.py",
        "import shutil, sys\nshutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True)\n",
    );
    p.write(
        "parallel.yml",
        "parallel_run_config:\n  entry_script: score.py\n  source_directory: src/score\n  compute_target_name: cpu\n  environment_name: scoring\n  node_count: 1\n  mini_batch_size: 2\n  error_threshold: -1\n  output_action: append_row\n  append_row_file_name: scores.txt\n",
    );
    p.write(
        "pipeline.yml",
        "pipeline:\n  name: par\n  default_compute: cpu\n  data_references:\n    images: {datastore: data, path_on_datastore: images}\n  steps:\n\
         \x20   gather:\n      type: PythonScriptStep\n      script_name: gather.py\n      source_directory: src/gather\n      arguments: [input:images, output:images]\n\
         \x20     inputs: {images: {source: images}}\n      outputs: {images: {destination: gathered, as_dataset: true}}\n\
         \x20   score:\n      type: ParallelRunStep\n      name: score\n      parallel_run_config: parallel.yml\n\
         \x20     arguments: [--factor, '3']\n      inputs: {batch: {source: gathered}}\n      outputs: {results: {destination: scores}}\n",
    );
    p.run(&[], 0);
    let plan = p.plan(&[]);
    assert!(all(&plan, "hit"));
    let out = Path::new(plan["steps"][1]["outputs"]["results"].as_str().unwrap()).join("scores.txt");
    let text = std::fs::read_to_string(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines, ["img0.txt,0,2", "img1.txt,30,2", "img2.txt,60,2", "img3.txt,90,2", "img4.txt,120,1"]);
}

/// Copies `from` into `to`, leaving out state folders (`.sluice`) an earlier run left there.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == ".sluice" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The examples the README runs (v1 and v2) run end to end from a fresh copy, and a second run
/// reuses every step.
#[test]
fn the_examples_run_and_a_second_run_reuses_everything() {
    if !support::require_python("the_examples_run_and_a_second_run_reuses_everything") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for example in ["compare-models", "v2-train-compare"] {
        let p = Project { dir: tempfile::tempdir().unwrap() };
        copy_tree(&root.join("examples").join(example), p.dir.path());
        let first = p.run(&[], 0);
        assert!(text(&first).contains("completed"), "{example}: {}", text(&first));
        let plan = p.plan(&[]);
        assert!(all(&plan, "hit"), "{example}: {:?}", verdicts(&plan));
        let again = p.run(&[], 0);
        assert!(text(&again).contains("reused"), "{example}: {}", text(&again));
    }
}

/// Literal step parameters (`NUM: 7`, as Microsoft's examples write them) reach the script's
/// arguments through `parameter:X`, beside parameters bound to pipeline parameters; a changed
/// literal re-runs the step.
#[test]
fn literal_step_parameters_reach_the_arguments() {
    let Some(p) = Project::runnable("literal_step_parameters_reach_the_arguments") else { return };
    p.write(
        "src/show/show.py",
        "import sys, pathlib\nout = pathlib.Path(sys.argv[sys.argv.index('--out') + 1])\nout.mkdir(parents=True, exist_ok=True)\n(out / 'args.txt').write_text(' '.join(sys.argv[1:]))\n",
    );
    p.write(
        "pipeline.yml",
        "pipeline:\n  name: literal\n  default_compute: cpu\n  parameters:\n    lr: {type: float, default: 0.5}\n  steps:\n\
         \x20   show:\n      type: PythonScriptStep\n      script_name: show.py\n      source_directory: src/show\n\
         \x20     arguments: [--n, parameter:n, --lr, parameter:lr, --flag, parameter:f, --out, output:o]\n\
         \x20     parameters:\n        n: 7\n        f: true\n        lr: {source: lr}\n      outputs: {o: {destination: shown}}\n",
    );
    p.run(&[], 0);
    let plan = p.plan(&[]);
    let out = Path::new(plan["steps"][0]["outputs"]["o"].as_str().unwrap()).join("args.txt");
    let args = std::fs::read_to_string(&out).unwrap();
    assert_eq!(args.split(" --out ").next().unwrap(), "--n 7 --lr 0.5 --flag True");
    let yaml = std::fs::read_to_string(p.path("pipeline.yml")).unwrap();
    p.write("pipeline.yml", &yaml.replace("n: 7", "n: 8"));
    let plan = p.plan(&[]);
    assert_eq!(verdict(&plan, "show").0, "miss", "{plan}");
}

/// A dataset nobody registered, SQL sources and registered modules cannot run on this machine:
/// the run stops before anything starts, naming each step, why, and the fix where there is one.
#[test]
fn unregistered_datasets_sql_and_modules_are_refused_before_anything_starts() {
    let p = Project::new();
    p.write(
        "pipeline.yml",
        "pipeline:\n  name: remote-data\n  default_compute: cpu\n  data_references:\n\
         \x20   titanic: {dataset_name: titanic, dataset_version: 2}\n    sales: {datastore: warehouse, sql_table: dbo.sales}\n  steps:\n\
         \x20   train:\n      type: PythonScriptStep\n      script_name: train.py\n      source_directory: src/train\n\
         \x20     arguments: [--data, input:d, --model, output:m]\n      inputs: {d: {source: titanic}}\n      outputs: {m: {destination: model}}\n\
         \x20   report:\n      type: PythonScriptStep\n      script_name: compare.py\n      source_directory: src/compare\n\
         \x20     arguments: [--a, input:s, --report, output:r]\n      inputs: {s: {source: sales}}\n      outputs: {r: {destination: report}}\n\
         \x20   score:\n      type: ModuleStep\n      name: scorer\n",
    );
    p.write(
        "workspace.yaml",
        "datastores:\n  data: {type: local, path: ./data}\n  warehouse: {type: azure_blob, account_name: a, container_name: c}\ncomputes:\n  cpu: {type: amlcompute}\n",
    );
    let out = p.sluice(&["run", "pipeline.yml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "step `train`: input `d`: data reference `titanic`: dataset `titanic` is not registered \
             (register it with `sluice dataset register --name titanic --files DATASTORE:PATH`)"
        ),
        "{err}"
    );
    assert!(
        err.contains("step `report`: input `s`: data reference `sales`: SQL source `dbo.sales` on datastore `warehouse`"),
        "{err}"
    );
    assert!(err.contains("step `score`: it runs a module registered in an Azure ML workspace"), "{err}");
    assert!(!p.path(".sluice/runs/1").exists(), "a run started");
}

/// A v2 parallel job runs over the files of the input its component's `input_data` names (not
/// its other data inputs), and tries a failing mini-batch as often as `retry_settings` says.
#[test]
fn a_v2_parallel_job_splits_the_named_input_and_honours_its_retries() {
    let Some(p) = Project::runnable("a_v2_parallel_job_splits_the_named_input_and_honours_its_retries")
    else {
        return;
    };
    for i in 0..4 {
        p.write(&format!("data/images/img{i}.txt"), &format!("{i}\n"));
    }
    p.write("data/lookup/table.txt", "not split\n");
    // The first call for the mini-batch holding img2 fails; a second try would pass it.
    p.write(
        "src/score/score.py",
        "import os\n\
         def run(mini_batch):\n    names = [os.path.basename(p) for p in mini_batch]\n    marker = os.path.join(os.environ['TMP_MARK'], 'failed-once')\n    if 'img2.txt' in names and not os.path.exists(marker):\n        open(marker, 'w').close()\n        raise RuntimeError('flaky')\n    return names\n",
    );
    p.write(
        "score.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/parallelComponent.schema.json\ntype: parallel\nname: score\ninputs:\n  images: {type: uri_folder}\n  lookup: {type: uri_folder}\noutputs:\n  scores: {type: uri_folder}\ninput_data: ${{inputs.images}}\nmini_batch_size: \"2\"\nerror_threshold: -1\nretry_settings:\n  max_retries: 1\n  timeout: 60\ntask:\n  type: run_function\n  code: ./src/score\n  entry_script: score.py\n  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:1\n  append_row_to: ${{outputs.scores}}\n",
    );
    let mark = tempfile::tempdir().unwrap();
    p.write(
        "pipeline.yml",
        &format!(
            "type: pipeline\nsettings:\n  default_compute: azureml:cpu\njobs:\n  score:\n    type: parallel\n    component: ./score.yml\n    environment_variables:\n      TMP_MARK: {}\n    inputs:\n      images: {{type: uri_folder, path: ./data/images}}\n      lookup: {{type: uri_folder, path: ./data/lookup}}\n",
            mark.path().display()
        ),
    );
    p.run(&[], 0);
    let plan = p.plan(&[]);
    let out =
        Path::new(plan["steps"][0]["outputs"]["scores"].as_str().unwrap()).join("parallel_run_step.txt");
    let text = std::fs::read_to_string(&out).unwrap();
    // One try only: the mini-batch of img2 and img3 is lost; `table.txt` was never split.
    assert_eq!(text.lines().collect::<Vec<_>>(), ["img0.txt", "img1.txt"], "{}", out.display());
}

/// A v2 `copy_data` job copies every input into its output on this machine (a later input
/// overwriting an earlier one, or failing with `fail_if_conflict`); `import_data` and
/// `export_data` jobs, which go through Azure ML connections, are named before anything starts.
#[test]
fn v2_data_transfers_copy_here_and_imports_are_refused_up_front() {
    let p = Project::new();
    p.write("a/one.csv", "from a\n");
    p.write("a/sub/two.csv", "two\n");
    p.write("b/one.csv", "from b\n");
    let component = |mode: &str| {
        format!(
            "$schema: https://azuremlschemas.azureedge.net/latest/dataTransferComponent.schema.json\ntype: data_transfer\nname: merge\ntask: copy_data\ninputs:\n  first: {{type: uri_folder}}\n  second: {{type: uri_folder}}\noutputs:\n  merged: {{type: uri_folder}}\ndata_copy_mode: {mode}\n"
        )
    };
    p.write("merge.yml", &component("merge_with_overwrite"));
    p.write(
        "pipeline.yml",
        "type: pipeline\nsettings:\n  default_compute: serverless\njobs:\n  merge:\n    type: data_transfer\n    task: copy_data\n    component: ./merge.yml\n    inputs:\n      first: {type: uri_folder, path: ./a}\n      second: {type: uri_folder, path: ./b}\n    outputs:\n      merged: {type: uri_folder}\n",
    );
    p.run(&[], 0);
    let plan = p.plan(&[]);
    let merged = Path::new(plan["steps"][0]["outputs"]["merged"].as_str().unwrap()).to_path_buf();
    assert_eq!(std::fs::read_to_string(merged.join("one.csv")).unwrap(), "from b\n");
    assert_eq!(std::fs::read_to_string(merged.join("sub/two.csv")).unwrap(), "two\n");

    p.write("merge.yml", &component("fail_if_conflict"));
    let out = p.run(&[], 1);
    assert!(
        text(&out).contains(
            "`one.csv` is in both input `first` and input `second`, and the copy mode is `fail_if_conflict`"
        ),
        "{}",
        text(&out)
    );

    p.write(
        "pipeline.yml",
        "type: pipeline\nsettings:\n  default_compute: serverless\njobs:\n  pull:\n    type: data_transfer\n    task: import_data\n    source:\n      type: database\n      connection: azureml:sql\n      query: SELECT 1\n    outputs:\n      sink: {type: mltable}\n",
    );
    let runs_before = std::fs::read_dir(p.path(".sluice/runs")).unwrap().count();
    let out = p.run(&[], 1);
    assert!(
        text(&out).contains("step `pull`: it imports data from a database or another cloud's storage through an Azure ML connection"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_dir(p.path(".sluice/runs")).unwrap().count(), runs_before, "a run started");
}
