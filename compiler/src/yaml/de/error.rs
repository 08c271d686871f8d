//! What reading a node into a type reports: the kind of mistake and where.

use super::*;

/// What went wrong while reading a node into a typed structure.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{}", self.message())]
pub struct DeError {
    /// What went wrong.
    pub kind: DeErrorKind,
    /// Where, once known.
    pub span: Option<Span>,
}

impl DeError {
    pub(super) fn new(kind: DeErrorKind) -> Self {
        DeError { kind, span: None }
    }

    /// Sets the span unless a deeper one is already set.
    pub(super) fn at(mut self, span: Span, owner: Option<Span>) -> Self {
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
