//! End-to-end tests, with the real binary, of what keeps runs and their state sound when things
//! go wrong or someone means harm: cached outputs altered after they were stored, workspace
//! secrets, a run waiting for another's lock, a full disk, an emptied run store, I/O errors.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;

/// A project folder (a temporary one, or one on a file system made for the test).
struct Project {
    root: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        Project { root: dir.path().to_path_buf(), _dir: Some(dir) }
    }

    fn at(root: &Path) -> Project {
        Project { root: root.to_path_buf(), _dir: None }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sluice"));
        c.args(args)
            .current_dir(&self.root)
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .env_remove("SLUICE_WORKSPACE")
            .env_remove("SLUICE_PYTHON")
            .env_remove("SLUICE_PASS_ENV");
        c
    }

    fn sluice(&self, args: &[&str]) -> Output {
        run_with_timeout(self.command(args), Duration::from_secs(120))
    }

    fn sluice_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.command(args);
        c.envs(env.iter().copied());
        run_with_timeout(c, Duration::from_secs(120))
    }

    fn plan(&self, args: &[&str]) -> Value {
        let mut all = vec!["plan", "pipeline.yml", "--json"];
        all.extend_from_slice(args);
        let out = self.sluice(&all);
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
            let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
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

fn code(out: &Output, want: i32) {
    assert_eq!(out.status.code(), Some(want), "{}", text(out));
}

/// (reuse, reason) of a step in a plan.
fn verdict(plan: &Value, key: &str) -> (String, String) {
    let s = plan["steps"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap();
    (s["reuse"].as_str().unwrap().to_string(), s["reason"].as_str().unwrap().to_string())
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !done() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let t0 = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            panic!("sluice did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(pid: u32, sig: &str) {
    assert!(Command::new("kill").args([sig, &pid.to_string()]).status().unwrap().success());
}

// ---------------------------------------------------------------------------------------------
// Cached outputs altered after they were stored.

const TAMPER_PIPELINE: &str = "\
pipeline:
  name: tamper
  default_compute: local
  steps:
    a:
      type: PythonScriptStep
      script_name: a.py
      source_directory: src
      arguments: [--out, output:o]
      outputs: {o: {destination: o}}
    b:
      type: PythonScriptStep
      script_name: b.py
      source_directory: src
      arguments: [--inp, input:i, --out, output:r]
      inputs: {i: {source: o}}
      outputs: {r: {destination: r}}
";

const A: &str = "import os, sys\nopen(os.path.join(sys.argv[2], 'data.txt'), 'w').write('hello world\\n')\n";

/// Reads its input; as `TAMPER` says, replaces the input file by one of the same size
/// (`os.replace`) or adds a file to the input folder, as a careless step would.
const B: &str = r#"
import os, sys
inp, out = sys.argv[2], sys.argv[4]
data = open(os.path.join(inp, "data.txt")).read()
mode = os.environ.get("TAMPER", "")
try:
    if mode == "replace":
        tmp = os.path.join(inp, "data.tmp")
        open(tmp, "w").write(data.upper())
        os.replace(tmp, os.path.join(inp, "data.txt"))
        print("tampered")
    elif mode == "add":
        open(os.path.join(inp, "extra.txt"), "w").write("x")
        print("tampered")
except PermissionError as e:
    # Not root: the cached outputs are read-only to the step.
    print(f"refused: {e}")
    sys.exit(3)
open(os.path.join(out, "r.txt"), "w").write(data)
"#;

fn tamper_project() -> Project {
    let p = Project::new();
    p.write("pipeline.yml", TAMPER_PIPELINE);
    p.write("src/a.py", A);
    p.write("src/b.py", B);
    p
}

/// The cached output folder `o` of step `a`, as the plan says.
fn output_of_a(p: &Project) -> PathBuf {
    let plan = p.plan(&[]);
    let s = plan["steps"].as_array().unwrap().iter().find(|s| s["key"] == "a").unwrap();
    PathBuf::from(s["outputs"]["o"].as_str().unwrap())
}

/// Runs the pipeline with step `b` tampering with its input as `mode` says; asserts what
/// follows: `b` fails, and (where the tampering got through the read-only files, as root)
/// the next plan re-runs `a` naming the altered file, and the next run makes it again.
fn tamper_through_step(p: &Project, mode: &str, args: &[&str], run: i64, altered: &str) {
    let mut all = vec!["run", "pipeline.yml"];
    all.extend_from_slice(args);
    let out = p.sluice_env(&all, &[("TAMPER", mode), ("SLUICE_PASS_ENV", "TAMPER")]);
    code(&out, 1);
    let log = std::fs::read_to_string(p.path(&format!(".sluice/runs/{run}/b/stdout"))).unwrap();
    if log.contains("refused") {
        // The files were read-only to the step: nothing in the cache changed.
        assert_eq!(verdict(&p.plan(&[]), "a").0, "hit");
        return;
    }
    assert!(log.contains("tampered"), "{log}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("it wrote into its input `i` (the cached outputs of step `a`)")
            && stderr.contains(altered),
        "{}",
        text(&out)
    );
    let (reuse, reason) = verdict(&p.plan(&[]), "a");
    assert_eq!(reuse, "miss");
    assert_eq!(reason, format!("cached output `o` of run {run} was altered: {altered}"));
    let explain = p.sluice(&["plan", "pipeline.yml", "--explain"]);
    assert!(String::from_utf8_lossy(&explain.stdout).contains(&reason), "{}", text(&explain));
    // The next run makes the outputs again; then everything is reused.
    code(&p.sluice(&["run", "pipeline.yml"]), 0);
    assert_eq!(std::fs::read_to_string(output_of_a(p).join("data.txt")).unwrap(), "hello world\n");
    assert!(!output_of_a(p).join("extra.txt").exists());
    let plan = p.plan(&[]);
    assert_eq!(verdict(&plan, "a").0, "hit");
    assert_eq!(verdict(&plan, "b").0, "hit");
}

#[test]
fn a_step_that_writes_into_its_cached_input_fails_and_the_input_is_made_again() {
    if !support::require_python("a_step_that_writes_into_its_cached_input_fails_and_the_input_is_made_again")
    {
        return;
    }
    let p = tamper_project();
    // 1. Replaced by a file of the same size.
    tamper_through_step(&p, "replace", &[], 1, "file `data.txt` changed");
    // 2. A file added to it (every step runs again, so that `b` does).
    let runs = |p: &Project| std::fs::read_dir(p.path(".sluice/runs")).unwrap().count() as i64;
    let next = runs(&p) + 1;
    tamper_through_step(&p, "add", &["--regenerate-outputs"], next, "file `extra.txt` added");
}

#[cfg(unix)]
#[test]
fn cached_outputs_are_read_only_and_a_byte_flip_reruns_the_step_naming_the_file() {
    if !support::require_python(
        "cached_outputs_are_read_only_and_a_byte_flip_reruns_the_step_naming_the_file",
    ) {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let p = tamper_project();
    code(&p.sluice(&["run", "pipeline.yml"]), 0);
    let o = output_of_a(&p);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&o.join("data.txt")), 0o444);
    assert_eq!(mode(&o), 0o555);

    // A byte flip of the same size under .sluice/cache/<fp>/outputs/.
    let file = o.join("data.txt");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&file, "hello World\n").unwrap();
    let plan = p.plan(&[]);
    assert_eq!(
        verdict(&plan, "a"),
        ("miss".to_string(), "cached output `o` of run 1 was altered: file `data.txt` changed".to_string())
    );
    // What reads it keeps its own outputs: their fingerprint did not change.
    assert_eq!(verdict(&plan, "b").0, "hit");
    let out = p.sluice(&["run", "pipeline.yml"]);
    code(&out, 0);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a: running (cached output `o` of run 1 was altered")
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello world\n");
    assert!(p.plan(&[])["steps"].as_array().unwrap().iter().all(|s| s["reuse"] == "hit"));
}

// ---------------------------------------------------------------------------------------------
// Secrets.

const SECRET_WORKSPACE: &str = "\
name: ws
datastores:
  data: {type: local, path: ./data}
  lake: {type: azure_blob, account_name: acct, container_name: c, account_key: \"${env:MY_KEY}\"}
  files: {type: azure_blob, account_name: acct, container_name: d, sas_token: \"${env:MY_SAS}\"}
computes:
  cpu: {type: amlcompute}
";

const SECRET_PIPELINE: &str = "\
pipeline:
  name: leaky
  default_compute: cpu
  parameters:
    note: {type: string, default: none}
  data_references:
    notes: {datastore: data, path_on_datastore: notes.txt}
  steps:
    leak:
      type: PythonScriptStep
      script_name: leak.py
      source_directory: src
      arguments: [--notes, input:notes, --note, parameter:note]
      inputs: {notes: {source: notes}}
      parameters: {note: {source: note}}
";

/// Dumps its environment, echoes its arguments and a file holding the key, and fails.
const LEAK: &str = r#"
import os, sys
for k, v in sorted(os.environ.items()):
    print(f"{k}={v}", file=sys.stderr)
print("args:", sys.argv[1:], file=sys.stderr)
print("notes:", open(sys.argv[2]).read().strip(), file=sys.stderr)
sys.exit(1)
"#;

const KEY: &str = "k3y-VALUE-0123456789";
const SAS: &str = "sv=2024-01-01&sig=AbC%2Fd\"q";

#[test]
fn secrets_stay_out_of_step_environments_and_of_everything_shown_or_stored() {
    if !support::require_python("secrets_stay_out_of_step_environments_and_of_everything_shown_or_stored") {
        return;
    }
    let p = Project::new();
    p.write("workspace.yaml", SECRET_WORKSPACE);
    p.write("pipeline.yml", SECRET_PIPELINE);
    p.write("src/leak.py", LEAK);
    // The step gets the key another way (a file it reads): sluice still masks it.
    p.write("data/notes.txt", &format!("the key is {KEY}\n"));
    let env = [("MY_KEY", KEY), ("MY_SAS", SAS)];
    let leaks = |what: &str, s: &str| {
        for secret in [KEY, SAS, "AbC%2Fd\\\"q"] {
            if let Some(at) = s.find(secret) {
                let from = (0..=at.saturating_sub(200)).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                let around: String = s[from..].chars().take(400).collect();
                panic!("{what} shows a secret: ...{around}...");
            }
        }
    };

    let out = p.sluice_env(&["run", "pipeline.yml", "-p", &format!("note={SAS}")], &env);
    code(&out, 1);
    let shown = text(&out);
    leaks("sluice run", &shown);
    assert!(shown.contains("notes: the key is ***"), "{shown}");
    // The step's environment has the allow-listed variables, not the secrets.
    let stderr = std::fs::read_to_string(p.path(".sluice/runs/1/leak/stderr")).unwrap();
    assert!(stderr.lines().any(|l| l.starts_with("PATH=")), "{stderr}");
    assert!(stderr.lines().any(|l| l.starts_with("SLUICE_STEP=leak")), "{stderr}");
    for name in ["MY_KEY=", "MY_SAS="] {
        assert!(!stderr.lines().any(|l| l.starts_with(name)), "{name} reached the step:\n{stderr}");
    }

    // Nothing shown later or kept in the run store shows them either.
    for args in [
        vec!["runs", "show", "1", "--json"],
        vec!["runs", "show", "1"],
        vec!["runs", "logs", "1"],
        vec!["runs", "list", "--json"],
    ] {
        let out = p.sluice_env(&args, &env);
        code(&out, 0);
        leaks(&args.join(" "), &text(&out));
    }
    let logs = p.sluice_env(&["runs", "logs", "1", "leak"], &env);
    assert!(String::from_utf8_lossy(&logs.stdout).contains("notes: the key is ***"), "{}", text(&logs));
    for db in ["runs.db", "runs.db-wal"] {
        if let Ok(bytes) = std::fs::read(p.path(&format!(".sluice/{db}"))) {
            leaks(db, &String::from_utf8_lossy(&bytes));
        }
    }
    for args in [vec!["plan", "pipeline.yml", "--json"], vec!["plan", "pipeline.yml", "--explain"]] {
        let mut all = args.clone();
        let note = format!("note={SAS}");
        all.extend(["-p", note.as_str()]);
        let out = p.sluice_env(&all, &env);
        code(&out, 0);
        leaks(&all.join(" "), &text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("***"), "{}", text(&out));
    }

    // A step that needs a variable is given it by name (and its value is still masked).
    let out = p.sluice_env(&["run", "pipeline.yml"], &[("MY_KEY", KEY), ("SLUICE_PASS_ENV", "MY_KEY")]);
    code(&out, 1);
    leaks("sluice run", &text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MY_KEY=***"), "{}", text(&out));
}

// ---------------------------------------------------------------------------------------------
// A run waiting for the state folder's lock.

const HOLD_PIPELINE: &str = "\
pipeline:
  name: hold
  default_compute: local
  steps:
    s:
      type: PythonScriptStep
      script_name: hold.py
      source_directory: src
      arguments: [--hold, HOLD]
";

const HOLD: &str = r#"
import os, sys, time
print("holding", flush=True)
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
"#;

#[test]
fn a_run_waiting_for_the_lock_says_who_holds_it_and_can_be_canceled() {
    if !support::require_python("a_run_waiting_for_the_lock_says_who_holds_it_and_can_be_canceled") {
        return;
    }
    let p = Project::new();
    let hold = p.path("hold-file");
    p.write("pipeline.yml", &HOLD_PIPELINE.replace("HOLD", &hold.display().to_string()));
    p.write("src/hold.py", HOLD);
    std::fs::write(&hold, "").unwrap();
    let mut first = p.command(&["run", "pipeline.yml"]);
    first.stdout(Stdio::null()).stderr(Stdio::null());
    let mut first = first.spawn().unwrap();
    let log = p.path(".sluice/runs/1/s/stdout");
    wait_for("the held step", Duration::from_secs(60), || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("holding"))
    });
    let holder = format!("`sluice run pipeline.yml` (pid {}, holding the lock since", first.id());

    // Ctrl-C or SIGTERM while waiting ends the wait: exit 130, nothing started.
    for sig in ["-INT", "-TERM"] {
        let err = p.path(&format!("waiting{sig}.txt"));
        let mut c = p.command(&["run", "pipeline.yml"]);
        c.stdout(Stdio::null()).stderr(std::fs::File::create(&err).unwrap());
        let mut waiting = c.spawn().unwrap();
        wait_for("the waiting message", Duration::from_secs(60), || {
            std::fs::read_to_string(&err).is_ok_and(|t| t.contains("waiting for"))
        });
        signal(waiting.id(), sig);
        assert_eq!(wait_exit(&mut waiting, Duration::from_secs(10)), Some(130), "{sig}");
        let said = std::fs::read_to_string(&err).unwrap();
        assert!(said.contains(&holder) && said.contains("Ctrl-C to stop waiting"), "{said}");
        assert_eq!(said.lines().filter(|l| l.starts_with("waiting for")).count(), 1, "{said}");
        assert!(said.contains("canceled while waiting for the state folder's lock"), "{said}");
    }

    // --no-wait fails at once, naming the holder.
    let t0 = Instant::now();
    let out = p.sluice(&["run", "pipeline.yml", "--no-wait"]);
    code(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&holder) && stderr.contains("not waiting for it (--no-wait)"), "{stderr}");
    assert!(t0.elapsed() < Duration::from_secs(20));

    // --wait-timeout gives up after that long.
    let t0 = Instant::now();
    let out = p.sluice(&["run", "pipeline.yml", "--wait-timeout", "1"]);
    code(&out, 2);
    assert!(t0.elapsed() >= Duration::from_secs(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gave up after waiting"), "{}", text(&out));

    std::fs::remove_file(&hold).unwrap();
    assert_eq!(wait_exit(&mut first, Duration::from_secs(60)), Some(0));
    // Only the first run ever started.
    let out = p.sluice(&["runs", "list", "--json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["runs"].as_array().unwrap().len(), 1, "{list}");
}

// ---------------------------------------------------------------------------------------------
// A full disk.

/// A tmpfs of `size` mounted on a new folder, unmounted when dropped; `None` (after the
/// standard skip line) where mounting is not allowed. A full file system cannot be had
/// without it, and CI is not known to allow it, so the test is skipped there too.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(test: &str, size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(SmallDisk { dir }),
            // Never a failure, under SLUICE_CI too: CI is not known to allow mounting.
            Ok(o) => {
                let why = format!(
                    "cannot mount a {size} tmpfs here ({})",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                support::external::absent(test, &why, false);
                None
            }
            Err(e) => {
                support::external::absent(test, &format!("cannot run mount ({e})"), false);
                None
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

const BIG_PIPELINE: &str = "\
pipeline:
  name: big
  default_compute: local
  parameters:
    kib: {type: int, default: 8}
  steps:
    big:
      type: PythonScriptStep
      script_name: big.py
      source_directory: src
      arguments: [--out, output:o, --kib, parameter:kib]
      parameters: {kib: {source: kib}}
      outputs: {o: {destination: o}}
";

const BIG: &str = r#"
import os, sys
with open(os.path.join(sys.argv[2], "big.bin"), "wb") as f:
    for _ in range(int(sys.argv[4])):
        f.write(b"x" * 1024)
print("written")
"#;

#[test]
fn a_full_disk_fails_the_run_with_the_reason_and_the_next_run_recovers() {
    if !support::require_python("a_full_disk_fails_the_run_with_the_reason_and_the_next_run_recovers") {
        return;
    }
    let test = "a_full_disk_fails_the_run_with_the_reason_and_the_next_run_recovers";
    let Some(disk) = SmallDisk::mount(test, "1m") else { return };
    let p = Project::at(disk.dir.path());
    p.write("pipeline.yml", BIG_PIPELINE);
    p.write("src/big.py", BIG);

    // A step that fills the disk: the run is failed (not left running), with the reason.
    let out = p.sluice(&["run", "pipeline.yml", "-p", "kib=4000"]);
    code(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("filled up") && stderr.contains("the step had written"), "{stderr}");
    assert!(!stderr.contains("wrote nothing to stdout or stderr"), "{stderr}");
    let show: Value = serde_json::from_slice(&p.sluice(&["runs", "show", "1", "--json"]).stdout).unwrap();
    assert_eq!(show["run"]["status"], "failed", "{show}");
    assert!(show["run"]["message"].as_str().unwrap().contains("filled up"), "{show}");
    // Its partial output did not stay.
    assert_eq!(std::fs::read_dir(p.path(".sluice/tmp")).unwrap().count(), 0);

    // A smaller one fits.
    code(&p.sluice(&["run", "pipeline.yml"]), 0);

    // A cache entry cut short by a full disk (outputs moved in, marker not written) and the
    // disk full to the last byte: the next run removes the entry before it writes anything.
    let partial = p.path(".sluice/cache/0123abcd/outputs/o");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(p.path(".sluice/cache/0123abcd/COMPLETE.tmp"), "").unwrap();
    {
        use std::io::Write;
        let mut f = std::fs::File::create(partial.join("big.bin")).unwrap();
        let block = vec![b'x'; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.write_all(b"x");
    }
    let out = p.sluice(&["run", "pipeline.yml", "-p", "kib=16"]);
    code(&out, 0);
    assert!(!p.path(".sluice/cache/0123abcd").exists());
    assert_eq!(verdict(&p.plan(&["-p", "kib=16"]), "big").0, "hit");
}

// ---------------------------------------------------------------------------------------------
// Run ids, I/O errors.

#[test]
fn an_emptied_run_store_never_gives_an_old_run_id_again() {
    if !support::require_python("an_emptied_run_store_never_gives_an_old_run_id_again") {
        return;
    }
    let p = tamper_project();
    code(&p.sluice(&["run", "pipeline.yml"]), 0);
    code(&p.sluice(&["run", "pipeline.yml"]), 0);
    let first_logs = std::fs::read(p.path(".sluice/runs/1/a/stdout")).unwrap();
    // A 0-byte run store (a disk that filled, a careless `> runs.db`).
    std::fs::write(p.path(".sluice/runs.db"), "").unwrap();
    for f in ["runs.db-wal", "runs.db-shm"] {
        let _ = std::fs::remove_file(p.path(&format!(".sluice/{f}")));
    }
    let out = p.sluice(&["run", "pipeline.yml"]);
    code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("run 3 completed"), "{}", text(&out));
    let list: Value = serde_json::from_slice(&p.sluice(&["runs", "list", "--json"]).stdout).unwrap();
    let ids: Vec<i64> = list["runs"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [3]);
    assert_eq!(std::fs::read(p.path(".sluice/runs/1/a/stdout")).unwrap(), first_logs);
}

#[test]
fn an_io_error_says_each_cause_once() {
    let p = tamper_project();
    // The state folder's place is taken by a file.
    p.write(".sluice", "not a folder");
    let out = p.sluice(&["run", "pipeline.yml"]);
    code(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(".sluice`: "), "{stderr}");
    assert_eq!(stderr.matches("(os error").count(), 1, "{stderr}");
}
