//! A serde deserializer over [`Node`] trees.
//!
//! Why not deserialize straight from the text: this one keeps a span for every `Spanned<T>`
//! (also inside enums), reports every unknown key of a file instead of the first, points
//! "missing key" errors at the key that owns the mapping, and reads externally tagged Rust enums
//! from mappings tagged by a `type` key, so step and job kinds keep their own fields and spans.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::node::{Node, Value};
use super::spanned::SPANNED_MARKER;
use crate::source::Span;

/// The key that selects an enum variant in a mapping.
const TAG: &str = "type";

/// Prefix of a struct name passed to `deserialize_struct` by a hand-written `Deserialize` of a
/// value that is a scalar or a mapping (`InputValue`): a mapping is read as a struct with the
/// given fields (unknown keys reported without losing the entry), anything else as by
/// `deserialize_any`.
pub const SCALAR_OR_STRUCT: &str = "$sluice::scalar_or_struct";

/// [`SCALAR_OR_STRUCT`] whose enum fields are read in any case (a job's or pipeline's inputs
/// and outputs: azure-ai-ml lowercases their `type` and `mode`).
pub const SCALAR_OR_STRUCT_ANY_CASE: &str = "$sluice::scalar_or_struct;case=lower";

/// Prefix of an enum name that carries reading options, `;`-separated after it:
/// `default=command` names the variant a mapping without a `type` key is read as (v2 jobs are
/// commands unless typed); `case=lower` (or `case=snake`) matches a name that is no variant to
/// the variant it becomes in lowercase (or `camel_to_snake`), as azure-ai-ml's
/// `StringTransformedEnum` fields do: `type: PyTorch` is `pytorch`.
/// (`#[serde(rename = "$sluice::case=lower;default=command")]`). On a struct's name, `case=`
/// applies to the enums of its own fields.
pub(crate) const ENUM_OPTIONS: &str = "$sluice::";

/// How an enum's names may be written besides exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    /// Exactly.
    Exact,
    /// Any ASCII case (azure-ai-ml's default `str.lower()`).
    Lower,
    /// CamelCase or snake_case (azure-ai-ml's `camel_to_snake`).
    Snake,
}

/// The default variant and the case rule an enum's name asks for.
fn enum_options(name: &'static str) -> (Option<&'static str>, Case) {
    let (mut default, mut case) = (None, Case::Exact);
    if let Some(options) = name.strip_prefix(ENUM_OPTIONS) {
        for option in options.split(';') {
            match option.split_once('=') {
                Some(("default", v)) => default = Some(v),
                Some(("case", "lower")) => case = Case::Lower,
                Some(("case", "snake")) => case = Case::Snake,
                _ => {}
            }
        }
    }
    (default, case)
}

/// The variant `name` is read as under `case`: itself when it is one, else the variant it
/// folds to.
fn fold_variant(name: &str, variants: &'static [&'static str], case: Case) -> Option<&'static str> {
    if variants.contains(&name) {
        return None;
    }
    let folded = match case {
        Case::Exact => return None,
        Case::Lower => name.to_ascii_lowercase(),
        Case::Snake => crate::casing::camel_to_snake(name),
    };
    variants.iter().copied().find(|v| *v == folded)
}

/// What went wrong while reading a node into a typed structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeErrorKind {
    /// Any other message.
    Custom(String),
    /// The node has the wrong kind (a list where a string belongs, ...).
    InvalidType {
        /// What the node is.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// The node has the right kind but a value that is not allowed.
    InvalidValue {
        /// What the node holds.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// A list of the wrong length.
    InvalidLength {
        /// Length found.
        len: usize,
        /// What was expected.
        expected: String,
    },
    /// A name that is not one of the allowed values (enum variant, `type`).
    UnknownVariant {
        /// The name found.
        variant: String,
        /// The allowed names.
        expected: &'static [&'static str],
    },
    /// A key that the mapping does not take.
    UnknownField {
        /// The key found.
        field: String,
        /// The keys the mapping takes.
        expected: &'static [&'static str],
    },
    /// A required key is absent.
    MissingField {
        /// The absent key.
        field: &'static str,
    },
    /// A mapping that stands for a tagged enum has no `type` key.
    MissingTag {
        /// The allowed `type` values.
        expected: &'static [&'static str],
    },
    /// A key given twice.
    DuplicateField {
        /// The repeated key.
        field: &'static str,
    },
    /// Stands for an error already recorded, so that a `Map` can skip the entry and go on.
    Recovered,
}

/// The text of a [`DeErrorKind::Recovered`] error; `Map` recognises it through `Display`, the only
/// thing a generic serde error offers.
pub(crate) const RECOVERED: &str = "$sluice::recovered";

/// A deserialization error with the span it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct DeError {
    /// What went wrong.
    pub kind: DeErrorKind,
    /// Where, once known.
    pub span: Option<Span>,
}

impl DeError {
    fn new(kind: DeErrorKind) -> Self {
        DeError { kind, span: None }
    }

    /// Sets the span unless a deeper one is already set.
    fn at(mut self, span: Span, owner: Option<Span>) -> Self {
        if self.span.is_none() {
            self.span = Some(match (&self.kind, owner) {
                (DeErrorKind::MissingField { .. } | DeErrorKind::MissingTag { .. }, Some(owner)) => owner,
                _ => span,
            });
        }
        self
    }

    /// One-sentence message without location.
    pub fn message(&self) -> String {
        match &self.kind {
            DeErrorKind::Custom(m) => m.clone(),
            DeErrorKind::InvalidType { found, expected } => {
                format!("expected {expected}, found {found}")
            }
            DeErrorKind::InvalidValue { found, expected } => {
                format!("invalid value {found}: expected {expected}")
            }
            DeErrorKind::InvalidLength { len, expected } => {
                format!("{len} items given: expected {expected}")
            }
            DeErrorKind::UnknownVariant { variant, .. } => format!("unknown value `{variant}`"),
            DeErrorKind::UnknownField { field, .. } => format!("unknown key `{field}`"),
            DeErrorKind::MissingField { field } => format!("missing required key `{field}`"),
            DeErrorKind::MissingTag { .. } => format!("missing required key `{TAG}`"),
            DeErrorKind::DuplicateField { field } => format!("duplicate key `{field}`"),
            DeErrorKind::Recovered => RECOVERED.to_string(),
        }
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(DeErrorKind::Custom(msg.to_string()))
    }
    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        DeError::new(DeErrorKind::InvalidType { found: unexpected(unexp), expected: exp.to_string() })
    }
    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        DeError::new(DeErrorKind::InvalidValue { found: unexpected(unexp), expected: exp.to_string() })
    }
    fn invalid_length(len: usize, exp: &dyn de::Expected) -> Self {
        DeError::new(DeErrorKind::InvalidLength { len, expected: exp.to_string() })
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownVariant { variant: variant.to_string(), expected })
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownField { field: field.to_string(), expected })
    }
    fn missing_field(field: &'static str) -> Self {
        DeError::new(DeErrorKind::MissingField { field })
    }
    fn duplicate_field(field: &'static str) -> Self {
        DeError::new(DeErrorKind::DuplicateField { field })
    }
}

fn unexpected(u: de::Unexpected) -> String {
    match u {
        de::Unexpected::Str(s) => format!("the string `{s}`"),
        de::Unexpected::Signed(i) => format!("the integer `{i}`"),
        de::Unexpected::Unsigned(i) => format!("the integer `{i}`"),
        de::Unexpected::Float(f) => format!("the number `{f}`"),
        de::Unexpected::Bool(b) => format!("the boolean `{b}`"),
        de::Unexpected::Unit | de::Unexpected::Option => "nothing (null)".to_string(),
        de::Unexpected::Seq => "a list".to_string(),
        de::Unexpected::Map => "a mapping".to_string(),
        other => other.to_string(),
    }
}

/// Reads a node into `T`. All unknown keys are reported; any other error stops at the first.
pub fn from_node<T: DeserializeOwned + Send>(node: &Node, text: &str) -> Result<T, Vec<DeError>> {
    super::on_big_stack(|| read(node, text))
}

/// Reads a node into `T`, keeping the value when the only problems are unknown keys (which are
/// left out), so that later stages can still report their own findings. Every error is returned.
pub fn from_node_partial<T: DeserializeOwned + Send>(node: &Node, text: &str) -> (Option<T>, Vec<DeError>) {
    super::on_big_stack(|| {
        let ctx = Ctx { text, recovered: RefCell::new(Vec::new()), dropped: std::cell::Cell::new(false) };
        let result =
            T::deserialize(NodeDe { node, ctx: &ctx, owner: None, skip_tag: false, case: Case::Exact });
        let dropped = ctx.dropped.get();
        let mut errors = ctx.recovered.into_inner();
        match result {
            Ok(v)
                if !dropped && errors.iter().all(|e| matches!(e.kind, DeErrorKind::UnknownField { .. })) =>
            {
                (Some(v), errors)
            }
            Ok(_) => (None, errors),
            Err(e) => {
                if e.kind != DeErrorKind::Recovered {
                    errors.push(e.at(node.span, None));
                }
                (None, errors)
            }
        }
    })
}

/// A mapping key as text, borrowed when it is a string (most are).
fn key_name(key: &Node) -> Cow<'_, str> {
    match key.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(key.key_string()),
    }
}

fn read<T: DeserializeOwned>(node: &Node, text: &str) -> Result<T, Vec<DeError>> {
    let ctx = Ctx { text, recovered: RefCell::new(Vec::new()), dropped: std::cell::Cell::new(false) };
    let result = T::deserialize(NodeDe { node, ctx: &ctx, owner: None, skip_tag: false, case: Case::Exact });
    let mut errors = ctx.recovered.into_inner();
    match result {
        Ok(v) if errors.is_empty() => Ok(v),
        Ok(_) => Err(errors),
        Err(e) => {
            if e.kind != DeErrorKind::Recovered {
                errors.push(e.at(node.span, None));
            }
            Err(errors)
        }
    }
}

struct Ctx<'a> {
    text: &'a str,
    /// Errors reported without stopping (unknown keys).
    recovered: RefCell<Vec<DeError>>,
    /// An entry of a mapping was left out because its value could not be read.
    dropped: std::cell::Cell<bool>,
}

#[derive(Clone, Copy)]
struct NodeDe<'a> {
    node: &'a Node,
    ctx: &'a Ctx<'a>,
    /// Span of the key whose value this node is.
    owner: Option<Span>,
    /// Hide the `type` key (the node is the body of a tagged enum variant).
    skip_tag: bool,
    /// The case rule of the struct this node is a field of, for an enum read from it.
    case: Case,
}

impl<'a> NodeDe<'a> {
    fn child(&self, node: &'a Node, owner: Option<Span>) -> NodeDe<'a> {
        NodeDe { node, ctx: self.ctx, owner, skip_tag: false, case: Case::Exact }
    }

    fn wrong(&self, expected: &str) -> DeError {
        let found = match &self.node.value {
            Value::Str(s) => format!("the string `{}`", shorten(s)),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                format!("{} `{}`", self.node.value.kind_name(), self.raw())
            }
            other => other.kind_name().to_string(),
        };
        DeError {
            kind: DeErrorKind::InvalidType { found, expected: expected.to_string() },
            span: Some(self.node.span),
        }
    }

    /// The source text of a scalar (so `1.10` stays `1.10` when a string is wanted).
    fn raw(&self) -> &'a str {
        let s = self.node.span;
        self.ctx.text.get(s.start as usize..s.end as usize).unwrap_or("")
    }

    fn fix<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|e| e.at(self.node.span, self.owner))
    }

    fn entries(&self) -> impl Iterator<Item = &'a (Node, Node)> + 'a {
        let skip_tag = self.skip_tag;
        let entries: &'a [(Node, Node)] = match &self.node.value {
            Value::Map(e) => e,
            _ => &[],
        };
        entries.iter().filter(move |(k, _)| !(skip_tag && k.as_str() == Some(TAG)))
    }

    fn int(&self) -> Result<i64, DeError> {
        match self.node.value {
            Value::Int(i) => Ok(i),
            _ => Err(self.wrong("an integer")),
        }
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out.replace('\n', "⏎")
}

macro_rules! int_method {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
            let i = self.int()?;
            let n = <$ty>::try_from(i).map_err(|_| DeError {
                kind: DeErrorKind::InvalidValue {
                    found: format!("`{i}`"),
                    expected: if i < 0 && <$ty>::MIN == 0 {
                        "a whole number, 0 or more".to_string()
                    } else {
                        format!("an integer between {} and {}", <$ty>::MIN, <$ty>::MAX)
                    },
                },
                span: Some(self.node.span),
            })?;
            self.fix(v.$visit(n))
        }
    };
}

impl<'de, 'a> de::Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Int(i) => v.visit_i64(*i),
            Value::Float(f) => v.visit_f64(*f),
            Value::Str(s) => v.visit_str(s),
            Value::Seq(items) => v.visit_seq(SeqDe { de: self, iter: items.iter() }),
            Value::Map(_) => v.visit_map(MapDe::new(self, None)),
        };
        self.fix(r)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Bool(b) => self.fix(v.visit_bool(b)),
            _ => Err(self.wrong("`true` or `false`")),
        }
    }

    int_method!(deserialize_i8, visit_i8, i8);
    int_method!(deserialize_i16, visit_i16, i16);
    int_method!(deserialize_i32, visit_i32, i32);
    int_method!(deserialize_i64, visit_i64, i64);
    int_method!(deserialize_u8, visit_u8, u8);
    int_method!(deserialize_u16, visit_u16, u16);
    int_method!(deserialize_u32, visit_u32, u32);
    int_method!(deserialize_u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Int(i) => self.fix(v.visit_f64(i as f64)),
            Value::Float(f) => self.fix(v.visit_f64(f)),
            _ => Err(self.wrong("a number")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(s) => self.fix(v.visit_str(s)),
            // A plain scalar that YAML reads as a number or boolean is text where text is wanted
            // (`version: 1`), as the Azure ML SDK reads it.
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => self.fix(v.visit_str(self.raw())),
            _ => Err(self.wrong("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => self.fix(v.visit_none()),
            _ => self.fix(v.visit_some(self)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => self.fix(v.visit_unit()),
            _ => Err(self.wrong("nothing (null)")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        if name == SPANNED_MARKER {
            let r = v.visit_seq(SpannedSeq { de: self, state: 0 });
            return self.fix(r);
        }
        self.fix(v.visit_newtype_struct(self))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Seq(items) => self.fix(v.visit_seq(SeqDe { de: self, iter: items.iter() })),
            Value::Null => self.fix(v.visit_seq(SeqDe { de: self, iter: [].iter() })),
            _ => Err(self.wrong("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Map(_) | Value::Null => self.fix(v.visit_map(MapDe::new(self, None))),
            _ => Err(self.wrong("a mapping")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        // A value that is either a scalar or a mapping with known keys: scalars go to the
        // visitor as they are; a mapping has its unknown keys reported and left out, as a struct.
        if name.starts_with(SCALAR_OR_STRUCT) && !matches!(self.node.value, Value::Map(_)) {
            return self.deserialize_any(v);
        }
        match &self.node.value {
            Value::Map(_) | Value::Null => {
                // Report every unknown key now and hide it from the visitor, so one typo does
                // not hide the next.
                let mut unknown = Vec::new();
                for (k, _) in self.entries() {
                    let name = key_name(k);
                    if !fields.contains(&name.as_ref()) {
                        unknown.push(name.to_string());
                        self.ctx.recovered.borrow_mut().push(DeError {
                            kind: DeErrorKind::UnknownField { field: name.into_owned(), expected: fields },
                            span: Some(k.span),
                        });
                    }
                }
                let case = enum_options(name).1;
                match v.visit_map(MapDe { case, ..MapDe::new(self, Some(fields)) }) {
                    // A required key is missing because it is misspelt: the unknown key's "did
                    // you mean" says it all, so one mistake gives one diagnostic.
                    Err(DeError { kind: DeErrorKind::MissingField { field }, .. })
                        if unknown.iter().any(|u| crate::suggest::closest(u, &[field]).is_some()) =>
                    {
                        Err(DeError::new(DeErrorKind::Recovered))
                    }
                    r => self.fix(r),
                }
            }
            _ => Err(self.wrong("a mapping")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let (default, own) = enum_options(name);
        let case = if own == Case::Exact { self.case } else { own };
        let folded = |node: &Node| match &node.value {
            Value::Str(s) => fold_variant(s, variants, case),
            _ => None,
        };
        match &self.node.value {
            Value::Str(_) | Value::Int(_) | Value::Bool(_) | Value::Float(_) => {
                self.fix(v.visit_enum(UnitEnum { de: self, folded: folded(self.node) }))
            }
            Value::Map(_) => {
                let Some((_, tag)) = self.node.entry(TAG) else {
                    if let Some(default) = default {
                        return self.fix(v.visit_enum(TaggedEnum { de: self, tag: Tag::Default(default) }));
                    }
                    return Err(DeError::new(DeErrorKind::MissingTag { expected: variants })
                        .at(self.node.span, self.owner));
                };
                let tag = match folded(tag) {
                    Some(variant) => Tag::Folded(tag, variant),
                    None => Tag::Node(tag),
                };
                self.fix(v.visit_enum(TaggedEnum { de: self, tag }))
            }
            _ => Err(self.wrong("a name or a mapping with `type`")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.fix(v.visit_unit())
    }
}

/// Hands `(start, end, value)` to `Spanned<T>`.
struct SpannedSeq<'a> {
    de: NodeDe<'a>,
    state: u8,
}

impl<'de, 'a> SeqAccess<'de> for SpannedSeq<'a> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        let span = self.de.node.span;
        self.state += 1;
        match self.state {
            1 => seed.deserialize(span.start.into_deserializer()).map(Some),
            2 => seed.deserialize(span.end.into_deserializer()).map(Some),
            3 => seed.deserialize(self.de).map(Some),
            _ => Ok(None),
        }
    }
}

struct SeqDe<'a> {
    de: NodeDe<'a>,
    iter: std::slice::Iter<'a, Node>,
}

impl<'de, 'a> SeqAccess<'de> for SeqDe<'a> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        match self.iter.next() {
            Some(node) => seed.deserialize(self.de.child(node, None)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct MapDe<'a> {
    de: NodeDe<'a>,
    fields: Option<&'static [&'static str]>,
    entries: Vec<&'a (Node, Node)>,
    next: usize,
    /// The case rule the struct's own enum fields are read with.
    case: Case,
}

impl<'a> MapDe<'a> {
    /// With `fields`, keys outside it are skipped (they were reported already).
    fn new(de: NodeDe<'a>, fields: Option<&'static [&'static str]>) -> Self {
        let entries =
            de.entries().filter(|(k, _)| fields.is_none_or(|f| f.contains(&key_name(k).as_ref()))).collect();
        MapDe { de, fields, entries, next: 0, case: Case::Exact }
    }
}

impl<'de, 'a> MapAccess<'de> for MapDe<'a> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        match self.entries.get(self.next) {
            Some((k, _)) => seed.deserialize(self.de.child(k, None)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((k, v)) = self.entries.get(self.next) else {
            return Err(de::Error::custom("value requested before key"));
        };
        self.next += 1;
        let r = seed.deserialize(NodeDe { case: self.case, ..self.de.child(v, Some(k.span)) });
        if self.fields.is_some() {
            return r;
        }
        // A value of a plain mapping (steps, jobs, inputs) failed: record the error and let a
        // `Map` skip this entry, so each entry's first mistake is reported.
        r.map_err(|e| {
            if e.kind != DeErrorKind::Recovered {
                self.de.ctx.recovered.borrow_mut().push(e.at(v.span, Some(k.span)));
            }
            self.de.ctx.dropped.set(true);
            DeError::new(DeErrorKind::Recovered)
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

/// An enum written as a bare name: `bind_mode: mount`.
struct UnitEnum<'a> {
    de: NodeDe<'a>,
    /// The variant the name is read as when it is written in another case.
    folded: Option<&'static str>,
}

impl<'de, 'a> EnumAccess<'de> for UnitEnum<'a> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), DeError> {
        let v = match self.folded {
            Some(variant) => seed
                .deserialize(de::value::StrDeserializer::<DeError>::new(variant))
                .map_err(|e| e.at(self.de.node.span, self.de.owner))?,
            None => seed.deserialize(self.de)?,
        };
        Ok((v, self))
    }
}

impl<'de, 'a> VariantAccess<'de> for UnitEnum<'a> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, DeError> {
        Err(self.de.wrong("a mapping with `type`"))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _v: V) -> Result<V::Value, DeError> {
        Err(self.de.wrong("a mapping with `type`"))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _f: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, DeError> {
        Err(self.de.wrong("a mapping with `type`"))
    }
}

/// An enum written as a mapping whose `type` key names the variant; the other keys are its body.
struct TaggedEnum<'a> {
    de: NodeDe<'a>,
    tag: Tag<'a>,
}

/// Where the variant name of a [`TaggedEnum`] comes from.
#[derive(Clone, Copy)]
enum Tag<'a> {
    /// The value of the `type` key.
    Node(&'a Node),
    /// The value of the `type` key, a variant written in another case.
    Folded(&'a Node, &'static str),
    /// No `type` key: the enum's default variant.
    Default(&'static str),
}

impl<'de, 'a> EnumAccess<'de> for TaggedEnum<'a> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), DeError> {
        let v = match self.tag {
            Tag::Node(node) => {
                let tag = self.de.child(node, None);
                seed.deserialize(tag).map_err(|e| e.at(node.span, None))?
            }
            Tag::Folded(node, name) => seed
                .deserialize(de::value::StrDeserializer::<DeError>::new(name))
                .map_err(|e| e.at(node.span, None))?,
            Tag::Default(name) => seed
                .deserialize(de::value::StrDeserializer::<DeError>::new(name))
                .map_err(|e| e.at(self.de.node.span, self.de.owner))?,
        };
        Ok((v, self))
    }
}

impl<'a> TaggedEnum<'a> {
    fn body(&self) -> NodeDe<'a> {
        NodeDe { skip_tag: true, ..self.de }
    }
}

impl<'de, 'a> VariantAccess<'de> for TaggedEnum<'a> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        for (k, _) in self.body().entries() {
            self.de.ctx.recovered.borrow_mut().push(DeError {
                kind: DeErrorKind::UnknownField { field: k.key_string(), expected: &[TAG] },
                span: Some(k.span),
            });
        }
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self.body())
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _v: V) -> Result<V::Value, DeError> {
        Err(self.de.wrong("a name"))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_struct(self.body(), "", fields, v)
    }
}

#[cfg(test)]
#[allow(dead_code)] // The test structs' fields are there to be read by serde.
mod tests {
    use super::*;
    use crate::yaml::{Limits, Map, Spanned, parse};
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Step {
        script_name: Spanned<String>,
        #[serde(default)]
        arguments: Vec<Spanned<String>>,
        allow_reuse: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        steps: Map<Step>,
        kind: Option<Kind>,
        mode: Option<Mode>,
    }

    #[derive(Debug, Deserialize)]
    enum Kind {
        Script(Script),
        Notebook { path: Spanned<String> },
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Script {
        name: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Mount,
        Download,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename = "$sluice::case=lower", rename_all = "snake_case")]
    enum LooseMode {
        RoMount,
        Download,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename = "$sluice::case=snake")]
    enum Identity {
        #[serde(rename = "user_identity")]
        User {},
        #[serde(rename = "aml_token")]
        Token {},
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Loose {
        mode: Option<LooseMode>,
        identity: Option<Identity>,
    }

    #[test]
    fn enums_that_ask_for_it_read_names_in_another_case() {
        let doc: Loose = read("mode: RO_Mount\nidentity: {type: UserIdentity}\n").unwrap();
        assert_eq!(doc.mode, Some(LooseMode::RoMount));
        assert_eq!(doc.identity, Some(Identity::User {}));
        let doc: Loose = read("mode: DOWNLOAD\nidentity: {type: AMLToken}\n").unwrap();
        assert_eq!((doc.mode, doc.identity), (Some(LooseMode::Download), Some(Identity::Token {})));
        // camel_to_snake makes `user__identity` of this, which is no variant.
        let text = "identity: {type: User_Identity}\n";
        let errors = read::<Loose>(text).unwrap_err();
        assert!(matches!(errors[0].kind, DeErrorKind::UnknownVariant { .. }), "{errors:?}");
        assert_eq!(at(text, &errors[0]), "User_Identity");
        // Other enums stay exact.
        let errors = read::<Doc>("steps: {}\nmode: Mount\n").unwrap_err();
        assert!(matches!(errors[0].kind, DeErrorKind::UnknownVariant { .. }), "{errors:?}");
    }

    fn read<T: DeserializeOwned + Send>(text: &str) -> Result<T, Vec<DeError>> {
        let (node, errors) = parse(text, &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        from_node(&node.unwrap(), text)
    }

    fn at(text: &str, e: &DeError) -> String {
        let s = e.span.unwrap();
        text[s.start as usize..s.end as usize].to_string()
    }

    #[test]
    fn reads_spans_and_numbers_as_text() {
        let text = "steps:\n  a:\n    script_name: 1.10\n    arguments: [x, 'y']\n";
        let doc: Doc = read(text).unwrap();
        let (key, step) = &doc.steps.entries[0];
        assert_eq!(step.allow_reuse, None);
        assert_eq!(key.value, "a");
        assert_eq!(step.script_name.value, "1.10");
        assert_eq!(&text[step.arguments[1].span.start as usize..step.arguments[1].span.end as usize], "'y'");
    }

    #[test]
    fn reports_every_unknown_key() {
        let text = "steps:\n  a:\n    scrpt_name: x\n    argments: []\n  b:\n    script_name: y\n    allow_reus: true\n";
        let errors = read::<Doc>(text).unwrap_err();
        let keys: Vec<String> = errors.iter().map(|e| at(text, e)).collect();
        assert!(keys.contains(&"scrpt_name".to_string()), "{errors:?}");
        assert!(keys.contains(&"argments".to_string()));
        assert!(keys.contains(&"allow_reus".to_string()));
    }

    #[test]
    fn missing_keys_point_at_the_owner() {
        let text = "steps:\n  a:\n    arguments: []\n";
        let errors = read::<Doc>(text).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(matches!(errors[0].kind, DeErrorKind::MissingField { field: "script_name" }));
        assert_eq!(at(text, &errors[0]), "a");
    }

    #[test]
    fn a_misspelt_required_key_is_one_mistake() {
        let text = "steps:\n  a:\n    scrpt_name: x\n  b:\n    argments: []\n";
        let errors = read::<Doc>(text).unwrap_err();
        let found: Vec<(String, bool)> = errors
            .iter()
            .map(|e| (at(text, e), matches!(e.kind, DeErrorKind::MissingField { .. })))
            .collect();
        // `scrpt_name` stands for the missing `script_name`; `b` still lacks it.
        assert_eq!(
            found,
            vec![("scrpt_name".to_string(), false), ("argments".to_string(), false), ("b".to_string(), true)]
        );
    }

    #[test]
    fn wrong_types_point_at_the_value() {
        let text = "steps:\n  a:\n    script_name: x\n    allow_reuse: yes\n";
        let errors = read::<Doc>(text).unwrap_err();
        assert_eq!(at(text, &errors[0]), "yes");
        assert!(errors[0].message().contains("`true` or `false`"), "{}", errors[0].message());
    }

    #[test]
    fn enums_tagged_by_type() {
        let text = "steps: {}\nkind:\n  type: Notebook\n  path: nb.ipynb\nmode: mount\n";
        let doc: Doc = read(text).unwrap();
        let Some(Kind::Notebook { path }) = doc.kind else { panic!() };
        assert_eq!(
            at(text, &DeError { kind: DeErrorKind::Custom(String::new()), span: Some(path.span) }),
            "nb.ipynb"
        );
        assert_eq!(doc.mode, Some(Mode::Mount));

        let text = "steps: {}\nkind:\n  type: Notebok\n";
        let errors = read::<Doc>(text).unwrap_err();
        assert!(matches!(errors[0].kind, DeErrorKind::UnknownVariant { .. }));
        assert_eq!(at(text, &errors[0]), "Notebok");

        let doc: Doc = read("steps: {}\nkind:\n  type: Script\n  name: a\n").unwrap();
        assert!(matches!(doc.kind, Some(Kind::Script(Script { ref name })) if name == "a"));

        let text = "steps: {}\nkind:\n  type: Script\n  name: a\n  nme: b\n";
        let errors = read::<Doc>(text).unwrap_err();
        assert_eq!(at(text, &errors[0]), "nme");

        let text = "steps: {}\nmode: mont\n";
        let errors = read::<Doc>(text).unwrap_err();
        assert_eq!(at(text, &errors[0]), "mont");
    }
}
