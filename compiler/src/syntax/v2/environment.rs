//! Environments of jobs and components: registered by reference, or defined in place.

use super::value::Json;
use crate::syntax::common::Scalar;
use crate::yaml::{Map, Spanned};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Where a job runs from: a registered environment by reference, or one defined in place.
#[derive(Debug, Clone)]
pub enum Environment {
    /// `azureml:name:version`, `azureml:name@latest`, `azureml://registries/...`.
    Reference(String),
    /// A docker image, conda file or build context.
    Inline(Box<InlineEnvironment>),
}

/// The keys of [`InlineEnvironment`] (kept equal to its fields by a test).
pub const INLINE_ENVIRONMENT_FIELDS: &[&str] = &[
    "$schema",
    "name",
    "version",
    "description",
    "tags",
    "image",
    "conda_file",
    "build",
    "os_type",
    "inference_config",
    "datastore",
    "auto_delete_setting",
];

/// An environment defined in place.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InlineEnvironment {
    /// Editor schema reference; ignored.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// Name (for registration).
    pub name: Option<Spanned<String>>,
    /// Version (for registration).
    pub version: Option<Spanned<Scalar>>,
    /// What it is for.
    pub description: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Map<Json>,
    /// Docker image.
    pub image: Option<Spanned<String>>,
    /// Conda file, relative to the file that names it, or the conda specification in place.
    pub conda_file: Option<Spanned<PathOrInline>>,
    /// Docker build context.
    pub build: Option<BuildContext>,
    /// `linux` or `windows`.
    pub os_type: Option<String>,
    /// Inference server settings.
    pub inference_config: Option<Json>,
    /// Datastore that local files are uploaded to.
    pub datastore: Option<String>,
    /// When the registered environment is deleted (preview).
    pub auto_delete_setting: Option<Json>,
}

/// A docker build context.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildContext {
    /// Folder holding the Dockerfile and what it copies, relative to the file that names it.
    pub path: Spanned<String>,
    /// Dockerfile inside the folder (default `Dockerfile`).
    pub dockerfile_path: Option<Spanned<String>>,
}

/// A path to a file, or the file's content written in place.
#[derive(Debug, Clone)]
pub enum PathOrInline {
    /// A path.
    Path(String),
    /// The content in place.
    Inline(Json),
}

impl<'de> Deserialize<'de> for PathOrInline {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PathOrInline;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a path, or the content as a mapping")
            }
            fn visit_str<E>(self, v: &str) -> Result<PathOrInline, E> {
                Ok(PathOrInline::Path(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PathOrInline, A::Error> {
                Json::deserialize(MapAccessDeserializer::new(map)).map(PathOrInline::Inline)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for PathOrInline {
    fn schema_name() -> Cow<'static, str> {
        "PathOrInline".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A path relative to this file, or the content as a mapping.",
            "type": ["string", "object"]
        })
    }
}

impl<'de> Deserialize<'de> for Environment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Environment;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an environment reference (`azureml:name:version`) or a mapping with `image`, `conda_file` or `build`")
            }
            fn visit_str<E>(self, v: &str) -> Result<Environment, E> {
                Ok(Environment::Reference(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Environment, A::Error> {
                InlineEnvironment::deserialize(MapAccessDeserializer::new(map))
                    .map(|e| Environment::Inline(Box::new(e)))
            }
        }
        d.deserialize_struct(crate::yaml::SCALAR_OR_STRUCT, INLINE_ENVIRONMENT_FIELDS, V)
    }
}

impl JsonSchema for Environment {
    fn schema_name() -> Cow<'static, str> {
        "Environment".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let inline = generator.subschema_for::<InlineEnvironment>();
        json_schema!({
            "description": "An environment reference (`azureml:name:version`, `azureml:name@latest`, `azureml://registries/...`) or an environment defined in place.",
            "anyOf": [{"type": "string"}, inline]
        })
    }
}
