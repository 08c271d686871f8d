//! Why a fingerprint changed: the difference between a step's manifest at its last run and now,
//! in words a user understands (the file, the parameter with its old and new value, the upstream
//! step).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::manifest::{Field, Listing, Manifest, Origin};

/// The files that differ between two listings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChanges {
    /// Files whose content or size changed.
    pub changed: Vec<String>,
    /// Files that are new.
    pub added: Vec<String>,
    /// Files that are gone.
    pub removed: Vec<String>,
}

impl FileChanges {
    /// Compares two listings by path.
    pub fn between(old: &Listing, new: &Listing) -> FileChanges {
        let old: BTreeMap<&str, (&str, u64)> =
            old.files.iter().map(|f| (f.path.as_str(), (f.hash.as_str(), f.size))).collect();
        let new: BTreeMap<&str, (&str, u64)> =
            new.files.iter().map(|f| (f.path.as_str(), (f.hash.as_str(), f.size))).collect();
        let mut c = FileChanges::default();
        for (path, v) in &new {
            match old.get(path) {
                None => c.added.push(path.to_string()),
                Some(o) if o != v => c.changed.push(path.to_string()),
                Some(_) => {}
            }
        }
        c.removed = old.keys().filter(|p| !new.contains_key(*p)).map(|p| p.to_string()).collect();
        c
    }

    /// True when no file differs.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }
}

/// One difference between two manifests.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The field's name (`source`, `parameter:lr`, ...).
    pub field: String,
    /// The field at the last run (`None`: added since).
    pub old: Option<Field>,
    /// The field now (`None`: removed since).
    pub new: Option<Field>,
    /// For fields backed by a file listing known on both sides: the files that differ.
    pub files: Option<FileChanges>,
}

/// The differences from `old` to `new`. `listing` returns the file listing of a tree hash when
/// it is known (from this plan or from the run store).
pub fn diff(old: &Manifest, new: &Manifest, listing: &dyn Fn(&str) -> Option<Listing>) -> Vec<Change> {
    if old.version != new.version {
        return vec![Change {
            field: "version".into(),
            old: Some(Field::new(old.version.into())),
            new: Some(Field::new(new.version.into())),
            files: None,
        }];
    }
    let names: BTreeSet<&String> = old.fields.keys().chain(new.fields.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        let (o, n) = (old.fields.get(name), new.fields.get(name));
        if let (Some(o), Some(n)) = (o, n)
            && o.value == n.value
        {
            continue;
        }
        let files = match (o.and_then(|f| f.tree.as_deref()), n.and_then(|f| f.tree.as_deref())) {
            (Some(a), Some(b)) => match (listing(a), listing(b)) {
                (Some(a), Some(b)) => Some(FileChanges::between(&a, &b)),
                _ => None,
            },
            _ => None,
        };
        out.push(Change { field: name.clone(), old: o.cloned(), new: n.cloned(), files });
    }
    out
}

/// Words for a change. `reruns(key)` tells whether the upstream step `key` re-runs in this plan.
pub fn describe(change: &Change, reruns: &dyn Fn(&str) -> bool) -> String {
    let field = change.field.as_str();
    let (old, new) = (change.old.as_ref(), change.new.as_ref());
    let origin = new.or(old).and_then(|f| f.origin.as_ref());
    let (kind, port) = field.split_once(':').unwrap_or((field, ""));
    let what = match kind {
        "parameter" => match origin {
            Some(Origin::Parameter(p)) => format!("parameter `{p}`"),
            _ => format!("input `{port}`"),
        },
        "input" => match origin {
            Some(Origin::Data(d)) => format!("data reference `{d}` (input `{port}`)"),
            Some(Origin::Parameter(p)) => format!("data parameter `{p}` (input `{port}`)"),
            Some(Origin::Path(p)) => format!("data `{p}` (input `{port}`)"),
            _ => format!("input `{port}`"),
        },
        "output" => format!("output `{port}`"),
        "hash_path" => format!("hash path `{port}`"),
        "config" => format!("configuration file `{port}`"),
        "source" => "source folder".to_string(),
        "version" => "sluice's fingerprint format".to_string(),
        other => other.replace('_', " "),
    };
    let (Some(old), Some(new)) = (old, new) else {
        return if new.is_some() { format!("{what} added") } else { format!("{what} removed") };
    };
    match kind {
        "version" => format!("{what} changed from version {} to {}", old.value, new.value),
        "parameter" => {
            let tail = match origin {
                Some(Origin::Parameter(p)) if p != port => format!(" (step input `{port}`)"),
                _ => String::new(),
            };
            format!("{what} changed from {} to {}{tail}", show(&old.value), show(&new.value))
        }
        "input" => match (&old.origin, &new.origin) {
            (Some(Origin::Step(a)), Some(Origin::Step(b))) if a == b => {
                let verb = if reruns(b) { "re-runs" } else { "changed" };
                format!("upstream step `{b}` {verb} (input `{port}`)")
            }
            (o, Some(Origin::Step(b))) if o.as_ref() != new.origin.as_ref() => {
                format!("input `{port}` now reads step `{b}`")
            }
            (o, n) if o != n => format!("input `{port}` now reads {}", origin_words(n.as_ref())),
            _ => match dataset_change(&old.value, &new.value) {
                Some(words) => format!("{what}: {words}"),
                None => with_files(&what, change.files.as_ref(), "file"),
            },
        },
        "source" => match &change.files {
            Some(f) if !f.is_empty() => file_words(f, "source file"),
            _ => "source folder changed".to_string(),
        },
        "hash_path" => with_files(&what, change.files.as_ref(), "file"),
        "script" => format!("script changed from {} to {}", show(&old.value), show(&new.value)),
        "arguments" => format!("arguments changed from `{}` to `{}`", args(&old.value), args(&new.value)),
        "compute" => format!("compute changed from {} to {}", compute(&old.value), compute(&new.value)),
        "kind" => {
            let name = |v: &Json| v.get("name").map(show).unwrap_or_else(|| show(v));
            if name(&old.value) == name(&new.value) {
                "step settings changed".to_string()
            } else {
                format!("step kind changed from {} to {}", name(&old.value), name(&new.value))
            }
        }
        _ => format!("{what} changed"),
    }
}

/// "dataset `sales` version 1 -> 2" when a registered dataset's resolved version (or, for the
/// same version, its content) differs.
fn dataset_change(old: &Json, new: &Json) -> Option<String> {
    let name = new.get("dataset")?.as_str()?;
    let version = |v: &Json| v.get("resolved").map(|r| r.to_string().trim_matches('"').to_string());
    match (version(old), version(new)) {
        (Some(a), Some(b)) if a != b => Some(format!("dataset `{name}` version {a} -> {b}")),
        (_, Some(b)) => Some(format!("dataset `{name}` version {b} changed")),
        _ => None,
    }
}

fn origin_words(o: Option<&Origin>) -> String {
    match o {
        Some(Origin::Step(s)) => format!("step `{s}`"),
        Some(Origin::Data(d)) => format!("data reference `{d}`"),
        Some(Origin::Parameter(p)) => format!("parameter `{p}`"),
        Some(Origin::Path(p)) => format!("`{p}`"),
        Some(Origin::Literal) => "a value".to_string(),
        None => "nothing".to_string(),
    }
}

fn with_files(what: &str, files: Option<&FileChanges>, noun: &str) -> String {
    match files {
        // A single file's listing has one entry with an empty path: the file itself changed.
        Some(f) if !(f.is_empty() || f.changed.len() == 1 && f.changed[0].is_empty()) => {
            format!("{what}: {}", file_words(f, noun))
        }
        _ => format!("{what} changed"),
    }
}

/// "source file `a.py` changed; source files `b.py`, `c.py` added".
pub fn file_words(f: &FileChanges, noun: &str) -> String {
    let mut parts = Vec::new();
    for (list, verb) in [(&f.changed, "changed"), (&f.added, "added"), (&f.removed, "removed")] {
        if list.is_empty() {
            continue;
        }
        let plural = if list.len() == 1 { "" } else { "s" };
        parts.push(format!("{noun}{plural} {} {verb}", names(list, 5)));
    }
    parts.join("; ")
}

fn names(list: &[String], max: usize) -> String {
    let shown: Vec<String> = list.iter().take(max).map(|n| format!("`{n}`")).collect();
    let mut s = shown.join(", ");
    if list.len() > max {
        s.push_str(&format!(" and {} more", list.len() - max));
    }
    s
}

fn show(v: &Json) -> String {
    match v {
        Json::String(s) => format!("`{s}`"),
        Json::Null => "nothing".to_string(),
        other => other.to_string(),
    }
}

fn args(v: &Json) -> String {
    let Some(items) = v.as_array() else {
        return v.to_string();
    };
    items
        .iter()
        .map(|a| match a {
            Json::String(s) => s.clone(),
            Json::Object(m) => m.iter().map(|(k, v)| format!("{k}:{}", v.as_str().unwrap_or(""))).collect(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn compute(v: &Json) -> String {
    match (v.get("name").and_then(Json::as_str), v.get("kind").and_then(Json::as_str)) {
        (Some(n), Some(k)) => format!("`{n}` ({k})"),
        _ => show(v),
    }
}
