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
    fn env_references() {
        assert_eq!(env_reference("${env:AZURE_KEY}"), Some("AZURE_KEY"));
        assert_eq!(env_reference("${env:1X}"), None);
        assert_eq!(env_reference("abc"), None);
        assert_eq!(env_reference("${env:}"), None);
    }
}
