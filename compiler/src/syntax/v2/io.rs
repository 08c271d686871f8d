//! Inputs and outputs: what a component declares, and what a job or pipeline gives.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::value::Json;
use crate::syntax::common::Scalar;
use crate::yaml::Spanned;

/// Types a component input or output may declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PortType {
    /// One file.
    UriFile,
    /// A folder.
    UriFolder,
    /// A folder with an `MLTable` file.
    Mltable,
    /// An MLflow model.
    MlflowModel,
    /// A model in any layout.
    CustomModel,
    /// A Triton model repository.
    TritonModel,
    /// A file or folder (the legacy name of `uri_folder`).
    Path,
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
}

impl PortType {
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            PortType::UriFile => "uri_file",
            PortType::UriFolder => "uri_folder",
            PortType::Mltable => "mltable",
            PortType::MlflowModel => "mlflow_model",
            PortType::CustomModel => "custom_model",
            PortType::TritonModel => "triton_model",
            PortType::Path => "path",
            PortType::String => "string",
            PortType::Integer => "integer",
            PortType::Number => "number",
            PortType::Boolean => "boolean",
        }
    }
}

/// How data is made available to a job, or written by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PortMode {
    /// Mounted read-only.
    RoMount,
    /// Mounted read-write (outputs).
    RwMount,
    /// Mounted (read-only for inputs, read-write for outputs).
    Mount,
    /// Copied before the job.
    Download,
    /// Written locally and uploaded after the job.
    Upload,
    /// Passed as a URI; the job reads it itself.
    Direct,
    /// Evaluated by the service, then mounted (mltable).
    EvalMount,
    /// Evaluated by the service, then downloaded (mltable).
    EvalDownload,
    /// Linked to an existing asset.
    Link,
}

impl PortMode {
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            PortMode::RoMount => "ro_mount",
            PortMode::RwMount => "rw_mount",
            PortMode::Mount => "mount",
            PortMode::Download => "download",
            PortMode::Upload => "upload",
            PortMode::Direct => "direct",
            PortMode::EvalMount => "eval_mount",
            PortMode::EvalDownload => "eval_download",
            PortMode::Link => "link",
        }
    }
}

/// A component input: a typed parameter or data port.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputDecl {
    /// Type of the value or data.
    #[serde(rename = "type")]
    pub ty: Spanned<PortType>,
    /// May be left unset.
    pub optional: Option<Spanned<bool>>,
    /// Value when unset (literal types only).
    pub default: Option<Spanned<Scalar>>,
    /// What it means.
    pub description: Option<String>,
    /// Smallest allowed value (integer and number).
    pub min: Option<Spanned<Scalar>>,
    /// Largest allowed value (integer and number).
    pub max: Option<Spanned<Scalar>>,
    /// Allowed values (string).
    #[serde(rename = "enum")]
    pub allowed: Option<Spanned<Vec<Spanned<Scalar>>>>,
    /// How data is made available (data types only).
    pub mode: Option<Spanned<PortMode>>,
    /// Protection level (preview).
    pub intellectual_property: Option<Json>,
}

/// A component output.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputDecl {
    /// Type of the data (or of the value, for a control output).
    #[serde(rename = "type")]
    pub ty: Spanned<PortType>,
    /// What it means.
    pub description: Option<String>,
    /// How it is written.
    pub mode: Option<Spanned<PortMode>>,
    /// A value that control flow (`do_while` conditions, `if_else`) may read.
    pub is_control: Option<bool>,
    /// Available to later jobs before this job ends (preview).
    pub early_available: Option<bool>,
    /// Protection level (preview).
    pub intellectual_property: Option<Json>,
}

/// What a job or pipeline gives for one input: a literal, a binding, or data.
#[derive(Debug, Clone)]
pub enum InputValue {
    /// A literal or a string holding `${{...}}` bindings.
    Scalar(Scalar),
    /// Data given by path, or a literal as `{value: ...}`.
    Spec(InputSpec),
    /// Written with no value.
    Null,
}

/// The keys of [`InputSpec`] (kept equal to its fields by a test).
pub const INPUT_SPEC_FIELDS: &[&str] = &["type", "path", "mode", "path_on_compute", "datastore", "value"];

/// The keys of [`OutputSpec`] (kept equal to its fields by a test).
pub const OUTPUT_SPEC_FIELDS: &[&str] = &["type", "path", "mode", "name", "version", "description"];

/// An input given as a mapping.
// `type` and `mode` in any case (`SCALAR_OR_STRUCT_ANY_CASE`): azure-ai-ml lowercases them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Data type (default `uri_folder`).
    #[serde(rename = "type")]
    pub ty: Option<Spanned<PortType>>,
    /// Where the data is: a local path, a datastore or web URI, an `azureml:` asset, or a
    /// `${{...}}` binding.
    pub path: Option<Spanned<String>>,
    /// How the data is made available.
    pub mode: Option<Spanned<PortMode>>,
    /// Where the data appears on the compute.
    pub path_on_compute: Option<Spanned<String>>,
    /// Datastore that local data is uploaded to.
    pub datastore: Option<Spanned<String>>,
    /// A literal value.
    pub value: Option<Spanned<Scalar>>,
}

impl<'de> Deserialize<'de> for InputValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = InputValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a literal, a `${{...}}` binding, or a mapping with `type` and `path`")
            }
            fn visit_unit<E>(self) -> Result<InputValue, E> {
                Ok(InputValue::Null)
            }
            fn visit_none<E>(self) -> Result<InputValue, E> {
                Ok(InputValue::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<InputValue, E> {
                Ok(InputValue::Scalar(Scalar::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<InputValue, E> {
                Ok(InputValue::Scalar(Scalar::Int(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<InputValue, E> {
                Ok(InputValue::Scalar(i64::try_from(v).map(Scalar::Int).unwrap_or(Scalar::Float(v as f64))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<InputValue, E> {
                Ok(InputValue::Scalar(Scalar::Float(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<InputValue, E> {
                Ok(InputValue::Scalar(Scalar::Str(v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<InputValue, A::Error> {
                InputSpec::deserialize(MapAccessDeserializer::new(map)).map(InputValue::Spec)
            }
        }
        d.deserialize_struct(crate::yaml::SCALAR_OR_STRUCT_ANY_CASE, INPUT_SPEC_FIELDS, V)
    }
}

impl JsonSchema for InputValue {
    fn schema_name() -> Cow<'static, str> {
        "InputValue".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let spec = generator.subschema_for::<InputSpec>();
        json_schema!({
            "description": "A literal, a `${{parent.inputs.x}}` / `${{parent.jobs.j.outputs.o}}` binding, or data given by `type` and `path`.",
            "anyOf": [
                {"type": ["string", "number", "integer", "boolean", "null"]},
                spec
            ]
        })
    }
}

/// What a job or pipeline says about one output: nothing, a binding to a pipeline output, or
/// settings.
#[derive(Debug, Clone)]
pub enum OutputValue {
    /// Written with no value: the declared output, defaults for the rest.
    Null,
    /// `${{parent.outputs.x}}`.
    Binding(String),
    /// Settings of the output.
    Spec(OutputSpec),
}

/// An output given as a mapping.
// `type` and `mode` in any case (`SCALAR_OR_STRUCT_ANY_CASE`): azure-ai-ml lowercases them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Data type (default `uri_folder`).
    #[serde(rename = "type")]
    pub ty: Option<Spanned<PortType>>,
    /// Where it is written: a datastore URI (may hold `${{name}}`), or a
    /// `${{parent.outputs.x}}` binding.
    pub path: Option<Spanned<String>>,
    /// How it is written.
    pub mode: Option<Spanned<PortMode>>,
    /// Register the output as a data asset with this name.
    pub name: Option<Spanned<String>>,
    /// Version of the registered data asset.
    pub version: Option<Spanned<Scalar>>,
    /// What it holds.
    pub description: Option<String>,
}

impl<'de> Deserialize<'de> for OutputValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OutputValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "nothing, a `${{parent.outputs.x}}` binding, or a mapping with `type`, `mode` or `path`",
                )
            }
            fn visit_unit<E>(self) -> Result<OutputValue, E> {
                Ok(OutputValue::Null)
            }
            fn visit_none<E>(self) -> Result<OutputValue, E> {
                Ok(OutputValue::Null)
            }
            fn visit_str<E>(self, v: &str) -> Result<OutputValue, E> {
                Ok(OutputValue::Binding(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<OutputValue, A::Error> {
                OutputSpec::deserialize(MapAccessDeserializer::new(map)).map(OutputValue::Spec)
            }
        }
        d.deserialize_struct(crate::yaml::SCALAR_OR_STRUCT_ANY_CASE, OUTPUT_SPEC_FIELDS, V)
    }
}

impl JsonSchema for OutputValue {
    fn schema_name() -> Cow<'static, str> {
        "OutputValue".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let spec = generator.subschema_for::<OutputSpec>();
        json_schema!({
            "description": "Nothing (the declared output), a `${{parent.outputs.x}}` binding, or the output's settings.",
            "anyOf": [
                {"type": ["string", "null"]},
                spec
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{DeErrorKind, Limits, Map, from_node_partial, parse};

    /// The field lists handed to the node reader match the structs: every key of the list is
    /// read, and a key outside it is reported as unknown while the entry is kept.
    #[test]
    fn spec_field_lists_match_the_structs() {
        let text = "a:\n  type: uri_file\n  path: x\n  mode: download\n  path_on_compute: /y\n  datastore: d\n  value: 1\n  bogus: 2\nb: 3\nc:\n";
        let (node, _) = parse(text, &Limits::default());
        let (value, errors) = from_node_partial::<Map<InputValue>>(&node.expect("parses"), text);
        let map = value.expect("unknown keys keep the value");
        assert!(
            matches!(&errors[..], [e] if matches!(&e.kind, DeErrorKind::UnknownField { field, .. } if field == "bogus"))
        );
        let Some(InputValue::Spec(spec)) = map.get("a") else { panic!("a mapping") };
        assert!(spec.ty.is_some() && spec.path.is_some() && spec.mode.is_some());
        assert!(spec.path_on_compute.is_some() && spec.datastore.is_some() && spec.value.is_some());
        assert!(matches!(map.get("b"), Some(InputValue::Scalar(Scalar::Int(3)))));
        assert!(matches!(map.get("c"), Some(InputValue::Null)));

        let text = "a:\n  type: uri_file\n  path: x\n  mode: upload\n  name: n\n  version: 1\n  description: d\nb: ${{parent.outputs.o}}\nc:\n";
        let (node, _) = parse(text, &Limits::default());
        let (value, errors) = from_node_partial::<Map<OutputValue>>(&node.expect("parses"), text);
        assert!(errors.is_empty(), "{errors:?}");
        let map = value.expect("reads");
        let Some(OutputValue::Spec(spec)) = map.get("a") else { panic!("a mapping") };
        assert!(spec.name.is_some() && spec.version.is_some() && spec.description.is_some());
        assert!(matches!(map.get("b"), Some(OutputValue::Binding(_))));
        assert!(matches!(map.get("c"), Some(OutputValue::Null)));

        let text = "e:\n  $schema: s\n  name: n\n  version: 1\n  description: d\n  tags: {}\n  image: i\n  conda_file: c.yml\n  build: {path: p}\n  os_type: linux\n  inference_config: {}\n  datastore: d\n  auto_delete_setting: {}\n";
        let (node, _) = parse(text, &Limits::default());
        let (value, errors) =
            from_node_partial::<Map<crate::syntax::v2::parts::Environment>>(&node.expect("parses"), text);
        assert!(errors.is_empty() && value.is_some(), "{errors:?}");
    }
}
