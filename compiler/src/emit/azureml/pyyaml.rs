//! `yaml.dump(value, sort_keys=True)` as PyYAML writes plain data (block style, indent 2, width
//! 80, ASCII only): azure-ai-ml hashes a conda file in that form to version an anonymous
//! environment, so the text must match byte for byte.

use serde_json::Value;

use crate::yaml::yaml11::{Scalar11, resolve_plain};

const BEST_WIDTH: usize = 80;

/// The YAML text PyYAML writes for `value` with `sort_keys=True`.
pub fn dump(value: &Value) -> String {
    dump_with(value, Emitter { out: String::new(), column: 0, sort: true, portable: false })
}

/// YAML for files sluice writes: keys in their order, and text that YAML 1.2 (sluice) or YAML
/// 1.1 (azure-ai-ml) would read as anything but text quoted, so both read the same values.
pub fn dump_portable(value: &Value) -> String {
    dump_with(value, Emitter { out: String::new(), column: 0, sort: false, portable: true })
}

fn dump_with(value: &Value, mut e: Emitter) -> String {
    match value {
        Value::Object(m) if !m.is_empty() => e.mapping(m, 0),
        Value::Array(a) if !a.is_empty() => e.sequence(a, 0),
        scalar => {
            e.scalar(scalar, 0, false);
            // A lone plain scalar ends the document openly.
            e.newline();
            let portable = e.portable;
            if matches!(scalar, Value::String(s) if style(s, false, portable) == Style::Plain)
                || !scalar.is_string()
            {
                e.out.push_str("...\n");
            }
        }
    }
    e.out
}

struct Emitter {
    out: String,
    column: usize,
    /// Keys sorted (PyYAML's `sort_keys=True`), else kept in order.
    sort: bool,
    /// Also quote text YAML 1.2 reads as a number, boolean or null.
    portable: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
}

impl Emitter {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count();
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn indent_to(&mut self, indent: usize) {
        self.write(&" ".repeat(indent));
    }

    /// A block mapping whose keys start at column `indent` (the first key is written where the
    /// cursor is).
    fn mapping(&mut self, m: &serde_json::Map<String, Value>, indent: usize) {
        let mut keys: Vec<&String> = m.keys().collect();
        if self.sort {
            keys.sort();
        }
        for (i, k) in keys.into_iter().enumerate() {
            if i > 0 {
                self.indent_to(indent);
            }
            self.scalar(&Value::String(k.clone()), indent, true);
            self.write(":");
            self.value_after_key(&m[k], indent);
        }
    }

    fn value_after_key(&mut self, v: &Value, indent: usize) {
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                self.newline();
                self.indent_to(indent + 2);
                self.mapping(inner, indent + 2);
            }
            // Sequences in a mapping are not indented.
            Value::Array(items) if !items.is_empty() => {
                self.newline();
                self.indent_to(indent);
                self.sequence(items, indent);
            }
            other => {
                self.write(" ");
                self.scalar(other, indent + 2, false);
                self.newline();
            }
        }
    }

    /// A block sequence whose dashes are at column `indent`.
    fn sequence(&mut self, items: &[Value], indent: usize) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.indent_to(indent);
            }
            self.write("-");
            match item {
                Value::Object(inner) if !inner.is_empty() => {
                    self.write(" ");
                    self.mapping(inner, indent + 2);
                }
                Value::Array(inner) if !inner.is_empty() => {
                    self.write(" ");
                    self.sequence(inner, indent + 2);
                }
                other => {
                    self.write(" ");
                    self.scalar(other, indent + 2, false);
                    self.newline();
                }
            }
        }
    }

    /// A scalar (or an empty collection) at the cursor; `indent` is where continuation lines
    /// of a folded plain or quoted scalar start.
    fn scalar(&mut self, v: &Value, indent: usize, key: bool) {
        match v {
            Value::Null => self.write("null"),
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap_or(0.0);
                self.write(&float_repr(f));
            }
            Value::Number(n) => self.write(&n.to_string()),
            Value::Array(_) => self.write("[]"),
            Value::Object(_) => self.write("{}"),
            Value::String(s) => match style(s, key, self.portable) {
                Style::Plain => self.plain(s, indent, !key),
                Style::Single => self.single_quoted(s, indent, !key),
                Style::Double => self.double_quoted(s),
            },
        }
    }

    /// `write_plain`: breaks at a single space once past the best width.
    fn plain(&mut self, text: &str, indent: usize, split: bool) {
        let chars: Vec<char> = text.chars().collect();
        let mut start = 0;
        let mut end = 0;
        let mut spaces = false;
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.newline();
                        self.indent_to(indent);
                    } else {
                        let s: String = chars[start..end].iter().collect();
                        self.write(&s);
                    }
                    start = end;
                }
            } else if ch.is_none() || ch == Some(' ') {
                let s: String = chars[start..end].iter().collect();
                self.write(&s);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
            }
            end += 1;
        }
    }

    /// `write_single_quoted`: `'` doubled, breaks at a single inner space past the best width.
    fn single_quoted(&mut self, text: &str, indent: usize, split: bool) {
        self.write("'");
        let chars: Vec<char> = text.chars().collect();
        let mut start = 0;
        let mut end = 0;
        let mut spaces = false;
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != chars.len()
                    {
                        self.newline();
                        self.indent_to(indent);
                    } else {
                        let s: String = chars[start..end].iter().collect();
                        self.write(&s);
                    }
                    start = end;
                }
            } else if (ch.is_none() || ch == Some(' ') || ch == Some('\'')) && start < end {
                let s: String = chars[start..end].iter().collect();
                self.write(&s);
                start = end;
            }
            if ch == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
            }
            end += 1;
        }
        self.write("'");
    }

    /// `write_double_quoted` for the texts that need it (control or non-ASCII characters, line
    /// breaks), without folding.
    fn double_quoted(&mut self, text: &str) {
        let mut s = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\0' => s.push_str("\\0"),
                '\x07' => s.push_str("\\a"),
                '\x08' => s.push_str("\\b"),
                '\t' => s.push_str("\\t"),
                '\n' => s.push_str("\\n"),
                '\x0b' => s.push_str("\\v"),
                '\x0c' => s.push_str("\\f"),
                '\r' => s.push_str("\\r"),
                '\x1b' => s.push_str("\\e"),
                '\u{85}' => s.push_str("\\N"),
                '\u{a0}' => s.push_str("\\_"),
                '\u{2028}' => s.push_str("\\L"),
                '\u{2029}' => s.push_str("\\P"),
                c if (' '..='~').contains(&c) => s.push(c),
                c if (c as u32) <= 0xff => s.push_str(&format!("\\x{:02X}", c as u32)),
                c if (c as u32) <= 0xffff => s.push_str(&format!("\\u{:04X}", c as u32)),
                c => s.push_str(&format!("\\U{:08X}", c as u32)),
            }
        }
        s.push('"');
        self.write(&s);
    }
}

/// `represent_float`: `repr` lowercased, with `.0` before an exponent that has no dot.
fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    let r = crate::python::python_float(f).to_lowercase();
    match r.split_once('e') {
        Some((m, e)) if !m.contains('.') => format!("{m}.0e{e}"),
        _ => r,
    }
}

/// `choose_scalar_style` for a string in block context.
fn style(s: &str, key: bool, portable: bool) -> Style {
    let a = analyze(s);
    // Plain only when the text would read back as a string.
    let implicit = matches!(resolve_plain(s), Scalar11::Str(_))
        && !is_timestamp(s)
        && s != "="
        && s != "<<"
        && !(portable && yaml12_non_string(s));
    if implicit && !(key && (a.empty || a.multiline)) && a.allow_block_plain {
        return Style::Plain;
    }
    if a.allow_single_quoted && !(key && a.multiline) {
        return Style::Single;
    }
    Style::Double
}

/// The YAML 1.1 timestamp resolver's pattern (such text is quoted when written).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    b.len() >= 8 && digits(0..4) && b[4] == b'-' && {
        // YYYY-M(M)-D(D)...
        let rest = &s[5..];
        let mut parts = rest.splitn(2, '-');
        let month = parts.next().unwrap_or("");
        let tail = parts.next().unwrap_or("");
        let day: String = tail.chars().take_while(char::is_ascii_digit).collect();
        (1..=2).contains(&month.len())
            && month.bytes().all(|c| c.is_ascii_digit())
            && (1..=2).contains(&day.len())
    }
}

/// True when YAML 1.2's core schema reads plain `s` as a number, boolean or null.
fn yaml12_non_string(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if matches!(s, "true" | "false" | "True" | "False" | "TRUE" | "FALSE" | "~" | "null" | "Null" | "NULL")
        || [".inf", "-.inf", "+.inf", ".nan"].contains(&lower.as_str())
    {
        return true;
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if let Some(oct) = body.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    // [0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)? or \.[0-9]+(...)?
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let exp_ok = exp.is_none_or(|e| {
        let d = e.strip_prefix(['-', '+']).unwrap_or(e);
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
    });
    let (int, frac) = mantissa.split_once('.').map_or((mantissa, None), |(a, b)| (a, Some(b)));
    let int_ok = int.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = frac.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()));
    let some_digit = !int.is_empty() || frac.is_some_and(|f| !f.is_empty());
    exp_ok && int_ok && frac_ok && some_digit
}

struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

// long: one pass over the characters, a port of PyYAML's `analyze_scalar` kept in its order to be compared line by line
/// `analyze_scalar` (with `allow_unicode=False`), as far as block context needs it.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let ws = |c: char| matches!(c, '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let brk = |c: char| matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut followed_by_ws = chars.len() == 1 || ws(chars[1]);
    let (mut prev_space, mut prev_break) = (false, false);
    for (i, &ch) in chars.iter().enumerate() {
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                block_indicators = true;
            }
            if (ch == '?' || ch == ':') && followed_by_ws {
                block_indicators = true;
            }
            if ch == '-' && followed_by_ws {
                block_indicators = true;
            }
        } else {
            if ch == ':' && followed_by_ws {
                block_indicators = true;
            }
            if ch == '#' && preceded_by_ws {
                block_indicators = true;
            }
        }
        if brk(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            // Non-ASCII text is special without allow_unicode.
            special = true;
        }
        if ch == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == chars.len() - 1 {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if brk(ch) {
            if i == 0 {
                leading_break = true;
            }
            if i == chars.len() - 1 {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = ws(ch);
        followed_by_ws = i + 2 >= chars.len() || ws(chars[i + 2]);
    }
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_block_plain = false;
    }
    if break_space {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks || block_indicators {
        allow_block_plain = false;
    }
    Analysis { empty: false, multiline: line_breaks, allow_block_plain, allow_single_quoted }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conda_files_as_pyyaml_writes_them() {
        let v = json!({"name": "demo_env", "channels": ["conda-forge"],
                       "dependencies": ["python=3.8", "pip", {"pip": ["pyjokes"]}]});
        assert_eq!(
            dump(&v),
            "channels:\n- conda-forge\ndependencies:\n- python=3.8\n- pip\n- pip:\n  - pyjokes\nname: demo_env\n"
        );
    }

    #[test]
    fn scalars_that_would_read_back_otherwise_are_quoted() {
        let v = json!({"a": "3.8", "b": "yes", "c": "", "d": "x: y", "e": "- z", "f": "it's",
                       "g": 1.0, "h": 1e-5, "i": null, "j": true, "k": "é", "l": "2024-01-31"});
        assert_eq!(
            dump(&v),
            "a: '3.8'\nb: 'yes'\nc: ''\nd: 'x: y'\ne: '- z'\nf: it's\ng: 1.0\nh: 1.0e-05\ni: null\nj: true\nk: \"\\xE9\"\nl: '2024-01-31'\n"
        );
    }

    #[test]
    fn portable_text_quotes_what_yaml_1_2_reads_otherwise() {
        let v = json!({"b": "0o17", "a": "1e-3", "c": "x", "d": "3"});
        assert_eq!(dump_portable(&v), "b: '0o17'\na: '1e-3'\nc: x\nd: '3'\n");
    }

    #[test]
    fn long_plain_text_folds_at_a_space() {
        let words = vec!["word"; 30].join(" ");
        let out = dump(&json!({"k": words}));
        assert!(out.lines().count() > 1, "{out}");
        assert!(out.lines().nth(1).is_some_and(|l| l.starts_with("  word")), "{out}");
    }
}
