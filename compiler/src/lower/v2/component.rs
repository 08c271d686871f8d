//! Components: resolving a reference (file, `file:` path, `azureml:` or registry), reading
//! component files once per session, and their declared interface.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map as JsonMap, Value as Json};

use super::data::{self, passthrough};
use super::{Loaded, Lowerer};
use crate::ir::{Component, ComponentOrigin, Literal, Name, PathRef, PortDecl};
use crate::lower::LowerCtx;
use crate::lower::project_root;
use crate::paths::absolute;
use crate::source::FileId;
use crate::syntax::common::Scalar;
use crate::syntax::v2::components::CommonComponent;
use crate::syntax::v2::{ComponentFile, InputDecl, OutputDecl};
use crate::syntax::{Format, detect_format};
use crate::yaml::{Node, Spanned};

/// What a component reference names.
#[derive(Debug, Clone)]
pub enum Target {
    /// A local file, relative to the referring file (`file:` removed).
    File(PathRef),
    /// A registered component.
    Registered(Name),
}

/// Tells a file reference from a registered one. The SDK tries a local file first; names that
/// look like neither a path nor a YAML file are registered components (`name:1`, `name@latest`).
pub fn target(cx: &LowerCtx, s: &Spanned<String>) -> Target {
    let v = s.value.trim();
    if v.starts_with("azureml:") || v.starts_with("azureml://") {
        return Target::Registered(cx.name(s));
    }
    let pathlike = v.starts_with("file:")
        || v.starts_with('.')
        || v.contains('/')
        || v.contains('\\')
        || v.ends_with(".yml")
        || v.ends_with(".yaml");
    if pathlike {
        Target::File(data::local_path(cx, s, &cx.dir, None))
    } else {
        Target::Registered(cx.name(s))
    }
}

impl Lowerer<'_> {
    /// Reads the component file at `path` (once per session). `None` when it does not exist
    /// (the missing-file check reports it) or cannot be read (reported here).
    pub fn load_component(&mut self, referrer: &LowerCtx, path: &PathRef) -> Option<Loaded> {
        let shown = display_path(self.session.sources().get(referrer.file).path.parent(), &path.raw.value);
        let canonical = std::fs::canonicalize(&shown).ok()?;
        if !canonical.is_file() {
            return None;
        }
        if let Some(hit) = self.session.v2_cache().components.get(&canonical) {
            return hit.clone();
        }
        let loaded = self.read_component(&shown);
        self.session.v2_cache().components.insert(canonical, loaded.clone());
        loaded
    }

    /// True when `path` is a prompt flow (`flow.dag.yaml`, or a flow run file) rather than a
    /// component: a parallel job may run one, and its interface is the flow's.
    pub fn is_flow(&mut self, referrer: &LowerCtx, path: &PathRef) -> bool {
        let shown = display_path(self.session.sources().get(referrer.file).path.parent(), &path.raw.value);
        let named = shown.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("flow.dag."));
        if named || shown.is_dir() {
            return shown.exists();
        }
        let Ok(canonical) = std::fs::canonicalize(&shown) else { return false };
        if self.session.v2_cache().components.contains_key(&canonical) {
            return false;
        }
        let Some(file) = self.session.load(&shown) else { return false };
        let Some(node) = self.session.parse(file) else { return false };
        node.get("type").is_none() && (node.get("nodes").is_some() || node.get("flow").is_some())
    }

    /// Loads, parses and reads a component file, reporting its problems.
    fn read_component(&mut self, shown: &Path) -> Option<Loaded> {
        let file = self.session.load(shown)?;
        let node = self.session.parse(file)?;
        if detect_format(shown, &node) == Format::V2Pipeline && node.get("jobs").is_none() {
            return None;
        }
        let doc = self.session.read_component(file, &node)?;
        Some(self.loaded(file, node, doc))
    }

    /// A read component file with the context its paths resolve in.
    pub fn loaded(&mut self, file: FileId, node: Node, doc: ComponentFile) -> Loaded {
        let path = self.session.sources().get(file).path.clone();
        let dir = absolute(path.parent().unwrap_or(Path::new("")));
        let root = match self.session.v2_cache().roots.get(&dir) {
            Some(root) => root.clone(),
            None => {
                let workspace = self.session.workspace_for(&path);
                let root = project_root(&dir, &workspace);
                self.session.v2_cache().roots.insert(dir.clone(), root.clone());
                root
            }
        };
        let cx = LowerCtx { file, dir, root, text: self.session.sources().get(file).text.clone() };
        Loaded { file, doc: Arc::new(doc), node: Arc::new(node), cx }
    }
}

/// The path a referred file is shown (and loaded) under: the referrer's folder joined with the
/// reference, `.` and `..` resolved lexically.
fn display_path(referrer_dir: Option<&Path>, raw: &str) -> PathBuf {
    let joined = referrer_dir.unwrap_or(Path::new("")).join(raw);
    let normal = crate::check::path_escapes_root::normalize(&joined);
    if normal.as_os_str().is_empty() { PathBuf::from(".") } else { normal }
}

/// A component's text form of `version` (`1`, `1.0.2`, `01` as written).
fn version_text(cx: &LowerCtx, v: &Spanned<Scalar>) -> String {
    match &v.value {
        Scalar::Str(s) => s.clone(),
        Scalar::Int(i) => i.to_string(),
        _ => cx.text.get(v.span.start as usize..v.span.end as usize).unwrap_or("").trim().to_string(),
    }
}

/// The declared interface and metadata of a component body.
pub fn component(
    origin: ComponentOrigin,
    kind: &str,
    cx: &LowerCtx,
    c: CommonComponent,
    node: Option<&Node>,
) -> Component {
    let inputs_node = data::child(node, "inputs");
    let outputs_node = data::child(node, "outputs");
    Component {
        origin,
        kind: kind.to_string(),
        name: c.name.map(|n| cx.name(n)),
        version: c.version.map(|v| version_text(cx, v)),
        display_name: c.display_name.map(|d| d.value.clone()),
        description: c.description.map(str::to_string),
        tags: json_object(&cx.text, data::child(node, "tags")),
        properties: json_object(&cx.text, data::child(node, "properties")),
        is_deterministic: c.is_deterministic.map(|d| d.value),
        inputs: c
            .inputs
            .iter()
            .map(|(k, d)| input_decl(cx, k, d, data::child(inputs_node, &k.value)))
            .collect(),
        outputs: c
            .outputs
            .iter()
            .map(|(k, d)| output_decl(cx, k, d, data::child(outputs_node, &k.value)))
            .collect(),
        interface_known: true,
        document: crate::ir::Document::new(passthrough(&cx.text, node, &[])),
        settings: passthrough(
            &cx.text,
            node,
            &[
                "type",
                "$schema",
                "name",
                "version",
                "display_name",
                "description",
                "tags",
                "properties",
                "is_deterministic",
                "inputs",
                "outputs",
            ],
        ),
    }
}

/// A mapping node as a JSON object with YAML 1.1 scalars (empty for anything else).
pub fn json_object(source: &str, node: Option<&Node>) -> JsonMap<String, Json> {
    match node.map(|n| crate::yaml::yaml11::to_json(n, source)) {
        Some(Json::Object(m)) => m,
        _ => JsonMap::new(),
    }
}

/// A component known only by reference: its interface is not visible.
pub fn registered(name: Name, kind: &str) -> Component {
    Component {
        origin: ComponentOrigin::Registered(name),
        kind: kind.to_string(),
        name: None,
        version: None,
        display_name: None,
        description: None,
        tags: JsonMap::new(),
        properties: JsonMap::new(),
        is_deterministic: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        interface_known: false,
        settings: JsonMap::new(),
        document: None,
    }
}

fn input_decl(
    cx: &LowerCtx,
    name: &Spanned<String>,
    d: &Spanned<InputDecl>,
    node: Option<&Node>,
) -> PortDecl {
    let d = &d.value;
    PortDecl {
        name: cx.name(name),
        ty: Some(Spanned::new(data::data_type(d.ty.value), d.ty.span)),
        type_name: d.ty.value.as_str().to_string(),
        optional: d.optional.as_ref().is_some_and(|o| o.value),
        default: d.default.as_ref().map(data::spanned_literal),
        min: d.min.as_ref().map(data::spanned_literal),
        max: d.max.as_ref().map(data::spanned_literal),
        allowed: d
            .allowed
            .as_ref()
            .map(|a| a.value.iter().map(|v| Spanned::new(v.value.to_text(), v.span)).collect())
            .unwrap_or_default(),
        mode: d.mode.as_ref().and_then(|m| data::mode(m.value, false)),
        description: d.description.clone(),
        settings: passthrough(
            &cx.text,
            node,
            &["type", "optional", "default", "min", "max", "enum", "mode", "description"],
        ),
    }
}

fn output_decl(
    cx: &LowerCtx,
    name: &Spanned<String>,
    d: &Spanned<OutputDecl>,
    node: Option<&Node>,
) -> PortDecl {
    let d = &d.value;
    PortDecl {
        name: cx.name(name),
        ty: Some(Spanned::new(data::data_type(d.ty.value), d.ty.span)),
        type_name: d.ty.value.as_str().to_string(),
        optional: false,
        default: None,
        min: None,
        max: None,
        allowed: Vec::new(),
        mode: d.mode.as_ref().and_then(|m| data::mode(m.value, true)),
        description: d.description.clone(),
        settings: passthrough(&cx.text, node, &["type", "mode", "description"]),
    }
}

/// A declaration made up for a port of a job written in place (whose component the service
/// builds from the job itself).
pub fn made_up_decl(
    name: Name,
    ty: Option<crate::ir::DataType>,
    default: Option<Spanned<Literal>>,
) -> PortDecl {
    let span = name.span;
    PortDecl {
        name,
        ty: ty.map(|t| Spanned::new(t, span)),
        type_name: ty.map(|t| t.as_str().to_string()).unwrap_or_default(),
        optional: false,
        default,
        min: None,
        max: None,
        allowed: Vec::new(),
        mode: None,
        description: None,
        settings: JsonMap::new(),
    }
}

/// The context of a component body written in place: the file of the job that holds it.
pub fn inline_origin(cx: &LowerCtx) -> ComponentOrigin {
    ComponentOrigin::Inline { file: cx.file }
}
