//! Synthetic v1 projects for benchmarks and stress tests: a pipeline of any number of steps with
//! parameters, data references, PipelineData chains, fan-in and fan-out, `run_after`, a workspace
//! file, and real source folders and scripts shared across steps (so the file count stays small
//! whatever the step count). Output is deterministic: the same options give the same bytes.
//!
//! `sluice check` reports nothing on a generated project: every name resolves, every file exists,
//! every parameter and data reference is used.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// How the step mappings are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Block mappings, as people write them (about 300 bytes a step).
    Block,
    /// One flow mapping per step on one line (about 250 bytes a step: 100,000 steps take 26 MB).
    Flow,
    /// The fewest bytes a realistic step takes, so that 100,000 steps stay under the 16 MiB input
    /// limit: flow mappings without spaces after commas, one-letter port names, no `arguments`, and
    /// scripts named from the pipeline's folder rather than with a `source_directory`.
    Dense,
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Number of steps.
    pub steps: usize,
    /// How steps are written.
    pub style: Style,
    /// Seed of the choices (fan-in sources).
    pub seed: u64,
}

impl Options {
    /// `steps` steps in `style`, with the default seed.
    pub fn new(steps: usize, style: Style) -> Self {
        Options { steps, style, seed: 0x5eed }
    }
}

/// The stages steps cycle through; each has one source folder and script shared by its steps.
const STAGES: [&str; 8] =
    ["ingest", "validate", "clean", "featurize", "train", "evaluate", "score", "report"];

/// Pipeline parameters with literal defaults: (name, type, default).
const PARAMETERS: [(&str, &str, &str); 6] = [
    ("learning_rate", "float", "0.05"),
    ("epochs", "int", "20"),
    ("label_column", "string", "price"),
    ("shuffle", "bool", "true"),
    ("valid_fraction", "float", "0.2"),
    ("seed", "int", "7"),
];

/// A small deterministic generator (SplitMix64), so no dependency is needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A YAML value to render in either style.
enum Y {
    S(String),
    L(Vec<Y>),
    M(Vec<(&'static str, Y)>),
}

fn s(v: impl Into<String>) -> Y {
    Y::S(v.into())
}

/// One-entry mapping `{key: value}` with a plain scalar value.
fn m1(key: &'static str, v: impl Into<String>) -> Y {
    Y::M(vec![(key, s(v))])
}

fn flow(y: &Y, sep: &str, out: &mut String) {
    match y {
        Y::S(v) => out.push_str(v),
        Y::L(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                flow(item, sep, out);
            }
            out.push(']');
        }
        Y::M(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(k);
                out.push_str(": ");
                flow(v, sep, out);
            }
            out.push('}');
        }
    }
}

/// Block mappings down to `depth` levels, flow below (as `{source: x}` is written by hand).
fn block(entries: &[(&'static str, Y)], indent: usize, depth: usize, out: &mut String) {
    for (k, v) in entries {
        out.extend(std::iter::repeat_n(' ', indent));
        out.push_str(k);
        out.push(':');
        match v {
            Y::M(inner) if depth > 1 => {
                out.push('\n');
                block(inner, indent + 2, depth - 1, out);
            }
            other => {
                out.push(' ');
                flow(other, ", ", out);
                out.push('\n');
            }
        }
    }
}

/// The source folder of a stage, relative to the pipeline file.
fn stage_dir(stage: &str) -> String {
    format!("steps/{stage}")
}

/// Number of data references for `steps` steps (each is read by some step).
fn data_ref_count(steps: usize) -> usize {
    (steps / 200).clamp(1, 1000)
}

/// The pipeline file's text.
pub fn pipeline_yaml(o: &Options) -> String {
    let n = o.steps;
    let mut rng = Rng(o.seed);
    let refs = data_ref_count(n);
    let per_step = match o.style {
        Style::Block => 320,
        Style::Flow => 260,
        Style::Dense => 170,
    };
    let mut out = String::with_capacity(n * per_step + 4096);
    let _ = writeln!(
        out,
        "# Synthetic pipeline of {n} steps written by sluice's generator (sluice_compiler::synth)."
    );
    out.push_str("pipeline:\n");
    let _ = writeln!(out, "  name: synthetic-{n}");
    out.push_str(
        "  description: Stages of ingest, validation, features, training and scoring over many shards.\n",
    );
    out.push_str("  default_compute: cpu-cluster\n  continue_on_step_failure: false\n  parameters:\n");
    for (name, ty, default) in PARAMETERS.iter().take(n) {
        let _ = writeln!(out, "    {name}: {{type: {ty}, default: {default}}}");
    }
    out.push_str(
        "    reference_data:\n      type: datapath\n      default: {datastore: lake, path_on_datastore: reference/2024}\n",
    );
    out.push_str("  data_references:\n");
    for r in 0..refs {
        let _ = writeln!(
            out,
            "    raw_{r}: {{datastore: {}, path_on_datastore: raw/part-{r:04}.csv}}",
            if r % 3 == 2 { "lake" } else { "landing" }
        );
    }
    out.push_str("  steps:\n");
    for i in 0..n {
        let entries = step(i, n, refs, o.style, &mut rng);
        let key = format!("s{i}");
        match o.style {
            Style::Flow | Style::Dense => {
                let _ = write!(out, "    {key}: ");
                flow(&Y::M(entries), if o.style == Style::Dense { "," } else { ", " }, &mut out);
                out.push('\n');
            }
            Style::Block => {
                let _ = writeln!(out, "    {key}:");
                block(&entries, 6, 2, &mut out);
            }
        }
    }
    out
}

/// The mapping of step `i` of `n`.
fn step(i: usize, n: usize, refs: usize, style: Style, rng: &mut Rng) -> Vec<(&'static str, Y)> {
    let dense = style == Style::Dense;
    // Port names: words as people write them, single letters where bytes count.
    let [raw, prev, side, refd, out, param] =
        if dense { ["i", "i", "j", "r", "o", "p"] } else { ["raw", "prev", "side", "ref", "out", "p"] };
    let stage = STAGES[i % STAGES.len()];
    let inputs = step_inputs(i, n, refs, dense, [raw, prev, side, refd], rng);
    let mut arguments: Vec<Y> = Vec::new();
    for (name, _) in &inputs {
        arguments.push(s(format!("--{name}")));
        arguments.push(s(format!("input:{name}")));
    }
    arguments.push(s(format!("--{out}")));
    arguments.push(s(format!("output:{out}")));
    let mut entries: Vec<(&'static str, Y)> = vec![("type", s("PythonScriptStep"))];
    if i.is_multiple_of(50) && !dense {
        entries.push(("name", s(format!("{stage} shard {}", i / 50))));
    }
    // Dense steps name the script from the pipeline's folder instead of a source folder.
    if dense {
        entries.push(("script_name", s(format!("{}/{stage}.py", stage_dir(stage)))));
    } else {
        entries.push(("script_name", s(format!("{stage}.py"))));
        entries.push(("source_directory", s(stage_dir(stage))));
    }
    let mut parameters: Vec<(&'static str, Y)> = Vec::new();
    // The first steps take one parameter each (so each declared one is used), then every fifth.
    let parameter =
        if i < PARAMETERS.len() { Some(i) } else { i.is_multiple_of(5).then_some(i / 5 % PARAMETERS.len()) };
    if let Some(p) = parameter {
        parameters.push((param, m1("source", PARAMETERS[p].0)));
        arguments.push(s(format!("--{param}")));
        arguments.push(s(format!("parameter:{param}")));
    }
    if !dense {
        entries.push(("arguments", Y::L(arguments)));
    }
    entries.push(("inputs", Y::M(inputs)));
    entries.push(("outputs", Y::M(vec![(out, m1("destination", format!("d{i}")))])));
    if !parameters.is_empty() {
        entries.push(("parameters", Y::M(parameters)));
    }
    step_settings(i, stage, dense, &mut entries);
    entries
}

/// The inputs of step `i` of `n`, named `[raw, prev, side, refd]`.
fn step_inputs(
    i: usize,
    n: usize,
    refs: usize,
    dense: bool,
    [raw, prev, side, refd]: [&'static str; 4],
    rng: &mut Rng,
) -> Vec<(&'static str, Y)> {
    let mut inputs: Vec<(&'static str, Y)> = Vec::new();
    // Shard heads read raw data (fan-out from data references); the rest continue a chain.
    if i < refs || i.is_multiple_of(97) {
        inputs.push((raw, m1("source", format!("raw_{}", i % refs))));
    } else {
        inputs.push((prev, m1("source", format!("d{}", i - 1))));
    }
    // Fan-in: a quarter of the steps also read an earlier step's output (those fan out).
    if i >= 2 && rng.below(4) == 0 {
        let lo = i.saturating_sub(200);
        let from = s(format!("d{}", lo + rng.below(i - 1 - lo)));
        inputs.push((
            side,
            if dense {
                Y::M(vec![("source", from)])
            } else {
                Y::M(vec![("source", from), ("bind_mode", s("download"))])
            },
        ));
    }
    if i % 500 == 250 || (n < 500 && i == n / 2) {
        inputs.push((refd, m1("source", "reference_data")));
    }
    inputs
}

/// The compute, hashed paths, run configuration, reuse and ordering of step `i`.
fn step_settings(i: usize, stage: &str, dense: bool, entries: &mut Vec<(&'static str, Y)>) {
    if stage == "train" {
        entries.push(("compute", s("gpu-cluster")));
        entries.push((
            "hash_paths",
            Y::L(vec![s(if dense { "requirements.txt" } else { "../../requirements.txt" })]),
        ));
        if i % 16 == 4 {
            entries.push(("runconfig", s("runconfigs/train.yml")));
        }
    }
    if stage == "report" {
        entries.push(("allow_reuse", s("false")));
    }
    if i >= 3 && i % 20 == 3 {
        entries.push(("run_after", Y::L(vec![s(format!("s{}", i - 3))])));
    }
}

/// The workspace file's text.
pub fn workspace_yaml() -> String {
    "name: synthetic-ws\n\
     default_datastore: landing\n\
     datastores:\n  \
       landing:\n    type: local\n    path: ./data\n  \
       lake:\n    type: azure_blob\n    account_name: synthlake\n    container_name: shards\n    \
         account_key: ${env:SYNTH_LAKE_KEY}\n\
     computes:\n  \
       cpu-cluster: {type: amlcompute, size: STANDARD_DS3_V2, min_instances: 0, max_instances: 8}\n  \
       gpu-cluster: {type: amlcompute, size: STANDARD_NC6, min_instances: 0, max_instances: 2}\n  \
       local: {type: local}\n"
        .to_string()
}

/// The script of a stage: standard-library Python that copies its inputs to its output.
fn script(stage: &str) -> String {
    format!(
        "\"\"\"Stage `{stage}` of the synthetic pipeline: copies each input into its output folder.\"\"\"\n\
         import argparse\nimport pathlib\nimport shutil\n\n\
         parser = argparse.ArgumentParser()\n\
         for name in (\"--raw\", \"--prev\", \"--side\", \"--ref\", \"--p\"):\n    \
             parser.add_argument(name)\n\
         parser.add_argument(\"--out\", required=True)\n\
         args = parser.parse_args()\n\
         out = pathlib.Path(args.out)\nout.mkdir(parents=True, exist_ok=True)\n\
         for name in (\"raw\", \"prev\", \"side\", \"ref\"):\n    \
             src = getattr(args, name)\n    \
             if src and pathlib.Path(src).is_file():\n        \
                 shutil.copy(src, out / f\"{{name}}.csv\")\n    \
             elif src and pathlib.Path(src).is_dir():\n        \
                 shutil.copytree(src, out / name, dirs_exist_ok=True)\n\
         (out / \"stage.txt\").write_text(\"{stage} p=%s\\n\" % args.p)\n"
    )
}

/// Writes a whole project under `dir` (created if needed) and returns the pipeline file's path.
pub fn write_project(dir: &Path, o: &Options) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir.join("data").join("raw"))?;
    std::fs::create_dir_all(dir.join("runconfigs"))?;
    for stage in STAGES {
        let d = dir.join(stage_dir(stage));
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join(format!("{stage}.py")), script(stage))?;
    }
    std::fs::write(dir.join("requirements.txt"), "numpy==2.1.3\npandas==2.2.3\n")?;
    std::fs::write(
        dir.join("runconfigs").join("train.yml"),
        "# RunConfiguration of the training stage.\nenvironment:\n  docker:\n    baseImage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04\n",
    )?;
    for r in 0..data_ref_count(o.steps) {
        if r % 3 != 2 {
            std::fs::write(dir.join("data").join("raw").join(format!("part-{r:04}.csv")), "x,y\n1,2\n")?;
        }
    }
    std::fs::write(dir.join("workspace.yaml"), workspace_yaml())?;
    let pipeline = dir.join("pipeline.yml");
    std::fs::write(&pipeline, pipeline_yaml(o))?;
    Ok(pipeline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Session, WorkspaceChoice};

    fn check(steps: usize, style: Style) -> (usize, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = write_project(dir.path(), &Options::new(steps, style)).unwrap();
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        let mut s = Session::new(WorkspaceChoice::default());
        s.check_paths(&[path]).unwrap();
        let ds = s.diagnostics.as_slice().iter().map(|d| format!("{}: {}", d.code, d.message)).collect();
        (len, ds)
    }

    #[test]
    fn generated_projects_check_clean() {
        for steps in [1, 2, 7, 40, 600] {
            for style in [Style::Block, Style::Flow, Style::Dense] {
                let (_, ds) = check(steps, style);
                assert!(ds.is_empty(), "{steps} steps, {style:?}: {ds:#?}");
            }
        }
    }

    #[test]
    fn output_is_deterministic_and_styles_agree() {
        let a = pipeline_yaml(&Options::new(300, Style::Flow));
        assert_eq!(a, pipeline_yaml(&Options::new(300, Style::Flow)));
        let (na, _) = crate::yaml::parse(&a, &Default::default());
        let b = pipeline_yaml(&Options::new(300, Style::Block));
        let (nb, _) = crate::yaml::parse(&b, &Default::default());
        assert_eq!(na.unwrap().to_json(), nb.unwrap().to_json());
    }
}
