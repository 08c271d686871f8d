//! The anonymous component of a PythonScriptStep (a `command` component running
//! `python <script> <arguments>`) or of a ParallelRunStep (a `parallel` component with a
//! `run_function` task).

use std::path::Path;

use serde_json::{Map, Value, json};

use super::super::error::{At, Errors, UNREADABLE};
use super::environment::environment;
use super::{COMMAND_SCHEMA, PARALLEL_SCHEMA, component_name};
use crate::ir::{Arg, ParallelSpec, Pipeline, PortRole, Step, StepKind};

/// The fields of a step's component, given its port declarations.
pub(super) fn component(
    step: &Step,
    p: &Pipeline,
    decls: Map<String, Value>,
    out_decls: Map<String, Value>,
    dir: &Path,
    at: At,
    errors: &mut Errors,
) -> Map<String, Value> {
    let code = step.code.as_ref().map(|c| c.raw.value.clone()).unwrap_or_else(|| ".".into());
    let code_dir = step.code_folder().unwrap_or_else(|| dir.to_path_buf());
    let script = step.invocation.script().map(|s| s.raw.value.clone()).unwrap_or_default();
    let args = arguments(step.invocation.arguments());
    let env = environment(step, dir, at, errors);
    let parallel = matches!(step.kind, StepKind::Parallel(_));
    let mut c = Map::new();
    c.insert("$schema".into(), if parallel { PARALLEL_SCHEMA } else { COMMAND_SCHEMA }.into());
    c.insert("type".into(), if parallel { "parallel" } else { "command" }.into());
    c.insert(
        "name".into(),
        component_name(&p.name.as_ref().map(|n| n.value.clone()), &step.key.value).into(),
    );
    if let Some(d) = &step.display_name {
        c.insert("display_name".into(), d.clone().into());
    }
    if let Some(d) = &step.description {
        c.insert("description".into(), d.clone().into());
    }
    c.insert("is_deterministic".into(), step.allow_reuse.into());
    if !decls.is_empty() {
        c.insert("inputs".into(), decls.into());
    }
    if !out_decls.is_empty() {
        c.insert("outputs".into(), out_decls.into());
    }
    if let StepKind::Parallel(spec) = &step.kind {
        parallel_fields(&mut c, step, spec);
        let mut task = Map::new();
        task.insert("type".into(), "run_function".into());
        task.insert("code".into(), code.into());
        task.insert("entry_script".into(), script.into());
        task.insert("environment".into(), env);
        if !args.is_empty() {
            task.insert("program_arguments".into(), args.into());
        }
        if spec.output_action.as_deref() == Some("append_row")
            && let Some(o) = step.outputs.first()
        {
            task.insert("append_row_to".into(), format!("${{{{outputs.{}}}}}", o.name.value).into());
        }
        c.insert("task".into(), task.into());
    } else {
        c.insert("code".into(), code.into());
        c.insert("environment".into(), env);
        let script_arg = shell_word(&script);
        let command = if args.is_empty() {
            format!("python {script_arg}")
        } else {
            format!("python {script_arg} {args}")
        };
        c.insert("command".into(), command.into());
    }
    if !code_dir.exists() {
        errors.push(
            at.error(UNREADABLE, format!("the source directory of step `{}` does not exist", step.key.value)),
        );
    }
    c
}

/// The mini-batch, resources and retry settings of a parallel component.
fn parallel_fields(c: &mut Map<String, Value>, step: &Step, spec: &ParallelSpec) {
    let first_data = step.inputs.iter().find(|i| i.role == PortRole::Data).map(|i| i.name.value.clone());
    if let Some(first) = first_data {
        c.insert("input_data".into(), format!("${{{{inputs.{first}}}}}").into());
    }
    if let Some(m) = &spec.mini_batch_size {
        c.insert("mini_batch_size".into(), mini_batch(m).into());
    }
    if let Some(n) = spec.node_count {
        c.insert("resources".into(), json!({"instance_count": n}));
    }
    if let Some(n) = spec.process_count_per_node {
        c.insert("max_concurrency_per_instance".into(), n.into());
    }
    if let Some(n) = spec.error_threshold {
        c.insert("error_threshold".into(), n.into());
    }
    let mut retry = Map::new();
    if let Some(n) = spec.max_tries {
        retry.insert("max_retries".into(), n.into());
    }
    if let Some(n) = spec.timeout {
        retry.insert("timeout".into(), n.into());
    }
    if !retry.is_empty() {
        c.insert("retry_settings".into(), retry.into());
    }
}

/// The arguments as command-line text with placeholders.
fn arguments(args: &[Arg]) -> String {
    args.iter()
        .map(|a| match a {
            Arg::Literal(s) => shell_word(&s.value),
            Arg::Input(n) | Arg::Parameter(n) | Arg::SideInput(n) => format!("${{{{inputs.{}}}}}", n.value),
            Arg::Output(n) => format!("${{{{outputs.{}}}}}", n.value),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word for a POSIX shell: as is when safe, else single-quoted.
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if safe { s.to_string() } else { format!("'{}'", s.replace('\'', "'\\''")) }
}

/// A v1 `mini_batch_size` as v2 writes it (`1MB` -> `1mb`, `10` -> `10`).
fn mini_batch(m: &str) -> String {
    m.trim().to_ascii_lowercase()
}
