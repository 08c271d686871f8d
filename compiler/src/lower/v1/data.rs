//! Pipeline parameters, data references, and the names a step input's `source` may give.

use std::collections::HashMap;

use serde_json::Map as JsonMap;

use crate::check::{invalid_data_reference, missing_key, parameter_default_type};
use crate::diagnostic::{Diagnostics, Label};
use crate::ir::{
    DataLocation, DataRef, DataType, Literal, PipelineInput, RefKind, Source, StepId, Unresolved,
};
use crate::lower::LowerCtx;
use crate::syntax::common::Scalar;
use crate::syntax::v1::{self, DataReference, ParameterDefault, ParameterType};
use crate::yaml::Spanned;

/// A YAML scalar as an IR literal.
pub fn literal(s: &Scalar) -> Literal {
    match s {
        Scalar::Bool(b) => Literal::Bool(*b),
        Scalar::Int(i) => Literal::Int(*i),
        Scalar::Float(f) => Literal::Float(*f),
        Scalar::Str(s) => Literal::Str(s.clone()),
    }
}

/// A pipeline parameter. Its default is converted as the SDK converts it (`int("5")`), and
/// refused where the SDK fails or would quietly change the value (`int(3.7)`, `bool("false")`).
pub(super) fn parameter(
    cx: &LowerCtx,
    key: &Spanned<String>,
    p: &v1::Parameter,
    sink: &mut Diagnostics,
) -> PipelineInput {
    let ty = match p.ty.value {
        ParameterType::String => Some(DataType::String),
        ParameterType::Int => Some(DataType::Integer),
        ParameterType::Float => Some(DataType::Number),
        ParameterType::Bool => Some(DataType::Boolean),
        ParameterType::Datapath => None,
    };
    let (default, data) = match (&p.default, ty) {
        (Some(Spanned { value: ParameterDefault::Literal(s), span }), Some(ty)) => {
            (convert(cx, key, s, *span, ty, sink).map(|l| Spanned::new(l, *span)), None)
        }
        (Some(Spanned { value: ParameterDefault::DataPath(d), .. }), _) => (
            None,
            Some(DataLocation::Datastore {
                datastore: cx.name(&d.datastore),
                path: cx.name(&d.path_on_datastore),
            }),
        ),
        (Some(Spanned { value: ParameterDefault::Literal(_), span }), None) => {
            sink.push(
                missing_key::RULE
                    .at(
                        cx.file,
                        *span,
                        format!("the default of datapath parameter `{}` is not a datastore path", key.value),
                    )
                    .with_help("write `default: {datastore: <name>, path_on_datastore: <path>}`"),
            );
            (None, Some(DataLocation::Invalid))
        }
        (None, None) => {
            sink.push(
                missing_key::RULE
                    .at(cx.file, key.span, format!("datapath parameter `{}` has no default", key.value))
                    .with_help("add `default: {datastore: <name>, path_on_datastore: <path>}`; the SDK refuses a datapath parameter without one"),
            );
            (None, Some(DataLocation::Invalid))
        }
        (None, Some(_)) => (None, None),
    };
    PipelineInput {
        name: cx.name(key),
        ty: ty.map(|t| Spanned::new(t, p.ty.span)),
        default,
        data,
        optional: false,
        description: p.description.clone(),
        mode: None,
        settings: JsonMap::new(),
    }
}

/// A literal default as a value of `ty`, as the SDK's `str()`, `int()`, `float()` and `bool()`
/// make it; `None` (reported) where the SDK fails or would change the value.
fn convert(
    cx: &LowerCtx,
    key: &Spanned<String>,
    s: &Scalar,
    span: crate::source::Span,
    ty: DataType,
    sink: &mut Diagnostics,
) -> Option<Literal> {
    let refused = |why: String, help: &str| {
        parameter_default_type::RULE.at(cx.file, span, why).with_help(help.to_string())
    };
    let name = &key.value;
    let converted = match (ty, s) {
        (DataType::String, s) => Ok(Literal::Str(s.to_text())),
        (DataType::Integer, Scalar::Int(i)) => Ok(Literal::Int(*i)),
        (DataType::Integer, Scalar::Str(t)) => python_int(t).map(Literal::Int).ok_or_else(|| {
            refused(
                format!(
                    "default `{t}` of int parameter `{name}` is not an integer (the SDK's `int()` fails)"
                ),
                "give a whole number",
            )
        }),
        (DataType::Integer, Scalar::Float(f)) => Err(refused(
            format!(
                "default `{}` of int parameter `{name}` is not a whole number; the SDK would cut it to {}",
                s.to_text(),
                f.trunc()
            ),
            "give a whole number, or declare `type: float`",
        )),
        (DataType::Number, Scalar::Int(i)) => Ok(Literal::Float(*i as f64)),
        (DataType::Number, Scalar::Float(f)) => Ok(Literal::Float(*f)),
        (DataType::Number, Scalar::Str(t)) => python_float(t).map(Literal::Float).ok_or_else(|| {
            refused(
                format!(
                    "default `{t}` of float parameter `{name}` is not a number (the SDK's `float()` fails)"
                ),
                "give a number",
            )
        }),
        (DataType::Boolean, Scalar::Bool(b)) => Ok(Literal::Bool(*b)),
        (DataType::Boolean, _) => Err(refused(
            format!(
                "default `{}` of bool parameter `{name}` is not `true` or `false`; the SDK's `bool()` would make it {}",
                s.to_text(),
                if s.to_text().is_empty() || matches!(s, Scalar::Int(0)) { "False" } else { "True" }
            ),
            "write `true` or `false`",
        )),
        (ty, s) => Err(refused(
            format!(
                "default `{}` of parameter `{name}` is {}, not {}",
                s.to_text(),
                s.type_name(),
                ty.as_str()
            ),
            "give a value of the parameter's type",
        )),
    };
    converted.map_err(|d| sink.push(d)).ok()
}

/// Python's `int()` of text: optional sign, digits with single `_` between them, spaces around.
fn python_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let ok = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
    ok.then(|| t.replace('_', "").parse().ok()).flatten()
}

/// Python's `float()` of text (also `nan`, `inf`, `1e-3`, `1_000.5`).
fn python_float(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.contains("__") || t.starts_with('_') || t.ends_with('_') {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if ["nan", "inf", "infinity"].contains(&unsigned) {
        return lower.replace("infinity", "inf").parse().ok();
    }
    t.replace('_', "").parse().ok()
}

/// A data reference, checked as the SDK reads it and stricter: exactly one source.
pub(super) fn data_reference(
    cx: &LowerCtx,
    key: &Spanned<String>,
    d: &DataReference,
    sink: &mut Diagnostics,
) -> DataRef {
    let rule = invalid_data_reference::RULE;
    // What each source key means; the SDK takes the first that applies, sluice wants one.
    let location = match sources(d).as_slice() {
        [] if d.datastore.is_some() && !d.sql_stored_procedure_params.is_empty() => {
            sink.push(
                rule.at(cx.file, key.span, "`sql_stored_procedure_params` without `sql_stored_procedure`")
                    .with_help("add `sql_stored_procedure: <procedure>`"),
            );
            DataLocation::Invalid
        }
        [] => {
            let what = if d.datastore.is_some() {
                format!("data reference `{}` names a datastore but no path, SQL source or dataset", key.value)
            } else {
                format!("data reference `{}` says nowhere to find its data", key.value)
            };
            sink.push(rule.at(cx.file, key.span, what).with_help(
                "give `datastore` with `path_on_datastore` (or `sql_table`, `sql_query`, `sql_stored_procedure`), or `dataset_name` or `dataset_id`",
            ));
            DataLocation::Invalid
        }
        [(first, first_at), (second, second_at), ..] => {
            sink.push(
                rule.at(
                    cx.file,
                    *second_at,
                    format!(
                        "data reference `{}` gives both `{first}` and `{second}`; it must name one source",
                        key.value
                    ),
                )
                .with_label(Label::with_message(cx.file, *first_at, "first source here"))
                .with_help("the SDK would quietly use the first; keep one"),
            );
            DataLocation::Invalid
        }
        [("path_on_datastore", at)] => datastore_location(cx, d, *at, sink),
        [(k, at)] if k.starts_with("sql_") => sql_location(cx, key, d, *at, sink),
        [(k, at)] => dataset_location(cx, key, d, k, *at, sink),
    };
    if let Some(v) = &d.dataset_version
        && d.dataset_name.is_none()
        && d.dataset_id.is_none()
    {
        sink.push(
            rule.at(cx.file, v.span, "`dataset_version` without `dataset_name`")
                .with_help("add `dataset_name: <name>`"),
        );
    }
    DataRef { name: cx.name(key), location, mode: None, path_on_compute: None }
}

/// The source keys a data reference gives, in the order the SDK looks at them.
fn sources(d: &DataReference) -> Vec<(&'static str, crate::source::Span)> {
    [
        ("path_on_datastore", &d.path_on_datastore),
        ("sql_table", &d.sql_table),
        ("sql_query", &d.sql_query),
        ("sql_stored_procedure", &d.sql_stored_procedure),
        ("dataset_name", &d.dataset_name),
        ("dataset_id", &d.dataset_id),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v.span)))
    .collect()
}

/// `datastore` + `path_on_datastore`.
fn datastore_location(
    cx: &LowerCtx,
    d: &DataReference,
    at: crate::source::Span,
    sink: &mut Diagnostics,
) -> DataLocation {
    match (&d.datastore, &d.path_on_datastore) {
        (Some(ds), Some(p)) => DataLocation::Datastore { datastore: cx.name(ds), path: cx.name(p) },
        _ => {
            sink.push(
                invalid_data_reference::RULE
                    .at(cx.file, at, "`path_on_datastore` without `datastore`")
                    .with_help("add `datastore: <name>`"),
            );
            DataLocation::Invalid
        }
    }
}

/// `datastore` + one of `sql_table`, `sql_query`, `sql_stored_procedure`.
fn sql_location(
    cx: &LowerCtx,
    key: &Spanned<String>,
    d: &DataReference,
    at: crate::source::Span,
    sink: &mut Diagnostics,
) -> DataLocation {
    let rule = invalid_data_reference::RULE;
    let query = [&d.sql_table, &d.sql_query, &d.sql_stored_procedure].into_iter().flatten().next();
    match (&d.datastore, query) {
        (Some(ds), Some(q)) => {
            if !d.sql_stored_procedure_params.is_empty() && d.sql_stored_procedure.is_none() {
                sink.push(rule.at(
                    cx.file,
                    key.span,
                    "`sql_stored_procedure_params` need `sql_stored_procedure`",
                ));
            }
            DataLocation::Sql { datastore: cx.name(ds), query: cx.name(q) }
        }
        _ => {
            sink.push(
                rule.at(cx.file, at, "a SQL data reference needs the `datastore` holding the database")
                    .with_help("add `datastore: <sql datastore>`"),
            );
            DataLocation::Invalid
        }
    }
}

/// `dataset_name` (with sluice's `dataset_version`) or `dataset_id`.
fn dataset_location(
    cx: &LowerCtx,
    key: &Spanned<String>,
    d: &DataReference,
    k: &str,
    at: crate::source::Span,
    sink: &mut Diagnostics,
) -> DataLocation {
    let rule = invalid_data_reference::RULE;
    if let Some(ds) = &d.datastore {
        sink.push(
            rule.at(
                cx.file,
                ds.span,
                format!("data reference `{}` gives both `datastore` and `{k}`", key.value),
            )
            .with_help("a registered dataset knows its datastore: remove `datastore`"),
        );
    }
    match (&d.dataset_name, &d.dataset_id) {
        (Some(n), _) if n.value.is_empty() => {
            sink.push(
                rule.at(cx.file, at, "`dataset_name` is empty").with_help("name the registered dataset"),
            );
            DataLocation::Invalid
        }
        (Some(n), _) => DataLocation::Dataset {
            name: cx.name(n),
            version: d.dataset_version.as_ref().map(|v| v.value.to_text()),
        },
        (None, Some(id)) if id.value.is_empty() => {
            sink.push(
                rule.at(cx.file, at, "`dataset_id` is empty").with_help("give the registered dataset's id"),
            );
            DataLocation::Invalid
        }
        (None, Some(id)) => {
            if let Some(v) = &d.dataset_version {
                sink.push(
                    rule.at(
                        cx.file,
                        v.span,
                        "`dataset_version` goes with `dataset_name`; an id names one version already",
                    )
                    .with_help("remove `dataset_version`"),
                );
            }
            DataLocation::DatasetId(cx.name(id))
        }
        (None, None) => DataLocation::Invalid,
    }
}

/// What a `source:` may name, in the order the SDK looks: a `datapath` parameter, a data
/// reference, then a PipelineData (another step's output `destination`).
pub(super) struct Resolver<'a> {
    cx: &'a LowerCtx,
    pipeline: &'a v1::Pipeline,
    inputs: &'a [PipelineInput],
    data: &'a [DataRef],
    /// PipelineData names and the step output that writes each.
    pub destinations: HashMap<&'a str, (StepId, &'a str)>,
}

impl<'a> Resolver<'a> {
    /// A resolver for the names of `p`.
    pub fn new(
        cx: &'a LowerCtx,
        p: &'a v1::Pipeline,
        inputs: &'a [PipelineInput],
        data: &'a [DataRef],
    ) -> Self {
        Resolver { cx, pipeline: p, inputs, data, destinations: super::destinations(p) }
    }

    /// A data source name.
    pub fn data_source(&self, name: &Spanned<String>) -> Source {
        let at = self.cx.name(name);
        let param = self.inputs.iter().position(|i| i.name.value == name.value);
        if let Some(index) = param.filter(|&i| self.inputs[i].ty.is_none()) {
            return Source::PipelineInput { index, at };
        }
        if let Some(index) = self.data.iter().position(|d| d.name.value == name.value) {
            return Source::Data { index, at };
        }
        if let Some((step, output)) = self.destinations.get(name.value.as_str()) {
            return Source::StepOutput { step: *step, output: output.to_string(), at };
        }
        // A literal parameter as data: the binding check says why it does not fit.
        if let Some(index) = param {
            return Source::PipelineInput { index, at };
        }
        let mut candidates: Vec<String> = self.destinations.keys().map(|k| k.to_string()).collect();
        candidates.sort();
        candidates.extend(self.data.iter().map(|d| d.name.value.clone()));
        candidates.extend(self.inputs.iter().filter(|i| i.ty.is_none()).map(|i| i.name.value.clone()));
        Source::Unresolved(Unresolved { kind: RefKind::DataSource, name: at, candidates, step: None })
    }

    /// A pipeline parameter name.
    pub fn parameter(&self, name: &Spanned<String>) -> Source {
        let at = self.cx.name(name);
        match self.inputs.iter().position(|i| i.name.value == name.value) {
            Some(index) => Source::PipelineInput { index, at },
            None => Source::Unresolved(Unresolved {
                kind: RefKind::PipelineInput,
                name: at,
                candidates: self.inputs.iter().map(|i| i.name.value.clone()).collect(),
                step: None,
            }),
        }
    }

    /// The names of the data references.
    pub fn data_names(&self) -> Vec<&str> {
        self.data.iter().map(|d| d.name.value.as_str()).collect()
    }

    /// The output declaration that writes PipelineData `destination`.
    pub fn output_decl(&self, destination: &str) -> Option<&'a v1::StepOutput> {
        let (step, output) = self.destinations.get(destination)?;
        self.pipeline.steps.value.entries.get(step.0)?.1.common().outputs.get(output)
    }

    /// The data reference at `index`.
    pub fn data_ref(&self, index: usize) -> &DataRef {
        &self.data[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_conversions() {
        assert_eq!(python_int(" 5 "), Some(5));
        assert_eq!(python_int("-1_000"), Some(-1000));
        assert_eq!(python_int("1__0"), None);
        assert_eq!(python_int("3.0"), None);
        assert_eq!(python_int(""), None);
        assert_eq!(python_float("1e-3"), Some(0.001));
        assert_eq!(python_float(" 2 "), Some(2.0));
        assert!(python_float("nan").is_some_and(f64::is_nan));
        assert_eq!(python_float("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(python_float("abc"), None);
    }
}
