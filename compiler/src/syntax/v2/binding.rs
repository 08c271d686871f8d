//! Expressions inside v2 strings: `${{parent.inputs.x}}`, `${{parent.jobs.j.outputs.o}}`,
//! `${{inputs.x}}`, `${{search_space.p}}`, and optional fragments `$[[ ... ]]` of commands.
//!
//! A string is parsed after YAML has decoded it; [`SpanMap`] maps positions in the decoded
//! string back to bytes of the source (through quotes, escapes and folded or literal block
//! scalars), so a diagnostic points at the expression, or at one name inside it.

use std::ops::Range;

use crate::source::Span;

/// A string split into literal text, expressions and optional fragments.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Template {
    /// The parts in order.
    pub parts: Vec<Part>,
}

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text (byte range in the decoded string).
    Text(Range<usize>),
    /// A `${{ ... }}` expression.
    Expr(Expr),
    /// A `$[[ ... ]]` fragment, kept only when every expression in it has a value.
    Optional {
        /// The whole fragment, `$[[` to `]]`.
        range: Range<usize>,
        /// What is inside.
        parts: Vec<Part>,
    },
}

/// One `${{ ... }}` expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The whole expression, `${{` to `}}`.
    pub range: Range<usize>,
    /// The dotted path inside, split at the dots.
    pub segments: Vec<Segment>,
}

impl Expr {
    /// The path as text: `parent.inputs.x`.
    pub fn path(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(".")
    }

    /// The segment texts.
    pub fn names(&self) -> Vec<&str> {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }
}

/// One name of an expression's dotted path.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// The name.
    pub text: String,
    /// Where it is in the decoded string.
    pub range: Range<usize>,
}

/// A problem in the shape of a string's expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateError {
    /// `${{` or `$[[` without its closing `}}` or `]]`.
    Unclosed {
        /// The opener.
        range: Range<usize>,
        /// `${{` or `$[[`.
        opener: &'static str,
    },
    /// An expression whose inside is not a dotted path of names.
    Malformed {
        /// The expression.
        range: Range<usize>,
        /// What is wrong.
        reason: String,
    },
    /// `$[[` inside `$[[ ... ]]`.
    NestedOptional {
        /// The inner opener.
        range: Range<usize>,
    },
}

const EXPR_OPEN: &str = "${{";
const EXPR_CLOSE: &str = "}}";
const OPT_OPEN: &str = "$[[";
const OPT_CLOSE: &str = "]]";

/// True when `s` has an expression or optional fragment worth parsing.
pub fn has_template(s: &str) -> bool {
    s.contains(EXPR_OPEN) || s.contains(OPT_OPEN)
}

/// Parses a decoded string. Text around problems is kept as text, so one mistake does not hide
/// the expressions after it.
pub fn parse(s: &str) -> (Template, Vec<TemplateError>) {
    let mut errors = Vec::new();
    let (parts, _, _) = parse_seq(s, 0, false, &mut errors);
    (Template { parts }, errors)
}

/// Parses from `start` until the end, or (inside an optional fragment) its `]]`. Returns the
/// parts, where parsing stopped, and whether a `]]` closed the fragment.
fn parse_seq(
    s: &str,
    start: usize,
    optional: bool,
    errors: &mut Vec<TemplateError>,
) -> (Vec<Part>, usize, bool) {
    let mut parts = Vec::new();
    let mut i = start;
    let mut text_start = start;
    let push_text = |parts: &mut Vec<Part>, a: usize, b: usize| {
        if b > a {
            parts.push(Part::Text(a..b));
        }
    };
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with(EXPR_OPEN) {
            push_text(&mut parts, text_start, i);
            let close = rest.find(EXPR_CLOSE);
            let after = rest.strip_prefix(EXPR_OPEN).unwrap_or(rest);
            let reopened = after.find(EXPR_OPEN).map(|o| o + EXPR_OPEN.len());
            if let Some(next) = reopened
                && close.is_none_or(|c| next < c)
            {
                // Another expression starts before this one ends: this one is unclosed.
                errors.push(TemplateError::Unclosed { range: i..i + EXPR_OPEN.len(), opener: EXPR_OPEN });
                parts.push(Part::Text(i..i + next));
                i += next;
                text_start = i;
                continue;
            }
            match close {
                Some(close) => {
                    let end = i + close + EXPR_CLOSE.len();
                    match expression(s, i, end) {
                        Ok(e) => parts.push(Part::Expr(e)),
                        Err(reason) => {
                            errors.push(TemplateError::Malformed { range: i..end, reason });
                            parts.push(Part::Text(i..end));
                        }
                    }
                    i = end;
                }
                None => {
                    errors.push(TemplateError::Unclosed { range: i..i + EXPR_OPEN.len(), opener: EXPR_OPEN });
                    parts.push(Part::Text(i..s.len()));
                    return (parts, s.len(), false);
                }
            }
            text_start = i;
        } else if rest.starts_with(OPT_OPEN) {
            push_text(&mut parts, text_start, i);
            if optional {
                errors.push(TemplateError::NestedOptional { range: i..i + OPT_OPEN.len() });
                parts.push(Part::Text(i..i + OPT_OPEN.len()));
                i += OPT_OPEN.len();
            } else {
                let (inner, end, closed) = parse_seq(s, i + OPT_OPEN.len(), true, errors);
                if !closed {
                    errors.push(TemplateError::Unclosed { range: i..i + OPT_OPEN.len(), opener: OPT_OPEN });
                }
                parts.push(Part::Optional { range: i..end, parts: inner });
                i = end;
            }
            text_start = i;
        } else if optional && rest.starts_with(OPT_CLOSE) {
            push_text(&mut parts, text_start, i);
            return (parts, i + OPT_CLOSE.len(), true);
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    push_text(&mut parts, text_start, s.len());
    (parts, s.len(), false)
}

/// Reads the dotted path of the expression at `start..end` (which holds `${{ ... }}`).
fn expression(s: &str, start: usize, end: usize) -> Result<Expr, String> {
    let inner_start = start + EXPR_OPEN.len();
    let inner_end = end - EXPR_CLOSE.len();
    let inner = &s[inner_start..inner_end];
    let lead = inner.len() - inner.trim_start().len();
    let body = inner.trim();
    if body.is_empty() {
        return Err("the expression is empty".to_string());
    }
    let mut segments = Vec::new();
    let mut at = inner_start + lead;
    for piece in body.split('.') {
        if piece.is_empty() {
            return Err(format!("`{body}` has an empty name between dots"));
        }
        if let Some(bad) = piece.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-')) {
            return Err(format!("`{body}` is not a dotted path of names (found `{bad}`)"));
        }
        segments.push(Segment { text: piece.to_string(), range: at..at + piece.len() });
        at += piece.len() + 1;
    }
    Ok(Expr { range: start..end, segments })
}

/// Every expression of a template, also those inside optional fragments, with whether each
/// is inside one.
pub fn expressions(t: &Template) -> Vec<(&Expr, bool)> {
    fn walk<'a>(parts: &'a [Part], optional: bool, out: &mut Vec<(&'a Expr, bool)>) {
        for p in parts {
            match p {
                Part::Expr(e) => out.push((e, optional)),
                Part::Optional { parts, .. } => walk(parts, true, out),
                Part::Text(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&t.parts, false, &mut out);
    out
}

/// The single expression a whole string consists of (surrounding spaces allowed), if so.
pub fn sole_expression(s: &str, t: &Template) -> Option<Expr> {
    let mut found = None;
    for p in &t.parts {
        match p {
            Part::Expr(e) if found.is_none() => found = Some(e.clone()),
            Part::Text(r) if s[r.clone()].trim().is_empty() => {}
            _ => return None,
        }
    }
    found
}

/// Maps byte positions of a decoded YAML string to byte spans of its source.
#[derive(Debug, Clone)]
pub struct SpanMap {
    /// Source span of the whole scalar.
    base: Span,
    /// Source offset (relative to `base.start`) of each decoded byte; `None` when decoded and
    /// source are the same text.
    offsets: Option<Vec<u32>>,
}

impl SpanMap {
    /// Aligns `decoded` with `raw`, the source text of the scalar at `base`. Characters other
    /// than whitespace are matched in order; quotes, escapes, line breaks and indentation in
    /// between are skipped.
    pub fn new(decoded: &str, raw: &str, base: Span) -> SpanMap {
        if decoded == raw {
            return SpanMap { base, offsets: None };
        }
        let mut offsets = vec![0u32; decoded.len() + 1];
        let mut r = 0usize;
        for (i, c) in decoded.char_indices() {
            let width = c.len_utf8();
            if c.is_whitespace() {
                let at = r.min(raw.len());
                offsets[i..i + width].fill(at as u32);
                if raw[at..].starts_with(c) {
                    r = at + width;
                }
                continue;
            }
            let at = raw.get(r..).and_then(|rest| rest.find(c)).map(|p| r + p);
            let at = match at {
                Some(p) => {
                    r = p + width;
                    p
                }
                None => r.min(raw.len()),
            };
            for (k, o) in offsets[i..i + width].iter_mut().enumerate() {
                *o = (at + k) as u32;
            }
        }
        offsets[decoded.len()] = r.min(raw.len()) as u32;
        SpanMap { base, offsets: Some(offsets) }
    }

    /// A map for text whose source is not known (the whole string maps to `base`).
    pub fn whole(base: Span) -> SpanMap {
        SpanMap { base, offsets: Some(Vec::new()) }
    }

    /// The source span of `range` of the decoded string.
    pub fn span(&self, range: Range<usize>) -> Span {
        match &self.offsets {
            None => self.base.sub(range.start, range.end - range.start),
            Some(o) if o.is_empty() => self.base,
            Some(o) => {
                let start = o.get(range.start).copied().unwrap_or(0);
                // The end: just past the last character of the range.
                let end = if range.end > range.start {
                    let last = range.end - 1;
                    o.get(last).copied().map_or(start, |x| x + 1)
                } else {
                    start
                };
                Span::new(self.base.start + start, self.base.start + end.max(start))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str, t: &Template) -> Vec<String> {
        expressions(t).iter().map(|(e, _)| s[e.range.clone()].to_string()).collect()
    }

    #[test]
    fn finds_expressions_and_fragments() {
        let s = "python x.py --a ${{inputs.a}} $[[--b ${{ inputs.b }}]] --o ${{outputs.o}}";
        let (t, errors) = parse(s);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(texts(s, &t), vec!["${{inputs.a}}", "${{ inputs.b }}", "${{outputs.o}}"]);
        let flags: Vec<bool> = expressions(&t).iter().map(|(_, o)| *o).collect();
        assert_eq!(flags, vec![false, true, false]);
        let (e, _) = expressions(&t)[1];
        assert_eq!(e.names(), vec!["inputs", "b"]);
        assert_eq!(&s[e.segments[1].range.clone()], "b");
    }

    #[test]
    fn reports_unclosed_and_malformed() {
        let (_, errors) = parse("echo ${{inputs.a");
        assert!(matches!(errors[0], TemplateError::Unclosed { opener: "${{", .. }));
        let (_, errors) = parse("echo $[[--a ${{inputs.a}}");
        assert!(matches!(errors[0], TemplateError::Unclosed { opener: "$[[", .. }));
        let s = "echo ${{inputs.a} > ${{outputs.o}}";
        let (t, errors) = parse(s);
        assert_eq!(errors, vec![TemplateError::Unclosed { range: 5..8, opener: "${{" }]);
        assert_eq!(texts(s, &t), vec!["${{outputs.o}}"]);
        let (_, errors) = parse("echo ${{inputs..a}} ${{}} ${{a b}}");
        assert_eq!(errors.len(), 3);
        let (_, errors) = parse("$[[ a $[[ b ]] ]]");
        assert!(matches!(errors[0], TemplateError::NestedOptional { .. }));
    }

    #[test]
    fn sole_expressions() {
        let s = " ${{parent.inputs.x}} ";
        let (t, _) = parse(s);
        assert_eq!(sole_expression(s, &t).map(|e| e.path()), Some("parent.inputs.x".to_string()));
        let s = "${{parent.inputs.x}}/y";
        let (t, _) = parse(s);
        assert_eq!(sole_expression(s, &t), None);
    }

    #[test]
    fn maps_spans_through_quotes_and_folding() {
        let source = "c: \"a \\\" ${{inputs.z}}\"\nd: >-\n  python x\n  --x ${{inputs.x}}\n";
        // The double-quoted scalar.
        let raw_start = source.find('"').unwrap();
        let raw_end = source.find('\n').unwrap();
        let raw = &source[raw_start..raw_end];
        let decoded = "a \" ${{inputs.z}}";
        let map = SpanMap::new(decoded, raw, Span::new(raw_start as u32, raw_end as u32));
        let at = decoded.find("${{").unwrap();
        let span = map.span(at..at + "${{inputs.z}}".len());
        assert_eq!(&source[span.start as usize..span.end as usize], "${{inputs.z}}");
        // The folded block scalar.
        let raw_start = source.find("python").unwrap();
        let raw = &source[raw_start..];
        let decoded = "python x --x ${{inputs.x}}";
        let map = SpanMap::new(decoded, raw, Span::new(raw_start as u32, source.len() as u32));
        let x = decoded.rfind('x').unwrap();
        let span = map.span(x..x + 1);
        assert_eq!(span.start as usize, source.rfind("x}}").unwrap());
    }
}
