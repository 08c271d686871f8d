//! Property tests of `check` on mutated valid files: byte flips, line deletions and duplications,
//! key renames, indentation changes, truncation and inserted unicode. For every mutant: no panic,
//! every diagnostic's spans lie inside their file on character boundaries, every report format
//! renders, and the YAML fast path agrees with the serde-saphyr path wherever it applies.
//!
//! Also replays the inputs the fuzz target found (`fuzz/regressions/check/`).

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use sluice_compiler::report::{self, Format};
use sluice_compiler::session::{Session, WorkspaceChoice};
use sluice_compiler::source::{FileId, SourceMap, Span};
use sluice_compiler::synth::{self, Style};
use sluice_compiler::yaml::{self, Limits};

/// A valid file and the path it is checked at (beside its workspace and source folders).
struct Seed {
    path: PathBuf,
    text: String,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn yaml_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files_under(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(p);
        }
    }
}

/// The examples, the valid fixtures, and a generated pipeline with its workspace.
fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<(tempfile::TempDir, Vec<Seed>)> = OnceLock::new();
    &SEEDS
        .get_or_init(|| {
            let root = repo_root();
            let mut paths = Vec::new();
            yaml_files_under(&root.join("examples"), &mut paths);
            yaml_files_under(&root.join("tests/fixtures/valid"), &mut paths);
            let dir = tempfile::tempdir().expect("temp dir");
            let generated =
                synth::write_project(dir.path(), &synth::Options::new(24, Style::Block)).expect("synth");
            paths.push(generated);
            paths.push(dir.path().join("workspace.yaml"));
            (dir, read_seeds(paths))
        })
        .1
}

/// The first 40 files of the shared corpus of v2 files (`shared/corpus/azureml-v2`).
fn corpus_seeds(shared: &Path) -> Vec<Seed> {
    let mut paths = Vec::new();
    yaml_files_under(&shared.join("corpus/azureml-v2"), &mut paths);
    paths.truncate(40);
    read_seeds(paths)
}

fn read_seeds(paths: Vec<PathBuf>) -> Vec<Seed> {
    paths
        .into_iter()
        .filter_map(|path| std::fs::read_to_string(&path).ok().map(|text| Seed { path, text }))
        .collect()
}

fn assert_inside(sources: &SourceMap, file: FileId, span: Span, what: &str) -> Result<(), TestCaseError> {
    let text = &sources.get(file).text;
    let (start, end) = (span.start as usize, span.end as usize);
    prop_assert!(
        start <= end && end <= text.len(),
        "{what}: span {start}..{end} outside {} bytes",
        text.len()
    );
    prop_assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{what}: {start}..{end} splits a char"
    );
    Ok(())
}

/// Checks `bytes` as the file at `path` and asserts the properties.
fn check_bytes(path: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    let mut s = Session::new(WorkspaceChoice::default());
    s.check_source(path, bytes.to_vec());
    for d in s.diagnostics.as_slice() {
        assert_inside(&s.sources, d.primary.file, d.primary.span, d.code)?;
        for l in &d.secondary {
            assert_inside(&s.sources, l.file, l.span, d.code)?;
        }
    }
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let _ = report::render(format, s.diagnostics.as_slice(), &s.sources, false);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        fast_path_agrees(text)?;
    }
    Ok(())
}

/// Where the fast YAML path gives a tree, the general path gives the same tree and no error.
fn fast_path_agrees(text: &str) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    if let Some(fast) = yaml::parse_fast(text, &limits) {
        let (general, errors) = yaml::parse_general(text, &limits);
        prop_assert!(errors.is_empty(), "fast path accepted what the general path rejects: {errors:?}");
        // Debug text, so that NaN equals NaN.
        prop_assert_eq!(format!("{:?}", Some(fast)), format!("{general:?}"));
    }
    // The parallel reading, forced whatever the size, gives the same tree as the general path.
    if let Some(split) = yaml::parse_split(text, &limits, 2) {
        let (general, errors) = yaml::parse_general(text, &limits);
        prop_assert!(errors.is_empty(), "split reading accepted what the general path rejects: {errors:?}");
        prop_assert_eq!(format!("{:?}", Some(split)), format!("{general:?}"));
    }
    Ok(())
}

/// Mutated files per run: 384, or `PROPTEST_CASES` for a longer hunt.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(384)
}

/// One change to a file.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit { at: f64, bit: u8 },
    DeleteLine { at: f64 },
    DuplicateLine { at: f64 },
    RenameKey { at: f64, to: String },
    Indent { at: f64, by: i8 },
    Truncate { at: f64 },
    InsertText { at: f64, text: String },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let fraction = 0.0..1.0f64;
    let key = prop_oneof![
        Just("pipeline".to_string()),
        Just("steps".to_string()),
        Just("type".to_string()),
        Just("source".to_string()),
        Just("destination".to_string()),
        Just("inputs".to_string()),
        Just("run_after".to_string()),
        Just("scrpt_name".to_string()),
        Just("<<".to_string()),
        Just("sõurce".to_string()),
        Just("1".to_string()),
        "[a-z_]{1,12}",
    ];
    let text = prop_oneof![
        Just("é".to_string()),
        Just("😀".to_string()),
        Just("\u{200b}".to_string()),
        Just("\u{feff}".to_string()),
        Just("\u{202e}".to_string()),
        Just("e\u{301}".to_string()),
        Just("\t".to_string()),
        Just("\r".to_string()),
        Just("\0".to_string()),
        Just("\n".to_string()),
        Just(": ".to_string()),
        Just("- ".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("!!str ".to_string()),
        Just("{".to_string()),
        Just("]".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("#".to_string()),
        Just("input:".to_string()),
        Just("../".to_string()),
        Just("${env:".to_string()),
        "\\PC{1,3}",
    ];
    prop_oneof![
        (fraction.clone(), 0..8u8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        fraction.clone().prop_map(|at| Mutation::DeleteLine { at }),
        fraction.clone().prop_map(|at| Mutation::DuplicateLine { at }),
        (fraction.clone(), key).prop_map(|(at, to)| Mutation::RenameKey { at, to }),
        (fraction.clone(), -4..5i8).prop_map(|(at, by)| Mutation::Indent { at, by }),
        fraction.clone().prop_map(|at| Mutation::Truncate { at }),
        (fraction, text).prop_map(|(at, text)| Mutation::InsertText { at, text }),
    ]
}

fn index(at: f64, len: usize) -> usize {
    ((at * len as f64) as usize).min(len.saturating_sub(1))
}

/// Lines with their newlines, so joining them gives the bytes back.
fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.split_inclusive(|b| *b == b'\n').map(<[u8]>::to_vec).collect()
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::FlipBit { at, bit } => {
            if !bytes.is_empty() {
                let i = index(*at, bytes.len());
                bytes[i] ^= 1 << bit;
            }
        }
        Mutation::Truncate { at } => bytes.truncate(index(*at, bytes.len() + 1)),
        Mutation::InsertText { at, text } => {
            let i = index(*at, bytes.len() + 1);
            bytes.splice(i..i, text.bytes());
        }
        Mutation::DeleteLine { at }
        | Mutation::DuplicateLine { at }
        | Mutation::RenameKey { at, .. }
        | Mutation::Indent { at, .. } => {
            let mut ls = lines(bytes);
            if ls.is_empty() {
                return;
            }
            let i = index(*at, ls.len());
            match m {
                Mutation::DeleteLine { .. } => {
                    ls.remove(i);
                }
                Mutation::DuplicateLine { .. } => {
                    let line = ls[i].clone();
                    ls.insert(i, line);
                }
                Mutation::RenameKey { to, .. } => {
                    let line = &ls[i];
                    let indent = line.iter().take_while(|b| matches!(b, b' ' | b'-')).count();
                    if let Some(colon) = line.iter().position(|b| *b == b':')
                        && colon > indent
                    {
                        let mut new = line[..indent].to_vec();
                        new.extend_from_slice(to.as_bytes());
                        new.extend_from_slice(&line[colon..]);
                        ls[i] = new;
                    }
                }
                Mutation::Indent { by, .. } => {
                    let line = &mut ls[i];
                    if *by >= 0 {
                        line.splice(0..0, std::iter::repeat_n(b' ', *by as usize));
                    } else {
                        let spaces = line.iter().take_while(|b| **b == b' ').count();
                        line.drain(..spaces.min(by.unsigned_abs() as usize));
                    }
                }
                _ => {}
            }
            *bytes = ls.concat();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_check_without_panics_and_with_spans_inside(
        seed in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        check_mutant(seeds(), seed, &mutations)?;
    }
}

/// Applies `mutations` to one of `seeds` and checks the result.
fn check_mutant(
    seeds: &[Seed],
    seed: prop::sample::Index,
    mutations: &[Mutation],
) -> Result<(), TestCaseError> {
    prop_assume!(!seeds.is_empty());
    let seed = &seeds[seed.index(seeds.len())];
    let mut bytes = seed.text.clone().into_bytes();
    for m in mutations {
        apply(&mut bytes, m);
    }
    check_bytes(&seed.path, &bytes)
}

/// The same properties on mutants of the shared corpus's real files (it needs `../shared`).
#[test]
fn mutated_corpus_files_check_without_panics_and_with_spans_inside() {
    let test = "mutated_corpus_files_check_without_panics_and_with_spans_inside";
    let Some(shared) = support::require_shared(test) else { return };
    let seeds = corpus_seeds(&shared);
    assert!(seeds.len() >= 40, "only {} corpus files", seeds.len());
    for seed in &seeds {
        check_bytes(&seed.path, seed.text.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", seed.path.display()));
    }
    // No regression file: this runner has no source file to name one after.
    let config = ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let strategy = (any::<prop::sample::Index>(), prop::collection::vec(mutation(), 1..5));
    if let Err(e) = runner.run(&strategy, |(seed, mutations)| check_mutant(&seeds, seed, &mutations)) {
        panic!("{e}");
    }
}

#[test]
fn seeds_check_and_both_yaml_paths_agree_on_them() {
    let seeds = seeds();
    assert!(seeds.len() >= 3, "examples and generated files are there");
    for seed in seeds {
        check_bytes(&seed.path, seed.text.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", seed.path.display()));
    }
}

#[test]
fn the_fast_path_takes_plain_pipelines() {
    let text = synth::pipeline_yaml(&synth::Options::new(50, Style::Flow));
    assert!(yaml::parse_fast(&text, &Limits::default()).is_some());
    // Anchors and aliases are left to the general path.
    assert!(yaml::parse_fast("a: &x 1\nb: *x\n", &Limits::default()).is_none());
}

#[test]
fn generated_pipelines_of_every_style_are_read_in_pieces() {
    for style in [Style::Block, Style::Flow, Style::Dense] {
        let text = synth::pipeline_yaml(&synth::Options::new(300, style));
        for pieces in [2, 3, 7] {
            let split = yaml::parse_split(&text, &Limits::default(), pieces);
            assert!(split.is_some(), "{style:?} in {pieces} pieces");
            let (general, errors) = yaml::parse_general(&text, &Limits::default());
            assert!(errors.is_empty());
            assert_eq!(format!("{split:?}"), format!("{general:?}"), "{style:?} in {pieces} pieces");
        }
    }
}

/// Every input the fuzz target found, kept as a file, checks under the same properties.
#[test]
fn fuzz_regressions_hold() {
    let dir = repo_root().join("fuzz/regressions/check");
    let example = repo_root().join("examples/compare-models/pipeline.yml");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions/check") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        check_bytes(&example, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        n += 1;
    }
    assert!(n > 0, "no regression inputs in {}", dir.display());
}
