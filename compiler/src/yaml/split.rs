//! Parallel reading of large plain documents: the entries of the biggest block mapping (a
//! pipeline's `steps` or `jobs`) are cut into pieces at entry boundaries, and the pieces and the
//! rest of the document are parsed on several threads, then joined. The YAML scanner is most of a
//! large check's time, and it reads one character after another.
//!
//! Only cut points a line-level scan proves safe are used: a line that starts a plain `key:` at
//! the mapping's indentation, outside flow collections, quoted scalars and block scalars. Each
//! piece must parse on its own as a mapping; any doubt (a failed piece, a repeated key across
//! pieces, an unusual layout) returns `None` and the caller reads the document in one piece,
//! which also reports any problem. A test compares both readings on every fixture.

use std::collections::HashSet;

use super::fast;
use super::node::{Limits, Node, Value};
use crate::source::Span;

/// Documents smaller than this are read in one piece (threads would cost more than they save).
pub(super) const MIN_BYTES: usize = 256 * 1024;

/// One line of the document, as the cut-point scan sees it.
struct Line {
    /// Byte offset of the line's first character.
    start: usize,
    /// Number of leading spaces.
    indent: usize,
    /// Blank or only a comment.
    blank: bool,
    /// Starts a plain `key:` entry, in block context.
    key: bool,
    /// Ends with `key:` and nothing after it (a mapping or sequence follows on the next lines).
    opens: bool,
    /// Ends a block scalar that has no content: the scalar's span is placed at this line's first
    /// token, which a piece cut or ending here would not see.
    ends_empty_scalar: bool,
}

/// Reads `text` in `pieces` parallel pieces, or `None` when it cannot be cut safely.
pub(super) fn parse(text: &str, limits: &Limits, pieces: usize) -> Option<Node> {
    let lines = scan(text)?;
    let (parent, first, end) = biggest_run(&lines, text.len())?;
    let region = lines[first].start..end;
    // Not worth it unless the mapping is most of the document.
    if region.len() * 2 < text.len() || pieces < 2 {
        return None;
    }
    let indent = lines[first].indent;
    let cuts = cut_points(&lines, first, end, indent, pieces);
    // The rest of the document: what comes before and after the region, joined at line starts.
    let mut skeleton = String::with_capacity(text.len() - region.len());
    skeleton.push_str(&text[..region.start]);
    skeleton.push_str(&text[region.end..]);
    // A piece runs on into the next line's indentation: a block scalar's span ends where the next
    // token starts, and it must end there in a piece too.
    let indentation = |at: usize| text[at..].bytes().take_while(|&b| b == b' ').count();
    let bounds: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1] + indentation(w[1]))).collect();
    let chunk_limits = Limits { max_depth: limits.max_depth.saturating_sub(4), ..*limits };
    let (skeleton_node, parts) = std::thread::scope(|s| {
        let handles: Vec<_> = bounds
            .iter()
            .skip(1)
            .map(|&(a, b)| s.spawn(move || fast::parse_sequential(&text[a..b], &chunk_limits)))
            .collect();
        let first_part = fast::parse_sequential(&text[bounds[0].0..bounds[0].1], &chunk_limits);
        let skeleton_node = fast::parse_sequential(&skeleton, limits);
        let mut parts = vec![first_part];
        parts.extend(handles.into_iter().map(|h| h.join().ok().flatten()));
        (skeleton_node, parts)
    });
    let mut root = skeleton_node?;
    unsplice(&mut root, region.start as u32, region.len() as u32);
    let mut entries: Vec<(Node, Node)> = Vec::new();
    let mut keys: HashSet<String> = HashSet::new();
    let mut nodes = 0usize;
    // Collections nested below the region's entries (the deepest entry).
    let mut below = 0usize;
    for (part, &(a, _)) in parts.into_iter().zip(&bounds) {
        let Value::Map(part_entries) = part?.value else { return None };
        for (mut k, mut v) in part_entries {
            below = below.max(shift(&mut k, a as u32, &mut nodes));
            below = below.max(shift(&mut v, a as u32, &mut nodes));
            // Every entry is a key of this mapping, at its indentation.
            if column(text, k.span.start as usize) != indent || !keys.insert(k.key_string()) {
                return None;
            }
            entries.push((k, v));
        }
    }
    if nodes > limits.max_nodes / 2 {
        return None;
    }
    let span =
        Span::new(entries.first()?.0.span.start, entries.last()?.1.span.end.max(entries.last()?.0.span.end));
    let (slot, above) = null_value_after(&mut root, lines[parent].start, region.start, span)?;
    // As deep as the one-piece reader accepts, no deeper: past that, it is left to the reader
    // that reports the limit.
    if above + 1 + below > limits.max_depth.saturating_sub(2) {
        return None;
    }
    *slot = Node { span, value: Value::Map(entries) };
    Some(root)
}

/// Moves the spans of a tree read without the region back to where they are in the document:
/// what starts at or after the cut moves by the region's length, and so does any end past it.
fn unsplice(node: &mut Node, cut: u32, len: u32) {
    let start = if node.span.start >= cut { node.span.start + len } else { node.span.start };
    let end = if node.span.end > cut || node.span.start >= cut { node.span.end + len } else { node.span.end };
    node.span = Span::new(start, end);
    let last_end = match &mut node.value {
        Value::Seq(items) => {
            items.iter_mut().for_each(|n| unsplice(n, cut, len));
            items.last().map(|n| n.span.end)
        }
        Value::Map(entries) => {
            entries.iter_mut().for_each(|(k, v)| {
                unsplice(k, cut, len);
                unsplice(v, cut, len);
            });
            entries.last().map(|(k, v)| k.span.end.max(v.span.end))
        }
        _ => None,
    };
    // A collection ending exactly at the cut may end with an empty node standing there (a
    // last `:` with no key), which moved: it still covers its children.
    if let Some(e) = last_end.filter(|&e| e > node.span.end) {
        node.span = Span::new(node.span.start, e);
    }
}

/// Adds `offset` to every span of a tree, counting its nodes; returns how deep its collections
/// nest (0 for a scalar).
fn shift(node: &mut Node, offset: u32, count: &mut usize) -> usize {
    *count += 1;
    node.span = Span::new(node.span.start + offset, node.span.end + offset);
    match &mut node.value {
        Value::Seq(items) => 1 + items.iter_mut().map(|n| shift(n, offset, count)).max().unwrap_or(0),
        Value::Map(entries) => {
            1 + entries
                .iter_mut()
                .map(|(k, v)| shift(k, offset, count).max(shift(v, offset, count)))
                .max()
                .unwrap_or(0)
        }
        _ => 0,
    }
}

/// Characters from the start of the line to `at` (byte offset).
fn column(text: &str, at: usize) -> usize {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..at].chars().count()
}

/// The null value whose key starts on the parent line (at or after `line_start`) and before the
/// region: where the region's mapping was in the skeleton. Every node on the way grows to cover `span`, as
/// it covers its children in a one-piece reading. Also returns how many collections hold it.
fn null_value_after(
    node: &mut Node,
    line_start: usize,
    region_start: usize,
    span: Span,
) -> Option<(&mut Node, usize)> {
    let (line_start, region_start) = (line_start as u32, region_start as u32);
    let mut current = node;
    let mut levels = 0;
    loop {
        current.span = current.span.join(span);
        levels += 1;
        let next = match &mut current.value {
            Value::Map(entries) => {
                let i = entries.iter().rposition(|(k, _)| k.span.start < region_start)?;
                let (k, v) = &mut entries[i];
                if k.span.start >= line_start && matches!(v.value, Value::Null) {
                    return Some((v, levels));
                }
                v
            }
            Value::Seq(items) => {
                let i = items.iter().rposition(|n| n.span.start < region_start)?;
                &mut items[i]
            }
            _ => return None,
        };
        current = next;
    }
}

/// Splits the run of entries `first..` (ending at byte `end`) into about `pieces` pieces of
/// similar size, at entry lines; returns the byte bounds (first start, cuts..., end).
fn cut_points(lines: &[Line], first: usize, end: usize, indent: usize, pieces: usize) -> Vec<usize> {
    let start = lines[first].start;
    let size = end - start;
    let mut cuts = vec![start];
    let mut target = 1;
    for line in &lines[first + 1..] {
        if line.start >= end || target == pieces {
            break;
        }
        if line.key
            && !line.ends_empty_scalar
            && line.indent == indent
            && line.start - start >= size * target / pieces
        {
            cuts.push(line.start);
            target += 1;
        }
    }
    cuts.push(end);
    cuts
}

/// The run of sibling `key:` lines at one indentation whose parent line opens them and holds
/// nothing else, with the most bytes outside its largest entry (what pieces can share out):
/// (parent line, first entry line, end byte of the run).
fn biggest_run(lines: &[Line], text_len: usize) -> Option<(usize, usize, usize)> {
    let mut best: Option<(usize, usize, usize, usize)> = None;
    for (i, line) in lines.iter().enumerate() {
        if line.blank || !line.opens {
            continue;
        }
        // The first content line after the parent must be a `key:` line indented deeper.
        let Some(first) = (i + 1..lines.len()).find(|&j| !lines[j].blank) else { break };
        let indent = lines[first].indent;
        if !lines[first].key || indent <= line.indent {
            continue;
        }
        // The run ends at the first content line indented less than its entries.
        let end_line = (first + 1..lines.len()).find(|&j| !lines[j].blank && lines[j].indent < indent);
        if end_line.is_some_and(|j| lines[j].ends_empty_scalar) {
            // The run's last piece would end on an empty block scalar.
            continue;
        }
        let end = end_line.map_or(text_len, |j| lines[j].start);
        let mut largest = 0;
        let mut entry_start = lines[first].start;
        for l in &lines[first + 1..end_line.unwrap_or(lines.len())] {
            if l.key && l.indent == indent {
                largest = largest.max(l.start - entry_start);
                entry_start = l.start;
            }
        }
        largest = largest.max(end - entry_start);
        let shareable = end - lines[first].start - largest;
        if best.is_none_or(|(.., s)| shareable > s) {
            best = Some((i, first, end, shareable));
        }
    }
    best.map(|(parent, first, end, _)| (parent, first, end))
}

/// Reads the document line by line, tracking flow collections, quoted scalars and block scalars,
/// so only lines in block context are marked as entries. `None` for layouts it does not handle
/// (tabs in indentation, document markers, directives).
fn scan(text: &str) -> Option<Vec<Line>> {
    let mut lines = Vec::new();
    let mut flow = 0usize;
    let mut quote: Option<u8> = None;
    // Indentation of the line that opened a block scalar: deeper lines are its content.
    let mut block_scalar: Option<usize> = None;
    // Whether the open block scalar has had a content line yet.
    let mut scalar_has_content = false;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        let blank = rest.is_empty() || rest.starts_with('#');
        let mut ends_empty_scalar = false;
        if let Some(parent) = block_scalar {
            if blank || indent > parent {
                scalar_has_content |= !rest.is_empty();
                lines.push(Line {
                    start,
                    indent,
                    blank: true,
                    key: false,
                    opens: false,
                    ends_empty_scalar: false,
                });
                continue;
            }
            block_scalar = None;
            ends_empty_scalar = !scalar_has_content;
        }
        if rest.starts_with('\t') || (start == 0 && rest.starts_with('\u{feff}')) {
            return None;
        }
        if line.starts_with("---") || line.starts_with("...") || line.starts_with('%') {
            return None;
        }
        let in_block = flow == 0 && quote.is_none();
        let key_end = if in_block && !blank { plain_key(rest) } else { None };
        let (opens_block_scalar, opens) = scan_line(rest, &mut flow, &mut quote, key_end);
        if opens_block_scalar {
            block_scalar = Some(indent);
            scalar_has_content = false;
        }
        lines.push(Line {
            start,
            indent,
            blank,
            key: key_end.is_some(),
            opens: in_block && opens,
            ends_empty_scalar,
        });
    }
    (flow == 0 && quote.is_none()).then_some(lines)
}

/// The byte index after the `:` of a plain mapping key starting `rest`, if it starts with one.
fn plain_key(rest: &str) -> Option<usize> {
    let first = rest.bytes().next()?;
    if b"-?:,[]{}#&*!|>'\"%@`".contains(&first) {
        return None;
    }
    let bytes = rest.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'#' if i > 0 && bytes[i - 1] == b' ' => return None,
            b':' if bytes.get(i + 1).is_none_or(|&n| n == b' ') => return Some(i + 1),
            b'[' | b']' | b'{' | b'}' | b',' => {}
            _ => {}
        }
    }
    None
}

/// Updates the flow and quote state over one line's content. Returns (the line opens a block
/// scalar, the line is a bare `key:` with nothing after it).
fn scan_line(rest: &str, flow: &mut usize, quote: &mut Option<u8>, key_end: Option<usize>) -> (bool, bool) {
    let bytes = rest.as_bytes();
    let mut i = key_end.unwrap_or(0);
    // A value may start here: after the key, after `- `, after `[`, `{`, `,` or `? `.
    let mut value_start = true;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = *quote {
            if b == b'\\' && q == b'"' {
                i += 2;
                continue;
            }
            if b == q {
                if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                *quote = None;
            }
            i += 1;
            continue;
        }
        match b {
            b' ' => {}
            b'#' if i == 0 || bytes[i - 1] == b' ' => break,
            b'"' | b'\'' if value_start => {
                *quote = Some(b);
                value_start = false;
            }
            b'[' | b'{' if value_start || *flow > 0 => {
                *flow += 1;
                value_start = true;
            }
            b']' | b'}' if *flow > 0 => {
                *flow -= 1;
                value_start = false;
            }
            b',' if *flow > 0 => value_start = true,
            b'-' | b'?' | b':' if bytes.get(i + 1).is_none_or(|&n| n == b' ') => value_start = true,
            b'|' | b'>' if value_start && *flow == 0 => {
                // `|`, `>-`, `|2+` ... then only a comment.
                let tail =
                    rest[i + 1..].trim_start_matches(['+', '-', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
                let tail = tail.trim_start();
                return (tail.is_empty() || tail.starts_with('#'), false);
            }
            b'&' | b'*' | b'!' if value_start => {
                // Anchors, aliases and tags: the one-piece reader gives up on them anyway.
                value_start = false;
            }
            _ => value_start = false,
        }
        i += 1;
    }
    let bare_key = key_end.is_some_and(|end| {
        let tail = rest[end..].trim_start();
        tail.is_empty() || tail.starts_with('#')
    });
    (false, bare_key && *flow == 0 && quote.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(text: &str) -> (Option<Node>, Option<Node>) {
        let (a, b) = (parse(text, &Limits::default(), 3), fast::parse_sequential(text, &Limits::default()));
        if let (Some(x), Some(y)) = (&a, &b) {
            first_difference(x, y);
        }
        (a, b)
    }

    /// Panics at the first node where two trees differ, showing only that node.
    fn first_difference(a: &Node, b: &Node) {
        match (&a.value, &b.value) {
            (Value::Map(x), Value::Map(y)) if x.len() == y.len() => {
                for ((ka, va), (kb, vb)) in x.iter().zip(y) {
                    first_difference(ka, kb);
                    first_difference(va, vb);
                }
            }
            (Value::Seq(x), Value::Seq(y)) if x.len() == y.len() => {
                x.iter().zip(y).for_each(|(p, q)| first_difference(p, q));
            }
            (Value::Map(_) | Value::Seq(_), _) => panic!("structure differs at {:?} vs {:?}", a.span, b.span),
            _ => assert_eq!(a, b),
        }
        assert_eq!(a.span, b.span, "span of a {} node", a.value.kind_name());
    }

    fn steps(n: usize, body: impl Fn(usize) -> String) -> String {
        let mut t = String::from("pipeline:\n  name: p\n  steps:\n");
        for i in 0..n {
            t.push_str(&body(i));
        }
        t.push_str("  other: 1\n");
        t
    }

    #[test]
    fn pieces_join_to_the_same_tree() {
        let text = steps(200, |i| {
            format!(
                "    s{i}:\n      type: PythonScriptStep\n      arguments: [--x, 'a, b', \"c]\"]\n      d: |\n        s{i}x:\n        text\n"
            )
        });
        let (split, whole) = both(&text);
        assert!(split.is_some());
        assert_eq!(split, whole);
    }

    #[test]
    fn flow_and_quotes_spanning_lines_are_not_cut() {
        let text =
            steps(100, |i| format!("    s{i}: {{a: 1,\n    b{i}: 2}}\n    q{i}: \"x\n    k{i}: y\"\n"));
        let (split, whole) = both(&text);
        assert_eq!(split.is_some(), whole.is_some());
        if split.is_some() {
            assert_eq!(split, whole);
        }
    }

    #[test]
    fn a_key_repeated_across_pieces_is_left_to_the_one_piece_reader() {
        let text = steps(100, |i| format!("    s{}:\n      x: 1\n", i % 60));
        assert_eq!(parse(&text, &Limits::default(), 3), None);
    }

    #[test]
    fn an_empty_key_after_the_region_keeps_the_root_span() {
        // Found by the fuzzer: the skeleton's root mapping ended at the cut.
        let text = "datastores:\n  workspaceblobstore: {type: azurb, account_name: a, container_name: c}\n  lake: {type: adlssha datafactory}\n:";
        let (split, whole) = both(text);
        assert!(split.is_some());
        assert_eq!(split, whole);
    }

    #[test]
    fn an_empty_block_scalar_is_not_cut_after() {
        // Found by the fuzzer: an empty `>-` scalar's span is where the next token starts.
        let text = steps(100, |i| format!("    s{i}:\n      a: 1\n      args: >-\n    t{i}: 2\n"));
        let (split, whole) = both(&text);
        assert!(split.is_some());
        assert_eq!(split, whole);
    }

    #[test]
    fn plain_keys() {
        assert_eq!(plain_key("a: 1"), Some(2));
        assert_eq!(plain_key("a:"), Some(2));
        assert_eq!(plain_key("a:b: 1"), Some(4));
        assert_eq!(plain_key("- a: 1"), None);
        assert_eq!(plain_key("'a': 1"), None);
        assert_eq!(plain_key("a # b: c"), None);
    }
}
