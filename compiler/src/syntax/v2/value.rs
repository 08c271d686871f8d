//! Value types of the v2 syntax: passthrough JSON, and numbers or booleans that may also be
//! written as a `${{parent.inputs.x}}` binding (every node field but a few may be bound).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A value sluice passes on as written (key order and YAML scalar types kept).
pub type Json = serde_json::Value;

/// A value of type `T`, or a binding expression that supplies it at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Bindable<T> {
    /// The value as written.
    Value(T),
    /// A `${{...}}` expression, as written.
    Binding(String),
}

impl<T: Clone + Into<Json>> Bindable<T> {
    /// The value as JSON: the value itself, or the binding text.
    pub fn to_json(&self) -> Json {
        match self {
            Bindable::Value(v) => v.clone().into(),
            Bindable::Binding(b) => Json::String(b.clone()),
        }
    }

    /// The binding text, when this is one.
    pub fn binding(&self) -> Option<&str> {
        match self {
            Bindable::Binding(b) => Some(b),
            Bindable::Value(_) => None,
        }
    }
}

/// True when `s` holds a `${{` expression.
pub fn has_expression(s: &str) -> bool {
    s.contains("${{")
}

macro_rules! bindable {
    ($ty:ty, $expecting:literal, $schema_type:literal, { $($visit:item)* }) => {
        impl<'de> Deserialize<'de> for Bindable<$ty> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Bindable<$ty>;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str(concat!($expecting, " or a `${{parent.inputs.x}}` binding"))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                        if has_expression(v) {
                            Ok(Bindable::Binding(v.to_string()))
                        } else {
                            Err(E::invalid_type(de::Unexpected::Str(v), &self))
                        }
                    }
                    $($visit)*
                }
                d.deserialize_any(V)
            }
        }

        impl JsonSchema for Bindable<$ty> {
            fn schema_name() -> Cow<'static, str> {
                concat!("Bindable_", $schema_type).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "description": concat!($expecting, ", or a `${{parent.inputs.x}}` binding"),
                    "anyOf": [
                        {"type": $schema_type},
                        {"type": "string", "pattern": "\\$\\{\\{"}
                    ]
                })
            }
        }
    };
}

bindable!(i64, "an integer", "integer", {
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Bindable::Value(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .map(Bindable::Value)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }
});

bindable!(f64, "a number", "number", {
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Bindable::Value(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Bindable::Value(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Bindable::Value(v))
    }
});

bindable!(bool, "`true` or `false`", "boolean", {
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Bindable::Value(v))
    }
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, from_node, parse};

    #[derive(Debug, serde::Deserialize)]
    struct Doc {
        a: Bindable<i64>,
        b: Bindable<i64>,
        c: Option<Bindable<bool>>,
    }

    #[test]
    fn reads_values_and_bindings() {
        let text = "a: 3\nb: ${{parent.inputs.n}}\nc: true\n";
        let (node, _) = parse(text, &Limits::default());
        let doc: Doc = from_node(&node.unwrap(), text).unwrap();
        assert_eq!(doc.a, Bindable::Value(3));
        assert_eq!(doc.b.binding(), Some("${{parent.inputs.n}}"));
        assert_eq!(doc.c, Some(Bindable::Value(true)));
        let text = "a: x\nb: 1\n";
        let (node, _) = parse(text, &Limits::default());
        let errors = from_node::<Doc>(&node.unwrap(), text).unwrap_err();
        assert!(errors[0].message().contains("an integer or a `${{parent.inputs.x}}` binding"), "{errors:?}");
    }
}
