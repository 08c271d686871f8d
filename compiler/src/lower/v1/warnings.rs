//! What the SDK reads past or fails on, found in the file's tree (so also in files whose shape is
//! wrong elsewhere): keys it ignores, deprecated forms, and documented keys it cannot load.

use crate::check::{deprecated_form, duplicate_key, ignored_key, sdk_cannot_load, unknown_key};
use crate::diagnostic::{Diagnostics, Label};
use crate::lower::LowerCtx;
use crate::syntax::v1::deprecated::Finding;
use crate::syntax::v1::steps::{LIBRARY_KEYS, ignored};
use crate::yaml::Node;

/// Reports what rewriting the deprecated step forms found.
pub(super) fn deprecated_forms(cx: &LowerCtx, findings: &[Finding], sink: &mut Diagnostics) {
    let file = cx.file;
    for f in findings {
        sink.push(match f {
            Finding::Deprecated { key, form, type_name } => deprecated_form::RULE
                .at(file, *key, format!("`{form}:` is the SDK's deprecated form of `type: {type_name}`"))
                .with_help(format!(
                    "write `type: {type_name}` and move the keys inside `{form}:` up into the step"
                )),
            Finding::NotReadInside { key, name, form } => unknown_key::RULE
                .at(file, *key, format!("the SDK does not read `{name}` inside `{form}:`"))
                .with_help(format!("move `{name}` up, beside `{form}:` (or write the step with `type:`)")),
            Finding::Twice { inner, outer, name } => duplicate_key::RULE
                .at(file, *inner, format!("`{name}` is given inside the deprecated form and beside it"))
                .with_label(Label::with_message(file, *outer, "also given here"))
                .with_help("remove one of them"),
        });
    }
}

/// Reports the keys of the tree that the SDK ignores or fails on.
pub(super) fn from_tree(cx: &LowerCtx, root: &Node, sink: &mut Diagnostics) {
    let Some(pipeline) = root.get("pipeline") else { return };
    let file = cx.file;
    for (name, d) in pipeline.get("data_references").map(Node::entries).unwrap_or_default() {
        for key in ["bind_mode", "path_on_compute", "overwrite"] {
            if let Some((k, _)) = d.entry(key) {
                sink.push(
                    ignored_key::RULE
                        .at(file, k.span, format!("the SDK ignores `{key}` on a data reference"))
                        .with_help(format!(
                            "give `{key}` on each step input that reads `{}`",
                            name.key_string()
                        )),
                );
            }
        }
    }
    for (_, step) in pipeline.get("steps").map(Node::entries).unwrap_or_default() {
        let ty = step.get("type").and_then(Node::as_str).unwrap_or("");
        for (key, help) in ignored(ty) {
            if let Some((k, _)) = step.entry(key) {
                sink.push(
                    ignored_key::RULE
                        .at(
                            file,
                            k.span,
                            format!("the SDK ignores `{key}` on {} {ty}", crate::suggest::article(ty)),
                        )
                        .with_help(*help),
                );
            }
        }
        if ty == "DatabricksStep" {
            for (key, runconfig_key) in LIBRARY_KEYS {
                if let Some((k, _)) = step.entry(key) {
                    let what = if key.ends_with("libabries") {
                        format!("`{key}` (the SDK's own spelling)")
                    } else {
                        format!("`{key}`")
                    };
                    let verdict = if key == "maven_libraries" || key == "rcran_libraries" {
                        "is not read by the SDK's YAML reader, which cannot load Databricks libraries"
                    } else {
                        "makes the SDK's YAML reader fail (\"Yaml support is not implemented\")"
                    };
                    sink.push(
                        sdk_cannot_load::RULE.at(file, k.span, format!("{what} {verdict}")).with_help(format!(
                            "list the libraries in the step's runconfig file under `environment: {{databricks: {{{runconfig_key}: [...]}}}}`"
                        )),
                    );
                }
            }
        }
        for section in
            ["inputs", "source_data_reference", "destination_data_reference", "side_inputs", "outputs"]
        {
            for (_, port) in step.get(section).map(Node::entries).unwrap_or_default() {
                if let Some((k, _)) = port.entry("type") {
                    sink.push(
                        deprecated_form::RULE
                            .at(file, k.span, "`type` is the SDK's deprecated spelling of `bind_mode`")
                            .with_help("write `bind_mode:`"),
                    );
                }
                if section != "outputs"
                    && let Some((k, _)) = port.entry("as_dataset")
                {
                    sink.push(
                        ignored_key::RULE
                            .at(file, k.span, "the SDK ignores `as_dataset` on an input")
                            .with_help("give `as_dataset: true` on the output that writes the data"),
                    );
                }
            }
        }
    }
}
