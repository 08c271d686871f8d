//! The serde access types over a node: sequences, mappings, unit and tagged enums.

use super::*;

/// Hands `(start, end, value)` to `Spanned<T>`.
pub(super) struct SpannedSeq<'a> {
    pub(super) de: NodeDe<'a>,
    pub(super) state: u8,
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

pub(super) struct SeqDe<'a> {
    pub(super) de: NodeDe<'a>,
    pub(super) iter: std::slice::Iter<'a, Node>,
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

pub(super) struct MapDe<'a> {
    pub(super) de: NodeDe<'a>,
    pub(super) fields: Option<&'static [&'static str]>,
    pub(super) entries: Vec<(&'a Node, &'a Node)>,
    pub(super) next: usize,
    /// The case rule the struct's own enum fields are read with.
    pub(super) case: Case,
}

/// Stand-ins for values of keys set aside by an earlier pass, one per kind a value may be
/// expected to have; they are never seen outside a read that fails.
static STAND_INS: [(&str, Node); 6] = [
    ("a string", Node { span: Span { start: 0, end: 0 }, value: Value::Str(String::new()) }),
    ("a list", Node { span: Span { start: 0, end: 0 }, value: Value::Seq(Vec::new()) }),
    ("a mapping", Node { span: Span { start: 0, end: 0 }, value: Value::Map(Vec::new()) }),
    ("`true` or `false`", Node { span: Span { start: 0, end: 0 }, value: Value::Bool(false) }),
    ("an integer", Node { span: Span { start: 0, end: 0 }, value: Value::Int(0) }),
    ("a number", Node { span: Span { start: 0, end: 0 }, value: Value::Float(0.0) }),
];

/// The stand-in for a value whose own kind was wrong (`expected` said what it should be).
fn stand_in(e: &DeError, value: &Node) -> Option<&'static Node> {
    match &e.kind {
        DeErrorKind::InvalidType { expected, .. } if e.span.is_none_or(|s| s == value.span) => {
            STAND_INS.iter().find(|(kind, _)| kind == expected).map(|(_, node)| node)
        }
        _ => None,
    }
}

impl<'a> MapDe<'a> {
    /// With `fields`, keys outside it are skipped (they were reported already), and the values of
    /// keys set aside by an earlier pass are stood in for (or the keys skipped).
    pub(super) fn new(de: NodeDe<'a>, fields: Option<&'static [&'static str]>) -> Self {
        let hidden = de.ctx.hidden.borrow();
        let entries = de
            .entries()
            .filter(|(k, _)| fields.is_none_or(|f| f.contains(&key_name(k).as_ref())))
            .filter_map(|(k, v)| match hidden.get(&k.span).filter(|_| fields.is_some()) {
                None => Some((k, v)),
                Some(Some(stand_in)) => Some((k, *stand_in)),
                Some(None) => None,
            })
            .collect();
        drop(hidden);
        MapDe { de, fields, entries, next: 0, case: Case::Exact }
    }
}

impl<'de, 'a> MapAccess<'de> for MapDe<'a> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        match self.entries.get(self.next) {
            Some((k, _)) => seed.deserialize(NodeDe { key: true, ..self.de.child(k, None) }).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(&(k, v)) = self.entries.get(self.next) else {
            return Err(de::Error::custom("value requested before key"));
        };
        self.next += 1;
        let r = seed.deserialize(NodeDe { case: self.case, ..self.de.child(v, Some(k.span)) });
        if self.fields.is_some() {
            // A key of a struct whose value is malformed: with recovery, set the key aside and
            // read the struct again with a stand-in for its value.
            return r.map_err(|e| {
                if !self.de.ctx.options.recover || e.kind == DeErrorKind::Recovered {
                    return e;
                }
                let e = e.at(v.span, Some(k.span));
                let stand_in = stand_in(&e, v);
                self.de.ctx.set_aside.borrow_mut().push(e);
                self.de.ctx.hidden.borrow_mut().insert(k.span, stand_in);
                self.de.ctx.retry.set(true);
                DeError::new(DeErrorKind::Recovered)
            });
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
pub(super) struct UnitEnum<'a> {
    pub(super) de: NodeDe<'a>,
    /// The variant the name is read as when it is written in another case.
    pub(super) folded: Option<&'static str>,
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
pub(super) struct TaggedEnum<'a> {
    pub(super) de: NodeDe<'a>,
    pub(super) tag: Tag<'a>,
}

/// Where the variant name of a [`TaggedEnum`] comes from.
#[derive(Clone, Copy)]
pub(super) enum Tag<'a> {
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
    pub(super) fn body(&self) -> NodeDe<'a> {
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
