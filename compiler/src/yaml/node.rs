//! A YAML document as a tree of nodes, each with its byte span.

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Error as SaphyrError, Spanned as SSpanned};

use crate::source::Span;

/// A YAML node with the byte span it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the node is. For a mapping or sequence, from its first to its last child.
    pub span: Span,
    /// What the node holds.
    pub value: Value,
}

/// The value of a YAML node (aliases already expanded, merge keys applied).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true` or `false` (only those spellings: booleans are strict).
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number (also integers too large for `i64`).
    Float(f64),
    /// A string, quoted or plain.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping; keys are scalar nodes; duplicates are removed (and reported) by [`parse`].
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// A short description for messages: "a string", "a mapping", ...
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The string value, if this is a string node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value at `key`, if this is a mapping holding it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries().iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }

    /// The entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The key node and value node at `key`.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.entries().iter().find(|(k, _)| k.as_str() == Some(key)).map(|(k, v)| (k, v))
    }

    /// Converts to JSON (numbers stay numbers; keys become strings).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => items.iter().map(Node::to_json).collect(),
            Value::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k.key_string(), v.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    /// A mapping key as text (scalars only; others give their kind).
    pub fn key_string(&self) -> String {
        match &self.value {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".to_string(),
            other => other.kind_name().to_string(),
        }
    }
}

/// Input limits applied while reading a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes after alias expansion.
    pub max_nodes: usize,
    /// Most events replayed by aliases (stops "billion laughs" documents).
    pub max_alias_events: usize,
}

/// Default size limit: a realistic 100,000-step v1 pipeline in block style (about 30 MB) fits
/// with room to spare.
pub const DEFAULT_MAX_BYTES: usize = 256 * 1024 * 1024;
/// Default node limit: a 100,000-step pipeline has about 4 million nodes. The node limit guards
/// memory (each node costs about 100 bytes); alias bombs are stopped by `max_alias_events`.
pub const DEFAULT_MAX_NODES: usize = 16_000_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: DEFAULT_MAX_BYTES,
            max_depth: 64,
            max_nodes: DEFAULT_MAX_NODES,
            max_alias_events: 20_000,
        }
    }
}

impl Limits {
    /// The default limits with files of up to `bytes` bytes; the node limit grows with a size
    /// limit above the default (a node takes at least a few bytes of text), and stays put below.
    pub fn for_max_bytes(bytes: u64) -> Limits {
        let max_bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
        let scaled = (max_bytes as u128 * DEFAULT_MAX_NODES as u128 / DEFAULT_MAX_BYTES as u128) as usize;
        Limits { max_bytes, max_nodes: DEFAULT_MAX_NODES.max(scaled), ..Limits::default() }
    }

    /// The message for a file of `size` bytes over the size limit.
    pub fn too_large(&self, size: u64) -> (String, String) {
        (
            format!("the file is {size} bytes; the limit is {} bytes", self.max_bytes),
            "raise the limit with --max-file-size or SLUICE_MAX_FILE_SIZE (e.g. 1G)".to_string(),
        )
    }
}

/// Why a document could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not well-formed YAML.
    Syntax,
    /// An input limit was exceeded (size, depth, nodes, alias expansion).
    Limit,
    /// A mapping repeats a key; `first` is the earlier occurrence.
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// Span of the first occurrence.
        first: Span,
    },
    /// A mapping key that is not a scalar.
    ComplexKey,
}

/// A problem found while reading YAML text, at a span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Human message (no location in it).
    pub message: String,
    /// Where.
    pub span: Span,
    /// How to fix it, when a fix can be guessed.
    pub help: Option<String>,
}

/// Reads YAML text into a node tree. Duplicate keys are reported (the first occurrence is kept)
/// alongside a tree; syntax errors and limits give no tree.
pub fn parse(text: &str, limits: &Limits) -> (Option<Node>, Vec<ParseError>) {
    if text.len() > limits.max_bytes {
        let (message, help) = limits.too_large(text.len() as u64);
        return (
            None,
            vec![ParseError { kind: ParseErrorKind::Limit, message, span: Span::point(0), help: Some(help) }],
        );
    }
    if text.trim().is_empty() || text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return (Some(Node { span: Span::point(0), value: Value::Null }), Vec::new());
    }
    if let Some(node) = super::fast::parse(text, limits) {
        return (Some(node), Vec::new());
    }
    parse_general(text, limits)
}

/// [`parse`] without its fast path: every document goes through serde-saphyr's deserializer.
/// Public so that tests and the fuzz target can compare both paths.
pub fn parse_general(text: &str, limits: &Limits) -> (Option<Node>, Vec<ParseError>) {
    super::on_big_stack(|| {
        let mut options = serde_saphyr::options! {
            duplicate_keys: DuplicateKeyPolicy::PassThrough,
            strict_booleans: true,
            with_snippet: false,
        };
        options.budget = serde_saphyr::budget! {
            max_depth: limits.max_depth,
            max_nodes: limits.max_nodes,
            max_events: limits.max_nodes.saturating_mul(2),
            max_documents: 1,
        };
        options.alias_limits = serde_saphyr::alias_limits! {
            max_total_replayed_events: limits.max_alias_events,
        };
        match serde_saphyr::from_str_with_options::<SSpanned<Raw>>(text, options) {
            Ok(raw) => {
                let mut errors = Vec::new();
                let node = convert(raw, text, &mut errors);
                (Some(node), errors)
            }
            Err(e) => (None, vec![parse_error(&e, text)]),
        }
    })
}

fn parse_error(e: &SaphyrError, text: &str) -> ParseError {
    let mut span =
        e.location().map(|l| location_span(&l, text)).unwrap_or_else(|| Span::point(text.len() as u32));
    let mut inner = e.without_snippet();
    while let SaphyrError::AliasError { error, .. } = inner {
        inner = error.without_snippet();
    }
    let (kind, message) = match inner {
        // Several documents are a mistake in the file's shape, not an input limit.
        SaphyrError::Budget { breach: serde_saphyr::budget::BudgetBreach::Documents { .. }, .. } => {
            (ParseErrorKind::Syntax, DOCUMENTS_MESSAGE.to_string())
        }
        SaphyrError::Budget { breach, .. } => (ParseErrorKind::Limit, budget_message(breach)),
        SaphyrError::AliasReplayLimitExceeded { max_total_replayed_events, .. } => (
            ParseErrorKind::Limit,
            format!(
                "aliases expand to more than {max_total_replayed_events} YAML events; \
                 this looks like an alias bomb"
            ),
        ),
        SaphyrError::AliasExpansionLimitExceeded { .. }
        | SaphyrError::AliasReplayStackDepthExceeded { .. }
        | SaphyrError::AliasReplayCounterOverflow { .. } => {
            (ParseErrorKind::Limit, "aliases expand too much; this looks like an alias bomb".to_string())
        }
        SaphyrError::MultipleDocuments { .. } => (ParseErrorKind::Syntax, DOCUMENTS_MESSAGE.to_string()),
        other => {
            let mut message = other.to_string();
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            (ParseErrorKind::Syntax, message)
        }
    };
    let mut help = None;
    let mut message = message;
    if kind == ParseErrorKind::Syntax && message.contains("tab") {
        // The scanner names the scalar before the tab; point at the tab itself.
        if let Some(tab) = indenting_tab(text, span.start as usize) {
            span = tab;
            message = "a tab indents this line; YAML indents with spaces only".to_string();
            help = Some("replace the tab with spaces".to_string());
        }
    } else if kind == ParseErrorKind::Syntax && message.contains("flow mapping") {
        let at = span.start as usize;
        if at > 0 && text.as_bytes().get(at - 1) == Some(&b'$') {
            help = Some("inside `{ ... }`, quote a value holding braces: `\"${env:NAME}\"`".to_string());
        }
    }
    ParseError { kind, message, span, help }
}

/// The first tab in the indentation of a line at or after the line holding `from` (looking a few
/// lines ahead, as far as the scanner may have read).
fn indenting_tab(text: &str, from: usize) -> Option<Span> {
    let line_start = text[..from.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let mut offset = line_start;
    for line in text[line_start..].split_inclusive('\n').take(4) {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(i) = line[..indent].find('\t') {
            let at = (offset + i) as u32;
            return Some(Span::new(at, at + 1));
        }
        offset += line.len();
    }
    None
}

const DOCUMENTS_MESSAGE: &str = "a pipeline file holds one YAML document; remove the `---` separator";

fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Depth { depth } => format!("nesting reaches {depth} levels; the limit is 64"),
        B::Nodes { nodes } => {
            format!("{nodes} YAML nodes; the file is too large (the node limit grows with --max-file-size)")
        }
        B::Events { events } => {
            format!("{events} YAML events; the file is too large (the node limit grows with --max-file-size)")
        }
        B::Aliases { aliases } => format!("{aliases} aliases; the file uses too many"),
        B::Anchors { anchors } => format!("{anchors} anchors; the file uses too many"),
        B::Documents { .. } => DOCUMENTS_MESSAGE.to_string(),
        B::AliasAnchorRatio { .. } => {
            "far more aliases than anchors; this looks like an alias bomb".to_string()
        }
        other => format!("input limit exceeded: {other:?}"),
    }
}

fn location_span(loc: &serde_saphyr::Location, text: &str) -> Span {
    let span = loc.span();
    let (start, len) = match (span.byte_offset(), span.byte_len()) {
        (Some(start), Some(len)) => (start.min(text.len() as u64) as u32, len as u32),
        // Scanner errors carry only character positions: convert them to bytes.
        _ => char_span_to_bytes(text, span.offset(), span.len()),
    };
    Span::new(start, start.saturating_add(len).min(text.len() as u32))
}

/// Byte offset and length of `len` characters starting at character `offset`.
fn char_span_to_bytes(text: &str, offset: u64, len: u64) -> (u32, u32) {
    let byte_at =
        |chars: u64| text.char_indices().nth(chars as usize).map(|(i, _)| i).unwrap_or(text.len()) as u32;
    let start = byte_at(offset);
    let end = byte_at(offset.saturating_add(len));
    (start, end.saturating_sub(start))
}

/// What serde-saphyr hands us: a value whose children carry locations.
pub(super) enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<SSpanned<Raw>>),
    Map(Vec<(SSpanned<Raw>, SSpanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(i64::try_from(v).map(Raw::Int).unwrap_or(Raw::Float(v as f64)))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
        Ok(i64::try_from(v).map(Raw::Int).unwrap_or(Raw::Float(v as f64)))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
        Ok(i64::try_from(v).map(Raw::Int).unwrap_or(Raw::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element::<SSpanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = map.next_key::<SSpanned<Raw>>()? {
            let value = map.next_value::<SSpanned<Raw>>()?;
            entries.push((key, value));
        }
        Ok(Raw::Map(entries))
    }
}

/// Turns the located raw tree into nodes with byte spans, dropping (and reporting) repeated keys.
fn convert(raw: SSpanned<Raw>, text: &str, errors: &mut Vec<ParseError>) -> Node {
    let mut span = location_span(&raw.referenced, text);
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => {
            let items: Vec<Node> = items.into_iter().map(|i| convert(i, text, errors)).collect();
            if let Some(last) = items.last() {
                span = span.join(last.span);
            }
            Value::Seq(items)
        }
        Raw::Map(raw_entries) => {
            let mut entries: Vec<(Node, Node)> = Vec::with_capacity(raw_entries.len());
            let mut seen: HashMap<String, Span> = HashMap::new();
            for (k, v) in raw_entries {
                let key = convert(k, text, errors);
                let value = convert(v, text, errors);
                span = span.join(value.span);
                if matches!(key.value, Value::Seq(_) | Value::Map(_)) {
                    errors.push(ParseError {
                        kind: ParseErrorKind::ComplexKey,
                        message: "a mapping key must be a plain scalar, not a list or mapping".to_string(),
                        span: key.span,
                        help: None,
                    });
                    continue;
                }
                let name = key.key_string();
                if let Some(&first) = seen.get(&name) {
                    errors.push(ParseError {
                        kind: ParseErrorKind::DuplicateKey { key: name.clone(), first },
                        message: format!("duplicate key `{name}`"),
                        span: key.span,
                        help: None,
                    });
                    continue;
                }
                seen.insert(name, key.span);
                entries.push((key, value));
            }
            Value::Map(entries)
        }
    };
    Node { span, value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limits_take_a_100k_step_pipeline_in_block_style() {
        use crate::synth::{Options, Style, pipeline_yaml};
        let text = pipeline_yaml(&Options::new(100_000, Style::Block));
        let limits = Limits::default();
        assert!(text.len() <= limits.max_bytes, "{} bytes", text.len());
        // Read by the fast path, so within half the node limit (the serde-saphyr reader is the
        // one that reports a breach).
        assert!(crate::yaml::parse_fast(&text, &limits).is_some());
    }

    #[test]
    fn the_node_limit_grows_with_a_larger_size_limit_only() {
        let default = Limits::default();
        assert_eq!(Limits::for_max_bytes(DEFAULT_MAX_BYTES as u64), default);
        assert_eq!(Limits::for_max_bytes(1 << 20).max_nodes, DEFAULT_MAX_NODES);
        let big = Limits::for_max_bytes(1 << 30);
        assert_eq!((big.max_bytes, big.max_nodes), (1 << 30, DEFAULT_MAX_NODES * 4));
        // Depth and alias limits stay as they are.
        assert_eq!((big.max_depth, big.max_alias_events), (default.max_depth, default.max_alias_events));
    }

    fn ok(text: &str) -> Node {
        let (node, errors) = parse(text, &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        node.unwrap()
    }

    #[test]
    fn spans_are_byte_offsets() {
        let text = "a: héllo\nb: [1, 2.5, 'x']\n";
        let node = ok(text);
        let b = node.get("b").unwrap();
        let Value::Seq(items) = &b.value else { panic!() };
        assert_eq!(&text[items[2].span.start as usize..items[2].span.end as usize], "'x'");
        assert_eq!(items[0].value, Value::Int(1));
        assert_eq!(items[1].value, Value::Float(2.5));
        let a = node.get("a").unwrap();
        assert_eq!(&text[a.span.start as usize..a.span.end as usize], "héllo");
    }

    #[test]
    fn booleans_are_strict() {
        let node = ok("a: yes\nb: true\n");
        assert_eq!(node.get("a").unwrap().value, Value::Str("yes".into()));
        assert_eq!(node.get("b").unwrap().value, Value::Bool(true));
    }

    #[test]
    fn duplicate_keys_point_at_both() {
        let text = "a: 1\nb: 2\na: 3\n";
        let (node, errors) = parse(text, &Limits::default());
        assert_eq!(node.unwrap().get("a").unwrap().value, Value::Int(1));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].span.start, 10);
        assert!(matches!(errors[0].kind, ParseErrorKind::DuplicateKey { first, .. } if first.start == 0));
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let (node, errors) = parse("a:\n  b: [x\n", &Limits::default());
        assert!(node.is_none());
        assert_eq!(errors[0].kind, ParseErrorKind::Syntax);
    }

    #[test]
    fn alias_bombs_hit_a_limit() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let (node, errors) = parse(&text, &Limits::default());
        assert!(node.is_none());
        assert_eq!(errors[0].kind, ParseErrorKind::Limit, "{errors:?}");
    }

    #[test]
    fn deep_nesting_hits_a_limit() {
        let text = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let (node, errors) = parse(&text, &Limits::default());
        assert!(node.is_none());
        assert!(!errors.is_empty());
    }

    #[test]
    fn empty_and_comment_only_files_are_null() {
        assert_eq!(ok("").value, Value::Null);
        assert_eq!(ok("# nothing\n\n").value, Value::Null);
    }
}
