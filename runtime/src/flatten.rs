//! Nested pipelines (v2 pipeline components) run as their steps: a pipeline whose steps include
//! [`StepKind::Pipeline`] becomes one flat pipeline whose keys are `outer/inner`, with each inner
//! binding to the nested pipeline's inputs replaced by what the outer step binds to that input,
//! and each outer binding to the nested pipeline's outputs replaced by the inner step output
//! that produces it. Pure IR to IR: nothing here knows the source format.

use sluice_compiler::ir::{Dag, DataLocation, Name, Pipeline, Source, Step, StepId, StepKind};

/// True when some step is a nested pipeline.
pub fn has_nested(p: &Pipeline) -> bool {
    p.steps.iter().any(|s| matches!(&s.kind, StepKind::Pipeline(sub) if !sub.opaque))
}

/// The pipeline with every nested pipeline replaced by its steps.
pub fn flatten(p: &Pipeline) -> Pipeline {
    if !has_nested(p) {
        return p.clone();
    }
    let mut out = p.clone();
    out.steps.clear();
    out.data = p.data.clone();
    // Where each outer step went: a plain step keeps one flat id; a nested pipeline, its flat
    // steps (to resolve bindings to its outputs and `run_after` naming it).
    let mut placed: Vec<Placed> = Vec::with_capacity(p.steps.len());
    for step in &p.steps {
        match &step.kind {
            // A pipeline known only by reference stays one step (that cannot run here).
            StepKind::Pipeline(sub) if !sub.opaque => {
                let sub = flatten(sub);
                let base = out.steps.len();
                let data_base = out.data.len();
                out.data.extend(sub.data.iter().cloned());
                let prefix = format!("{}/", step.key.value);
                let inner_keys: Vec<String> = sub.steps.iter().map(|s| s.key.value.clone()).collect();
                for inner in &sub.steps {
                    let mut s = inner.clone();
                    s.key.value = format!("{prefix}{}", inner.key.value);
                    if s.compute.is_none() {
                        s.compute = step.compute.clone().or_else(|| sub.default_compute.clone());
                    }
                    for r in &mut s.run_after {
                        if inner_keys.contains(&r.value) {
                            r.value = format!("{prefix}{}", r.value);
                        }
                    }
                    // The nested step's own `run_after` holds for each of its steps.
                    s.run_after.extend(step.run_after.iter().cloned());
                    for port in &mut s.inputs {
                        port.source = match std::mem::replace(&mut port.source, Source::None) {
                            Source::StepOutput { step: id, output, at } => {
                                Source::StepOutput { step: StepId(base + id.0), output, at }
                            }
                            Source::Data { index, at } => Source::Data { index: data_base + index, at },
                            Source::PipelineInput { index, at } => bound_input(step, &sub, index, at),
                            other => other,
                        };
                    }
                    out.steps.push(s);
                }
                let outputs = sub
                    .outputs
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        let producer = sub.steps.iter().enumerate().find_map(|(j, s)| {
                            s.outputs
                                .iter()
                                .find(|p| p.pipeline_output == Some(i))
                                .map(|p| (StepId(base + j), p.name.value.clone()))
                        });
                        (o.name.value.clone(), producer)
                    })
                    .collect();
                placed.push(Placed::Nested { steps: (base..out.steps.len()).map(StepId).collect(), outputs });
            }
            _ => {
                placed.push(Placed::Plain(StepId(out.steps.len())));
                out.steps.push(step.clone());
            }
        }
    }
    // Outer bindings and `run_after` now point at flat steps.
    let keys: Vec<String> = out.steps.iter().map(|s| s.key.value.clone()).collect();
    for (outer, place) in p.steps.iter().zip(&placed) {
        let Placed::Plain(id) = place else { continue };
        let s = &mut out.steps[id.0];
        for port in &mut s.inputs {
            if let Source::StepOutput { step, output, at } = &port.source {
                port.source = match &placed[step.0] {
                    Placed::Plain(flat) => {
                        Source::StepOutput { step: *flat, output: output.clone(), at: at.clone() }
                    }
                    Placed::Nested { outputs, .. } => match outputs.iter().find(|(n, _)| n == output) {
                        Some((_, Some((flat, name)))) => {
                            Source::StepOutput { step: *flat, output: name.clone(), at: at.clone() }
                        }
                        _ => Source::None,
                    },
                };
            }
        }
        s.run_after = outer
            .run_after
            .iter()
            .flat_map(|r| {
                let target = p.steps.iter().position(|x| x.key.value == r.value).map(|i| &placed[i]);
                match target {
                    Some(Placed::Nested { steps, .. }) => {
                        steps.iter().map(|id| Name { value: keys[id.0].clone(), ..r.clone() }).collect()
                    }
                    _ => vec![r.clone()],
                }
            })
            .collect();
    }
    out.dag = Dag::build(&out.steps);
    out
}

enum Placed {
    Plain(StepId),
    Nested { steps: Vec<StepId>, outputs: Vec<(String, Option<(StepId, String)>)> },
}

/// What an inner binding to the nested pipeline's input `index` becomes: the outer step's
/// binding of that input (already in the outer pipeline's terms), else the input's default.
fn bound_input(outer: &Step, sub: &Pipeline, index: usize, at: Name) -> Source {
    let Some(input) = sub.inputs.get(index) else {
        return Source::None;
    };
    if let Some(port) = outer.inputs.iter().find(|p| p.name.value == input.name.value) {
        return port.source.clone();
    }
    if let Some(d) = &input.default {
        return Source::Literal(d.clone());
    }
    match &input.data {
        Some(loc) if *loc != DataLocation::Invalid => Source::Location(loc.clone()),
        _ => {
            let _ = at;
            Source::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_compiler::session::{Session, WorkspaceChoice};

    pub(crate) const TRAIN: &str = "\
type: command
name: fit
inputs:
  data: {type: uri_folder}
  epochs: {type: integer, default: 3}
outputs:
  model: {type: uri_folder}
code: ./src
environment: {image: python:3.12-slim}
command: python fit.py --data ${{inputs.data}} --epochs ${{inputs.epochs}} --model ${{outputs.model}}
";

    pub(crate) const INNER: &str = "\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
name: inner
inputs:
  data: {type: uri_folder}
  epochs: {type: integer, default: 3}
outputs:
  model: {type: uri_folder}
jobs:
  fit:
    component: ./train.yml
    inputs:
      data: ${{parent.inputs.data}}
      epochs: ${{parent.inputs.epochs}}
    outputs:
      model: ${{parent.outputs.model}}
";

    pub(crate) const OUTER: &str = "\
type: pipeline
settings:
  default_compute: azureml:cpu
inputs:
  rounds: 5
jobs:
  first:
    type: pipeline
    component: ./inner.yml
    inputs:
      data: {type: uri_folder, path: ./data}
  second:
    type: pipeline
    component: ./inner.yml
    inputs:
      data: ${{parent.jobs.first.outputs.model}}
      epochs: ${{parent.inputs.rounds}}
";

    fn compile(dir: &std::path::Path) -> Pipeline {
        let write = |rel: &str, text: &str| {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("src/fit.py", "print(1)\n");
        write("data/x.txt", "1\n");
        write("train.yml", TRAIN);
        write("inner.yml", INNER);
        write("pipeline.yml", OUTER);
        let mut s = Session::new(WorkspaceChoice::default());
        let c = s.compile(&dir.join("pipeline.yml")).unwrap();
        assert!(!s.diagnostics.has_errors(), "{:?}", s.diagnostics.as_slice());
        c.unwrap().pipeline
    }

    #[test]
    fn nested_steps_take_the_outer_bindings() {
        let d = tempfile::tempdir().unwrap();
        let outer = compile(d.path());
        assert!(has_nested(&outer));
        let flat = flatten(&outer);
        let keys: Vec<&str> = flat.steps.iter().map(|s| s.key.value.as_str()).collect();
        assert_eq!(keys, ["first/fit", "second/fit"]);
        let (first, second) = (&flat.steps[0], &flat.steps[1]);
        // `first` gives data in place and leaves epochs to the nested pipeline's default.
        assert!(matches!(&first.input("data").unwrap().source, Source::Location(DataLocation::Local(_))));
        assert!(
            matches!(&first.input("epochs").unwrap().source, Source::Literal(l) if l.value == sluice_compiler::ir::Literal::Int(3))
        );
        // `second` reads what `first`'s inner step makes, and the outer pipeline's input.
        assert!(
            matches!(&second.input("data").unwrap().source, Source::StepOutput { step: StepId(0), output, .. } if output == "model")
        );
        assert!(matches!(second.input("epochs").unwrap().source, Source::PipelineInput { index: 0, .. }));
        assert!(!has_nested(&flat));
        assert_eq!(flat.dag.levels().unwrap().len(), 2);
    }
}
