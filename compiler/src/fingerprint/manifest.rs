//! A step's fingerprint manifest: every input of the hash by name, with what it is about (for
//! explanations, not hashed). Runs store manifests so a later plan can say what changed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::canonical::{self, hex};
use super::tree::PathHash;

/// Version of the fingerprint's serialisation; part of every fingerprint.
pub const FORMAT_VERSION: u32 = 1;

/// What a manifest field is about, to explain a change in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// An output of the upstream step with this key.
    Step(String),
    /// The data reference with this name.
    Data(String),
    /// The pipeline parameter (or data input) with this name.
    Parameter(String),
    /// A value written in place.
    Literal,
    /// A path as written in the pipeline file.
    Path(String),
}

/// One input of a fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The value that is hashed.
    pub value: Json,
    /// What it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// The hash of the file listing behind the value (source folder, hash path, data), whose
    /// files a later plan can compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
}

impl Field {
    /// A field with a value only.
    pub fn new(value: Json) -> Field {
        Field { value, origin: None, tree: None }
    }

    /// The field with an origin.
    pub fn from(mut self, origin: Origin) -> Field {
        self.origin = Some(origin);
        self
    }
}

/// Every input of a step's fingerprint, by name (`kind`, `script`, `arguments`,
/// `parameter:<port>`, `input:<port>`, `output:<port>`, `compute`, `environment`, `source`,
/// `hash_path:<path>`, `settings`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] when it was made.
    pub version: u32,
    /// The fields.
    pub fields: BTreeMap<String, Field>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest { version: FORMAT_VERSION, fields: BTreeMap::new() }
    }
}

impl Manifest {
    /// Adds a field.
    pub fn insert(&mut self, name: impl Into<String>, field: Field) {
        self.fields.insert(name.into(), field);
    }

    /// The canonical serialisation that is hashed: the format version and each field's value.
    pub fn canonical(&self) -> String {
        let fields: serde_json::Map<String, Json> =
            self.fields.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
        canonical::to_string(&serde_json::json!({"sluice_fingerprint": self.version, "fields": fields}))
    }

    /// The fingerprint: SHA-256 of [`Manifest::canonical`], lower-case hex.
    pub fn fingerprint(&self) -> String {
        canonical::sha256_hex(self.canonical().as_bytes())
    }
}

/// One file of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// Relative path with `/` separators (empty for a single file).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, hex.
    pub hash: String,
}

/// The files behind a content hash, sorted by path, kept by runs so a later plan can name the
/// files that changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// The files.
    pub files: Vec<ListedFile>,
}

impl Listing {
    /// The listing of a hashed path.
    pub fn of(h: &PathHash) -> Listing {
        Listing {
            files: h
                .files
                .iter()
                .map(|f| ListedFile { path: f.display_path(), size: f.size, hash: hex(&f.hash) })
                .collect(),
        }
    }

    /// Text form: one `hash size path` line per file.
    pub fn encode(&self) -> String {
        let mut s = String::with_capacity(self.files.len() * 100);
        for f in &self.files {
            s.push_str(&f.hash);
            s.push(' ');
            s.push_str(&f.size.to_string());
            s.push(' ');
            // Paths never hold a newline that matters here; keep the line format intact.
            s.push_str(&f.path.replace('\n', "\\n"));
            s.push('\n');
        }
        s
    }

    /// Reads [`Listing::encode`]'s form; `None` when damaged.
    pub fn decode(text: &str) -> Option<Listing> {
        let mut files = Vec::new();
        for line in text.lines() {
            let mut parts = line.splitn(3, ' ');
            let hash = parts.next()?.to_string();
            let size = parts.next()?.parse().ok()?;
            let path = parts.next()?.to_string();
            files.push(ListedFile { path, size, hash });
        }
        Some(Listing { files })
    }
}
