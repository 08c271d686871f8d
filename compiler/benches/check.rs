//! `cargo bench -p sluice-compiler --bench check`: `check` of synthetic v1 pipelines of 1,000,
//! 10,000 and 100,000 steps (DESIGN section 9 budgets), each phase of the 10,000-step check, and
//! the examples. Pipelines come from `sluice_compiler::synth`; the dense style is the one whose
//! 100,000 steps fit the 16 MiB input limit, so the 100k/10k ratio compares like with like.
//! Budgets are reported here and by `bench/check_budget.sh`, never asserted.

// The allocator of the `sluice` binary, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sluice_compiler::diagnostic::Diagnostics;
use sluice_compiler::session::{Session, WorkspaceChoice};
use sluice_compiler::syntax::v1::PipelineFile;
use sluice_compiler::synth::{self, Style};
use sluice_compiler::{check, lower, yaml};

fn check_file(path: &Path) -> Session {
    let mut s = Session::new(WorkspaceChoice::default());
    s.check_paths(&[path.to_path_buf()]).expect("check");
    s
}

fn project(root: &Path, steps: usize, style: Style) -> PathBuf {
    let dir = root.join(format!("{style:?}-{steps}").to_lowercase());
    let path = synth::write_project(&dir, &synth::Options::new(steps, style)).expect("generate");
    // A benchmark of a pipeline with mistakes would measure the wrong thing.
    let s = check_file(&path);
    assert!(s.diagnostics.as_slice().is_empty(), "{:?}", &s.diagnostics.as_slice()[..1]);
    path
}

fn whole_check(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("check");
    for (style, steps) in [
        (Style::Dense, 1_000),
        (Style::Dense, 10_000),
        (Style::Dense, 100_000),
        (Style::Block, 1_000),
        (Style::Block, 10_000),
    ] {
        let path = project(root.path(), steps, style);
        group.throughput(Throughput::Elements(steps as u64));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(if steps >= 100_000 { 40 } else { 8 }));
        group.bench_with_input(
            BenchmarkId::new(format!("{style:?}").to_lowercase(), steps),
            &path,
            |b, p| b.iter(|| black_box(check_file(p))),
        );
    }
    group.finish();
}

fn phases(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("temp dir");
    let path = project(root.path(), 10_000, Style::Block);
    let text = std::fs::read_to_string(&path).expect("read");
    let limits = yaml::Limits::default();
    let mut group = c.benchmark_group("phases-block-10000");
    group.sample_size(10);
    group.bench_function("parse", |b| b.iter(|| black_box(yaml::parse(&text, &limits))));
    group.bench_function("parse-general", |b| b.iter(|| black_box(yaml::parse_general(&text, &limits))));
    let node = yaml::parse(&text, &limits).0.expect("node");
    group.bench_function("read", |b| {
        b.iter(|| black_box(yaml::from_node_with::<PipelineFile>(&node, &text, lower::v1::READ)))
    });
    let mut s = Session::new(WorkspaceChoice::default());
    let file = s.load(&path).expect("load");
    let ws = s.workspace_for(&path);
    let cx = s.lower_ctx(file, &ws);
    // Lowering reads the tree itself (the deprecated step forms are rewritten first).
    group.bench_function("read+lower", |b| {
        b.iter(|| black_box(lower::v1::lower_pipeline(&mut s, file, node.clone(), &cx)))
    });
    let pipeline = lower::v1::lower_pipeline(&mut s, file, node.clone(), &cx).expect("lower");
    group.bench_function("rules", |b| {
        b.iter(|| {
            let mut out = Diagnostics::new();
            check::check_pipeline(&pipeline, &ws, &s.sources, &mut out);
            black_box(out)
        })
    });
    group.finish();
}

fn examples(c: &mut Criterion) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    c.bench_function("check/examples", |b| b.iter(|| black_box(check_file(&examples))));
}

criterion_group!(benches, whole_check, phases, examples);
criterion_main!(benches);
