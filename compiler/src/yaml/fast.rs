//! The fast path of [`super::parse`]: builds the node tree straight from the YAML parser's events
//! for the plain documents pipeline files are, instead of through serde-saphyr's deserializer
//! (which costs about four times the parse itself).
//!
//! It gives up, returning `None`, on anything it does not handle exactly as the serde-saphyr
//! path does (syntax errors, anchors, aliases, tags, merge keys, several documents, duplicate or
//! complex keys, input near a limit); the caller then takes that path, which reports the problem.
//! Plain scalars that may be something other than text (numbers, booleans, null) are resolved by
//! serde-saphyr itself, so the values cannot differ either. A test compares both paths on every
//! fixture, and the fuzz target compares them on arbitrary input.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span as GSpan, StrInput};

use super::node::{Limits, Node, Raw, Value};
use crate::source::Span;

/// An open collection while its children are read.
enum Frame {
    Seq { span: Span, items: Vec<Node> },
    Map { span: Span, entries: Vec<(Node, Node)>, key: Option<Node>, keys: Option<HashSet<String>> },
}

/// Maps with more entries than this look keys up in a set rather than by scanning.
const SCAN_KEYS: usize = 16;

/// Reads `text` into nodes, or `None` when the serde-saphyr path must do it. Large documents are
/// read in parallel pieces where that is safe ([`super::split`]).
pub(super) fn parse(text: &str, limits: &Limits) -> Option<Node> {
    if text.len() >= super::split::MIN_BYTES {
        let threads = std::thread::available_parallelism().map_or(1, usize::from).min(8);
        if threads > 1
            && let Some(node) = super::split::parse(text, limits, threads)
        {
            return Some(node);
        }
    }
    parse_sequential(text, limits)
}

/// Reads `text` into nodes on this thread, or `None` when the serde-saphyr path must do it.
pub(super) fn parse_sequential(text: &str, limits: &Limits) -> Option<Node> {
    let budget = serde_saphyr::budget::Budget::default();
    let options = serde_saphyr::granit_parser::options! {
        simple_key_max_lookahead: budget.simple_key_max_lookahead,
        flow_nesting_limit: budget.flow_nesting_limit,
        block_nesting_limit: limits.max_depth.saturating_add(1),
        emit_comments: false,
    };
    let parser = Parser::with_options(StrInput::new(text), options);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;
    let mut resolved: HashMap<String, Value> = HashMap::new();
    // Stay clear of the limits, so the serde-saphyr path reports any breach.
    let max_nodes = limits.max_nodes / 2;
    let max_depth = limits.max_depth.saturating_sub(2);
    for event in parser {
        let (event, gspan) = event.ok()?;
        let span = byte_span(&gspan, text);
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let value = if style == ScalarStyle::Plain {
                    plain(value, &mut resolved)?
                } else {
                    Value::Str(value.into_owned())
                };
                Node { span, value }
            }
            Event::SequenceStart(_, anchor, tag) => {
                if anchor != 0 || tag.is_some() || stack.len() >= max_depth {
                    return None;
                }
                stack.push(Frame::Seq { span, items: Vec::new() });
                continue;
            }
            Event::MappingStart(_, anchor, tag) => {
                if anchor != 0 || tag.is_some() || stack.len() >= max_depth {
                    return None;
                }
                stack.push(Frame::Map { span, entries: Vec::new(), key: None, keys: None });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => closed(stack.pop()?)?,
            _ => return None,
        };
        nodes += 1;
        if nodes > max_nodes {
            return None;
        }
        place(&mut stack, &mut root, node)?;
    }
    if !stack.is_empty() || documents > 1 {
        return None;
    }
    // An empty stream: the serde-saphyr path decides what that is.
    root
}

/// The node a collection makes once its end is read; `None` for a mapping left with a key and
/// no value.
fn closed(frame: Frame) -> Option<Node> {
    match frame {
        Frame::Seq { mut span, items } => {
            if let Some(last) = items.last() {
                span = span.join(last.span);
            }
            Some(Node { span, value: Value::Seq(items) })
        }
        Frame::Map { span, entries, key: None, .. } => Some(Node { span, value: Value::Map(entries) }),
        Frame::Map { key: Some(_), .. } => None,
    }
}

/// Puts a finished node where it belongs: the root, the next item of the open sequence, or the
/// next key or value of the open mapping; `None` when the serde-saphyr path must read the text.
fn place(stack: &mut [Frame], root: &mut Option<Node>, node: Node) -> Option<()> {
    match stack.last_mut() {
        None => {
            if root.is_some() {
                return None;
            }
            *root = Some(node);
        }
        Some(Frame::Seq { items, .. }) => items.push(node),
        Some(Frame::Map { span, entries, key, keys }) => match key.take() {
            None => {
                new_key(entries, keys, &node)?;
                *key = Some(node);
            }
            Some(k) => {
                *span = span.join(node.span);
                entries.push((k, node));
            }
        },
    }
    Some(())
}

/// `Some` when `node` can be the next key of a mapping here: a scalar, not a merge key, not a key
/// the mapping already has.
fn new_key(entries: &[(Node, Node)], keys: &mut Option<HashSet<String>>, node: &Node) -> Option<()> {
    match &node.value {
        // A merge key is applied by the serde-saphyr path.
        Value::Str(s) if s == "<<" => return None,
        Value::Seq(_) | Value::Map(_) => return None,
        _ => {}
    }
    let name = key_text(node);
    if entries.len() < SCAN_KEYS {
        if entries.iter().any(|(k, _)| key_text(k) == name) {
            return None;
        }
    } else {
        let keys =
            keys.get_or_insert_with(|| entries.iter().map(|(k, _)| key_text(k).into_owned()).collect());
        if !keys.insert(name.into_owned()) {
            return None;
        }
    }
    Some(())
}

/// A key as the serde-saphyr path compares keys (`Node::key_string`), borrowed where it can be.
fn key_text(key: &Node) -> Cow<'_, str> {
    match &key.value {
        Value::Str(s) => Cow::Borrowed(s),
        _ => Cow::Owned(key.key_string()),
    }
}

/// The byte span of an event, as serde-saphyr's `Location` gives it.
fn byte_span(span: &GSpan, text: &str) -> Span {
    let (start, len) = match (span.start.byte_offset(), span.end.byte_offset()) {
        (Some(s), Some(e)) => (s, e.saturating_sub(s)),
        _ => (0, 0),
    };
    let start = start.min(text.len()) as u32;
    Span::new(start, start.saturating_add(len as u32).min(text.len() as u32))
}

/// The value of a plain scalar: text unless it may read as null, a boolean or a number, which
/// serde-saphyr resolves (once per distinct spelling).
fn plain(value: Cow<str>, resolved: &mut HashMap<String, Value>) -> Option<Value> {
    if surely_text(&value) {
        return Some(Value::Str(value.into_owned()));
    }
    if let Some(v) = resolved.get(value.as_ref()) {
        return Some(v.clone());
    }
    let v = resolve(&value)?;
    resolved.insert(value.into_owned(), v.clone());
    Some(v)
}

/// Words that some YAML schema reads as something other than text.
const SPECIAL_WORDS: [&str; 12] =
    ["null", "true", "false", "yes", "no", "on", "off", "y", "n", "inf", "infinity", "nan"];

/// True when a plain scalar cannot be anything but text: it does not start (after a sign) with a
/// digit, `.` or `~`, and is none of the special words in any case.
pub(super) fn surely_text(v: &str) -> bool {
    if v.is_empty() || v.trim_matches([' ', '\t', '\r', '\n']).len() != v.len() {
        return false;
    }
    let unsigned = v.strip_prefix(['+', '-']).unwrap_or(v);
    // `.5`, `.inf` and `.nan` are numbers; `./data` and `../x` are not.
    let dotless = unsigned.strip_prefix('.').unwrap_or(unsigned);
    match dotless.as_bytes().first() {
        None => return false,
        Some(c) if c.is_ascii_digit() || *c == b'~' => return false,
        Some(_) => {}
    }
    !SPECIAL_WORDS.iter().any(|w| {
        v.eq_ignore_ascii_case(w) || unsigned.eq_ignore_ascii_case(w) || dotless.eq_ignore_ascii_case(w)
    })
}

/// Resolves a plain scalar the way serde-saphyr does, by letting it read `[value]`. Only short
/// spellings of safe characters are tried (others would change meaning inside brackets).
fn resolve(v: &str) -> Option<Value> {
    let safe = v.len() <= 64
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_' | b'~'));
    if !safe {
        return None;
    }
    let options = serde_saphyr::options! { strict_booleans: true, with_snippet: false };
    let mut items = serde_saphyr::from_str_with_options::<Vec<Raw>>(&format!("[{v}]"), options).ok()?;
    if items.len() != 1 {
        return None;
    }
    Some(match items.pop()? {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(_) | Raw::Map(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_told_from_values() {
        for v in [
            "PythonScriptStep",
            "steps/train",
            "--data",
            "input:x",
            "d12",
            "-x",
            "+a",
            "nanny",
            "./a",
            "../b",
        ] {
            assert!(surely_text(v), "{v}");
        }
        for v in [
            "", "~", "1", "-1", "+1.5", ".5", ".inf", "-.inf", "NaN", "True", "NULL", "y", "0x1F", "1e9",
            ".", ".Nan",
        ] {
            assert!(!surely_text(v), "{v}");
        }
    }

    #[test]
    fn values_resolve_as_serde_saphyr_reads_them() {
        assert_eq!(resolve("1"), Some(Value::Int(1)));
        assert_eq!(resolve("true"), Some(Value::Bool(true)));
        assert_eq!(resolve("yes"), Some(Value::Str("yes".into())));
        assert_eq!(resolve("~"), Some(Value::Null));
        assert_eq!(resolve("0.25"), Some(Value::Float(0.25)));
        assert_eq!(resolve("a b"), None);
    }
}
