//! End-to-end tests of inputs a hostile or careless user gives the real binary: reads that never
//! end (devices, FIFOs, endless standard input), many diagnostics and very long lines, odd
//! `-p` values, folders given as files, and datastore uploads that cannot be done as asked.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Run, sluice};

/// Runs `cmd` (stdin from `input`, else nothing), killing it after `limit`: a test of a read that
/// never ends fails rather than hangs.
fn run_within(cmd: &mut Command, input: Option<Stdio>, limit: Duration) -> Run {
    let start = Instant::now();
    let mut child = cmd
        .stdin(input.unwrap_or_else(Stdio::null))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut o = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut o).unwrap();
        o
    });
    let err_reader = std::thread::spawn(move || {
        let mut e = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut e).unwrap();
        e
    });
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Run {
                code: status.code(),
                stdout: String::from_utf8_lossy(&reader.join().unwrap()).into_owned(),
                stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
                elapsed: start.elapsed(),
            };
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn quick(dir: &Path, args: &[&str]) -> Run {
    let r = run_within(sluice(dir).args(args), None, Duration::from_secs(60));
    r.assert_no_panic(&format!("{args:?}"));
    r
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

const WORKSPACE: &str = "\
datastores:
  data: {type: local, path: ./data}
computes:
  cpu: {type: amlcompute}
";

const PIPELINE: &str = "\
pipeline:
  name: hostile
  default_compute: cpu
  parameters:
    lr: {type: float, default: 0.1}
    epochs: {type: int, default: 3}
  data_references:
    sales: {datastore: data, path_on_datastore: sales.csv}
  steps:
    train:
      type: PythonScriptStep
      script_name: train.py
      source_directory: src
      arguments: [--data, input:data, --lr, parameter:lr, --epochs, parameter:epochs, --model, output:model]
      inputs: {data: {source: sales}}
      outputs: {model: {destination: model}}
      parameters: {lr: {source: lr}, epochs: {source: epochs}}
";

/// A one-step v1 project whose data reference is `data/sales.csv`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("workspace.yaml"), WORKSPACE).unwrap();
    std::fs::write(p.join("pipeline.yml"), PIPELINE).unwrap();
    std::fs::create_dir_all(p.join("data")).unwrap();
    std::fs::write(p.join("data/sales.csv"), "x,y\n1,2\n").unwrap();
    std::fs::create_dir_all(p.join("src")).unwrap();
    std::fs::write(p.join("src/train.py"), "print('trained')\n").unwrap();
    dir
}

#[cfg(unix)]
#[test]
fn devices_and_fifos_named_on_the_command_line_are_refused_unread() {
    let dir = project();
    let d = dir.path();
    let r = quick(d, &["check", "/dev/zero"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(r.stderr.contains("`/dev/zero` is a character device, not a file"), "{}", r.stderr);
    mkfifo(&d.join("pipe.yml"));
    for args in
        [&["check", "pipe.yml"][..], &["plan", "pipe.yml"], &["run", "pipe.yml"], &["graph", "pipe.yml"]]
    {
        let r = quick(d, args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.all_output());
        assert!(r.stderr.contains("`pipe.yml` is a FIFO (named pipe), not a file"), "{args:?}: {}", r.stderr);
    }
    let r = quick(d, &["check", "pipeline.yml", "--workspace", "/dev/zero"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(r.stderr.contains("is a character device, not a file"), "{}", r.stderr);
    let r = run_within(
        sluice(d).env("SLUICE_WORKSPACE", d.join("pipe.yml")).args(["plan", "pipeline.yml"]),
        None,
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(r.stderr.contains("FIFO"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn standard_input_is_read_up_to_the_size_limit() {
    let dir = project();
    let d = dir.path();
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let r = run_within(
        sluice(d).args(["check", "-", "--max-file-size", "1M", "--format", "json"]),
        Some(Stdio::from(zero)),
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert!(r.stdout.contains("yaml-limit") && r.stdout.contains("<stdin>"), "{}", r.stdout);
    // A pipeline on standard input is checked as if it were a file in the working folder.
    let mut child = sluice(d)
        .args(["check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PIPELINE.replace("default_compute: cpu", "default_compute: cpux").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("[<stdin>:3:20]") && stdout.contains("did you mean `cpu`?"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn a_data_reference_naming_a_fifo_stops_plan_and_run_at_its_path() {
    let dir = project();
    let d = dir.path();
    std::fs::remove_file(d.join("data/sales.csv")).unwrap();
    mkfifo(&d.join("data/sales.csv"));
    for cmd in ["check", "plan", "run"] {
        let r = quick(d, &[cmd, "pipeline.yml"]);
        assert_eq!(r.code, Some(1), "{cmd}: {}", r.all_output());
        let text = r.all_output();
        assert!(text.contains("special-file"), "{cmd}: {text}");
        assert!(
            text.contains("data `sales.csv` is a FIFO (named pipe), not a file or folder"),
            "{cmd}: {text}"
        );
        // Located at the path in the data reference.
        assert!(text.contains("[pipeline.yml:8:49]"), "{cmd}: {text}");
    }
    assert!(!d.join(".sluice/runs").exists(), "a run started");
}

#[cfg(unix)]
#[test]
fn a_fifo_inside_a_source_folder_is_an_error_unless_ignored() {
    let dir = project();
    let d = dir.path();
    mkfifo(&d.join("src/debug.pipe"));
    let r = quick(d, &["plan", "pipeline.yml"]);
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert!(r.stderr.contains("debug.pipe` is a FIFO (named pipe)"), "{}", r.stderr);
    assert!(r.stderr.contains(".amlignore"), "{}", r.stderr);
    std::fs::write(d.join("src/.amlignore"), "*.pipe\n").unwrap();
    let r = quick(d, &["plan", "pipeline.yml"]);
    assert_eq!(r.code, Some(0), "{}", r.all_output());
}

#[cfg(unix)]
#[test]
fn datastore_upload_refuses_a_fifo_and_writes_nothing() {
    let dir = project();
    let d = dir.path();
    mkfifo(&d.join("pipe.csv"));
    std::fs::create_dir_all(d.join("folder")).unwrap();
    std::fs::write(d.join("folder/a.csv"), "a\n").unwrap();
    mkfifo(&d.join("folder/b.csv"));
    for what in ["pipe.csv", "folder"] {
        let r = quick(d, &["datastore", "upload", "--datastore", "data", "--target-path", "in", what]);
        assert_eq!(r.code, Some(2), "{what}: {}", r.all_output());
        assert!(r.stderr.contains("is a FIFO (named pipe), not a file"), "{what}: {}", r.stderr);
        assert!(!d.join("data/in").exists(), "{what}: something was written");
    }
}

#[test]
fn datastore_upload_usage_errors_exit_2() {
    let dir = project();
    let d = dir.path();
    let upload = |args: &[&str]| {
        let mut all = vec!["datastore", "upload"];
        all.extend_from_slice(args);
        quick(d, &all)
    };
    let cases: [(&[&str], &str); 4] = [
        (
            &["--datastore", "data", "--target-path", "../out", "data/sales.csv"],
            "must stay inside the datastore",
        ),
        (&["--datastore", "dta", "data/sales.csv"], "did you mean `data`?"),
        (&["--datastore", "data", "data/nothing.csv"], "nothing.csv"),
        // (A file already there is skipped with a note, as the SDK's upload_files: tests/run.rs.)
        (&["--datastore", "data", "data/*.parquet"], "matches no file"),
    ];
    for (args, says) in cases {
        let r = upload(args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.all_output());
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
    let r = upload(&["--datastore", "data", "--target-path", "in", "data/sales.csv"]);
    assert_eq!(r.code, Some(0), "{}", r.all_output());
}

#[test]
fn non_finite_and_out_of_range_parameters_are_refused() {
    let dir = project();
    let d = dir.path();
    for (p, says) in [
        ("lr=nan", "parameter `lr`: `nan` is not a finite number"),
        ("lr=inf", "`inf` is not a finite number"),
        ("lr=-Infinity", "`-Infinity` is not a finite number"),
        ("lr=1e400", "`1e400` is not a finite number (it is past the range of a 64-bit float)"),
        ("epochs=99999999999999999999", "out of the range of a 64-bit integer"),
    ] {
        for cmd in ["plan", "run"] {
            let r = quick(d, &[cmd, "pipeline.yml", "-p", p]);
            assert_eq!(r.code, Some(2), "{cmd} -p {p}: {}", r.all_output());
            assert!(r.stderr.contains(says), "{cmd} -p {p}: {}", r.stderr);
        }
    }
    let r = quick(d, &["plan", "pipeline.yml", "-p", "lr=1e-3", "-p", "epochs=-4"]);
    assert_eq!(r.code, Some(0), "{}", r.all_output());
}

#[test]
fn a_parameter_given_twice_is_an_error_naming_both() {
    let dir = project();
    let r = quick(dir.path(), &["plan", "pipeline.yml", "-p", "lr=1", "-p", "epochs=2", "-p", "lr=2"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(
        r.stderr.contains("parameter `lr` is given twice: `-p lr=1` and `-p lr=2`; give it once"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_folder_with_nothing_to_check_is_not_a_pass() {
    let dir = project();
    let d = dir.path();
    std::fs::create_dir_all(d.join("empty")).unwrap();
    let r = quick(d, &["check", "empty"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(
        r.stderr.contains("nothing checked: `empty` holds no pipeline, component or workspace file"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("no problems found"), "{}", r.stdout);
    std::fs::create_dir_all(d.join("other")).unwrap();
    std::fs::write(d.join("other/settings.yml"), "a: 1\n").unwrap();
    let r = quick(d, &["check", "other/"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(r.stderr.contains("(1 other YAML file skipped)"), "{}", r.stderr);
    // A folder named like a pipeline file says what it is.
    std::fs::create_dir_all(d.join("pipeline2.yml")).unwrap();
    let r = quick(d, &["check", "pipeline2.yml"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(
        r.stderr.contains("nothing checked: `pipeline2.yml` is a folder, and holds no pipeline"),
        "{}",
        r.stderr
    );
    std::fs::remove_dir(d.join("pipeline2.yml")).unwrap();
    // A folder holding a pipeline is checked as before.
    let r = quick(d, &["check", "."]);
    assert_eq!(r.code, Some(0), "{}", r.all_output());
    assert!(r.stdout.contains("no problems found"), "{}", r.stdout);
    // Where a pipeline file is required, a folder is refused, naming the files in it.
    for cmd in ["plan", "run", "graph", "compile"] {
        let r = quick(d, &[cmd, "."]);
        assert_eq!(r.code, Some(2), "{cmd}: {}", r.all_output());
        assert!(
            r.stderr.contains("`.` is a folder, not a file (did you mean `./pipeline.yml`?)"),
            "{cmd}: {}",
            r.stderr
        );
    }
}

/// A v1 pipeline with `n` steps each holding an unknown key `bogus` (one error a step; `name`
/// is given because the SDK requires it of a DatabricksStep).
fn many_errors(n: usize) -> String {
    let mut text = String::from("pipeline:\n  name: many\n  steps:\n");
    for i in 0..n {
        text.push_str(&format!(
            "    s{i}:\n      type: DatabricksStep\n      bogus: 1\n      name: n\n      notebook_path: /Shared/n\n"
        ));
    }
    text
}

#[test]
fn past_200_diagnostics_of_a_code_the_rest_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("many.yml"), many_errors(1_000)).unwrap();
    let r = quick(d, &["check", "many.yml"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(r.stdout.matches("unknown key `bogus`").count(), 200);
    assert!(
        r.stdout.contains("… and 800 more `unknown-key` errors in many.yml (--max-diagnostics 0 shows all)"),
        "{}",
        &r.stdout[r.stdout.len().saturating_sub(600)..]
    );
    assert!(
        r.stdout.ends_with("1,000 errors, 0 warnings\n"),
        "{}",
        &r.stdout[r.stdout.len().saturating_sub(300)..]
    );
    let r = quick(d, &["check", "many.yml", "--max-diagnostics", "0"]);
    assert_eq!(r.stdout.matches("unknown key `bogus`").count(), 1_000);
    assert!(!r.stdout.contains("more `unknown-key`"));
    let r = run_within(
        sluice(d).env("SLUICE_MAX_DIAGNOSTICS", "3").args(["plan", "many.yml"]),
        None,
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(r.stderr.matches("unknown key `bogus`").count(), 3, "{}", r.stderr);
    assert!(r.stderr.contains("… and 997 more `unknown-key` errors"), "{}", r.stderr);
    // Machine formats carry every diagnostic.
    let r = quick(d, &["check", "many.yml", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 1_000);
    assert_eq!(quick(d, &["check", "many.yml", "--format", "github"]).stdout.lines().count(), 1_000);
}

#[test]
fn a_very_long_line_is_shown_as_a_window_around_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A 10 MB line with a mistake after 10 MB and 1 MB more after it.
    let filler = "x".repeat(10_000_000);
    let tail = "y".repeat(1_000_000);
    let text = format!(
        "pipeline: {{name: long, description: {filler}, steps: {{a: {{type: DatabricksStep, notebook_path: /n, bogus: 1, run_name: {tail}, name: n}}}}}}\n"
    );
    std::fs::write(d.join("long.yml"), text).unwrap();
    let r = quick(d, &["check", "long.yml"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stdout.len() < 20_000, "{} bytes of output", r.stdout.len());
    assert!(r.stdout.contains("unknown key `bogus`"), "{}", r.stdout);
    // The header gives the real column; the line is cut on both sides.
    assert!(r.stdout.contains("[long.yml:1:10000092]"), "{}", r.stdout);
    let shown = r.stdout.lines().find(|l| l.starts_with(" 1 │ ")).unwrap();
    assert!(
        shown.starts_with(" 1 │ …ype: DatabricksStep, notebook_path: /n, bogus: 1, run_name: yyy"),
        "{shown}"
    );
    assert!(shown.ends_with("yyy…") && shown.chars().count() < 140, "{shown}");
}
