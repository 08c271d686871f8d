//! Value and data types.

use std::fmt;

use crate::python::python_float;

/// The type of a port, parameter or pipeline input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataType {
    /// A single file.
    UriFile,
    /// A folder.
    UriFolder,
    /// A folder with an `MLTable` file.
    Mltable,
    /// An MLflow model folder.
    MlflowModel,
    /// A model in any layout.
    CustomModel,
    /// A Triton model repository.
    TritonModel,
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
}

impl DataType {
    /// Every type, for "did you mean" and schemas.
    pub const ALL: [DataType; 10] = [
        DataType::UriFile,
        DataType::UriFolder,
        DataType::Mltable,
        DataType::MlflowModel,
        DataType::CustomModel,
        DataType::TritonModel,
        DataType::String,
        DataType::Integer,
        DataType::Number,
        DataType::Boolean,
    ];

    /// The v2 name: `uri_folder`, `integer`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::UriFile => "uri_file",
            DataType::UriFolder => "uri_folder",
            DataType::Mltable => "mltable",
            DataType::MlflowModel => "mlflow_model",
            DataType::CustomModel => "custom_model",
            DataType::TritonModel => "triton_model",
            DataType::String => "string",
            DataType::Integer => "integer",
            DataType::Number => "number",
            DataType::Boolean => "boolean",
        }
    }

    /// The type with this v2 name.
    pub fn parse(name: &str) -> Option<DataType> {
        DataType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// True for literal types (string, integer, number, boolean).
    pub fn is_literal(self) -> bool {
        matches!(self, DataType::String | DataType::Integer | DataType::Number | DataType::Boolean)
    }

    /// True when a value of type `source` may be bound to a port of this type without failing at
    /// run time.
    pub fn accepts(self, source: DataType) -> bool {
        use DataType::*;
        match (self, source) {
            (a, b) if a == b => true,
            (Number, Integer) => true,
            (String, Integer | Number | Boolean) => true,
            // Folders and folder-shaped assets mount alike.
            (UriFolder, Mltable | MlflowModel | CustomModel | TritonModel) => true,
            (Mltable | MlflowModel | CustomModel | TritonModel, UriFolder) => true,
            (CustomModel, MlflowModel | TritonModel) => true,
            _ => false,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// Text.
    Str(String),
    /// A whole number.
    Int(i64),
    /// A number.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl Literal {
    /// The literal's own type.
    pub fn data_type(&self) -> DataType {
        match self {
            Literal::Str(_) => DataType::String,
            Literal::Int(_) => DataType::Integer,
            Literal::Float(_) => DataType::Number,
            Literal::Bool(_) => DataType::Boolean,
        }
    }

    /// The value as text, as passed on a command line (Python's spelling, as Azure ML passes it).
    pub fn to_text(&self) -> String {
        match self {
            Literal::Str(s) => s.clone(),
            Literal::Int(i) => i.to_string(),
            Literal::Float(f) => python_float(*f),
            Literal::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        }
    }

    /// Canonical JSON (for fingerprints and plans).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Literal::Str(s) => s.clone().into(),
            Literal::Int(i) => (*i).into(),
            Literal::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| python_float(*f).into()),
            Literal::Bool(b) => (*b).into(),
        }
    }

    /// Reads a value given on the command line (`-p name=value`) as `ty`.
    pub fn parse_as(text: &str, ty: Option<DataType>) -> Result<Literal, String> {
        match ty {
            Some(DataType::Integer) => text.trim().parse::<i64>().map(Literal::Int).map_err(|e| {
                if matches!(
                    e.kind(),
                    std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
                ) {
                    format!("`{text}` is out of the range of a 64-bit integer ({} to {})", i64::MIN, i64::MAX)
                } else {
                    format!("`{text}` is not an integer")
                }
            }),
            Some(DataType::Number) => match text.trim().parse::<f64>() {
                // `nan`, `inf` and numbers past f64's range (`1e400` reads as infinity) are no
                // value a step can be given, and would not round-trip through JSON.
                Ok(v) if !v.is_finite() => Err(format!(
                    "`{text}` is not a finite number{}",
                    if v.is_nan() { "" } else { " (it is past the range of a 64-bit float)" }
                )),
                Ok(v) => Ok(Literal::Float(v)),
                Err(_) => Err(format!("`{text}` is not a number")),
            },
            Some(DataType::Boolean) => match text.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Literal::Bool(true)),
                "false" => Ok(Literal::Bool(false)),
                _ => Err(format!("`{text}` is not `true` or `false`")),
            },
            _ => Ok(Literal::Str(text.to_string())),
        }
    }

    /// True when this literal is a valid value of `ty`.
    pub fn fits(&self, ty: DataType) -> bool {
        ty.accepts(self.data_type()) || !ty.is_literal() && matches!(self, Literal::Str(_))
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility() {
        assert!(DataType::UriFolder.accepts(DataType::Mltable));
        assert!(!DataType::UriFile.accepts(DataType::UriFolder));
        assert!(!DataType::UriFolder.accepts(DataType::UriFile));
        assert!(DataType::Number.accepts(DataType::Integer));
        assert!(!DataType::Integer.accepts(DataType::Number));
        assert!(!DataType::Integer.accepts(DataType::UriFolder));
    }

    #[test]
    fn literals_fit_types() {
        assert!(Literal::Int(3).fits(DataType::Number));
        assert!(!Literal::Str("x".into()).fits(DataType::Integer));
        assert!(Literal::Str("./data".into()).fits(DataType::UriFolder));
        assert_eq!(Literal::parse_as("0.5", Some(DataType::Number)), Ok(Literal::Float(0.5)));
        assert!(Literal::parse_as("x", Some(DataType::Integer)).is_err());
        for text in ["nan", "NaN", "inf", "-inf", "infinity", "1e400", "-1e309"] {
            let e = Literal::parse_as(text, Some(DataType::Number)).unwrap_err();
            assert!(e.contains("not a finite number"), "{text}: {e}");
        }
        assert_eq!(Literal::parse_as("1e308", Some(DataType::Number)), Ok(Literal::Float(1e308)));
        let e = Literal::parse_as("9223372036854775808", Some(DataType::Integer)).unwrap_err();
        assert!(e.contains("out of the range of a 64-bit integer"), "{e}");
        assert_eq!(
            Literal::parse_as("-9223372036854775808", Some(DataType::Integer)),
            Ok(Literal::Int(i64::MIN))
        );
    }
}
