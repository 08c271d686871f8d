//! End-to-end tests of the `sluice` binary: output formats, exit codes, `graph`, and how the
//! workspace file is found.

#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{Kind, fixtures_dir, root, run, sluice, sluice_run};

fn invalid() -> std::path::PathBuf {
    fixtures_dir(Kind::Invalid)
}

fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

// ---------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn the_examples_check_clean() {
    let r = sluice_run(&root(), &["check", "examples"]);
    r.assert_no_panic("check examples");
    assert_eq!(r.code, Some(0), "{}", r.all_output());
    // The AdlaStep of databricks-transfer is on a retired service: a warning, not an error.
    assert!(r.stdout.contains("retired-service"), "{}", r.stdout);
    assert!(r.stdout.ends_with("0 errors, 1 warning\n"), "{}", r.stdout);
}

#[test]
fn exit_0_when_only_warnings() {
    let r = sluice_run(&root(), &["check", "examples/databricks-transfer/pipeline.yml", "--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.all_output());
    assert_eq!(json_of(&r.stdout)["summary"], serde_json::json!({"errors": 0, "warnings": 1}));
}

#[test]
fn exit_1_for_errors_in_every_format() {
    for format in ["human", "json", "sarif", "github"] {
        let r = sluice_run(&invalid(), &["check", "cycle-two-steps.yml", "--format", format]);
        r.assert_no_panic(format);
        assert_eq!(r.code, Some(1), "--format {format}: {}", r.all_output());
        assert!(r.stderr.is_empty(), "--format {format} writes diagnostics to stdout only: {}", r.stderr);
    }
}

#[test]
fn exit_2_for_a_path_that_does_not_exist() {
    let r = sluice_run(&root(), &["check", "no/such/pipeline.yml"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(r.stderr.contains("cannot read `no/such/pipeline.yml`"), "{}", r.stderr);
    assert!(r.stderr.matches("No such file").count() == 1, "the cause is said once: {}", r.stderr);
    let r = sluice_run(&root(), &["graph", "no/such/pipeline.yml"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
}

#[test]
fn exit_2_for_a_file_that_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    // A path through a regular file cannot be opened, whoever runs the test.
    std::fs::write(dir.path().join("file.yml"), "pipeline: {}\n").unwrap();
    let r = sluice_run(dir.path(), &["check", "file.yml/pipeline.yml"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    // A folder where `graph` wants a file.
    std::fs::create_dir(dir.path().join("folder.yml")).unwrap();
    let r = sluice_run(dir.path(), &["graph", "folder.yml"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(r.stderr.contains("is a folder"), "{}", r.stderr);
    // A file without read permission (root reads it anyway, so only when that is refused).
    let locked = dir.path().join("locked.yml");
    std::fs::write(&locked, "pipeline: {}\n").unwrap();
    set_mode(&locked, 0o000);
    if std::fs::read(&locked).is_err() {
        let r = sluice_run(dir.path(), &["check", "locked.yml"]);
        assert_eq!(r.code, Some(2), "{}", r.all_output());
        assert!(r.stderr.contains("cannot read `locked.yml`"), "{}", r.stderr);
    }
    set_mode(&locked, 0o644);
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

#[test]
fn exit_2_for_usage_errors() {
    for args in [
        vec!["check", "--bogus"],
        vec!["check", "--format", "xml", "examples"],
        vec!["check", "--color", "sometimes", "examples"],
        vec!["frobnicate"],
        vec!["graph"],
        vec!["graph", "examples/compare-models/pipeline.yml", "--format", "png"],
    ] {
        let r = sluice_run(&root(), &args);
        r.assert_no_panic(&args.join(" "));
        assert_eq!(r.code, Some(2), "sluice {}: {}", args.join(" "), r.all_output());
    }
}

#[test]
fn exit_2_for_a_workspace_file_that_does_not_exist() {
    let r = sluice_run(&root(), &["check", "examples", "--workspace", "no-such-workspace.yaml"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(r.stderr.contains("no-such-workspace.yaml"), "{}", r.stderr);
    let r =
        run(sluice(&root()).args(["check", "examples"]).env("SLUICE_WORKSPACE", "no-such-workspace.yaml"));
    assert_eq!(r.code, Some(2), "{}", r.all_output());
}

// ---------------------------------------------------------------------------------------------
// Output formats

#[test]
fn json_output_is_versioned_and_complete() {
    let dir = invalid();
    let r = sluice_run(
        &dir,
        &["check", "duplicate-step-key.yml", "non-ascii-before-compute/pipeline.yml", "--format", "json"],
    );
    assert_eq!(r.code, Some(1));
    let v = json_of(&r.stdout);
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"], serde_json::json!({"errors": 2, "warnings": 0}));
    let ds = v["diagnostics"].as_array().unwrap();
    assert_eq!(ds.len(), 2);
    for d in ds {
        for key in [
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "span",
            "code",
            "severity",
            "message",
            "help",
            "labels",
        ] {
            assert!(d.get(key).is_some(), "diagnostic lacks `{key}`: {d}");
        }
        assert_eq!(d["severity"], "error");
        assert!(d["help"].is_string(), "{d}");
        // The byte span covers exactly the token the line and column name.
        let text = std::fs::read(dir.join(d["file"].as_str().unwrap())).unwrap();
        let (start, end) =
            (d["span"]["start"].as_u64().unwrap() as usize, d["span"]["end"].as_u64().unwrap() as usize);
        let token = String::from_utf8_lossy(&text[start..end]).into_owned();
        let line = String::from_utf8_lossy(&text)
            .lines()
            .nth(d["line"].as_u64().unwrap() as usize - 1)
            .unwrap()
            .to_string();
        let column = d["column"].as_u64().unwrap() as usize;
        let from_column: String = line.chars().skip(column - 1).take(token.chars().count()).collect();
        assert_eq!(from_column, token, "line/column and byte span disagree: {d}");
    }
    let dup = &ds[0];
    assert_eq!(dup["code"], "duplicate-key");
    assert_eq!((dup["line"].as_u64(), dup["column"].as_u64()), (Some(16), Some(5)));
    // The other place is a label.
    let label = &dup["labels"][0];
    assert_eq!((label["line"].as_u64(), label["column"].as_u64()), (Some(6), Some(5)));
    assert_eq!(label["message"], "first given here");
    let compute = &ds[1];
    assert_eq!(compute["code"], "unknown-compute");
    assert_eq!(compute["file"], "non-ascii-before-compute/pipeline.yml");
    assert_eq!(compute["help"], "did you mean `spark`?");
}

#[test]
fn github_output_is_one_workflow_command_per_diagnostic() {
    let r = sluice_run(
        &invalid(),
        &[
            "check",
            "non-ascii-before-compute/pipeline.yml",
            "compute-kind-none-fits/pipeline.yml",
            "--format",
            "github",
        ],
    );
    assert_eq!(r.code, Some(1));
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            // Column 115 counts characters: `é`, `準備` and `🚀` come before the name on that line.
            "::error file=non-ascii-before-compute/pipeline.yml,line=6,col=115::unknown compute `spörk` [unknown-compute] help: did you mean `spark`?",
            "::warning file=compute-kind-none-fits/pipeline.yml,line=6,col=5::step `aggregate` uses Azure Data Lake Analytics, retired on 2024-02-29 [retired-service] help: port the U-SQL script to Spark (a DatabricksStep or a v2 spark job)",
            "::error file=compute-kind-none-fits/pipeline.yml,line=8,col=16::adla step `aggregate` cannot run on `cpu-cluster`, an amlcompute compute; it needs adla [compute-kind-mismatch] help: declare an adla compute in the workspace file",
        ]
    );
    for line in lines {
        let (head, message) = line.split_once("::").map(|(_, rest)| rest.split_once("::").unwrap()).unwrap();
        assert!(head.starts_with("error file=") || head.starts_with("warning file="), "{line}");
        assert!(!message.contains('\n') && !message.contains('\r'), "{line}");
    }
}

#[test]
fn github_output_escapes_what_would_break_a_command() {
    let dir = tempfile::tempdir().unwrap();
    // A comma and a colon in the path, a percent sign in the message.
    let path = dir.path().join("a,b:c.yml");
    std::fs::write(
        &path,
        "pipeline:\n  default_compute: spark\n  steps:\n    x: {type: DatabricksStep, name: x, num_workers: 1, notebook_path: /n, run_after: ['50%']}\n",
    )
    .unwrap();
    let r = sluice_run(dir.path(), &["check", "a,b:c.yml", "--format", "github"]);
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert_eq!(
        r.stdout,
        "::error file=a%2Cb%3Ac.yml,line=4,col=87::`run_after` names unknown step `50%25` [unknown-step]\n"
    );
}

/// The official SARIF 2.1.0 schema (see tests/data/README.md for where it comes from).
fn sarif_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let validator = sarif_validator();
    let cases: [(&Path, &[&str]); 3] = [
        // Secondary locations (a cycle, a duplicate), non-ASCII columns, a workspace file,
        // a concealed secret, a warning, a syntax error.
        (
            &invalid(),
            &[
                "cycle-three-steps.yml",
                "duplicate-datastore.yml",
                "non-ascii-before-compute/pipeline.yml",
                "literal-secret-account-key.yml",
                "compute-kind-none-fits/pipeline.yml",
                "tab-indentation.yml",
                "not-utf8.yml",
                "yaml-bomb-billion-laughs.yml",
            ],
        ),
        (&root(), &["examples"]),
        (&root(), &["examples/compare-models/pipeline.yml"]),
    ];
    for (cwd, paths) in cases {
        for path in paths {
            let r = sluice_run(cwd, &["check", path, "--format", "sarif"]);
            r.assert_no_panic(path);
            let sarif = json_of(&r.stdout);
            let errors: Vec<String> =
                validator.iter_errors(&sarif).map(|e| format!("{e} at {}", e.instance_path())).collect();
            assert!(errors.is_empty(), "{path}: SARIF does not validate:\n{}", errors.join("\n"));
            assert_eq!(sarif["version"], "2.1.0");
            let results = sarif["runs"][0]["results"].as_array().unwrap();
            let diagnostics =
                json_of(&sluice_run(cwd, &["check", path, "--format", "json"]).stdout)["diagnostics"]
                    .as_array()
                    .unwrap()
                    .len();
            assert_eq!(results.len(), diagnostics, "{path}: one result per diagnostic");
        }
    }
}

#[test]
fn the_sarif_schema_is_really_checked() {
    // A log the schema must refuse, so the test above cannot pass by accident.
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": []}]});
    assert!(!sarif_validator().is_valid(&bad));
}

#[test]
fn sarif_results_carry_rule_and_place() {
    let r = sluice_run(&invalid(), &["check", "cycle-two-steps.yml", "--format", "sarif"]);
    let v = json_of(&r.stdout);
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "cycle");
    assert_eq!(rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"], "cycle");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(12), Some(32)));
    assert_eq!(result["relatedLocations"].as_array().unwrap().len(), 1, "the rest of the cycle");
    // Every rule sluice has is described.
    let codes: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let all: Vec<&str> = sluice_compiler::check::all_rules().iter().map(|r| r.code).collect();
    assert_eq!(codes, all);
}

#[test]
fn human_output_colours_only_when_asked() {
    let dir = invalid();
    let plain = sluice_run(&dir, &["check", "cycle-self.yml", "--color", "never"]);
    assert!(!plain.stdout.contains('\u{1b}'), "{}", plain.stdout);
    let auto = sluice_run(&dir, &["check", "cycle-self.yml"]);
    assert!(!auto.stdout.contains('\u{1b}'), "not a terminal: no colour");
    let coloured = sluice_run(&dir, &["check", "cycle-self.yml", "--color", "always"]);
    assert!(coloured.stdout.contains('\u{1b}'), "{}", coloured.stdout);
}

// ---------------------------------------------------------------------------------------------
// sluice graph

#[test]
fn graph_of_the_examples() {
    for (example, format) in [
        ("compare-models", "dot"),
        ("compare-models", "mermaid"),
        ("databricks-transfer", "dot"),
        ("databricks-transfer", "mermaid"),
    ] {
        let path = format!("examples/{example}/pipeline.yml");
        let r = sluice_run(&root(), &["graph", &path, "--format", format]);
        r.assert_no_panic(&path);
        assert_eq!(r.code, Some(0), "{}", r.all_output());
        insta::assert_snapshot!(format!("graph-{example}-{format}"), r.stdout);
    }
}

#[test]
fn graph_of_a_pipeline_with_errors_prints_diagnostics_and_exits_1() {
    let r = sluice_run(&invalid(), &["graph", "cycle-three-steps.yml"]);
    r.assert_no_panic("graph");
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert!(r.stdout.is_empty(), "no graph is printed: {}", r.stdout);
    assert!(r.stderr.contains("steps form a cycle: a -> b -> c -> a"), "{}", r.stderr);
    // A workspace file is not a pipeline.
    let r = sluice_run(&invalid(), &["graph", "typo-compute/workspace.yaml"]);
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert!(r.stderr.contains("unknown-format"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// Workspace discovery: --workspace, then SLUICE_WORKSPACE, then upward from the pipeline, else
// the built-in local workspace with no strict names.

/// A project: `workspace.yaml` at the top declaring compute `spark`, `other.yaml` declaring only
/// `batch`, and `team/pipelines/pipeline.yml` running a notebook on `spark`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("workspace.yaml"),
        "computes:\n  spark: {type: databricks, workspace_url: https://adb-1.azuredatabricks.net, access_token: '${env:T}'}\n",
    )
    .unwrap();
    std::fs::write(p.join("other.yaml"), "computes:\n  batch: {type: azurebatch, account_name: b}\n")
        .unwrap();
    std::fs::create_dir_all(p.join("team/pipelines")).unwrap();
    std::fs::write(
        p.join("team/pipelines/pipeline.yml"),
        "pipeline:\n  name: nb\n  steps:\n    nb: {type: DatabricksStep, name: nb, compute: spark, notebook_path: /Shared/nb, num_workers: 1}\n",
    )
    .unwrap();
    dir
}

fn codes(stdout: &str) -> Vec<String> {
    json_of(stdout)["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn workspace_found_upward_from_the_pipeline() {
    let dir = project();
    let r = sluice_run(dir.path(), &["check", "team/pipelines/pipeline.yml", "--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.all_output());
    // Names are strict against the found file: a compute it lacks is an error.
    let p = dir.path().join("team/pipelines/pipeline.yml");
    std::fs::write(&p, std::fs::read_to_string(&p).unwrap().replace("compute: spark", "compute: sprak"))
        .unwrap();
    let r = sluice_run(dir.path(), &["check", "team/pipelines/pipeline.yml", "--format", "json"]);
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert_eq!(codes(&r.stdout), ["unknown-compute"]);
    // Run from the pipeline's own folder, the workspace file above is shown relative... or whole.
    let r = sluice_run(&dir.path().join("team/pipelines"), &["check", "pipeline.yml", "--format", "github"]);
    assert!(r.stdout.starts_with("::error file=pipeline.yml,line=4,col="), "{}", r.stdout);
}

#[test]
fn workspace_from_the_environment_beats_the_one_upward() {
    let dir = project();
    let r = run(sluice(dir.path())
        .args(["check", "team/pipelines/pipeline.yml", "--format", "json"])
        .env("SLUICE_WORKSPACE", "other.yaml"));
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert_eq!(codes(&r.stdout), ["unknown-compute"], "`spark` is not in other.yaml");
}

#[test]
fn workspace_flag_beats_the_environment() {
    let dir = project();
    let r = run(sluice(dir.path())
        .args(["check", "team/pipelines/pipeline.yml", "--format", "json", "--workspace", "workspace.yaml"])
        .env("SLUICE_WORKSPACE", "other.yaml"));
    assert_eq!(r.code, Some(0), "{}", r.all_output());
    let r = sluice_run(
        dir.path(),
        &["check", "team/pipelines/pipeline.yml", "--format", "json", "--workspace", "other.yaml"],
    );
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert_eq!(codes(&r.stdout), ["unknown-compute"]);
    let help = &json_of(&r.stdout)["diagnostics"][0]["help"];
    assert_eq!(help, "declare it under `computes` in `other.yaml`");
}

#[test]
fn no_workspace_means_the_built_in_one_without_strict_names() {
    let dir = project();
    std::fs::remove_file(dir.path().join("workspace.yaml")).unwrap();
    // `spark` is declared nowhere, and that is fine without a workspace file.
    let r = sluice_run(dir.path(), &["check", "team/pipelines/pipeline.yml", "--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.all_output());
    assert_eq!(codes(&r.stdout), Vec::<String>::new());
    // The built-in compute `local` is this machine: a notebook cannot run there.
    let p = dir.path().join("team/pipelines/pipeline.yml");
    std::fs::write(&p, std::fs::read_to_string(&p).unwrap().replace("compute: spark", "compute: local"))
        .unwrap();
    let r = sluice_run(dir.path(), &["check", "team/pipelines/pipeline.yml", "--format", "json"]);
    assert_eq!(codes(&r.stdout), ["compute-kind-mismatch"]);
}

#[test]
fn a_folder_is_checked_once_per_file() {
    // The pipeline finds the workspace file upward, and the walk reaches it too: its mistakes
    // are reported once.
    let dir = project();
    std::fs::write(
        dir.path().join("workspace.yaml"),
        "computes:\n  spark: {type: databricks, workspace_url: u, access_token: dapi0123456789abcdef}\n",
    )
    .unwrap();
    let r = sluice_run(dir.path(), &["check", ".", "--format", "json"]);
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert_eq!(codes(&r.stdout), ["literal-secret"]);
    assert!(!r.stdout.contains("dapi0123456789abcdef"));
    assert_eq!(json_of(&r.stdout)["diagnostics"][0]["file"], "workspace.yaml");
}

// ---------------------------------------------------------------------------------------------
// sluice rules and the README

#[test]
fn rules_lists_every_code_and_the_readme_table_matches() {
    let r = sluice_run(&root(), &["rules", "--json"]);
    assert_eq!(r.code, Some(0), "{}", r.all_output());
    let v = json_of(&r.stdout);
    assert_eq!(v["version"], 1);
    let listed: Vec<(String, String, String)> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_owned();
            (s("code"), s("severity"), s("summary"))
        })
        .collect();
    let every: Vec<&str> = sluice_compiler::every_rule().iter().map(|r| r.code).collect();
    assert_eq!(listed.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), every);
    // Every check rule and every compile rule is there.
    for rule in sluice_compiler::check::all_rules() {
        assert!(every.contains(&rule.code), "{}", rule.code);
    }
    assert!(every.contains(&"no-azureml-equivalent"));

    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let rows: Vec<String> = listed.iter().map(|(c, sev, sum)| format!("| `{c}` | {sev} | {sum} |")).collect();
    let table: Vec<&str> =
        readme.lines().filter(|l| l.starts_with("| `") && l.matches(" | ").count() == 2).collect();
    assert_eq!(table, rows, "README's rule table differs from `sluice rules`");

    let human = sluice_run(&root(), &["rules"]);
    assert_eq!(human.stdout.lines().count(), every.len());
}

/// The README opens with the two commands of the quick start, and `.ci/run` runs its test
/// command.
#[test]
fn readme_quick_start_and_ci_agree() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block: Vec<&str> = readme.split("```").nth(1).unwrap().lines().skip(1).collect();
    assert!(block[0].starts_with("cargo run --release -- run examples/compare-models/pipeline.yml"));
    assert!(block[1].starts_with("cargo test --workspace "));
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(ci.lines().any(|l| l.trim().starts_with("cargo test --workspace")), "{ci}");
}
