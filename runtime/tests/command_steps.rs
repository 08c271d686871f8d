//! Steps with a command template (the v2 shape: `Step.command` with `${{inputs.x}}`,
//! `${{outputs.y}}` and `$[[ ... ]]` parts, a `code` folder, literal inputs) plan and run
//! through the IR alone, whatever format they were read from. The steps run `python3`; without
//! it the tests say `skipped:` (a failure under `SLUICE_CI=1`).
#![allow(clippy::unwrap_used)] // Tests fail loudly.

#[path = "../../tests/support/external.rs"]
mod external;

use std::path::Path;

use sluice_compiler::Compiled;
use sluice_compiler::ir::{
    Command, CommandPart, DataType, InputPort, Invocation, Literal, Name, PortRole, Source, Step,
};
use sluice_compiler::session::{Session, WorkspaceChoice};
use sluice_compiler::source::{FileId, Span};
use sluice_compiler::yaml::Spanned;
use sluice_runtime::plan::{InputValue, PlanOptions, Reuse};
use sluice_runtime::progress::PlainReporter;
use sluice_runtime::run::{self, RunOptions};

fn name(s: &str) -> Name {
    Name { value: s.to_string(), file: FileId(0), span: Span::point(0) }
}

fn text(s: &str) -> CommandPart {
    CommandPart::Text(s.to_string())
}

/// A two-step pipeline read from v1 YAML, then turned into command steps.
fn compiled(dir: &Path) -> Compiled {
    std::fs::create_dir_all(dir.join("code")).unwrap();
    std::fs::write(
        dir.join("code/make.py"),
        "import sys, os\nargs = sys.argv[1:]\nn = int(args[args.index('--n') + 1])\nout = args[args.index('--out') + 1]\n\
         extra = args[args.index('--extra') + 1] if '--extra' in args else 'none'\n\
         open(os.path.join(out, 'data.txt'), 'w').write(f'{n} {extra}')\n",
    )
    .unwrap();
    std::fs::write(dir.join("code/use.py"), "import sys\nprint(open(sys.argv[1] + '/data.txt').read())\n")
        .unwrap();
    std::fs::write(
        dir.join("pipeline.yml"),
        "pipeline:\n  name: cmd\n  default_compute: local\n  steps:\n\
         \x20   make:\n      type: PythonScriptStep\n      script_name: make.py\n      source_directory: code\n      outputs: {data: {destination: d}}\n\
         \x20   use:\n      type: PythonScriptStep\n      script_name: use.py\n      source_directory: code\n      inputs: {d: {source: d}}\n",
    )
    .unwrap();
    let mut s = Session::new(WorkspaceChoice::default());
    let mut c = s.compile(&dir.join("pipeline.yml")).unwrap().unwrap();
    let to_command = |step: &mut Step, parts: Vec<CommandPart>| {
        let text: String = parts.iter().map(|p| format!("{p:?}")).collect();
        step.invocation = Invocation::Command(Command { text, file: FileId(0), parts });
    };
    let make = &mut c.pipeline.steps[0];
    make.inputs.push(InputPort {
        name: name("n"),
        role: PortRole::Parameter,
        ty: Some(DataType::Integer),
        source: Source::Literal(Spanned::new(Literal::Int(3), Span::point(0))),
        mode: None,
        optional: false,
        default: None,
        settings: Default::default(),
    });
    make.inputs.push(InputPort {
        name: name("extra"),
        role: PortRole::Parameter,
        ty: Some(DataType::String),
        source: Source::None,
        mode: None,
        optional: true,
        default: None,
        settings: Default::default(),
    });
    to_command(
        make,
        vec![
            text("python3 make.py --n "),
            CommandPart::Input(name("n")),
            text(" --out "),
            CommandPart::Output(name("data")),
            CommandPart::Optional(vec![text(" --extra "), CommandPart::Input(name("extra"))]),
        ],
    );
    to_command(&mut c.pipeline.steps[1], vec![text("python3 use.py "), CommandPart::Input(name("d"))]);
    c
}

#[test]
fn command_steps_plan_and_run() {
    if !external::require_python("command_steps_plan_and_run") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let c = compiled(d.path());
    let file = d.path().join("pipeline.yml");
    let opts = RunOptions { plan: PlanOptions::default(), jobs: Some(2), ..RunOptions::default() };
    let summary = run::run(&c, &file, &opts, &mut PlainReporter).unwrap();
    assert_eq!((summary.status, summary.completed), ("completed", 2));

    let state = sluice_runtime::StateDir::for_root(&c.workspace.root);
    let store = sluice_runtime::RunStore::open(&state.store_path()).unwrap();
    let cache = sluice_compiler::fingerprint::HashCache::new();
    let plan =
        sluice_runtime::plan::plan(&c, &file, &state, Some(&store), &cache, &PlanOptions::default()).unwrap();
    assert!(plan.steps.iter().all(|s| s.reuse == Reuse::Hit));
    let make = &plan.steps[0];
    let cmd = make.command.as_ref().unwrap();
    assert!(cmd[0] == "bash" || cmd[0] == "sh");
    // The optional part is dropped: `extra` has no value.
    assert!(cmd[2].starts_with("python3 make.py --n 3 --out /") && !cmd[2].contains("--extra"), "{cmd:?}");
    assert_eq!(make.inputs["n"], InputValue::Value(3.into()));
    let out = Path::new(make.outputs["data"].as_path()).join("data.txt");
    assert_eq!(std::fs::read_to_string(out).unwrap(), "3 none");
    let logs = std::fs::read_to_string(state.step_dir(1, "use").join("stdout")).unwrap();
    assert_eq!(logs.trim(), "3 none");
}

/// A v2 pipeline whose jobs are pipeline components runs as the components' steps.
#[test]
fn nested_v2_pipelines_run_as_their_steps() {
    if !external::require_python("nested_v2_pipelines_run_as_their_steps") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "src/fit.py",
        "import argparse, os\nap = argparse.ArgumentParser()\nap.add_argument('--data'); ap.add_argument('--epochs'); ap.add_argument('--model')\n\
         a = ap.parse_args()\nn = len(os.listdir(a.data))\nopen(os.path.join(a.model, 'out.txt'), 'w').write(f'{a.epochs} {n}')\n",
    );
    write("data/a.txt", "1");
    write("data/b.txt", "2");
    write(
        "train.yml",
        "type: command\ninputs:\n  data: {type: uri_folder}\n  epochs: {type: integer, default: 3}\noutputs:\n  model: {type: uri_folder}\n\
         code: ./src\nenvironment: {image: python:3.12-slim}\n\
         command: python3 fit.py --data ${{inputs.data}} --epochs ${{inputs.epochs}} --model ${{outputs.model}}\n",
    );
    write(
        "inner.yml",
        "type: pipeline\ninputs:\n  data: {type: uri_folder}\n  epochs: {type: integer, default: 3}\noutputs:\n  model: {type: uri_folder}\n\
         jobs:\n  fit:\n    component: ./train.yml\n    inputs:\n      data: ${{parent.inputs.data}}\n      epochs: ${{parent.inputs.epochs}}\n    outputs:\n      model: ${{parent.outputs.model}}\n",
    );
    write(
        "pipeline.yml",
        "type: pipeline\nsettings:\n  default_compute: azureml:cpu\ninputs:\n  rounds: 5\njobs:\n\
         \x20 first:\n    type: pipeline\n    component: ./inner.yml\n    inputs:\n      data: {type: uri_folder, path: ./data}\n\
         \x20 second:\n    type: pipeline\n    component: ./inner.yml\n    inputs:\n      data: ${{parent.jobs.first.outputs.model}}\n      epochs: ${{parent.inputs.rounds}}\n",
    );
    let mut s = Session::new(WorkspaceChoice::default());
    let c = s.compile(&dir.join("pipeline.yml")).unwrap().unwrap();
    let file = dir.join("pipeline.yml");
    let summary = run::run(&c, &file, &RunOptions::default(), &mut PlainReporter).unwrap();
    assert_eq!((summary.status, summary.completed), ("completed", 2));
    let state = sluice_runtime::StateDir::for_root(&c.workspace.root);
    let store = sluice_runtime::RunStore::open(&state.store_path()).unwrap();
    let plan = sluice_runtime::plan::plan(
        &c,
        &file,
        &state,
        Some(&store),
        &sluice_compiler::fingerprint::HashCache::new(),
        &PlanOptions::default(),
    )
    .unwrap();
    let keys: Vec<&str> = plan.steps.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["first/fit", "second/fit"]);
    assert!(plan.steps.iter().all(|s| s.reuse == Reuse::Hit));
    let read = |i: usize| std::fs::read_to_string(plan.steps[i].outputs["model"].join("out.txt")).unwrap();
    assert_eq!(read(0), "3 2");
    assert_eq!(read(1), "5 1");
    // Each step's logs are in a folder of its own, nested like its key.
    assert!(state.step_dir(1, "second/fit").join("stdout").is_file());
}
