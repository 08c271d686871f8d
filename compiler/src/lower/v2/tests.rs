//! Lowering of v2 files into the IR, checked on the IR itself.

use std::path::Path;

use crate::ir::{CommandPart, ComponentOrigin, DataLocation, Literal, Pipeline, PortRole, Source, StepKind};
use crate::session::{Session, WorkspaceChoice};

const ENV: &str = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:1";

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("has a folder")).expect("folder");
    std::fs::write(path, text).expect("write");
}

/// Compiles `pipeline.yml` in `dir`, failing with the diagnostics when it does not compile.
fn compile(dir: &Path) -> (Pipeline, Session) {
    let mut s = Session::new(WorkspaceChoice::default());
    let compiled = s.compile(&dir.join("pipeline.yml")).expect("loads");
    let messages: Vec<String> =
        s.diagnostics.as_slice().iter().map(|d| format!("{}: {}", d.code, d.message)).collect();
    let c = compiled.unwrap_or_else(|| panic!("does not compile: {messages:#?}"));
    (c.pipeline, s)
}

fn train_component() -> String {
    format!(
        "type: command\nname: train\ninputs:\n  data: {{type: uri_folder}}\n  lr: {{type: number, default: 0.1}}\n  epochs: {{type: integer}}\n  seed: {{type: integer, optional: true}}\noutputs:\n  model: {{type: mlflow_model}}\ncode: ./src\nenvironment: {ENV}\ncommand: python train.py --data ${{{{inputs.data}}}} --lr ${{{{inputs.lr}}}} --epochs ${{{{inputs.epochs}}}} $[[--seed ${{{{inputs.seed}}}}]] --model ${{{{outputs.model}}}}\n"
    )
}

#[test]
fn bindings_become_sources_and_edges() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write(d, "src/train.py", "print(1)\n");
    write(d, "data/x.csv", "a\n1\n");
    write(d, "train.yml", &train_component());
    write(
        d,
        "pipeline.yml",
        &format!(
            "type: pipeline\nsettings:\n  default_compute: azureml:cpu\ninputs:\n  raw: {{type: uri_folder, path: ./data}}\n  rate: 0.5\njobs:\n  prep:\n    command: cp -r ${{{{inputs.raw}}}} ${{{{outputs.clean}}}}\n    environment: {ENV}\n    inputs:\n      raw: ${{{{parent.inputs.raw}}}}\n    outputs:\n      clean:\n  train:\n    type: command\n    component: ./train.yml\n    inputs:\n      data: ${{{{parent.jobs.prep.outputs.clean}}}}\n      lr: ${{{{parent.inputs.rate}}}}\n      epochs: 5\n"
        ),
    );
    let (p, _) = compile(d);
    assert_eq!(p.steps.len(), 2);
    assert_eq!(p.default_compute.as_ref().map(|c| c.value.as_str()), Some("azureml:cpu"));
    assert!(matches!(p.inputs[0].data, Some(DataLocation::Local(_))));
    let train = p.step(p.step_id("train").expect("train"));
    let data = train.input("data").expect("data");
    assert!(matches!(&data.source, Source::StepOutput { output, .. } if output == "clean"));
    assert_eq!(data.ty, Some(crate::ir::DataType::UriFolder));
    assert!(matches!(train.input("lr").expect("lr").source, Source::PipelineInput { index: 1, .. }));
    let epochs = train.input("epochs").expect("epochs");
    assert!(matches!(&epochs.source, Source::Literal(l) if l.value == Literal::Int(5)));
    assert_eq!(epochs.role, PortRole::Parameter);
    assert_eq!(p.dag.edge_count(), 1);
    assert_eq!(
        p.dag.dependencies(p.step_id("train").expect("train")),
        vec![p.step_id("prep").expect("prep")]
    );
    // The component: where it comes from and what it declares.
    let c = train.component.as_deref().expect("component");
    assert!(
        matches!(&c.origin, ComponentOrigin::File { path, file: Some(_) } if path.raw.value == "./train.yml")
    );
    assert_eq!(c.inputs.len(), 4);
    assert!(c.input("seed").is_some_and(|s| s.optional));
    assert_eq!(train.output("model").and_then(|o| o.ty), Some(crate::ir::DataType::MlflowModel));
    assert!(train.code.as_ref().is_some_and(|code| code.raw.value == "./src"));
    // The command keeps its placeholders and optional fragment.
    let parts = &train.invocation.template().expect("command").parts;
    assert!(parts.iter().any(|p| matches!(p, CommandPart::Input(n) if n.value == "data")));
    assert!(parts.iter().any(|p| matches!(p, CommandPart::Optional(inner)
        if inner.iter().any(|q| matches!(q, CommandPart::Input(n) if n.value == "seed")))));
    // A job written in place declares what it is given.
    let prep = p.step(p.step_id("prep").expect("prep"));
    let inline = prep.component.as_deref().expect("inline component");
    assert!(matches!(inline.origin, ComponentOrigin::Inline { .. }));
    assert_eq!(inline.input("raw").and_then(|d| d.ty.as_ref().map(|t| t.value)), None);
    assert!(inline.output("clean").is_some());
}

#[test]
fn pipeline_components_become_nested_pipelines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write(d, "src/train.py", "print(1)\n");
    write(d, "train.yml", &train_component());
    write(
        d,
        "inner.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json\ntype: pipeline\nname: inner\ninputs:\n  data: {type: uri_folder}\n  epochs: {type: integer, default: 3}\noutputs:\n  model: {type: mlflow_model}\njobs:\n  fit:\n    component: ./train.yml\n    inputs:\n      data: ${{parent.inputs.data}}\n      epochs: ${{parent.inputs.epochs}}\n    outputs:\n      model: ${{parent.outputs.model}}\n",
    );
    write(
        d,
        "pipeline.yml",
        "type: pipeline\nsettings:\n  default_compute: azureml:cpu\njobs:\n  first:\n    type: pipeline\n    component: ./inner.yml\n    inputs:\n      data: {type: uri_folder, path: azureml:raw:1}\n  second:\n    type: pipeline\n    component: ./inner.yml\n    inputs:\n      data: ${{parent.jobs.first.outputs.model}}\n",
    );
    let (p, s) = compile(d);
    let first = p.step(p.step_id("first").expect("first"));
    let StepKind::Pipeline(sub) = &first.kind else { panic!("a nested pipeline") };
    assert_eq!(sub.steps.len(), 1);
    assert_eq!(sub.inputs.len(), 2);
    // Nested jobs run on the enclosing pipeline's default compute.
    assert_eq!(sub.default_compute.as_ref().map(|c| c.value.as_str()), Some("azureml:cpu"));
    let fit = &sub.steps[0];
    assert!(matches!(fit.input("epochs").expect("epochs").source, Source::PipelineInput { index: 1, .. }));
    assert_eq!(fit.output("model").and_then(|o| o.pipeline_output), Some(0));
    assert_eq!(p.dag.edge_count(), 1);
    // inner.yml and train.yml are each read once, though used twice.
    let names: Vec<String> = s.sources.iter().map(|(_, f)| f.path.display().to_string()).collect();
    assert_eq!(names.iter().filter(|n| n.ends_with("inner.yml")).count(), 1, "{names:?}");
    assert_eq!(names.iter().filter(|n| n.ends_with("train.yml")).count(), 1, "{names:?}");
}

#[test]
fn settings_sluice_does_not_read_are_kept_as_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write(
        d,
        "pipeline.yml",
        &format!(
            "type: pipeline\ntags: {{team: ml}}\nsettings:\n  default_compute: azureml:gpu\n  force_rerun: true\n  my_flag: 1\ninputs:\n  n: 2\njobs:\n  job:\n    command: echo hi\n    environment: {ENV}\n    resources:\n      instance_count: ${{{{parent.inputs.n}}}}\n      shm_size: 2g\n    distribution:\n      type: pytorch\n      process_count_per_instance: 4\n    limits:\n      timeout: 3600\n"
        ),
    );
    let (p, _) = compile(d);
    assert!(p.force_rerun);
    assert_eq!(
        p.document.as_ref().and_then(|d| d.fields().get("tags")),
        Some(&serde_json::json!({"team": "ml"}))
    );
    assert_eq!(
        p.document.as_ref().and_then(|d| d.fields().get("settings")),
        Some(&serde_json::json!({"default_compute": "azureml:gpu", "force_rerun": true, "my_flag": 1}))
    );
    // `n` is used (by a resource), so it is no unused parameter.
    assert_eq!(p.bound_inputs, vec![0]);
    let job = &p.steps[0];
    let keys: Vec<&str> = job.settings.keys().map(String::as_str).collect();
    assert_eq!(keys, ["resources", "distribution", "limits"]);
    assert_eq!(job.settings["distribution"]["process_count_per_instance"], serde_json::json!(4));
    assert_eq!(job.settings["resources"]["instance_count"], serde_json::json!("${{parent.inputs.n}}"));
    assert!(matches!(&job.environment, crate::ir::Environment::Reference(n) if n.value == ENV));
}

#[test]
fn registered_components_and_loops() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write(
        d,
        "pipeline.yml",
        "type: pipeline\nsettings:\n  default_compute: azureml:cpu\njobs:\n  a:\n    component: azureml:prepare@latest\n  b:\n    component: azureml://registries/azureml/components/score/versions/2\n    inputs:\n      x: ${{parent.jobs.a.outputs.anything}}\n  loop:\n    type: do_while\n    body: ${{parent.jobs.b}}\n    condition: ${{parent.jobs.b.outputs.again}}\n    limits:\n      max_iteration_count: 3\n  after:\n    component: azureml:report:1\n    inputs:\n      y: ${{parent.jobs.loop.outputs.result}}\n",
    );
    let (p, _) = compile(d);
    let b = p.step(p.step_id("b").expect("b"));
    assert!(
        matches!(&b.input("x").expect("x").source, Source::StepOutput { output, .. } if output == "anything")
    );
    assert!(b.component.as_deref().is_some_and(|c| !c.interface_known
        && matches!(&c.origin, ComponentOrigin::Registered(n) if n.value.contains("registries"))));
    let lp = p.step(p.step_id("loop").expect("loop"));
    assert!(matches!(&lp.kind, StepKind::ControlFlow(k) if k == "do_while"));
    assert!(lp.run_after.iter().any(|r| r.value == "b"));
    let order = p.dag.topological_order().expect("no cycle");
    let pos = |k: &str| order.iter().position(|s| p.step(*s).key.value == k).expect("ordered");
    assert!(pos("a") < pos("b") && pos("b") < pos("loop") && pos("loop") < pos("after"));
}

#[test]
fn jobs_reach_the_service_as_written_and_components_keep_their_document() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write(d, "src/train.py", "print(1)\n");
    write(d, "train.yml", &train_component());
    write(
        d,
        "pipeline.yml",
        &format!(
            "type: pipeline\nsettings:\n  default_compute: azureml:cpu\njobs:\n  fit:\n    component: ./train.yml\n    inputs:\n      data: {{type: uri_folder, path: azureml:raw:1}}\n      epochs: 3\n  score:\n    component: azureml:score:2\n  echo:\n    command: echo hi\n    environment: {ENV}\n"
        ),
    );
    let (p, _) = compile(d);
    for step in &p.steps {
        let crate::ir::ServiceJob::Written(job) = &step.service else {
            panic!("{} is not written", step.key.value)
        };
        assert!(job.fields().contains_key("component") || job.fields().contains_key("command"));
    }
    let component =
        |key: &str| p.step(p.step_id(key).expect("step")).component.as_deref().expect("component");
    let file = component("fit").document.as_ref().expect("a component file keeps its body");
    assert_eq!(
        file.declared("outputs").map(|o| o.keys().map(String::as_str).collect::<Vec<_>>()),
        Some(vec!["model"])
    );
    // Known by reference, or made by the service from the job: no body of its own.
    assert!(component("score").document.is_none());
    assert!(component("echo").document.is_none());
}
