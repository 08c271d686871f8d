//! `Spanned<T>` (a value with its byte span) and `Map<V>` (an ordered mapping with spanned keys),
//! the two wrappers the syntax structs are built from.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::de::RECOVERED;
use crate::source::Span;

/// Newtype-struct name that asks the node deserializer for a span (see `de.rs`).
pub(crate) const SPANNED_MARKER: &str = "$sluice::Spanned";

/// A value with the span of the YAML node it was read from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Spanned<T> {
    /// Where the value is.
    pub span: Span,
    /// The value.
    pub value: T,
}

impl<T> Spanned<T> {
    /// Wraps a value.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { span, value }
    }

    /// Applies `f` to the value, keeping the span.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned { span: self.span, value: f(self.value) }
    }

    /// A spanned reference to the value.
    pub fn as_ref(&self) -> Spanned<&T> {
        Spanned { span: self.span, value: &self.value }
    }
}

impl<T> Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Spanned<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a spanned value")
            }
            // The node deserializer hands (start, end, value).
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Spanned<T>, A::Error> {
                let start: u32 = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let end: u32 = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &self))?;
                let value: T = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(2, &self))?;
                Ok(Spanned { span: Span::new(start, end), value })
            }
            // Other deserializers (JSON, tests) give the plain value.
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Spanned<T>, D::Error> {
                T::deserialize(d).map(|value| Spanned { span: Span::default(), value })
            }
        }
        d.deserialize_newtype_struct(SPANNED_MARKER, V(PhantomData))
    }
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// An ordered YAML mapping from names to values, keeping each key's span.
#[derive(Clone, Debug, PartialEq)]
pub struct Map<V> {
    /// The entries in file order (keys are unique: the reader rejects duplicates).
    pub entries: Vec<(Spanned<String>, V)>,
}

impl<V> Default for Map<V> {
    fn default() -> Self {
        Map { entries: Vec::new() }
    }
}

impl<V> Map<V> {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| v)
    }

    /// The spanned key and value under `key`.
    pub fn get_entry(&self, key: &str) -> Option<(&Spanned<String>, &V)> {
        self.entries.iter().find(|(k, _)| k.value == key).map(|(k, v)| (k, v))
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<String>, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Keys in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.value.as_str())
    }

    /// Values in file order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Map<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MV<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MV<V> {
            type Value = Map<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Map<V>, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    match map.next_value::<V>() {
                        Ok(v) => entries.push((k, v)),
                        // Already recorded by the node deserializer, which fails the whole read
                        // in the end: go on with the next entry to find its mistakes too.
                        Err(e) if e.to_string() == RECOVERED => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(Map { entries })
            }
            fn visit_unit<E>(self) -> Result<Map<V>, E> {
                Ok(Map::default())
            }
        }
        d.deserialize_map(MV(PhantomData))
    }
}

impl<V: Serialize> Serialize for Map<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            m.serialize_entry(&k.value, v)?;
        }
        m.end()
    }
}

impl<V: JsonSchema> JsonSchema for Map<V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<V>();
        json_schema!({
            "type": ["object", "null"],
            "additionalProperties": value,
        })
    }
}
