//! The step forms without `type` that the SDK still reads, with a warning: a key naming the
//! step type (`python_script_step:`, `module:`, ...) whose mapping holds some of the step's keys,
//! the rest staying beside it. [`rewrite`] turns each into the typed step it means, keeping every
//! node's span, so the rest of sluice sees typed steps only.

use crate::source::Span;
use crate::yaml::{Node, Value};

/// A deprecated form: its key, the step type it means, and the keys the SDK reads inside it
/// (it reads every other key beside it, and ignores the other keys inside it).
#[derive(Debug, Clone, Copy)]
pub struct Form {
    /// The key that names the type.
    pub key: &'static str,
    /// The type it means.
    pub type_name: &'static str,
    /// The keys read from the nested mapping.
    pub inner: &'static [&'static str],
}

/// The keys the SDK reads from the nested mapping of every form but `module`.
const STEP_INNER: &[&str] = &[
    "script_name",
    "name",
    "version",
    "runtime_version",
    "priority",
    "degree_of_parallelism",
    "source_directory",
    "allow_reuse",
    "hash_paths",
];

/// Every deprecated form.
pub const FORMS: [Form; 7] = [
    Form { key: "python_script_step", type_name: "PythonScriptStep", inner: STEP_INNER },
    Form { key: "parallel_run_step", type_name: "ParallelRunStep", inner: STEP_INNER },
    Form { key: "adla_step", type_name: "AdlaStep", inner: STEP_INNER },
    Form { key: "databricks_step", type_name: "DatabricksStep", inner: STEP_INNER },
    Form { key: "data_transfer_step", type_name: "DataTransferStep", inner: STEP_INNER },
    Form { key: "azurebatch_step", type_name: "AzureBatchStep", inner: STEP_INNER },
    Form { key: "module", type_name: "ModuleStep", inner: &["id", "name", "version"] },
];

/// What rewriting one step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A deprecated form was read as `type: <type_name>`.
    Deprecated {
        /// The form's key, where it is.
        key: Span,
        /// The form's key as written.
        form: &'static str,
        /// The type it means.
        type_name: &'static str,
    },
    /// A key inside the form's mapping that the SDK does not read from there.
    NotReadInside {
        /// The key, where it is.
        key: Span,
        /// The key as written.
        name: String,
        /// The form.
        form: &'static str,
    },
    /// A key given both inside the form's mapping and beside it.
    Twice {
        /// The key inside.
        inner: Span,
        /// The key beside.
        outer: Span,
        /// The key as written.
        name: String,
    },
}

/// Rewrites the deprecated steps of a pipeline file's tree in place and returns what it found.
pub fn rewrite(root: &mut Node) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Value::Map(entries) = &mut root.value else { return findings };
    let Some((_, pipeline)) = entries.iter_mut().find(|(k, _)| k.as_str() == Some("pipeline")) else {
        return findings;
    };
    let Value::Map(entries) = &mut pipeline.value else { return findings };
    let Some((_, steps)) = entries.iter_mut().find(|(k, _)| k.as_str() == Some("steps")) else {
        return findings;
    };
    let Value::Map(steps) = &mut steps.value else { return findings };
    for (_, step) in steps.iter_mut() {
        rewrite_step(step, &mut findings);
    }
    findings
}

fn rewrite_step(step: &mut Node, findings: &mut Vec<Finding>) {
    let Value::Map(entries) = &mut step.value else { return };
    if entries.iter().any(|(k, _)| k.as_str() == Some("type")) {
        return;
    }
    let Some(index) = entries.iter().position(|(k, _)| FORMS.iter().any(|f| k.as_str() == Some(f.key)))
    else {
        return;
    };
    let (key, inner) = entries.remove(index);
    let Some(form) = FORMS.iter().find(|f| key.as_str() == Some(f.key)) else { return };
    findings.push(Finding::Deprecated { key: key.span, form: form.key, type_name: form.type_name });
    // `type` at the key's place, then the nested keys the SDK reads, then the keys beside.
    let tag = |value: Value| Node { span: key.span, value };
    let mut merged = vec![(tag(Value::Str("type".into())), tag(Value::Str(form.type_name.into())))];
    if let Value::Map(inner) = inner.value {
        for (k, v) in inner {
            let name = k.key_string();
            if !form.inner.contains(&name.as_str()) {
                findings.push(Finding::NotReadInside { key: k.span, name, form: form.key });
                continue;
            }
            if let Some((outer, _)) = entries.iter().find(|(o, _)| o.key_string() == name) {
                findings.push(Finding::Twice { inner: k.span, outer: outer.span, name });
                continue;
            }
            merged.push((k, v));
        }
    }
    merged.append(entries);
    *entries = merged;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse};

    #[test]
    fn a_deprecated_step_becomes_typed() {
        let text = "pipeline:\n  steps:\n    s:\n      python_script_step:\n        script_name: a.py\n        \
                    arguments: [x]\n      compute: c\n";
        let mut node = parse(text, &Limits::default()).0.unwrap();
        let findings = rewrite(&mut node);
        let step = node.get("pipeline").unwrap().get("steps").unwrap().get("s").unwrap();
        assert_eq!(step.get("type").and_then(Node::as_str), Some("PythonScriptStep"));
        assert_eq!(step.get("script_name").and_then(Node::as_str), Some("a.py"));
        assert_eq!(step.get("compute").and_then(Node::as_str), Some("c"));
        assert!(step.get("arguments").is_none());
        assert!(matches!(findings[0], Finding::Deprecated { form: "python_script_step", .. }));
        assert!(matches!(&findings[1], Finding::NotReadInside { name, .. } if name == "arguments"));
    }

    #[test]
    fn typed_steps_are_left_alone() {
        let text = "pipeline:\n  steps:\n    s:\n      type: AdlaStep\n      adla_step: {}\n";
        let mut node = parse(text, &Limits::default()).0.unwrap();
        let before = node.clone();
        assert!(rewrite(&mut node).is_empty());
        assert_eq!(node, before);
    }
}
