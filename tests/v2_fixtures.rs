//! v2 fixtures, run through the real binary.
//!
//! Every `.yml` file under `tests/fixtures/invalid/v2/` whose first line is
//! `# expect: code@line:col, code@line ...` must produce exactly those diagnostics (errors and
//! warnings; the column may be left out), exit 1 when one of them is an error, and render for
//! people as its insta snapshot says. Every pipeline and component under
//! `tests/fixtures/valid/v2/` must check with no errors (and only the warnings its `# expect:`
//! line names). The real pipelines of `../shared/corpus/azureml-v2` must check with no errors but
//! the one mistake they hold (a misspelt setting)
//! (skipped with a `skipped:` line when `../shared` is absent, a failure under `SLUICE_CI=1`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `sluice check` in `dir` and returns (exit code, stdout).
fn sluice(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(dir)
        .arg("check")
        .args(args)
        .env_remove("SLUICE_WORKSPACE")
        .env("NO_COLOR", "1")
        .output()
        .expect("sluice runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One expected diagnostic: code, line, and column when given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expect {
    code: String,
    line: usize,
    column: Option<usize>,
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(c) => write!(f, "{}@{}:{}", self.code, self.line, c),
            None => write!(f, "{}@{}", self.code, self.line),
        }
    }
}

/// Reads the `# expect:` line of a fixture (`None` when the file has none).
fn expectations(text: &str) -> Option<Vec<Expect>> {
    let first = text.lines().next()?;
    let list = first.strip_prefix("# expect:")?;
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (code, at) = item.split_once('@').unwrap_or_else(|| panic!("`{item}`: write code@line:col"));
        let (line, column) = match at.split_once(':') {
            Some((l, c)) => (l, Some(c.parse().expect("column is a number"))),
            None => (at, None),
        };
        out.push(Expect { code: code.to_string(), line: line.parse().expect("line is a number"), column });
    }
    Some(out)
}

/// The diagnostics of one check (the fixture and the files it refers to), from the JSON report.
fn found(json: &str) -> Vec<(Expect, String)> {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("JSON report: {e}\n{json}"));
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                Expect {
                    code: d["code"].as_str().unwrap_or("").to_string(),
                    line: d["line"].as_u64().unwrap_or(0) as usize,
                    column: Some(d["column"].as_u64().unwrap_or(0) as usize),
                },
                d["severity"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
}

fn relative(p: &Path) -> String {
    p.strip_prefix(repo()).unwrap_or(p).to_string_lossy().replace('\\', "/")
}

/// Compares what was found with what was expected; a column is only compared when given.
fn mismatch(expected: &[Expect], got: &[(Expect, String)]) -> Option<String> {
    let mut left: Vec<&Expect> = expected.iter().collect();
    let mut extra = Vec::new();
    for (g, _) in got {
        match left.iter().position(|e| {
            e.code == g.code && e.line == g.line && e.column.is_none_or(|c| Some(c) == g.column)
        }) {
            Some(i) => {
                left.remove(i);
            }
            None => extra.push(g.to_string()),
        }
    }
    (!left.is_empty() || !extra.is_empty()).then(|| {
        format!(
            "missing: [{}]; unexpected: [{}]",
            left.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", "),
            extra.join(", ")
        )
    })
}

#[test]
fn invalid_v2_fixtures_report_what_they_expect() {
    let mut files = Vec::new();
    yaml_files(&repo().join("tests/fixtures/invalid/v2"), &mut files);
    files.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("fixture reads");
        let Some(expected) = expectations(&text) else { continue };
        checked += 1;
        let rel = relative(path);
        let (code, json) = sluice(repo(), &["--format", "json", &rel]);
        let got = found(&json);
        if let Some(m) = mismatch(&expected, &got) {
            failures.push(format!("{rel}: {m}"));
        }
        let any_error = got.iter().any(|(_, s)| s == "error");
        let want = if any_error { 1 } else { 0 };
        if code != want {
            failures.push(format!("{rel}: exit {code}, expected {want}"));
        }
        let (_, human) = sluice(repo(), &["--format", "human", "--color", "never", &rel]);
        let name = rel.trim_start_matches("tests/fixtures/invalid/v2/").replace(['/', '.'], "_");
        insta::assert_snapshot!(name, human, &rel);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 30, "only {checked} invalid v2 fixtures");
}

#[test]
fn valid_v2_fixtures_check_clean() {
    let mut files = Vec::new();
    yaml_files(&repo().join("tests/fixtures/valid/v2"), &mut files);
    files.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("fixture reads");
        let rel = relative(path);
        let (code, json) = sluice(repo(), &["--format", "json", &rel]);
        let got: Vec<(Expect, String)> = found(&json);
        if !json.contains("\"diagnostics\"") {
            failures.push(format!("{rel}: no JSON report"));
            continue;
        }
        // Files sluice does not read (data assets, conda files) are skipped by `check DIR`,
        // and named explicitly they are an unknown format: only pipelines and components count.
        if got.iter().any(|(e, _)| e.code == "unknown-format") {
            continue;
        }
        checked += 1;
        let expected = expectations(&text).unwrap_or_default();
        if let Some(m) = mismatch(&expected, &got) {
            failures.push(format!("{rel}: {m}"));
        }
        if code != 0 {
            failures.push(format!("{rel}: exit {code}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 10, "only {checked} valid v2 fixtures");
}

#[test]
fn corpus_pipelines_check_without_errors() {
    let Some(shared) = support::require_shared("corpus_pipelines_check_without_errors") else { return };
    let corpus = shared.join("corpus/azureml-v2");
    let list = std::fs::read_to_string(corpus.join("pipelines.txt")).expect("pipelines.txt");
    let files: Vec<&str> = list.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!(files.len(), 49);
    let mut args = vec!["--format", "json"];
    args.extend(files.iter().copied());
    let (code, json) = sluice(&corpus, &args);
    let v: Value = serde_json::from_str(&json).expect("JSON report");
    let errors: Vec<String> = v["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            format!(
                "{}:{} [{}]",
                d["file"].as_str().unwrap_or(""),
                d["line"],
                d["code"].as_str().unwrap_or("")
            )
        })
        .collect();
    // The one mistake in the corpus's own files: a misspelt setting the service ignores.
    let known = ["cli/jobs/pipelines-with-components/basics/3a_basic_pipeline/pipeline.yml:8 [unknown-key]"];
    assert_eq!(errors, known, "{json}");
    assert_eq!(code, 1);
}

/// The corpus test, run again by itself with `../shared` replaced by an empty folder: under
/// `SLUICE_CI=1` it fails; without it, it passes after one `skipped:` line.
#[test]
fn the_corpus_test_fails_under_ci_without_shared_and_skips_otherwise() {
    let empty = tempfile::tempdir().expect("temp dir");
    let rerun = |ci: bool| {
        let mut cmd = Command::new(std::env::current_exe().expect("this test binary"));
        cmd.args(["--exact", "corpus_pipelines_check_without_errors", "--test-threads", "1"])
            .env(support::external::SHARED_VAR, empty.path());
        if ci {
            cmd.env(support::external::CI_VAR, "1");
        } else {
            cmd.env_remove(support::external::CI_VAR);
        }
        let out = cmd.output().expect("the test binary runs");
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code(), all)
    };
    let (code, all) = rerun(true);
    assert_ne!(code, Some(0), "under SLUICE_CI=1 a missing ../shared passed:\n{all}");
    assert!(all.contains("SLUICE_CI=1 does not allow a test to be skipped"), "{all}");
    assert!(all.contains("1 failed"), "{all}");
    let (code, all) = rerun(false);
    assert_eq!(code, Some(0), "{all}");
    let skips: Vec<&str> = all.lines().filter(|l| l.starts_with("skipped:")).collect();
    assert_eq!(skips.len(), 1, "{all}");
    assert!(
        skips[0].starts_with("skipped: corpus_pipelines_check_without_errors: no shared folder"),
        "{all}"
    );
    assert!(all.contains("1 passed"), "{all}");
}
