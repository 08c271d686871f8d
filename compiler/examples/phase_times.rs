//! Times each phase of checking one v1 pipeline file: `cargo run --release -p sluice-compiler
//! --example phase_times -- FILE`.

// The allocator of the `sluice` binary, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::Instant;

use sluice_compiler::diagnostic::Diagnostics;
use sluice_compiler::session::{Session, WorkspaceChoice};
use sluice_compiler::syntax::v1::PipelineFile;
use sluice_compiler::{check, lower, yaml};

fn main() {
    let Some(path) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: phase_times FILE");
        std::process::exit(2);
    };
    let mut s = Session::new(WorkspaceChoice::default());
    let t = Instant::now();
    let file = s.load(&path).expect("load");
    let t_load = t.elapsed();
    let text = s.sources.get(file).text.clone();
    let t = Instant::now();
    let (node, errors) = yaml::parse(&text, &s.limits);
    let t_parse = t.elapsed();
    assert!(errors.is_empty(), "{errors:?}");
    let node = node.expect("node");
    let t = Instant::now();
    let doc: PipelineFile = yaml::from_node_with(&node, &text, lower::v1::READ).expect("read");
    let t_read = t.elapsed();
    let t = Instant::now();
    let ws = s.workspace_for(&path);
    let cx = s.lower_ctx(file, &ws);
    let t_ws = t.elapsed();
    let t = Instant::now();
    // Reads the file again (the read above is timed alone), then lowers it.
    let p = lower::v1::lower_pipeline(&mut s, file, node.clone(), &cx).expect("lower");
    let t_lower = t.elapsed();
    let t = Instant::now();
    let mut out = Diagnostics::new();
    check::check_pipeline(&p, &ws, &s.sources, &mut out);
    let t_check = t.elapsed();
    let t = Instant::now();
    drop((doc, node, p));
    let t_drop = t.elapsed();
    println!(
        "load {t_load:?} parse {t_parse:?} read {t_read:?} workspace {t_ws:?} read+lower {t_lower:?} check {t_check:?} drop {t_drop:?}; {} diagnostics",
        out.as_slice().len() + s.diagnostics.as_slice().len()
    );
}
