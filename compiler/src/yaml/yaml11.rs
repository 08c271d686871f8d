//! Scalars as YAML 1.1 types them. sluice reads YAML 1.2 with strict booleans; azure-ai-ml
//! reads files with PyYAML (YAML 1.1), where `yes`, `on` and `True` are booleans, `017` is
//! octal, `1_000` an integer, `1e-3` a string (a 1.1 float needs a dot) and `0o17` a string.
//! Emitters that must reproduce what Azure receives retype plain scalars with
//! [`resolve_plain`]; `sluice check` warns where the two readings differ (`yaml11-scalar`).
//!
//! Timestamps (`2024-01-31`) stay strings: PyYAML makes dates of them, which azure-ai-ml then
//! writes back as the same text for a date alone.

use crate::source::Span;

use super::{Node, Value};

/// A scalar as PyYAML's implicit resolvers and constructors make it.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar11 {
    /// `~`, `null`, `Null`, `NULL` or nothing.
    Null,
    /// `yes`, `no`, `on`, `off`, `true`, `false` in three casings.
    Bool(bool),
    /// An integer (binary, octal, decimal, hex or base 60), `_` allowed.
    Int(i128),
    /// A float (a dot is required; an exponent needs its sign), `.inf`, `.nan`.
    Float(f64),
    /// Anything else.
    Str(String),
}

impl Scalar11 {
    /// The value as JSON (integers beyond 64 bits and non-finite floats become text).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Scalar11::Null => serde_json::Value::Null,
            Scalar11::Bool(b) => (*b).into(),
            Scalar11::Int(i) => match (i64::try_from(*i), u64::try_from(*i)) {
                (Ok(v), _) => v.into(),
                (_, Ok(v)) => v.into(),
                _ => i.to_string().into(),
            },
            Scalar11::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| crate::python::python_float(*f).into()),
            Scalar11::Str(s) => s.clone().into(),
        }
    }

    /// Python's `str()` of the value (`True`, `1.0`, `1e-05`, `None`).
    pub fn python_str(&self) -> String {
        match self {
            Scalar11::Null => "None".to_string(),
            Scalar11::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Scalar11::Int(i) => i.to_string(),
            Scalar11::Float(f) => crate::python::python_float(*f),
            Scalar11::Str(s) => s.clone(),
        }
    }
}

/// The YAML 1.1 value of a plain (unquoted, untagged, non-block) scalar's text.
pub fn resolve_plain(text: &str) -> Scalar11 {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Scalar11::Null;
    }
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Scalar11::Bool(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Scalar11::Bool(false);
        }
        _ => {}
    }
    // PyYAML tries the float resolver before the integer one.
    if let Some(f) = float(text) {
        return Scalar11::Float(f);
    }
    if let Some(i) = int(text) {
        return Scalar11::Int(i);
    }
    Scalar11::Str(text.to_string())
}

/// The YAML 1.1 value of a scalar node, given the text of the file it was read from. Quoted,
/// block and tagged scalars keep the value sluice read.
pub fn scalar(node: &Node, source: &str) -> Scalar11 {
    let raw = raw_text(node.span, source);
    let plain = !raw.starts_with(['\'', '"', '|', '>', '!', '&', '*']);
    match &node.value {
        Value::Null => Scalar11::Null,
        Value::Bool(b) => Scalar11::Bool(*b),
        Value::Str(s) if plain => resolve_plain(s),
        Value::Str(s) => Scalar11::Str(s.clone()),
        Value::Int(_) if plain => resolve_plain(raw.trim()),
        Value::Int(i) => Scalar11::Int(i128::from(*i)),
        Value::Float(_) if plain => resolve_plain(raw.trim()),
        Value::Float(f) => Scalar11::Float(*f),
        Value::Seq(_) | Value::Map(_) => Scalar11::Str(String::new()),
    }
}

/// A node as JSON with YAML 1.1 scalars (what azure-ai-ml reads), keys and order kept.
pub fn to_json(node: &Node, source: &str) -> serde_json::Value {
    match &node.value {
        Value::Seq(items) => items.iter().map(|i| to_json(i, source)).collect(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| (k.key_string(), to_json(v, source)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        _ => scalar(node, source).to_json(),
    }
}

/// True when a plain scalar node reads differently in YAML 1.1 than in sluice's YAML 1.2.
pub fn reads_differently(node: &Node, source: &str) -> bool {
    let eleven = scalar(node, source).to_json();
    let twelve = node.to_json();
    match (&eleven, &twelve) {
        // 1 and 1.0 differ as JSON values but mean the same number.
        (serde_json::Value::Number(a), serde_json::Value::Number(b)) => a.as_f64() != b.as_f64(),
        _ => eleven != twelve,
    }
}

fn raw_text(span: Span, source: &str) -> &str {
    source.get(span.start as usize..span.end as usize).unwrap_or("")
}

/// `[-+]?` and the rest.
fn sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

fn all(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

/// PyYAML's int resolver and `construct_yaml_int`.
fn int(text: &str) -> Option<i128> {
    let (negative, body) = sign(text);
    let value = |v: i128| if negative { -v } else { v };
    if let Some(bin) = body.strip_prefix("0b") {
        if bin.is_empty() || !all(bin, |b| b == b'0' || b == b'1' || b == b'_') {
            return None;
        }
        return i128::from_str_radix(&bin.replace('_', ""), 2).ok().map(value);
    }
    if let Some(hex) = body.strip_prefix("0x") {
        if hex.is_empty() || !all(hex, |b| b.is_ascii_hexdigit() || b == b'_') {
            return None;
        }
        return i128::from_str_radix(&hex.replace('_', ""), 16).ok().map(value);
    }
    if body == "0" {
        return Some(0);
    }
    if let Some(oct) = body.strip_prefix('0') {
        if oct.is_empty() || !all(oct, |b| (b'0'..=b'7').contains(&b) || b == b'_') {
            return None;
        }
        let digits = oct.replace('_', "");
        return if digits.is_empty() { Some(0) } else { i128::from_str_radix(&digits, 8).ok().map(value) };
    }
    let first = body.bytes().next()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    if body.contains(':') {
        // Base 60: 1:20 is 80.
        let mut parts = body.split(':');
        let head = parts.next()?;
        if !all(head, |b| b.is_ascii_digit() || b == b'_') {
            return None;
        }
        let mut total: i128 = head.replace('_', "").parse().ok()?;
        for p in parts {
            if p.is_empty()
                || p.len() > 2
                || !all(p, |b| b.is_ascii_digit())
                || (p.len() == 2 && p.as_bytes()[0] > b'5')
            {
                return None;
            }
            total = total.checked_mul(60)?.checked_add(p.parse::<i128>().ok()?)?;
        }
        return Some(value(total));
    }
    if !all(body, |b| b.is_ascii_digit() || b == b'_') {
        return None;
    }
    body.replace('_', "").parse::<i128>().ok().map(value)
}

/// PyYAML's float resolver and `construct_yaml_float`.
fn float(text: &str) -> Option<f64> {
    let (negative, body) = sign(text);
    let value = |v: f64| if negative { -v } else { v };
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return Some(value(f64::INFINITY));
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    // `\.[0-9][0-9_]*([eE][-+][0-9]+)?` takes no sign.
    if body.starts_with('.') && text.starts_with(['-', '+']) {
        return None;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['-', '+'])?;
        if digits.is_empty() || !all(digits, |b| b.is_ascii_digit()) {
            return None;
        }
    }
    if mantissa.contains(':') {
        // Base 60 with a fraction: 1:20.5 (no exponent).
        if exponent.is_some() {
            return None;
        }
        let (whole, frac) = mantissa.rsplit_once('.')?;
        let mut parts = whole.split(':');
        let head = parts.next()?;
        if head.is_empty()
            || !head.as_bytes()[0].is_ascii_digit()
            || !all(head, |b| b.is_ascii_digit() || b == b'_')
        {
            return None;
        }
        let mut total: f64 = head.replace('_', "").parse().ok()?;
        let mut last = String::new();
        for p in parts {
            if p.is_empty()
                || p.len() > 2
                || !all(p, |b| b.is_ascii_digit())
                || (p.len() == 2 && p.as_bytes()[0] > b'5')
            {
                return None;
            }
            last = p.to_string();
            total = total * 60.0 + p.parse::<f64>().ok()?;
        }
        if last.is_empty() || !all(frac, |b| b.is_ascii_digit() || b == b'_') {
            return None;
        }
        let frac: f64 = format!("0.{}", frac.replace('_', "")).parse().ok()?;
        return Some(value(total + frac));
    }
    let (whole, frac) = mantissa.split_once('.')?;
    let whole_ok = if whole.is_empty() {
        // `.5`: at least one digit after the dot, and it must be a digit.
        frac.as_bytes().first().is_some_and(u8::is_ascii_digit)
    } else {
        whole.as_bytes()[0].is_ascii_digit() && all(whole, |b| b.is_ascii_digit() || b == b'_')
    };
    if !whole_ok || !all(frac, |b| b.is_ascii_digit() || b == b'_') {
        return None;
    }
    let cleaned = body.replace('_', "").to_ascii_lowercase();
    let cleaned = if cleaned.starts_with('.') { format!("0{cleaned}") } else { cleaned };
    let cleaned = cleaned.replace(".e", ".0e");
    let cleaned = if cleaned.ends_with('.') { format!("{cleaned}0") } else { cleaned };
    cleaned.parse::<f64>().ok().map(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_of_yaml_1_1() {
        for t in ["yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"] {
            assert_eq!(resolve_plain(t), Scalar11::Bool(true), "{t}");
        }
        for t in ["no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"] {
            assert_eq!(resolve_plain(t), Scalar11::Bool(false), "{t}");
        }
        for t in ["y", "n", "yES", "tRUE"] {
            assert_eq!(resolve_plain(t), Scalar11::Str(t.into()), "{t}");
        }
    }

    #[test]
    fn integers_of_yaml_1_1() {
        assert_eq!(resolve_plain("017"), Scalar11::Int(15));
        assert_eq!(resolve_plain("0x1F"), Scalar11::Int(31));
        assert_eq!(resolve_plain("0b101"), Scalar11::Int(5));
        assert_eq!(resolve_plain("1_000"), Scalar11::Int(1000));
        assert_eq!(resolve_plain("-1:20"), Scalar11::Int(-80));
        assert_eq!(resolve_plain("+42"), Scalar11::Int(42));
        assert_eq!(resolve_plain("0"), Scalar11::Int(0));
        assert_eq!(resolve_plain("0o17"), Scalar11::Str("0o17".into()));
        assert_eq!(resolve_plain("08"), Scalar11::Str("08".into()));
        assert_eq!(resolve_plain("1:60"), Scalar11::Str("1:60".into()));
    }

    #[test]
    fn floats_of_yaml_1_1() {
        assert_eq!(resolve_plain("1.5"), Scalar11::Float(1.5));
        assert_eq!(resolve_plain("1."), Scalar11::Float(1.0));
        assert_eq!(resolve_plain(".5"), Scalar11::Float(0.5));
        assert_eq!(resolve_plain("-0.25"), Scalar11::Float(-0.25));
        assert_eq!(resolve_plain("1.0e+5"), Scalar11::Float(1.0e5));
        assert_eq!(resolve_plain("1_0.5"), Scalar11::Float(10.5));
        assert_eq!(resolve_plain("1:30.5"), Scalar11::Float(90.5));
        assert_eq!(resolve_plain("-.inf"), Scalar11::Float(f64::NEG_INFINITY));
        assert!(matches!(resolve_plain(".nan"), Scalar11::Float(f) if f.is_nan()));
        // A 1.1 float needs a dot, and an exponent needs a sign.
        assert_eq!(resolve_plain("1e-3"), Scalar11::Str("1e-3".into()));
        assert_eq!(resolve_plain("1.0e5"), Scalar11::Str("1.0e5".into()));
        assert_eq!(resolve_plain("-.5"), Scalar11::Str("-.5".into()));
    }

    #[test]
    fn nodes_keep_quoted_and_block_text() {
        let text = "a: yes\nb: 'yes'\nc: \"on\"\nd: 017\ne: 1e-3\nf: |\n  yes\ng: [on, 1_0]\nh: 2\n";
        let (node, errors) = crate::yaml::parse(text, &crate::yaml::Limits::default());
        assert!(errors.is_empty());
        let json = to_json(&node.expect("parses"), text);
        assert_eq!(
            json,
            serde_json::json!({"a": true, "b": "yes", "c": "on", "d": 15, "e": "1e-3", "f": "yes\n",
                               "g": [true, 10], "h": 2})
        );
    }

    #[test]
    fn differences_are_found() {
        let text = "a: yes\nb: 2\nc: 1.5\nd: x\n";
        let (node, _) = crate::yaml::parse(text, &crate::yaml::Limits::default());
        let node = node.expect("parses");
        let differs: Vec<String> = node
            .entries()
            .iter()
            .filter(|(_, v)| reads_differently(v, text))
            .map(|(k, _)| k.key_string())
            .collect();
        assert_eq!(differs, ["a"]);
    }

    /// Plain scalars and what PyYAML 6 (`yaml.safe_load`) makes of them.
    #[test]
    fn matches_pyyaml() {
        let cases: [(&str, &str); 65] = [
            ("yes", "bool:true"),
            ("No", "bool:false"),
            ("ON", "bool:true"),
            ("off", "bool:false"),
            ("y", "str:y"),
            ("n", "str:n"),
            ("true", "bool:true"),
            ("TRUE", "bool:true"),
            ("tRue", "str:tRue"),
            ("~", "null"),
            ("null", "null"),
            ("NULL", "null"),
            ("Null", "null"),
            ("", "null"),
            ("017", "int:15"),
            ("0o17", "str:0o17"),
            ("0x1F", "int:31"),
            ("0b101", "int:5"),
            ("1_000", "int:1000"),
            ("1:20", "int:80"),
            ("1:20.5", "float:80.5"),
            ("-1:30", "int:-90"),
            ("1e3", "str:1e3"),
            ("1e-3", "str:1e-3"),
            ("1.0e3", "str:1.0e3"),
            ("1.0e+3", "float:1000.0"),
            ("1.5E-3", "float:0.0015"),
            (".5", "float:0.5"),
            ("-.5", "str:-.5"),
            ("+.5", "str:+.5"),
            ("5.", "float:5.0"),
            (".inf", "float:inf"),
            ("-.Inf", "float:-inf"),
            ("+.INF", "float:inf"),
            (".nan", "float:nan"),
            (".NaN", "float:nan"),
            ("0", "int:0"),
            ("-0", "int:0"),
            ("+0", "int:0"),
            ("007", "int:7"),
            ("08", "str:08"),
            ("09.5", "float:9.5"),
            ("1__0", "int:10"),
            ("_1", "str:_1"),
            ("1_", "int:1"),
            ("0.1_2", "float:0.12"),
            ("1,000", "str:1,000"),
            ("12:60", "str:12:60"),
            ("1:2:3", "int:3723"),
            ("0x_1", "int:1"),
            ("3.", "float:3.0"),
            ("-3.", "float:-3.0"),
            ("+3", "int:3"),
            ("+", "str:+"),
            (".", "str:."),
            ("1.2.3", "str:1.2.3"),
            ("2024-01-31", "str:2024-01-31"),
            ("0.0", "float:0.0"),
            ("-0.0", "float:-0.0"),
            ("1e", "str:1e"),
            ("1e+", "str:1e+"),
            ("190:20:30", "int:685230"),
            ("0xG", "str:0xG"),
            ("0b2", "str:0b2"),
            ("1.0_0e+1_0", "str:1.0_0e+1_0"),
        ];
        for (text, want) in cases {
            let got = match resolve_plain(text) {
                Scalar11::Null => "null".to_string(),
                Scalar11::Bool(b) => format!("bool:{b}"),
                Scalar11::Int(i) => format!("int:{i}"),
                Scalar11::Float(f) if f.is_nan() => "float:nan".to_string(),
                Scalar11::Float(f) if f.is_infinite() => {
                    format!("float:{}", if f > 0.0 { "inf" } else { "-inf" })
                }
                Scalar11::Float(f) => format!("float:{}", crate::python::python_float(f)),
                Scalar11::Str(s) => format!("str:{s}"),
            };
            assert_eq!(got, want, "{text:?}");
        }
    }
}
