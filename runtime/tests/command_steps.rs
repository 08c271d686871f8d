//! Steps with a command template (the v2 shape: `Step.command` with `${{inputs.x}}`,
//! `${{outputs.y}}` and `$[[ ... ]]` parts, a `code` folder, literal inputs) plan and run
//! through the IR alone, whatever format they were read from.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

use std::path::Path;

use sluice_compiler::ir::{Command, CommandPart, DataType, InputPort, Literal, Name, PortRole, Source, Step};
use sluice_compiler::session::{Compiled, Session, WorkspaceChoice};
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
        step.script = None;
        step.arguments.clear();
        let text: String = parts.iter().map(|p| format!("{p:?}")).collect();
        step.command = Some(Command { text, file: FileId(0), parts });
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
    });
    make.inputs.push(InputPort {
        name: name("extra"),
        role: PortRole::Parameter,
        ty: Some(DataType::String),
        source: Source::None,
        mode: None,
        optional: true,
        default: None,
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
