//! Hostile parameter values given with `sluice run -p` (and `--parameter-file`) reach a step as
//! exactly one argument, byte for byte, in v1 script steps (an argv, no shell) and in v2
//! commands (`bash -c`, wherever the placeholder stands: bare, in double or single quotes,
//! joined to a flag, in an optional `$[[...]]`), and in the step's environment; no value ever
//! runs a command. Project folders whose names hold spaces, quotes and `$(...)` run too.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Writes its arguments (all but the last, the output folder) and two environment variables
/// next to its context file, as bytes separated by NUL.
const ARGV_PY: &str = r#"
import os, sys
here = os.path.dirname(os.environ["SLUICE_CONTEXT"])
with open(os.path.join(here, "argv"), "wb") as f:
    f.write(b"\0".join(os.fsencode(a) for a in sys.argv[1:-1]))
with open(os.path.join(here, "env"), "wb") as f:
    f.write(os.environb.get(b"MSG", b"<unset>") + b"\0" + os.environb.get(b"SLUICE_INPUT_msg", b"<unset>"))
assert os.path.isdir(sys.argv[-1]), sys.argv[-1]
"#;

/// v2 jobs, each using `${{inputs.msg}}` in another place, and the argv each must see.
const V2_JOBS: &[(&str, &str, &str)] = &[
    ("bare", "python3 argv.py ${{inputs.msg}} ${{outputs.out}}", ""),
    ("double", "python3 argv.py \"${{inputs.msg}}\" \"${{outputs.out}}\"", ""),
    ("single", "python3 argv.py '${{inputs.msg}}' '${{outputs.out}}'", ""),
    ("joined", "python3 argv.py --msg=${{inputs.msg}} ${{outputs.out}}", "--msg="),
    ("optional", "python3 argv.py $[[--m ${{inputs.msg}}]] ${{outputs.out}}", "--m\0"),
];

fn v2_pipeline() -> String {
    let mut s =
        String::from("type: pipeline\nsettings: {default_compute: local}\ninputs:\n  msg: plain\njobs:\n");
    for (key, command, _) in V2_JOBS {
        s.push_str(&format!(
            "  {key}:\n    type: command\n    code: ./src\n    environment: {{image: python:3.12}}\n    inputs:\n      msg: ${{{{parent.inputs.msg}}}}\n    outputs:\n      out: {{type: uri_folder}}\n    environment_variables:\n      MSG: ${{{{inputs.msg}}}}\n    command: {}\n",
            yaml_string(command)
        ));
    }
    s
}

const V1_PIPELINE: &str = "\
pipeline:
  name: hostile
  default_compute: local
  parameters:
    msg: {type: string, default: plain}
  steps:
    echo:
      type: PythonScriptStep
      script_name: argv.py
      source_directory: src
      arguments: [parameter:msg, output:out]
      parameters: {msg: {source: msg}}
      outputs: {out: {destination: out_data}}
";

/// A YAML double-quoted string.
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn sluice(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .env_remove("SLUICE_WORKSPACE")
        .env_remove("SLUICE_PYTHON")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A project with `pipeline.yml` and `src/argv.py`.
fn project(pipeline: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("src")).unwrap();
    std::fs::write(d.path().join("src/argv.py"), ARGV_PY).unwrap();
    std::fs::write(d.path().join("pipeline.yml"), pipeline).unwrap();
    d
}

fn hostile_values(marker: &Path) -> Vec<(String, String)> {
    let m = marker.display();
    let mut long = String::new();
    let mut i = 0;
    while long.len() < 100_000 {
        // One quote of each kind now and then, and a command substitution.
        long.push_str(&format!("word{i} \"dq\" $(touch {m}) `touch {m}` ; | & < > * ? [ ] {{ }} ~ # "));
        if i % 8 == 0 {
            long.push_str("it's ");
        }
        i += 1;
    }
    [
        ("semicolon", format!("; touch {m}")),
        ("command substitution", format!("$(touch {m})")),
        ("backquotes", format!("`touch {m}`")),
        ("single quote", "a'b".to_string()),
        ("double quote", "a\"b".to_string()),
        ("newline", format!("line1\nline2; touch {m}")),
        ("leading dash", "-x".to_string()),
        ("an option of python", "--help".to_string()),
        ("closing single quotes", format!("' ; touch {m} ; '")),
        ("closing double quotes", format!("\" ; touch {m} ; \"")),
        ("expansions", "$HOME ~ * {a,b} \\ #x ${PATH}".to_string()),
        ("empty", String::new()),
        ("spaces", "  spaced  out  ".to_string()),
        ("unicode", "é 漢字 ✓".to_string()),
        ("100 KB", long),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn read(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs the project with the value (as `-p` or from a file) and checks what each step saw.
fn check_value(dir: &Path, run: usize, label: &str, value: &str, from_file: bool, v2: bool) {
    let arg;
    let args: Vec<&str> = if from_file {
        std::fs::write(dir.join("value.txt"), value).unwrap();
        vec!["run", "pipeline.yml", "--regenerate-outputs", "-j", "2", "--parameter-file", "msg=value.txt"]
    } else {
        arg = format!("msg={value}");
        vec!["run", "pipeline.yml", "--regenerate-outputs", "-j", "2", "-p", &arg]
    };
    let out = sluice(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{label}: {}", text(&out));
    let steps: Vec<(&str, &str)> =
        if v2 { V2_JOBS.iter().map(|(k, _, prefix)| (*k, *prefix)).collect() } else { vec![("echo", "")] };
    for (step, prefix) in steps {
        let step_dir = dir.join(".sluice/runs").join(run.to_string()).join(step);
        let want = format!("{prefix}{value}");
        assert_eq!(
            String::from_utf8_lossy(&read(step_dir.join("argv"))),
            want,
            "{label}: step `{step}` did not get the value as one argument"
        );
        // MSG (v2 `environment_variables`) and SLUICE_INPUT_msg hold the value as it is.
        let msg = if v2 { value } else { "<unset>" };
        assert_eq!(
            String::from_utf8_lossy(&read(step_dir.join("env"))),
            format!("{msg}\0{value}"),
            "{label}: environment of `{step}`"
        );
    }
}

fn hostile_values_reach_steps_as_one_argument(pipeline: &str, v2: bool, test: &str) {
    if !support::require_python(test) {
        return;
    }
    let d = project(pipeline);
    let marker = d.path().join("MARK");
    let mut run = 0;
    for (label, value) in hostile_values(&marker) {
        run += 1;
        check_value(d.path(), run, &label, &value, false, v2);
        assert!(!marker.exists(), "{label}: the value ran a command");
    }
    for (label, value) in
        [("file with line breaks", "a\nb\n".to_string()), ("file of 100 KB", "x'y\"z ".repeat(15_000))]
    {
        run += 1;
        check_value(d.path(), run, label, &value, true, v2);
    }
    assert!(!marker.exists(), "a value ran a command");
}

#[test]
fn hostile_values_reach_v2_commands_as_one_argument() {
    hostile_values_reach_steps_as_one_argument(
        &v2_pipeline(),
        true,
        "hostile_values_reach_v2_commands_as_one_argument",
    );
}

#[test]
fn hostile_values_reach_v1_scripts_as_one_argument() {
    hostile_values_reach_steps_as_one_argument(
        V1_PIPELINE,
        false,
        "hostile_values_reach_v1_scripts_as_one_argument",
    );
}

/// Bytes that are not UTF-8, or a NUL, cannot be a parameter value: refused before anything
/// runs, naming the parameter (exit 2 for a bad `--parameter-file`, 1 for a pipeline file
/// whose default holds a NUL).
#[test]
fn values_no_program_can_take_are_refused_naming_the_parameter() {
    let d = project(V1_PIPELINE);
    std::fs::write(d.path().join("bad.txt"), b"ok\xff\xfe").unwrap();
    let out = sluice(d.path(), &["run", "pipeline.yml", "--parameter-file", "msg=bad.txt"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("msg=bad.txt") && err.contains("not UTF-8") && err.contains("byte 2"), "{err}");
    std::fs::write(d.path().join("nul.txt"), b"a\0b").unwrap();
    let out = sluice(d.path(), &["run", "pipeline.yml", "--parameter-file", "msg=nul.txt"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NUL byte (at byte 1)"), "{}", text(&out));
    assert!(!d.path().join(".sluice").exists(), "nothing may start");

    // A NUL written in the pipeline file itself.
    for (pipeline, name) in [
        (V1_PIPELINE.replace("default: plain", "default: \"a\\0b\""), "pipeline parameter `msg`"),
        (v2_pipeline().replace("msg: plain", "msg: \"a\\0b\""), "pipeline parameter `msg`"),
    ] {
        std::fs::write(d.path().join("pipeline.yml"), pipeline).unwrap();
        for cmd in ["plan", "run"] {
            let out = sluice(d.path(), &[cmd, "pipeline.yml"]);
            assert_eq!(out.status.code(), Some(1), "{}", text(&out));
            let all = text(&out);
            assert!(all.contains(name) && all.contains("NUL byte"), "{cmd}: {all}");
        }
    }
}

/// Copies `from` into `to`, leaving out state folders.
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

/// Every file under `dir` whose name ends with `suffix`.
fn find(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out
}

/// The examples run from a folder whose name holds a space, quotes and a command substitution
/// (the substitution would leave a `.mark` file beside the step's context if it ran).
#[test]
fn the_examples_run_from_a_folder_named_with_shell_syntax() {
    if !support::require_python("the_examples_run_from_a_folder_named_with_shell_syntax") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = tempfile::tempdir().unwrap();
    for example in ["v2-train-compare", "compare-models"] {
        let dir = d.path().join(format!("my {example} it's \"$(touch \"$SLUICE_CONTEXT.mark\")\" `id`"));
        copy_tree(&root.join("examples").join(example), &dir);
        let out = sluice(&dir, &["run", "pipeline.yml"]);
        assert_eq!(out.status.code(), Some(0), "{example}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains(" ran, 0 reused"), "{example}: {}", text(&out));
        let again = sluice(&dir, &["run", "pipeline.yml"]);
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("nothing to do"),
            "{example}: {}",
            text(&again)
        );
        assert_eq!(find(&dir, ".mark"), Vec::<PathBuf>::new(), "{example}: the folder name ran a command");
    }
}
