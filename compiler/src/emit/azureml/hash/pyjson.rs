//! Python's `json.dumps(value, sort_keys=True)` with its defaults: `", "` and `": "` separators,
//! `ensure_ascii=True`, floats as `repr(float)`.

use std::fmt::Write as _;

use serde_json::{Number, Value};

/// Appends `value` to `out` exactly as `json.dumps(value, sort_keys=True)` writes it.
pub(super) fn dumps_sorted(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => number(n, out),
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dumps_sorted(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => dumps_object_sorted(map.iter(), out),
    }
}

/// Appends the object made of `entries` to `out`, keys sorted as `sort_keys=True` sorts them.
pub(super) fn dumps_object_sorted<'a>(
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    out: &mut String,
) {
    // Python sorts by code point; UTF-8 byte order is the same order.
    let mut entries: Vec<(&String, &Value)> = entries.collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (i, (key, item)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(key, out);
        out.push_str(": ");
        dumps_sorted(item, out);
    }
    out.push('}');
}

fn number(n: &Number, out: &mut String) {
    match n.as_f64() {
        Some(f) if n.is_f64() => float_repr(f, out),
        // Integers print as they are.
        _ => {
            let _ = write!(out, "{n}");
        }
    }
}

/// `repr(float)`: the shortest round-tripping digits, positional when the decimal exponent is in
/// [-4, 16), else `d.ddde+XX`; integral values keep a `.0`.
fn float_repr(f: f64, out: &mut String) {
    // `{:e}` gives the shortest round-tripping digits: `d[.ddd]e<exp>`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if f.is_sign_negative() {
        out.push('-');
    }
    // Python's `decpt`: the value is 0.<digits> * 10^decpt.
    let decpt = exp + 1;
    let k = digits.len() as i32;
    if !(-4 < decpt && decpt <= 16) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if decpt <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-decpt) as usize));
        out.push_str(&digits);
    } else if decpt >= k {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (decpt - k) as usize));
        out.push_str(".0");
    } else {
        let (int, frac) = digits.split_at(decpt as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
}

/// A JSON string with `ensure_ascii`: `\"`, `\\`, `\b\f\n\r\t`, and `\uXXXX` (lowercase, UTF-16
/// surrogate pairs above U+FFFF) for every other character outside `' '..='~'`.
fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dumps(v: &Value) -> String {
        let mut s = String::new();
        dumps_sorted(v, &mut s);
        s
    }

    #[test]
    fn floats_as_python_repr() {
        // python -c 'for x in [0.1,1e-05,0.0001,1e16,1e15,123456789012345680.0,100.0,-0.0,
        //   5e-324,1.7976931348623157e308,2.5,-1.5e-07,0.001]: print(repr(x))'
        let cases = [
            (0.1, "0.1"),
            (1e-05, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (100.0, "100.0"),
            (-0.0, "-0.0"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (2.5, "2.5"),
            (-1.5e-07, "-1.5e-07"),
            (0.001, "0.001"),
        ];
        for (f, expected) in cases {
            let mut s = String::new();
            float_repr(f, &mut s);
            assert_eq!(s, expected, "{f:e}");
        }
    }

    #[test]
    fn dumps_like_python() {
        // python -c 'import json; print(json.dumps({"b": [1, 2.0, None, True], "a": {"z": "é\n\"\\\u0001\x7f😀/", "A": -3}, "": {}}, sort_keys=True))'
        let v = json!({"b": [1, 2.0, null, true], "a": {"z": "é\n\"\\\u{1}\u{7f}😀/", "A": -3}, "": {}});
        assert_eq!(
            dumps(&v),
            r#"{"": {}, "a": {"A": -3, "z": "\u00e9\n\"\\\u0001\u007f\ud83d\ude00/"}, "b": [1, 2.0, null, true]}"#
        );
    }
}
