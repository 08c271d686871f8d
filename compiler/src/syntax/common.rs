//! Small syntax types shared by several formats.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::yaml::Spanned;

/// A literal scalar as written: text, number or boolean (YAML types kept).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Str(String),
}

impl Scalar {
    /// The value as text, as it would be passed on a command line.
    pub fn to_text(&self) -> String {
        match self {
            Scalar::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => python_float(*f),
            Scalar::Str(s) => s.clone(),
        }
    }

    /// Short name of the scalar's type for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Scalar::Bool(_) => "boolean",
            Scalar::Int(_) => "integer",
            Scalar::Float(_) => "number",
            Scalar::Str(_) => "string",
        }
    }
}

/// What marshmallow's `Boolean` field makes of a value: `true`, `'True'`, `yes`, `on`, `1`,
/// ... are true, their opposites false, anything else an error (`None`).
pub fn marshmallow_bool(v: &serde_json::Value) -> Option<bool> {
    const TRUTHY: [&str; 14] =
        ["t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1"];
    const FALSY: [&str; 14] =
        ["f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0"];
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        // `1` and `0` are in marshmallow's sets, and so is every number equal to them (`1.0`).
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        serde_json::Value::String(s) if TRUTHY.contains(&s.as_str()) => Some(true),
        serde_json::Value::String(s) if FALSY.contains(&s.as_str()) => Some(false),
        _ => None,
    }
}

/// Formats a float as Python's `str(float)` does (`1.0`, `0.01`, `1e-05`), the form the Azure ML
/// SDK sends.
pub fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if f == f.trunc() && f.abs() < 1e16 {
        return format!("{f:.1}");
    }
    let exp = if f == 0.0 { 0 } else { f.abs().log10().floor() as i32 };
    if (-4..16).contains(&exp) {
        format!("{f}")
    } else {
        // Shortest round-trip digits in scientific form, with Python's two-digit exponent.
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((mantissa, e)) => {
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ("-", d),
                    None => ("+", e),
                };
                format!("{mantissa}e{sign}{digits:0>2}")
            }
            None => s,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text, a number or a boolean")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map(Scalar::Int).unwrap_or(Scalar::Float(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A literal: text, number or boolean.",
            "type": ["string", "number", "integer", "boolean"]
        })
    }
}

/// A secret, written only as `${env:NAME}`; its value is read from the environment when needed
/// and never printed or written anywhere.
pub type Secret = Spanned<String>;

/// Keys that hold secrets in workspace files. Their literal values are never shown, even in the
/// source snippets of other diagnostics.
pub const SECRET_FIELDS: [&str; 6] =
    ["account_key", "sas_token", "client_secret", "access_token", "access_key", "bearer_token"];

/// Byte ranges of literal values written after a secret key (`account_key: abc`), found in the
/// text itself so they can be hidden even when the file could not be read. `${env:NAME}`
/// references are not secrets and are left alone.
pub fn literal_secret_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    for field in SECRET_FIELDS {
        let mut from = 0;
        while let Some(i) = text[from..].find(field).map(|i| i + from) {
            from = i + field.len();
            // A whole key: nothing word-like before it, and a `:` (maybe quoted) after it.
            let before_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
            let mut j = from;
            if matches!(bytes.get(j), Some(b'"' | b'\'')) {
                j += 1;
            }
            if !before_ok || bytes.get(j) != Some(&b':') {
                continue;
            }
            j += 1;
            while matches!(bytes.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            let start = j;
            // An environment reference is no secret (its braces would end a flow value below).
            let rest = &text[start..];
            // (Only a value starting `${env:` can be one: the search for `}` stays short.)
            if rest.starts_with("${env:")
                && rest.find('}').is_some_and(|close| env_reference(&rest[..=close]).is_some())
            {
                continue;
            }
            // The value runs to the end of the line, or of the flow entry, or the closing quote.
            let quote = bytes.get(j).copied().filter(|b| *b == b'"' || *b == b'\'');
            let mut end = start + usize::from(quote.is_some());
            while let Some(&b) = bytes.get(end) {
                match quote {
                    Some(q) if b == q => {
                        end += 1;
                        break;
                    }
                    Some(_) if b == b'\n' => break,
                    Some(_) => {}
                    None if matches!(b, b'\n' | b'\r' | b',' | b'}' | b']') => break,
                    None if b == b'#' && matches!(bytes.get(end - 1), Some(b' ' | b'\t')) => break,
                    None => {}
                }
                end += 1;
            }
            let value = text[start..end].trim_end();
            let unquoted = value.trim_matches(['"', '\'']);
            if !value.is_empty() && env_reference(unquoted).is_none() && text.is_char_boundary(start) {
                ranges.push(start..start + value.len());
            }
        }
    }
    ranges
}

/// The variable name in a `${env:NAME}` reference, if `text` is one.
pub fn env_reference(text: &str) -> Option<&str> {
    let name = text.strip_prefix("${env:")?.strip_suffix('}')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() || first == '_')
        .then_some(())
        .filter(|_| chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|_| name)
}

/// JSON schema of a secret field: a `${env:NAME}` reference.
pub fn secret_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": "^\\$\\{env:[A-Za-z_][A-Za-z0-9_]*\\}$",
        "description": "A secret, written as ${env:NAME}: the value comes from that environment variable."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_as_marshmallow_reads_them() {
        use serde_json::json;
        for v in [json!(true), json!("True"), json!("yes"), json!("ON"), json!("1"), json!(1), json!(1.0)] {
            assert_eq!(marshmallow_bool(&v), Some(true), "{v}");
        }
        for v in [json!(false), json!("false"), json!("No"), json!("off"), json!("0"), json!(0)] {
            assert_eq!(marshmallow_bool(&v), Some(false), "{v}");
        }
        for v in [json!("sometimes"), json!("tRue"), json!(2), json!(null), json!([])] {
            assert_eq!(marshmallow_bool(&v), None, "{v}");
        }
    }

    #[test]
    fn python_float_forms() {
        assert_eq!(python_float(1.0), "1.0");
        assert_eq!(python_float(0.01), "0.01");
        assert_eq!(python_float(1.8), "1.8");
        assert_eq!(python_float(1e-5), "1e-05");
        assert_eq!(python_float(0.0001), "0.0001");
        assert_eq!(python_float(1e20), "1e+20");
        assert_eq!(python_float(-2.5), "-2.5");
    }

    #[test]
    fn finds_literal_secrets_in_text() {
        let text =
            "a:\n  account_key: abc123  # old\n  sas_token: ${env:SAS}\nb: {access_token: 'x y', k: 1}\n";
        let found: Vec<&str> = literal_secret_ranges(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, vec!["abc123", "'x y'"]);
        assert!(literal_secret_ranges("my_account_key: abc\n").is_empty());
    }

    #[test]
    fn env_references() {
        assert_eq!(env_reference("${env:AZURE_KEY}"), Some("AZURE_KEY"));
        assert_eq!(env_reference("${env:1X}"), None);
        assert_eq!(env_reference("abc"), None);
        assert_eq!(env_reference("${env:}"), None);
    }
}
