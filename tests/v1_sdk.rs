//! sluice against the Azure ML SDK v1's own reader, probe by probe.
//!
//! Every `.yml` file under `tests/fixtures/v1-sdk` whose first line is `# probe: <what>` is one
//! probe of the v1 format (a key, a mistake, or an example of Microsoft's reference page). What
//! the SDK (`Pipeline.load_yaml` / `Schedule.load_yaml` of azureml-pipeline-core 1.62.0) makes of
//! each is recorded in `verdicts.jsonl` by `oracle.sh`, so this test needs no Python. A probe's
//! header says what sluice must make of it:
//!
//! ```text
//! # probe: what the probe is about
//! # sdk-line: 12                      where the SDK's mistake is (probes the SDK rejects), or
//! # sdk-line: config/prc.yml:7        a line of another file
//! # sluice-stricter: CODE — why       an error sluice reports although the SDK loads the file
//! # sluice-extension: NAME — why      a sluice extension the SDK refuses (sluice accepts it)
//! # expect: CODE@LINE:COL, ...        every diagnostic sluice reports (`none` for none)
//! ```
//!
//! Agreement: the SDK loads the probe ⇒ sluice reports no error, or only errors whose codes the
//! probe declares `sluice-stricter`; the SDK rejects it ⇒ sluice reports an error on its
//! `sdk-line` (or the probe declares a `sluice-extension` and sluice reports no error). Besides,
//! sluice's diagnostics must be exactly the `# expect` list, so a change in any of them shows.
//! `SLUICE_ACCEPT_PROBES=1 cargo test --test v1_sdk` rewrites the `# expect` lines from what
//! sluice reports (review the diff). Each verdict carries the CRC-32 of its probe (without the
//! `# expect` lines): a probe changed since `oracle.sh` last ran fails until it is run again.
//!
//! The same file records the SDK's verdict on every v1 example and valid fixture
//! (`examples-and-fixtures.jsonl`): each loads, unless a `# sluice-extension:` comment in it names
//! the sluice extension it uses.

#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{root, sluice_run, walk};

fn folder() -> PathBuf {
    root().join("tests").join("fixtures").join("v1-sdk")
}

/// What a probe's header says.
#[derive(Debug, Default)]
struct Header {
    sdk_line: Option<(String, usize)>,
    stricter: Vec<String>,
    extension: Option<String>,
    expect: Vec<String>,
}

fn header(rel: &str, text: &str) -> Header {
    let mut h = Header::default();
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        let Some((key, value)) = line.trim_start_matches('#').trim().split_once(':') else { continue };
        let value = value.trim();
        match key {
            "sdk-line" => {
                let (file, line) = match value.rsplit_once(':') {
                    Some((file, line)) => (sibling(rel, file), line),
                    None => (rel.to_string(), value),
                };
                h.sdk_line =
                    Some((file, line.parse().unwrap_or_else(|_| panic!("{rel}: sdk-line `{value}`"))));
            }
            "sluice-stricter" => h.stricter.push(value.split_whitespace().next().unwrap_or("").to_string()),
            "sluice-extension" => h.extension = Some(value.to_string()),
            "expect" if value != "none" => {
                for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    h.expect.push(qualify(rel, item));
                }
            }
            _ => {}
        }
    }
    h
}

/// A file named in a probe's header, as the binary shows it (relative to the fixtures folder).
fn sibling(rel: &str, file: &str) -> String {
    let dir = Path::new(rel).parent().unwrap_or(Path::new(""));
    dir.join(file).to_string_lossy().replace('\\', "/")
}

/// `code@line:col` of the probe, or `code@file:line:col` of a file beside it, as
/// `code@<shown file>:line:col`.
fn qualify(rel: &str, item: &str) -> String {
    let (code, place) =
        item.split_once('@').unwrap_or_else(|| panic!("{rel}: `{item}` is not code@line:col"));
    let parts: Vec<&str> = place.split(':').collect();
    match parts.as_slice() {
        [l, c] => format!("{code}@{rel}:{l}:{c}"),
        [f, l, c] => format!("{code}@{}:{l}:{c}", sibling(rel, f)),
        _ => panic!("{rel}: `{item}` is not code@line:col"),
    }
}

/// How the header writes a diagnostic of `file` (relative to the probe's folder when it is not
/// the probe itself).
fn unqualify(rel: &str, d: &Diagnostic) -> String {
    let dir = Path::new(rel).parent().unwrap_or(Path::new("")).to_string_lossy().to_string();
    if d.file == rel {
        format!("{}@{}:{}", d.code, d.line, d.column)
    } else {
        let f = d.file.strip_prefix(&format!("{dir}/")).unwrap_or(&d.file);
        format!("{}@{f}:{}:{}", d.code, d.line, d.column)
    }
}

#[derive(Debug, Clone)]
struct Diagnostic {
    code: String,
    file: String,
    line: usize,
    column: usize,
    error: bool,
    message: String,
}

impl Diagnostic {
    fn key(&self) -> String {
        format!("{}@{}:{}:{}", self.code, self.file, self.line, self.column)
    }
}

fn check(rel: &str) -> Vec<Diagnostic> {
    let run = sluice_run(&folder(), &["check", rel, "--format", "json"]);
    run.assert_no_panic(rel);
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{rel}: not JSON ({e}): {}", run.all_output()));
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| Diagnostic {
            code: d["code"].as_str().unwrap().to_string(),
            file: d["file"].as_str().unwrap().to_string(),
            line: d["line"].as_u64().unwrap() as usize,
            column: d["column"].as_u64().unwrap() as usize,
            error: d["severity"] == "error",
            message: d["message"].as_str().unwrap_or("").to_string(),
        })
        .collect()
}

/// The SDK's verdict of each probe, from verdicts.jsonl.
fn verdicts() -> BTreeMap<String, Value> {
    records("verdicts.jsonl", "probe")
}

/// The records of a JSON-lines file of this folder, by their `key`.
fn records(name: &str, key: &str) -> BTreeMap<String, Value> {
    let text =
        std::fs::read_to_string(folder().join(name)).unwrap_or_else(|_| panic!("{name} (run oracle.sh)"));
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v[key].as_str().unwrap().to_string(), v))
        .collect()
}

fn probes() -> Vec<String> {
    let base = folder();
    let mut out: Vec<String> = walk(&base)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.starts_with("# probe:")))
        .map(|p| p.strip_prefix(&base).unwrap().to_string_lossy().replace('\\', "/"))
        .collect();
    out.sort();
    out
}

/// The outcome of one probe.
enum Outcome {
    /// The SDK loads it and sluice reports no error.
    Clean,
    /// The SDK loads it; sluice reports only errors declared stricter on purpose.
    Stricter,
    /// The SDK rejects it and sluice reports an error on the SDK's line.
    Rejected,
    /// The SDK rejects a sluice extension that sluice accepts.
    Extension,
}

fn judge(rel: &str, h: &Header, sdk_ok: bool, found: &[Diagnostic]) -> Result<Outcome, String> {
    let errors: Vec<&Diagnostic> = found.iter().filter(|d| d.error).collect();
    let listing =
        || found.iter().map(|d| format!("  {} {}", d.key(), d.message)).collect::<Vec<_>>().join("\n");
    if sdk_ok {
        if h.sdk_line.is_some() || h.extension.is_some() {
            return Err("the SDK loads it, but the header says it rejects it".into());
        }
        let unexpected: Vec<_> = errors.iter().filter(|d| !h.stricter.contains(&d.code)).collect();
        if !unexpected.is_empty() {
            return Err(format!(
                "the SDK loads it, but sluice reports errors not declared `sluice-stricter`:\n{}",
                listing()
            ));
        }
        for code in &h.stricter {
            if !errors.iter().any(|d| &d.code == code) {
                return Err(format!(
                    "declares `sluice-stricter: {code}`, but sluice reports no such error:\n{}",
                    listing()
                ));
            }
        }
        return Ok(if errors.is_empty() { Outcome::Clean } else { Outcome::Stricter });
    }
    if let Some(ext) = &h.extension {
        if !errors.is_empty() {
            return Err(format!("a sluice extension ({ext}) that sluice refuses:\n{}", listing()));
        }
        return Ok(Outcome::Extension);
    }
    let Some((file, line)) = &h.sdk_line else {
        return Err("the SDK rejects it: give `# sdk-line:` (where its mistake is)".into());
    };
    if !errors.iter().any(|d| &d.file == file && d.line == *line) {
        return Err(format!(
            "the SDK rejects it at {file}:{line}, but sluice reports no error there:\n{}",
            listing()
        ));
    }
    let _ = rel;
    Ok(Outcome::Rejected)
}

#[test]
fn sluice_agrees_with_the_sdk_on_every_probe() {
    let verdicts = verdicts();
    let probes = probes();
    assert!(probes.len() >= 100, "only {} probes", probes.len());
    let accept = std::env::var_os("SLUICE_ACCEPT_PROBES").is_some();
    let results: Vec<(String, Vec<Diagnostic>)> = std::thread::scope(|s| {
        let chunks: Vec<&[String]> = probes.chunks(probes.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| s.spawn(move || chunk.iter().map(|p| (p.clone(), check(p))).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut failures = Vec::new();
    let (mut clean, mut stricter, mut rejected, mut extensions) = (0, 0, 0, 0);
    for (rel, found) in &results {
        let text = std::fs::read_to_string(folder().join(rel)).unwrap();
        let h = header(rel, &text);
        let Some(v) = verdicts.get(rel) else {
            failures.push(format!("{rel}: no verdict in verdicts.jsonl (run oracle.sh)"));
            continue;
        };
        let body: Vec<&str> = text.split_inclusive('\n').filter(|l| !l.starts_with("# expect:")).collect();
        if v["crc"].as_u64() != Some(u64::from(crc32fast::hash(body.concat().as_bytes()))) {
            failures.push(format!("{rel}: changed since its verdict was recorded (run oracle.sh)"));
        }
        match judge(rel, &h, v["ok"] == true, found) {
            Ok(Outcome::Clean) => clean += 1,
            Ok(Outcome::Stricter) => stricter += 1,
            Ok(Outcome::Rejected) => rejected += 1,
            Ok(Outcome::Extension) => extensions += 1,
            Err(e) => failures.push(format!("{rel}: {e}\n  SDK: {}", v["error"])),
        }
        let mut got: Vec<String> = found.iter().map(Diagnostic::key).collect();
        got.sort();
        got.dedup();
        let mut want = h.expect.clone();
        want.sort();
        if got != want {
            if accept {
                let mut items: Vec<String> = found.iter().map(|d| unqualify(rel, d)).collect();
                items.dedup();
                let line = if items.is_empty() { "none".to_string() } else { items.join(", ") };
                let rewritten: Vec<String> =
                    text.lines()
                        .map(|l| {
                            if l.starts_with("# expect:") {
                                format!("# expect: {line}")
                            } else {
                                l.to_string()
                            }
                        })
                        .collect();
                std::fs::write(folder().join(rel), rewritten.join("\n") + "\n").unwrap();
            } else {
                let shown = found
                    .iter()
                    .map(|d| format!("  {} {}", d.key(), d.message))
                    .collect::<Vec<_>>()
                    .join("\n");
                failures.push(format!(
                    "{rel}: sluice's diagnostics differ from `# expect`:\n  want {want:?}\n  got:\n{shown}"
                ));
            }
        }
    }
    for probe in verdicts.keys().filter(|k| !probes.contains(k)) {
        failures.push(format!("{probe}: in verdicts.jsonl but no such probe (run oracle.sh)"));
    }
    let total = clean + stricter + rejected;
    eprintln!(
        "v1 probes: {total} of {} agree with the SDK ({clean} load and check clean, {stricter} load and fail only where \
         sluice is stricter on purpose, {rejected} rejected at the SDK's line); {extensions} sluice extensions the SDK refuses",
        results.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} probes fail:\n\n{}",
        failures.len(),
        results.len(),
        failures.join("\n\n")
    );
}

/// Every v1 pipeline and schedule file of `examples/` and `tests/fixtures/valid` loads in the
/// SDK, unless it names the sluice extension it uses in a `# sluice-extension:` comment.
#[test]
fn every_v1_example_and_valid_fixture_loads_in_the_sdk() {
    use sluice_compiler::session::{Format, detect_format};
    use sluice_compiler::yaml::{Limits, parse};
    let recorded = records("examples-and-fixtures.jsonl", "file");
    let mut files = Vec::new();
    for dir in ["examples", "tests/fixtures/valid"] {
        for path in walk(&root().join(dir)) {
            if !path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let Some(node) = parse(&text, &Limits::default()).0 else { continue };
            if matches!(detect_format(&path, &node), Format::V1Pipeline | Format::V1Schedule) {
                let rel = path.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
                files.push((rel, bytes));
            }
        }
    }
    assert!(files.len() >= 12, "only {} v1 files", files.len());
    let mut failures = Vec::new();
    for (rel, bytes) in &files {
        let Some(v) = recorded.get(rel) else {
            failures.push(format!("{rel}: no verdict in examples-and-fixtures.jsonl (run oracle.sh)"));
            continue;
        };
        if v["crc"].as_u64() != Some(u64::from(crc32fast::hash(bytes))) {
            failures.push(format!("{rel}: changed since its verdict was recorded (run oracle.sh)"));
        }
        let names_extension = String::from_utf8_lossy(bytes).contains("# sluice-extension:");
        if v["ok"] != true && !names_extension {
            failures.push(format!(
                "{rel}: the SDK refuses it ({}) and no `# sluice-extension:` comment says why",
                v["error"]
            ));
        }
    }
    for rel in recorded.keys().filter(|k| !files.iter().any(|(f, _)| f == *k)) {
        failures.push(format!("{rel}: recorded, but not a v1 file of the examples or valid fixtures"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
