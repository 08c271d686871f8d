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
            Scalar::Float(f) => crate::python::python_float(*f),
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
                && rest.find('}').is_some_and(|close| crate::python::env_reference(&rest[..=close]).is_some())
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
            if !value.is_empty()
                && crate::python::env_reference(unquoted).is_none()
                && text.is_char_boundary(start)
            {
                ranges.push(start..start + value.len());
            }
        }
    }
    ranges
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
    fn finds_literal_secrets_in_text() {
        let text =
            "a:\n  account_key: abc123  # old\n  sas_token: ${env:SAS}\nb: {access_token: 'x y', k: 1}\n";
        let found: Vec<&str> = literal_secret_ranges(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, vec!["abc123", "'x y'"]);
        assert!(literal_secret_ranges("my_account_key: abc\n").is_empty());
    }
}
