//! What a step runs: a component, with its identity and its declared interface (v2 components;
//! v1 steps have none).

use serde_json::Map as JsonMap;

use super::{DataType, Literal, Mode, Name, PathRef};
use crate::source::FileId;
use crate::yaml::Spanned;

/// A component as a step uses it: where it comes from, its metadata and declared ports.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// Where the component is defined.
    pub origin: ComponentOrigin,
    /// Component kind as written in `type`: `command`, `parallel`, `spark`, `pipeline`, ...
    pub kind: String,
    /// Registered name (ignored by the service for anonymous components).
    pub name: Option<Name>,
    /// Version, as text.
    pub version: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Tags, as written.
    pub tags: JsonMap<String, serde_json::Value>,
    /// Properties, as written.
    pub properties: JsonMap<String, serde_json::Value>,
    /// Whether results may be reused (`is_deterministic`; `None`: not written, i.e. true).
    pub is_deterministic: Option<bool>,
    /// Declared inputs, in file order.
    pub inputs: Vec<PortDecl>,
    /// Declared outputs, in file order.
    pub outputs: Vec<PortDecl>,
    /// True when `inputs` and `outputs` are the whole interface (false for a component only
    /// known by reference, whose declarations sluice cannot see).
    pub interface_known: bool,
    /// The rest of the component body as written (command, code, environment, resources,
    /// distribution, task, entry, conf, jobs, ...), key order and YAML scalar types kept.
    pub settings: JsonMap<String, serde_json::Value>,
    /// The whole body as written, for emitters (`None` for a component known by reference or
    /// a job written in place).
    pub document: Option<super::Document>,
}

impl Component {
    /// The declared input with this name.
    pub fn input(&self, name: &str) -> Option<&PortDecl> {
        self.inputs.iter().find(|p| p.name.value == name)
    }

    /// The declared output with this name.
    pub fn output(&self, name: &str) -> Option<&PortDecl> {
        self.outputs.iter().find(|p| p.name.value == name)
    }

    /// A short description for messages: "component `train`" or "the inline component".
    pub fn describe(&self) -> String {
        match (&self.origin, &self.name) {
            (ComponentOrigin::File { path, .. }, _) => format!("component `{}`", path.raw.value),
            (ComponentOrigin::Registered(r), _) => format!("component `{}`", r.value),
            (ComponentOrigin::Inline { .. }, Some(n)) => format!("component `{}`", n.value),
            (ComponentOrigin::Inline { .. }, None) => "the job".to_string(),
        }
    }
}

/// Where a component is defined.
#[derive(Debug, Clone, PartialEq)]
pub enum ComponentOrigin {
    /// Written inside the pipeline (v2 inline job or inline `component:` mapping).
    Inline {
        /// File it is written in.
        file: FileId,
    },
    /// A local component file (`component: ./train.yml`, `file:./train.yml`).
    File {
        /// The path as written, relative to the referring file.
        path: PathRef,
        /// The loaded file (`None` when it could not be read).
        file: Option<FileId>,
    },
    /// A registered component by reference (`azureml:name:version`, `azureml:name@latest`,
    /// `azureml://registries/...`).
    Registered(Name),
}

/// A declared input or output of a component.
#[derive(Debug, Clone, PartialEq)]
pub struct PortDecl {
    /// Port name.
    pub name: Name,
    /// Declared type (`None`: a type sluice does not know, kept in `type_name`).
    pub ty: Option<Spanned<DataType>>,
    /// The type as written (`uri_folder`, `integer`, the legacy `path`, ...).
    pub type_name: String,
    /// May be left unset.
    pub optional: bool,
    /// Value when unset.
    pub default: Option<Spanned<Literal>>,
    /// Smallest allowed value (numbers).
    pub min: Option<Spanned<Literal>>,
    /// Largest allowed value (numbers).
    pub max: Option<Spanned<Literal>>,
    /// Allowed values (strings), when restricted.
    pub allowed: Vec<Spanned<String>>,
    /// How data is made available.
    pub mode: Option<Mode>,
    /// What it means.
    pub description: Option<String>,
    /// Other keys as written (`is_control`, `early_available`, `path`, ...).
    pub settings: JsonMap<String, serde_json::Value>,
}

impl PortDecl {
    /// True when a value must be given: not optional and no default.
    pub fn required(&self) -> bool {
        !self.optional && self.default.is_none()
    }
}
