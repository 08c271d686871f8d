//! The v1 and workspace fixtures, run through the real binary.
//!
//! Every file or folder under `tests/fixtures/invalid` is one mistake. Its checked file's first
//! line declares what it must produce:
//!
//! ```text
//! # expect: unknown-step@16:19
//! # expect: cycle@27:28, literal-secret@workspace.yaml:5:18
//! ```
//!
//! `code@line:column` points into the checked file; `code@file:line:column` into another file of
//! a folder fixture. Columns count characters. Every declared diagnostic must appear, at that
//! place, in both `--format json` and `--format github`; no other error may appear. The human
//! rendering (`--color never`) is snapshotted under `tests/snapshots/`. Valid fixtures must exit
//! 0 with no errors, and their warnings, if any, are declared the same way.

#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use serde_json::Value;
use support::{Fixture, Kind, Run, fixtures, run, sluice, sluice_run};

/// One declared diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    code: String,
    /// File as the binary shows it (relative to the fixtures folder).
    file: String,
    line: usize,
    column: usize,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}:{}:{}", self.code, self.file, self.line, self.column)
    }
}

/// Reads the `# expect:` line of a fixture: `None` when the first line is not one.
fn expectations(fixture: &Fixture) -> Option<Result<Vec<Expected>, String>> {
    let bytes = fixture.bytes();
    let text = String::from_utf8_lossy(&bytes);
    let first = text.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
    let list = first.strip_prefix("# expect:")?;
    Some(parse_expectations(fixture, list))
}

fn parse_expectations(fixture: &Fixture, list: &str) -> Result<Vec<Expected>, String> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (code, place) = item.split_once('@').ok_or_else(|| format!("`{item}`: want code@line:column"))?;
        let parts: Vec<&str> = place.split(':').collect();
        let (file, line, column) = match parts.as_slice() {
            [l, c] => (None, *l, *c),
            [f, l, c] => (Some(*f), *l, *c),
            _ => return Err(format!("`{item}`: want code@line:column or code@file:line:column")),
        };
        let number = |s: &str| s.parse::<usize>().map_err(|_| format!("`{item}`: `{s}` is not a number"));
        out.push(Expected {
            code: code.to_string(),
            file: fixture.shown(file),
            line: number(line)?,
            column: number(column)?,
        });
    }
    if out.is_empty() {
        return Err("the `# expect:` line lists nothing".to_string());
    }
    Ok(out)
}

/// The diagnostics of a JSON report as (expectation, severity).
fn json_diagnostics(run: &Run) -> Vec<(Expected, String)> {
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("--format json is not JSON ({e}):\n{}", run.stdout));
    assert_eq!(v["version"], 1, "JSON output carries its version");
    v["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| {
            let place = Expected {
                code: d["code"].as_str().expect("code").to_string(),
                file: d["file"].as_str().expect("file").to_string(),
                line: d["line"].as_u64().expect("line") as usize,
                column: d["column"].as_u64().expect("column") as usize,
            };
            (place, d["severity"].as_str().expect("severity").to_string())
        })
        .collect()
}

/// The annotations of a GitHub report as (expectation, level).
fn github_annotations(run: &Run) -> Vec<(Expected, String)> {
    run.stdout
        .lines()
        .map(|line| {
            let parsed = (|| {
                let rest = line.strip_prefix("::")?;
                let (level, rest) = rest.split_once(' ')?;
                let (props, message) = rest.split_once("::")?;
                let mut file = None;
                let mut l = None;
                let mut c = None;
                for p in props.split(',') {
                    let (k, v) = p.split_once('=')?;
                    match k {
                        "file" => file = Some(v.replace("%3A", ":").replace("%2C", ",").replace("%25", "%")),
                        "line" => l = v.parse().ok(),
                        "col" => c = v.parse().ok(),
                        _ => return None,
                    }
                }
                let code = message.rsplit_once(" help: ").map_or(message, |(m, _)| m);
                let code = code.strip_suffix(']')?.rsplit_once(" [")?.1.to_string();
                Some((Expected { code, file: file?, line: l?, column: c? }, level.to_string()))
            })();
            parsed.unwrap_or_else(|| panic!("not a GitHub workflow command: {line}"))
        })
        .collect()
}

/// Literal values written after secret keys anywhere in the fixture: none may be printed.
fn literal_secrets(fixture: &Fixture) -> Vec<String> {
    let keys = ["account_key", "sas_token", "client_secret", "access_token", "access_key", "bearer_token"];
    let mut out = Vec::new();
    for file in fixture.files() {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
        for line in text.lines() {
            for key in keys {
                let Some(i) = line.find(&format!("{key}:")) else { continue };
                let value = line[i + key.len() + 1..].trim();
                let value =
                    value.split([',', '}', '#']).next().unwrap_or("").trim().trim_matches(['"', '\'']);
                if value.len() >= 6 && !value.starts_with("${env:") {
                    out.push(value.to_string());
                }
            }
        }
    }
    out
}

/// Everything the binary prints for one fixture.
struct Outputs {
    human: Run,
    json: Run,
    github: Run,
    sarif: Run,
}

fn run_all(f: &Fixture) -> Outputs {
    let check = |format: &str| {
        let mut args = vec!["check", f.target.as_str(), "--format", format];
        if format == "human" {
            args.extend(["--color", "never"]);
        }
        let r = sluice_run(&f.cwd, &args);
        r.assert_no_panic(&format!("{} --format {format}", f.target));
        r
    };
    Outputs { human: check("human"), json: check("json"), github: check("github"), sarif: check("sarif") }
}

/// Checks one fixture; returns its failures (empty when it passes).
fn check_fixture(f: &Fixture) -> Vec<String> {
    let mut failures = Vec::new();
    let mut fail = |m: String| failures.push(format!("{}: {m}", f.target));
    let expected = match (expectations(f), f.kind) {
        (Some(Ok(e)), _) => e,
        (Some(Err(e)), _) => {
            fail(e);
            return failures;
        }
        (None, Kind::Invalid) => {
            fail("the first line must be `# expect: code@line:column, ...`".to_string());
            return failures;
        }
        (None, Kind::Valid) => Vec::new(),
    };
    let out = run_all(f);
    let want_code = if f.kind == Kind::Invalid { 1 } else { 0 };
    for (format, run) in
        [("human", &out.human), ("json", &out.json), ("github", &out.github), ("sarif", &out.sarif)]
    {
        if run.code != Some(want_code) {
            fail(format!("--format {format} exited {:?}, want {want_code}\n{}", run.code, run.all_output()));
        }
    }

    let json = json_diagnostics(&out.json);
    let github = github_annotations(&out.github);
    if json.len() != github.len() {
        fail(format!("{} JSON diagnostics but {} GitHub annotations", json.len(), github.len()));
    }
    for e in &expected {
        if !json.iter().any(|(d, _)| d == e) {
            fail(format!("expected {e} in --format json; got {}", list(&json)));
        }
        if !github.iter().any(|(d, _)| d == e) {
            fail(format!("expected {e} in --format github; got {}", list(&github)));
        }
    }
    // Every error must be declared: one mistake, no noise around it.
    let declared: BTreeSet<&Expected> = expected.iter().collect();
    for (d, severity) in &json {
        if severity == "error" && !declared.contains(d) {
            fail(format!("undeclared error {d}"));
        }
        if f.kind == Kind::Valid && severity == "warning" && !declared.contains(d) {
            fail(format!("undeclared warning {d}"));
        }
    }
    if f.kind == Kind::Invalid && !json.iter().any(|(_, s)| s == "error") {
        fail("no error reported".to_string());
    }

    for secret in literal_secrets(f) {
        for (format, run) in
            [("human", &out.human), ("json", &out.json), ("github", &out.github), ("sarif", &out.sarif)]
        {
            if run.all_output().contains(&secret) {
                fail(format!("--format {format} prints the literal secret `{secret}`"));
            }
        }
    }

    let mut settings = insta::Settings::clone_current();
    settings.set_omit_expression(true);
    settings.set_info(&format!("sluice check {} --color never", f.target));
    let snapshot = settings.bind(|| {
        catch_unwind(AssertUnwindSafe(|| {
            insta::assert_snapshot!(format!("{}-{}", f.kind.dir_name(), f.name), out.human.stdout);
        }))
    });
    if snapshot.is_err() {
        fail("human output differs from its snapshot (cargo insta review)".to_string());
    }
    failures
}

fn list(items: &[(Expected, String)]) -> String {
    if items.is_empty() {
        return "nothing".to_string();
    }
    items.iter().map(|(e, s)| format!("{e} ({s})")).collect::<Vec<_>>().join(", ")
}

fn check_all(kind: Kind) {
    let all = fixtures(kind);
    let failures: Vec<String> = all.iter().flat_map(check_fixture).collect();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn invalid_fixtures_fail_with_their_declared_diagnostics() {
    let all = fixtures(Kind::Invalid);
    assert!(all.len() >= 40, "at least 40 invalid fixtures, found {}", all.len());
    check_all(Kind::Invalid);
}

#[test]
fn valid_fixtures_check_clean() {
    let all = fixtures(Kind::Valid);
    assert!(all.len() >= 10, "at least 10 valid fixtures, found {}", all.len());
    check_all(Kind::Valid);
}

#[test]
fn every_invalid_fixture_declares_what_it_expects() {
    let missing: Vec<String> = fixtures(Kind::Invalid)
        .iter()
        .filter_map(|f| match expectations(f) {
            Some(Ok(_)) => None,
            Some(Err(e)) => Some(format!("{}: {e}", f.target)),
            None => Some(format!("{}: no `# expect: code@line:column` first line", f.target)),
        })
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn expectation_lines_are_read_strictly() {
    let f = Fixture {
        kind: Kind::Invalid,
        name: "x".into(),
        cwd: ".".into(),
        target: "x/pipeline.yml".into(),
        folder: Some("x".into()),
    };
    let e = parse_expectations(&f, " cycle@27:28, literal-secret@workspace.yaml:5:18").unwrap();
    assert_eq!(e[0].to_string(), "cycle@x/pipeline.yml:27:28");
    assert_eq!(e[1].to_string(), "literal-secret@x/workspace.yaml:5:18");
    assert!(parse_expectations(&f, " cycle").is_err());
    assert!(parse_expectations(&f, " cycle@a:b").is_err());
    assert!(parse_expectations(&f, "").is_err());
}

/// Rules no v1 pipeline or workspace file can trigger, with why.
const NOT_FROM_V1: [(&str, &str); 1] =
    [("unknown-output", "v1 inputs name PipelineData destinations, never a step's output by name")];

/// Every rule sluice has is shown to fire by some fixture: the v1 and workspace ones here, the
/// others by the v2 fixtures (`tests/fixtures/*/v2/`, checked as folders).
#[test]
fn every_rule_fires_in_some_fixture() {
    let mut seen = BTreeSet::new();
    for kind in [Kind::Valid, Kind::Invalid] {
        for f in fixtures(kind) {
            let r = sluice_run(&f.cwd, &["check", &f.target, "--format", "json"]);
            seen.extend(json_diagnostics(&r).into_iter().map(|(e, _)| e.code));
        }
        let v2 = support::fixtures_dir(kind).join("v2");
        if v2.is_dir() {
            let r = sluice_run(&v2, &["check", ".", "--format", "json"]);
            seen.extend(json_diagnostics(&r).into_iter().map(|(e, _)| e.code));
        }
    }
    // Without v2 fixtures (before they are merged), rules only v2 can trigger are let off.
    let v2_present = support::fixtures_dir(Kind::Invalid).join("v2").is_dir();
    let exempt = |c: &str| !v2_present && NOT_FROM_V1.iter().any(|(code, _)| *code == c);
    let missing: Vec<&str> = sluice_compiler::check::all_rules()
        .iter()
        .map(|r| r.code)
        .filter(|c| !seen.contains(*c) && !exempt(c))
        .collect();
    assert!(missing.is_empty(), "no fixture makes these rules fire: {}", missing.join(", "));
}

/// The held-out suite is run through `--format github`: every mistake must exit 1, point at the
/// right line and never panic. Times are printed (`--nocapture`), never asserted.
#[test]
fn the_mistake_suite_through_github_annotations() {
    let mut times: Vec<(Duration, String)> = Vec::new();
    let mut failures = Vec::new();
    for f in fixtures(Kind::Invalid) {
        let r = sluice_run(&f.cwd, &["check", &f.target, "--format", "github"]);
        r.assert_no_panic(&f.target);
        if r.code != Some(1) {
            failures.push(format!("{}: exit {:?}", f.target, r.code));
        }
        if let Some(Ok(expected)) = expectations(&f) {
            let lines: BTreeSet<(String, usize)> =
                github_annotations(&r).into_iter().map(|(e, _)| (e.file, e.line)).collect();
            for e in expected {
                if !lines.contains(&(e.file.clone(), e.line)) {
                    failures.push(format!("{}: nothing at {}:{}", f.target, e.file, e.line));
                }
            }
        }
        times.push((r.elapsed, f.target.clone()));
    }
    times.sort();
    let total: Duration = times.iter().map(|(t, _)| *t).sum();
    if let Some((slowest, name)) = times.last() {
        println!(
            "{} invalid fixtures through --format github in {total:?}; slowest: {name} in {slowest:?}",
            times.len()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An empty file cannot carry an `# expect:` line, so it is made here.
#[test]
fn an_empty_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.yml"), "").unwrap();
    let r = sluice_run(dir.path(), &["check", "empty.yml", "--format", "github"]);
    r.assert_no_panic("empty.yml");
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert!(
        r.stdout.starts_with("::error file=empty.yml,line=1,col=1::the file is empty [unknown-format]"),
        "{}",
        r.stdout
    );
    let r = sluice_run(dir.path(), &["check", "empty.yml", "--format", "human", "--color", "never"]);
    assert_eq!(r.code, Some(1));
    insta::assert_snapshot!("empty-file", r.stdout);
}

/// A 17 MiB file, made here rather than committed, is refused with a limit diagnostic at once.
#[test]
fn a_file_over_the_size_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yml");
    let mut text = String::from("pipeline:\n  name: huge\n  description: >\n");
    let line = format!("    {}\n", "lorem ipsum ".repeat(10));
    while text.len() < 17 * 1024 * 1024 {
        text.push_str(&line);
    }
    std::fs::write(&path, &text).unwrap();
    // The default limit takes a 17 MiB file (a 100,000-step pipeline is about 30 MB).
    let r = sluice_run(dir.path(), &["check", "huge.yml", "--format", "json"]);
    r.assert_no_panic("huge.yml");
    assert!(!r.stdout.contains("yaml-limit"), "{}", r.stdout);
    for format in ["json", "github", "human", "sarif"] {
        let r = sluice_run(dir.path(), &["check", "huge.yml", "--max-file-size", "16M", "--format", format]);
        r.assert_no_panic("huge.yml");
        assert_eq!(r.code, Some(1), "--format {format}: {}", r.all_output());
        assert!(r.stdout.contains("yaml-limit"), "{}", r.stdout);
        if format == "github" {
            assert!(
                r.stdout.starts_with("::error file=huge.yml,line=1,col=1::the file is 17"),
                "{}",
                r.stdout
            );
            assert!(r.stdout.contains("the limit is 16777216 bytes"), "{}", r.stdout);
        }
        println!("17 MiB file, --format {format}: {:?}", r.elapsed);
    }
    // The same limit from the environment, as CI sets it; the flag wins over it.
    let r = run(sluice(dir.path()).env("SLUICE_MAX_FILE_SIZE", "16MiB").args(["check", "huge.yml"]));
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert!(r.stdout.contains("the limit is 16777216 bytes"), "{}", r.stdout);
    assert!(r.stdout.contains("--max-file-size"), "{}", r.stdout);
    let r = run(sluice(dir.path()).env("SLUICE_MAX_FILE_SIZE", "16M").args([
        "check",
        "huge.yml",
        "--max-file-size",
        "1G",
    ]));
    assert!(!r.stdout.contains("yaml-limit"), "{}", r.stdout);
    // A size that is not one is a usage error.
    let r = sluice_run(dir.path(), &["check", "huge.yml", "--max-file-size", "12Q"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(r.stderr.contains("is not a size"), "{}", r.stderr);
}
