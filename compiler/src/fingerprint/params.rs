//! Values of pipeline parameters for one plan or run: each parameter's default, or the value
//! given on the command line (`-p NAME=VALUE`), read as the parameter's type.

use crate::ir::{Literal, Pipeline};
use crate::suggest::did_you_mean;

/// The value of every pipeline input, by index in [`Pipeline::inputs`] (`None`: no value, or a
/// data input).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParameterValues {
    /// Values by input index.
    pub values: Vec<Option<Literal>>,
    /// Names set on the command line.
    pub overridden: Vec<String>,
}

impl ParameterValues {
    /// The value of input `index`.
    pub fn get(&self, index: usize) -> Option<&Literal> {
        self.values.get(index).and_then(Option::as_ref)
    }

    /// Every parameter with a value, by name, as JSON (for the run store).
    pub fn to_json(&self, pipeline: &Pipeline) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (input, value) in pipeline.inputs.iter().zip(&self.values) {
            if let Some(v) = value {
                m.insert(input.name.value.clone(), v.to_json());
            }
        }
        m.into()
    }
}

/// A `-p NAME=VALUE` that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParameterError {
    /// Not of the form `NAME=VALUE`.
    #[error("`{0}` is not NAME=VALUE")]
    Syntax(String),
    /// No pipeline parameter has this name.
    #[error("the pipeline has no parameter `{name}`{}", hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    Unknown {
        /// The name given.
        name: String,
        /// A "did you mean" or the list of parameters.
        hint: Option<String>,
    },
    /// The value does not fit the parameter's type.
    #[error("parameter `{name}`: {message}")]
    BadValue {
        /// The parameter.
        name: String,
        /// Why.
        message: String,
    },
    /// The same parameter is given twice (`-p x=1 -p x=2`).
    #[error("parameter `{name}` is given twice: `-p {name}={first}` and `-p {name}={second}`; give it once")]
    Repeated {
        /// The parameter.
        name: String,
        /// The first value given.
        first: String,
        /// The second.
        second: String,
    },
    /// The parameter is a data input: it takes data, not a value.
    #[error("parameter `{name}` is a data input (a datastore path); `-p` sets value parameters only")]
    DataInput {
        /// The parameter.
        name: String,
    },
}

/// Splits `NAME=VALUE`.
pub fn split_assignment(text: &str) -> Result<(String, String), ParameterError> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), value.to_string())),
        _ => Err(ParameterError::Syntax(text.to_string())),
    }
}

/// The values of `pipeline`'s inputs: defaults, then `overrides` (name, value as text) read as
/// each parameter's type.
pub fn resolve(
    pipeline: &Pipeline,
    overrides: &[(String, String)],
) -> Result<ParameterValues, ParameterError> {
    let mut values: Vec<Option<Literal>> =
        pipeline.inputs.iter().map(|i| i.default.as_ref().map(|d| d.value.clone())).collect();
    let mut overridden = Vec::new();
    for (i, (name, text)) in overrides.iter().enumerate() {
        if let Some((_, second)) = overrides[i + 1..].iter().find(|(n, _)| n == name) {
            return Err(ParameterError::Repeated {
                name: name.clone(),
                first: text.clone(),
                second: second.clone(),
            });
        }
        let Some(index) = pipeline.inputs.iter().position(|i| i.name.value == *name) else {
            let names: Vec<&str> = pipeline.inputs.iter().map(|i| i.name.as_str()).collect();
            let hint = did_you_mean(name, &names).or_else(|| {
                (!names.is_empty())
                    .then(|| format!("its parameters are {}", crate::suggest::list_names(&names, 12)))
            });
            return Err(ParameterError::Unknown { name: name.clone(), hint });
        };
        let input = &pipeline.inputs[index];
        let ty = input.effective_type();
        if input.data.is_some() || ty.is_some_and(|t| !t.is_literal()) {
            return Err(ParameterError::DataInput { name: name.clone() });
        }
        let value = Literal::parse_as(text, ty)
            .map_err(|message| ParameterError::BadValue { name: name.clone(), message })?;
        values[index] = Some(value);
        overridden.push(name.clone());
    }
    Ok(ParameterValues { values, overridden })
}
