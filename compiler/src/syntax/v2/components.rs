//! Component files (`commandComponent`, `parallelComponent`, `sparkComponent`,
//! `pipelineComponent`, data transfer) and components written in place inside a job.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};

use super::io::{InputDecl, OutputDecl};
use super::jobs::Job;
use super::parts::{
    Distribution, Environment, ParallelTask, QueueSettings, Resources, RetrySettings, SparkEntry,
};
use super::value::{Bindable, Json};
use crate::syntax::common::Scalar;
use crate::yaml::{Map, Spanned};

/// A component file, tagged by `type` (a file without `type` is a command component).
// azure-ai-ml lowercases the type.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename = "$sluice::case=lower;default=command")]
#[schemars(rename = "Component", tag = "type", title = "sluice v2 component")]
pub enum ComponentFile {
    /// Runs a command in an environment.
    #[serde(rename = "command")]
    Command(Box<CommandComponent>),
    /// Runs a script over mini-batches of data.
    #[serde(rename = "parallel")]
    Parallel(Box<ParallelComponent>),
    /// Runs a Spark application.
    #[serde(rename = "spark")]
    Spark(Box<SparkComponent>),
    /// A pipeline of jobs used as one job.
    #[serde(rename = "pipeline")]
    Pipeline(Box<PipelineComponent>),
    /// Copies, imports or exports data.
    #[serde(rename = "data_transfer")]
    DataTransfer(Box<DataTransferComponent>),
}

/// The fields every component kind has, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct CommonComponent<'a> {
    /// `type` as written inside a job (`None` in a component file, where it selects the kind).
    pub kind: Option<&'a Spanned<String>>,
    /// Name.
    pub name: Option<&'a Spanned<String>>,
    /// Version.
    pub version: Option<&'a Spanned<Scalar>>,
    /// Display name.
    pub display_name: Option<&'a Spanned<String>>,
    /// Description.
    pub description: Option<&'a str>,
    /// Tags.
    pub tags: &'a Map<Json>,
    /// Reuse allowed.
    pub is_deterministic: Option<&'a Spanned<bool>>,
    /// Declared inputs.
    pub inputs: &'a Map<Spanned<InputDecl>>,
    /// Declared outputs.
    pub outputs: &'a Map<Spanned<OutputDecl>>,
    /// Preview settings.
    pub auto_delete_setting: Option<&'a Json>,
    /// Preview settings.
    pub intellectual_property: Option<&'a Json>,
}

/// Access to the fields every component kind has.
pub trait ComponentCommon {
    /// The common fields.
    fn common(&self) -> CommonComponent<'_>;
}

/// Fields every component kind has, then the kind's own (no `flatten`: it loses spans).
macro_rules! component_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// The kind, when the component is written inside a job (in a component file,
            /// `type` selects the kind and is not kept here).
            #[serde(rename = "type")]
            #[schemars(skip)]
            pub kind: Option<Spanned<String>>,
            /// Editor schema reference; ignored.
            #[serde(rename = "$schema")]
            pub schema: Option<String>,
            /// Name to register the component under (ignored for anonymous components).
            pub name: Option<Spanned<String>>,
            /// Version to register.
            pub version: Option<Spanned<Scalar>>,
            /// Name shown in the studio.
            pub display_name: Option<Spanned<String>>,
            /// What the component does.
            pub description: Option<String>,
            /// Tags.
            #[serde(default)]
            pub tags: Map<Json>,
            /// Reuse an earlier result when nothing changed (default true).
            pub is_deterministic: Option<Spanned<bool>>,
            /// Declared inputs.
            #[serde(default)]
            pub inputs: Map<Spanned<InputDecl>>,
            /// Declared outputs.
            #[serde(default)]
            pub outputs: Map<Spanned<OutputDecl>>,
            /// When the registered component is deleted (preview).
            pub auto_delete_setting: Option<Json>,
            /// Protection level (preview).
            pub intellectual_property: Option<Json>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl ComponentCommon for $name {
            fn common(&self) -> CommonComponent<'_> {
                CommonComponent {
                    kind: self.kind.as_ref(),
                    name: self.name.as_ref(),
                    version: self.version.as_ref(),
                    display_name: self.display_name.as_ref(),
                    description: self.description.as_deref(),
                    tags: &self.tags,
                    is_deterministic: self.is_deterministic.as_ref(),
                    inputs: &self.inputs,
                    outputs: &self.outputs,
                    auto_delete_setting: self.auto_delete_setting.as_ref(),
                    intellectual_property: self.intellectual_property.as_ref(),
                }
            }
        }
    };
}

component_struct! {
    /// A command component.
    CommandComponent {
        /// The command, with `${{inputs.x}}`, `${{outputs.y}}` and `$[[ ... ]]` fragments.
        command: Option<Spanned<String>>,
        /// Folder uploaded with the job (relative to this file), or a remote code reference.
        code: Option<Spanned<String>>,
        /// Environment the command runs in.
        environment: Option<Spanned<Environment>>,
        /// Machines (defaults for jobs using the component).
        resources: Option<Resources>,
        /// Distributed training settings.
        distribution: Option<Distribution>,
        /// Queue settings.
        queue_settings: Option<QueueSettings>,
        /// Properties.
        #[serde(default)]
        properties: Map<Json>,
        /// Files and folders copied into the code folder before upload.
        #[serde(default)]
        additional_includes: Vec<Spanned<String>>,
    }
}

component_struct! {
    /// A parallel component.
    ParallelComponent {
        /// What runs on each mini-batch.
        task: Option<ParallelTask>,
        /// Files (e.g. `10`) or bytes (e.g. `100kb`) per mini-batch.
        mini_batch_size: Option<Spanned<Scalar>>,
        /// Columns that split tabular input into mini-batches.
        #[serde(default)]
        partition_keys: Vec<String>,
        /// The input split into mini-batches (`${{inputs.x}}`).
        input_data: Option<Spanned<String>>,
        /// Machines.
        resources: Option<Resources>,
        /// Retries.
        retry_settings: Option<RetrySettings>,
        /// Processes on each node.
        max_concurrency_per_instance: Option<Bindable<i64>>,
        /// Failed items tolerated (-1: no limit).
        error_threshold: Option<Bindable<i64>>,
        /// Failed mini-batches tolerated (-1: no limit).
        mini_batch_error_threshold: Option<Bindable<i64>>,
        /// `DEBUG`, `INFO` or `WARNING`.
        logging_level: Option<Spanned<String>>,
        /// Environment variables of the task's processes.
        #[serde(default)]
        environment_variables: Map<Spanned<Scalar>>,
    }
}

component_struct! {
    /// A Spark component.
    SparkComponent {
        /// Folder uploaded with the job, relative to this file.
        code: Option<Spanned<String>>,
        /// What the application starts.
        entry: Option<SparkEntry>,
        /// Python files on the `PYTHONPATH`, relative to `code`.
        #[serde(default)]
        py_files: Vec<Spanned<String>>,
        /// JARs on the class path, relative to `code`.
        #[serde(default)]
        jars: Vec<Spanned<String>>,
        /// Files placed in each executor's working folder.
        #[serde(default)]
        files: Vec<Spanned<String>>,
        /// Archives extracted in each executor's working folder.
        #[serde(default)]
        archives: Vec<Spanned<String>>,
        /// Spark configuration.
        #[serde(default)]
        conf: Map<Json>,
        /// Arguments of the entry, with `${{inputs.x}}` placeholders.
        args: Option<Spanned<String>>,
        /// Environment (conda packages for the session).
        environment: Option<Spanned<Environment>>,
        /// Properties.
        #[serde(default)]
        properties: Map<Json>,
        /// Files and folders copied into the code folder before upload.
        #[serde(default)]
        additional_includes: Vec<Spanned<String>>,
    }
}

component_struct! {
    /// A pipeline component: jobs with bindings, used as one job.
    PipelineComponent {
        /// The jobs, by name.
        #[serde(default)]
        jobs: Map<Job>,
    }
}

component_struct! {
    /// A data transfer component.
    DataTransferComponent {
        /// `copy_data`, `import_data` or `export_data`.
        task: Spanned<String>,
        /// `merge_with_overwrite` or `fail_if_conflict` (copy).
        data_copy_mode: Option<Spanned<String>>,
        /// Where imported data comes from (import).
        source: Option<Json>,
        /// Where exported data goes (export).
        sink: Option<Json>,
    }
}

impl ComponentFile {
    /// The common fields of whichever kind this is.
    pub fn common(&self) -> CommonComponent<'_> {
        match self {
            ComponentFile::Command(c) => c.common(),
            ComponentFile::Parallel(c) => c.common(),
            ComponentFile::Spark(c) => c.common(),
            ComponentFile::Pipeline(c) => c.common(),
            ComponentFile::DataTransfer(c) => c.common(),
        }
    }

    /// The kind as written in `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            ComponentFile::Command(_) => "command",
            ComponentFile::Parallel(_) => "parallel",
            ComponentFile::Spark(_) => "spark",
            ComponentFile::Pipeline(_) => "pipeline",
            ComponentFile::DataTransfer(_) => "data_transfer",
        }
    }
}

/// A job's `component`: a reference (file path, `file:` path, `azureml:` or registry URI), or
/// a component written in place.
#[derive(Debug, Clone)]
pub enum ComponentRef<C> {
    /// A file path or a registered component.
    Reference(String),
    /// Written in place.
    Inline(Box<C>),
}

impl<'de, C: DeserializeOwned> Deserialize<'de> for ComponentRef<C> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<C>(std::marker::PhantomData<C>);
        impl<'de, C: DeserializeOwned> Visitor<'de> for V<C> {
            type Value = ComponentRef<C>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a component file path, an `azureml:` reference, or a component mapping")
            }
            fn visit_str<E>(self, v: &str) -> Result<ComponentRef<C>, E> {
                Ok(ComponentRef::Reference(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ComponentRef<C>, A::Error> {
                C::deserialize(MapAccessDeserializer::new(map)).map(|c| ComponentRef::Inline(Box::new(c)))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<C> JsonSchema for ComponentRef<C> {
    fn schema_name() -> Cow<'static, str> {
        "ComponentRef".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let inline = generator.subschema_for::<ComponentFile>();
        json_schema!({
            "description": "A component file (`./train.yml`, `file:./train.yml`), a registered component (`azureml:name:version`, `azureml:name@latest`, `azureml://registries/...`), or a component written in place.",
            "anyOf": [{"type": "string"}, inline]
        })
    }
}
