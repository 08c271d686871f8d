//! A serde deserializer over [`Node`] trees.
//!
//! Why not deserialize straight from the text: this one keeps a span for every `Spanned<T>`
//! (also inside enums), reports every unknown key of a file instead of the first, points
//! "missing key" errors at the key that owns the mapping, and reads externally tagged Rust enums
//! from mappings tagged by a `type` key, so step and job kinds keep their own fields and spans.

mod access;
mod error;

use access::*;
pub use error::*;

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

/// How a node tree is read into typed structures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Numbers and booleans are not text where text is wanted: the Azure ML SDK v1 checks
    /// `isinstance(value, str)` and refuses `name: 5`. Mapping keys stay lenient.
    pub strict_strings: bool,
    /// A malformed value of one key of a mapping does not hide the other mistakes of the same
    /// mapping: the key is set aside and the mapping read again without it (a few passes at
    /// most), so its missing keys and wrong siblings are reported too.
    pub recover: bool,
}

/// Most passes [`ReadOptions::recover`] makes: one per mistake of the mapping with the most.
const MAX_PASSES: usize = 12;

/// Reads a node into `T`. All unknown keys are reported; any other error stops at the first.
pub fn from_node<T: DeserializeOwned + Send>(node: &Node, text: &str) -> Result<T, Vec<DeError>> {
    super::on_big_stack(|| read(node, text, ReadOptions::default()))
}

/// Reads a node into `T` as `options` say. All unknown keys are reported; with
/// [`ReadOptions::recover`], every malformed value too.
pub fn from_node_with<T: DeserializeOwned + Send>(
    node: &Node,
    text: &str,
    options: ReadOptions,
) -> Result<T, Vec<DeError>> {
    super::on_big_stack(|| read(node, text, options))
}

/// Reads a node into `T`, keeping the value when the only problems are unknown keys (which are
/// left out), so that later stages can still report their own findings. Every error is returned.
pub fn from_node_partial<T: DeserializeOwned + Send>(node: &Node, text: &str) -> (Option<T>, Vec<DeError>) {
    super::on_big_stack(|| {
        let ctx = Ctx::new(text, ReadOptions::default());
        let result = T::deserialize(NodeDe::root(node, &ctx));
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

fn read<T: DeserializeOwned>(node: &Node, text: &str, options: ReadOptions) -> Result<T, Vec<DeError>> {
    let ctx = Ctx::new(text, options);
    let mut result = T::deserialize(NodeDe::root(node, &ctx));
    // Each pass sets aside the keys whose values failed and reads again, so the next mistake
    // of the same mapping shows.
    for _ in 1..MAX_PASSES {
        if !ctx.retry.get() {
            break;
        }
        ctx.retry.set(false);
        ctx.dropped.set(false);
        ctx.recovered.borrow_mut().clear();
        result = T::deserialize(NodeDe::root(node, &ctx));
    }
    let mut errors = ctx.set_aside.into_inner();
    // A set, not `errors.contains`: a file with 40,000 unknown keys made that quadratic.
    let mut seen: std::collections::HashSet<DeError> = errors.iter().cloned().collect();
    for e in ctx.recovered.into_inner() {
        if seen.insert(e.clone()) {
            errors.push(e);
        }
    }
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
    options: ReadOptions,
    /// Errors reported without stopping (unknown keys).
    recovered: RefCell<Vec<DeError>>,
    /// An entry of a mapping was left out because its value could not be read.
    dropped: std::cell::Cell<bool>,
    /// Keys (by span) whose values failed in an earlier pass: later passes read a stand-in of
    /// the kind that was expected instead (so the other required keys are still looked for), or
    /// skip the key when no stand-in fits.
    hidden: RefCell<std::collections::HashMap<Span, Option<&'static Node>>>,
    /// The errors of the hidden keys, kept across passes.
    set_aside: RefCell<Vec<DeError>>,
    /// A key was hidden in this pass: read again.
    retry: std::cell::Cell<bool>,
}

impl<'a> Ctx<'a> {
    fn new(text: &'a str, options: ReadOptions) -> Self {
        Ctx {
            text,
            options,
            recovered: RefCell::new(Vec::new()),
            dropped: std::cell::Cell::new(false),
            hidden: RefCell::new(std::collections::HashMap::new()),
            set_aside: RefCell::new(Vec::new()),
            retry: std::cell::Cell::new(false),
        }
    }
}

#[derive(Clone, Copy)]
struct NodeDe<'a> {
    node: &'a Node,
    ctx: &'a Ctx<'a>,
    /// Span of the key whose value this node is.
    owner: Option<Span>,
    /// Hide the `type` key (the node is the body of a tagged enum variant).
    skip_tag: bool,
    /// A mapping key: read as text whatever its YAML type.
    key: bool,
    /// The case rule of the struct this node is a field of, for an enum read from it.
    case: Case,
}

impl<'a> NodeDe<'a> {
    fn root(node: &'a Node, ctx: &'a Ctx<'a>) -> NodeDe<'a> {
        NodeDe { node, ctx, owner: None, skip_tag: false, key: false, case: Case::Exact }
    }

    fn child(&self, node: &'a Node, owner: Option<Span>) -> NodeDe<'a> {
        NodeDe { node, ctx: self.ctx, owner, skip_tag: false, key: false, case: Case::Exact }
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
            // A plain scalar the SDK's YAML reader types (a date, `1_000`) is not text to it.
            Value::Str(s) if self.ctx.options.strict_strings && !self.key && self.raw() == s => {
                match super::ruamel::non_text(s) {
                    Some(what) => Err(DeError {
                        kind: DeErrorKind::InvalidType {
                            found: format!("`{s}`, which the SDK's YAML reader takes for {what} (quote it)"),
                            expected: "a string".to_string(),
                        },
                        span: Some(self.node.span),
                    }),
                    None => self.fix(v.visit_str(s)),
                }
            }
            Value::Str(s) => self.fix(v.visit_str(s)),
            Value::Int(_) | Value::Float(_) | Value::Bool(_)
                if self.ctx.options.strict_strings && !self.key =>
            {
                Err(self.wrong("a string"))
            }
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
                let hidden: Vec<String> = {
                    let set = self.ctx.hidden.borrow();
                    self.entries()
                        .filter(|(k, _)| set.contains_key(&k.span))
                        .map(|(k, _)| key_name(k).into_owned())
                        .collect()
                };
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
                    // A required key set aside for its malformed value was reported already.
                    Err(DeError { kind: DeErrorKind::MissingField { field }, .. })
                        if hidden.iter().any(|h| h == field) =>
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

#[cfg(test)]
#[allow(dead_code)] // The test structs' fields are there to be read by serde.
mod tests;
