//! Lowering of v1 pipelines (DESIGN 2.1, docs/v1-format.md) into the IR: the pipeline file and
//! the files its steps name (run configurations, ParallelRunStep configurations), with the rules
//! of the SDK's reader that the syntax types alone cannot say. `Schedule:` files are checked by
//! [`check_schedule`].

mod config;
mod data;
mod kinds;
mod parallel;
mod schedule;
mod steps;
mod warnings;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub use data::literal;
pub use schedule::check_schedule;

use super::LowerCtx;
use crate::diagnostic::Diagnostics;
use crate::ir::{Dag, Pipeline, StepId};
use crate::lower::{Loader, read_with};
use crate::source::FileId;
use crate::syntax::v1::{self, deprecated};
use crate::yaml::{Node, ReadOptions, dispose};

/// How every file of the format is read: as the SDK reads it, text is text only (`name: 5` is
/// refused), and one malformed key does not hide the other mistakes of its mapping.
pub const READ: ReadOptions = ReadOptions { strict_strings: true, recover: true };

/// Lowers a v1 pipeline file; `None` when it could not be read (its problems are reported).
pub fn lower_pipeline(
    loader: &mut dyn Loader,
    file: FileId,
    mut node: Node,
    cx: &LowerCtx,
) -> Option<Pipeline> {
    let findings = deprecated::rewrite(&mut node);
    let mut sink = Diagnostics::new();
    warnings::deprecated_forms(cx, &findings, &mut sink);
    warnings::from_tree(cx, &node, &mut sink);
    let doc: Option<v1::PipelineFile> = read_with(loader, file, &node, READ);
    let steps_key = node.get("pipeline").and_then(|p| p.entry("steps")).map(|(k, _)| k.span);
    loader.report(sink.into_vec());
    dispose(node);
    let doc = doc?;
    let path = loader.sources().get(file).path.clone();
    let workspace = loader.workspace_for(&path);
    let mut l =
        Lowerer { loader, cx, sink: Diagnostics::new(), configs: config::Configs::default(), workspace };
    let mut pipeline = l.pipeline(&doc.pipeline);
    pipeline.steps_at = steps_key.map(|span| crate::ir::Name { value: "steps".into(), file, span });
    let sink = std::mem::take(&mut l.sink);
    loader.report(sink.into_vec());
    dispose(doc);
    Some(pipeline)
}

/// The state of lowering one pipeline file.
pub(crate) struct Lowerer<'s, 'c> {
    /// The loader, for the files steps name.
    pub loader: &'s mut dyn Loader,
    /// The pipeline file.
    pub cx: &'c LowerCtx,
    /// Diagnostics about the pipeline file.
    pub sink: Diagnostics,
    /// The run configurations and parallel run configurations read so far.
    pub configs: config::Configs,
    /// The workspace the pipeline runs in.
    pub workspace: crate::ir::Workspace,
}

impl Lowerer<'_, '_> {
    fn pipeline(&mut self, p: &v1::Pipeline) -> Pipeline {
        let cx = self.cx;
        let inputs: Vec<_> =
            p.parameters.iter().map(|(k, v)| data::parameter(cx, k, v, &mut self.sink)).collect();
        let data: Vec<_> =
            p.data_references.iter().map(|(k, v)| data::data_reference(cx, k, v, &mut self.sink)).collect();
        let resolver = data::Resolver::new(cx, p, &inputs, &data);
        let mut unresolved = Vec::new();
        let mut bound_inputs = Vec::new();
        let steps: Vec<_> = p
            .steps
            .value
            .iter()
            .map(|(key, step)| self.step(key, step, &resolver, &mut unresolved, &mut bound_inputs))
            .collect();
        bound_inputs.sort_unstable();
        bound_inputs.dedup();
        let dag = Dag::build(&steps);
        Pipeline {
            file: cx.file,
            name: p.name.as_ref().map(|n| cx.name(n)),
            // The studio shows a v1 pipeline under its name, as v2 shows `display_name`.
            display_name: p.name.as_ref().map(|n| n.value.clone()),
            description: p.description.as_ref().map(|d| d.value.clone()),
            experiment_name: None,
            default_compute: p.default_compute.as_ref().map(|n| cx.name(n)),
            default_datastore: p.default_datastore.as_ref().map(|n| cx.name(n)),
            continue_on_step_failure: p.continue_on_step_failure.as_ref().is_some_and(|c| c.value),
            force_rerun: false,
            inputs,
            outputs: Vec::new(),
            data,
            steps,
            dag,
            document: None,
            unresolved,
            reusable: false,
            opaque: false,
            steps_at: None,
            bound_inputs,
        }
    }
}

/// PipelineData names: the step output that writes each (the first, if two do: a check reports
/// the second).
pub(crate) fn destinations(p: &v1::Pipeline) -> HashMap<&str, (StepId, &str)> {
    let mut out: HashMap<&str, (StepId, &str)> = HashMap::new();
    for (i, (_, step)) in p.steps.value.iter().enumerate() {
        for (name, o) in steps::written_outputs(step) {
            out.entry(o.destination.value.as_str()).or_insert((StepId(i), name.value.as_str()));
        }
    }
    out
}
