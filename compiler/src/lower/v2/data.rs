//! Small conversions of v2 lowering: types, modes, literals, data locations, and the
//! passthrough of what sluice does not interpret.

use std::path::{Path, PathBuf};

use serde_json::{Map as JsonMap, Value as Json};

use crate::ir::{DataLocation, DataType, Literal, Mode, Name, PathRef};
use crate::lower::LowerCtx;
use crate::source::Span;
use crate::syntax::common::Scalar;
use crate::syntax::v2::{PortMode, PortType};
use crate::yaml::{Node, Spanned};

/// The IR type of a declared type (`path` is the legacy name of `uri_folder`).
pub fn data_type(t: PortType) -> DataType {
    match t {
        PortType::UriFile => DataType::UriFile,
        PortType::UriFolder | PortType::Path => DataType::UriFolder,
        PortType::Mltable => DataType::Mltable,
        PortType::MlflowModel => DataType::MlflowModel,
        PortType::CustomModel => DataType::CustomModel,
        PortType::TritonModel => DataType::TritonModel,
        PortType::String => DataType::String,
        PortType::Integer => DataType::Integer,
        PortType::Number => DataType::Number,
        PortType::Boolean => DataType::Boolean,
    }
}

/// The IR mode of a written mode; `mount` is read-only for inputs and read-write for outputs.
pub fn mode(m: PortMode, output: bool) -> Option<Mode> {
    Some(match m {
        PortMode::RoMount => Mode::RoMount,
        PortMode::RwMount => Mode::RwMount,
        PortMode::Mount if output => Mode::RwMount,
        PortMode::Mount => Mode::RoMount,
        PortMode::Download => Mode::Download,
        PortMode::Upload => Mode::Upload,
        PortMode::Direct => Mode::Direct,
        PortMode::EvalMount => Mode::EvalMount,
        PortMode::EvalDownload => Mode::EvalDownload,
        PortMode::Link => return None,
    })
}

/// A YAML scalar as an IR literal (YAML types kept).
pub fn literal(s: &Scalar) -> Literal {
    crate::lower::v1::literal(s)
}

/// A spanned scalar as a spanned literal.
pub fn spanned_literal(s: &Spanned<Scalar>) -> Spanned<Literal> {
    Spanned::new(literal(&s.value), s.span)
}

/// Key order and scalar types of a mapping node as JSON, leaving out `skip` keys. Scalars are
/// typed as YAML 1.1 types them (`True`, `yes` are booleans): these values are passed on to
/// Azure ML, which reads files with PyYAML. `source` is the text of the node's file.
pub fn passthrough(source: &str, node: Option<&Node>, skip: &[&str]) -> JsonMap<String, Json> {
    let mut out = JsonMap::new();
    if let Some(node) = node {
        for (k, v) in node.entries() {
            let key = k.key_string();
            if !skip.contains(&key.as_str()) {
                out.insert(key, crate::yaml::yaml11::to_json(v, source));
            }
        }
    }
    out
}

/// The value under `key` of a mapping node.
pub fn child<'a>(node: Option<&'a Node>, key: &str) -> Option<&'a Node> {
    node.and_then(|n| n.get(key))
}

/// True for references to things that are not local files: `azureml:`, web and storage URIs.
pub fn is_remote(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [
        "azureml:", "http:", "https:", "wasb:", "wasbs:", "abfs:", "abfss:", "adl:", "git+", "git:", "s3:",
        "gs:",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
        || lower.starts_with("/subscriptions/")
}

/// A local path written in a file: `file:` prefix removed, relative to `base`.
pub fn local_path(cx: &LowerCtx, s: &Spanned<String>, base: &Path, root: Option<&Path>) -> PathRef {
    let (value, span) = match s.value.strip_prefix("file:") {
        Some(rest) => {
            let skip = (s.span.len() as usize).saturating_sub(rest.len());
            (rest.to_string(), Span::new(s.span.start + skip as u32, s.span.end))
        }
        None => (s.value.clone(), s.span),
    };
    PathRef {
        raw: Name { value, file: cx.file, span },
        base: base.to_path_buf(),
        root: root.map(Path::to_path_buf),
    }
}

/// Where the data at `path` is: a local file or folder, a datastore path, a registered asset
/// or a URI.
pub fn location(cx: &LowerCtx, path: &Spanned<String>, root: Option<&Path>) -> DataLocation {
    let value = path.value.trim();
    let name = Name { value: value.to_string(), file: cx.file, span: path.span };
    if let Some(rest) = value.strip_prefix("azureml://datastores/") {
        // azureml://datastores/<name>/paths/<path>
        if let Some((store, p)) = rest.split_once("/paths/")
            && !store.contains("${{")
        {
            let quote = usize::from(path.span.len() as usize > path.value.len());
            let store_at = quote + path.value.find(store).unwrap_or(0);
            let store_span = path.span.sub(store_at, store.len());
            let path_at = store_at + store.len() + "/paths/".len();
            return DataLocation::Datastore {
                datastore: Name { value: store.to_string(), file: cx.file, span: store_span },
                path: Name { value: p.to_string(), file: cx.file, span: path.span.sub(path_at, p.len()) },
            };
        }
        return DataLocation::Uri(name);
    }
    if value.starts_with("azureml:") && !value.starts_with("azureml://") {
        return DataLocation::Asset(name);
    }
    if is_remote(value) || value.contains("${{") {
        return DataLocation::Uri(name);
    }
    DataLocation::Local(local_path(cx, path, &cx.dir, root))
}

/// The folder a path of the file `cx` lowers must stay inside: the project (the nearest folder
/// with `.git` or the workspace file), when there is one. Without one, v2 paths may point
/// anywhere, as Azure ML uploads them from wherever they are.
pub fn root_of(cx: &LowerCtx) -> Option<PathBuf> {
    thread_local! {
        /// Whether each project root is marked by `.git` or a workspace file (asked per path).
        static MARKED: std::cell::RefCell<std::collections::HashMap<PathBuf, bool>> = Default::default();
    }
    let marked = MARKED.with(|m| {
        *m.borrow_mut()
            .entry(cx.root.clone())
            .or_insert_with(|| cx.root.join(".git").exists() || has_workspace(&cx.root))
    });
    (marked && cx.dir.starts_with(&cx.root)).then(|| cx.root.clone())
}

fn has_workspace(dir: &Path) -> bool {
    crate::paths::WORKSPACE_FILE_NAMES.iter().any(|n| dir.join(n).is_file())
}

/// The modes azure-ai-ml accepts for data given to a job or a pipeline in place: inputs
/// `download`, `ro_mount`, `direct` (an `mltable`, or data of no stated type, also
/// `eval_mount` and `eval_download`; `InputSchema` by type), outputs `mount`, `upload`,
/// `rw_mount`, `direct` (`OutputSchema`). A component's declarations are not restricted so.
pub fn refused_mode(
    cx: &LowerCtx,
    mode: Option<&Spanned<PortMode>>,
    ty: Option<&Spanned<PortType>>,
    output: bool,
) -> Option<crate::diagnostic::Diagnostic> {
    let mode = mode?;
    let ty = ty.map(|t| t.value);
    if matches!(ty, Some(PortType::String | PortType::Integer | PortType::Number | PortType::Boolean)) {
        return None;
    }
    let mut allowed: Vec<&str> = if output {
        vec!["mount", "upload", "rw_mount", "direct"]
    } else {
        vec!["download", "ro_mount", "direct"]
    };
    if !output && matches!(ty, None | Some(PortType::Mltable)) {
        allowed.extend(["eval_mount", "eval_download"]);
    }
    let m = mode.value.as_str();
    if allowed.contains(&m) {
        return None;
    }
    let help = match (m, output) {
        ("mount", false) => "write `ro_mount` (an input is mounted read-only)".to_string(),
        ("upload" | "rw_mount", false) => {
            format!("`{m}` is a mode for outputs; an input takes {}", allowed.join(", "))
        }
        ("download" | "ro_mount", true) => {
            format!("`{m}` is a mode for inputs; an output takes {}", allowed.join(", "))
        }
        ("eval_mount" | "eval_download", false) => {
            format!("`{m}` is for `mltable` inputs only; this one takes {}", allowed.join(", "))
        }
        _ => format!("use one of {}", allowed.join(", ")),
    };
    let what = if output { "an output" } else { "an input" };
    let of = ty.map(|t| format!(" of type `{}`", t.as_str())).unwrap_or_default();
    Some(
        crate::check::invalid_value::RULE
            .at(cx.file, mode.span, format!("azure-ai-ml refuses mode `{m}` for {what}{of}"))
            .with_help(help),
    )
}
