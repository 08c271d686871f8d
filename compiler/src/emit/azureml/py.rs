//! Small Python behaviours the SDK's bodies depend on: `str()` of a value, marshmallow's field
//! conversions, ISO 8601 durations, binding expressions.

use serde_json::{Map, Value};

use crate::python::python_float;

/// Python's `str()` of a YAML value (`True`, `1.0`, `None`).
pub fn str_of(v: &Value) -> String {
    match v {
        Value::Null => "None".to_string(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Value::Number(n) if n.is_f64() => python_float(n.as_f64().unwrap_or(0.0)),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        // Lists and mappings do not reach literal inputs (the SDK rejects them).
        other => other.to_string(),
    }
}

/// `float(v)` for a YAML value, as Python converts it (`"1e-3"` reads as 0.001).
pub fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_py_float(s),
        _ => None,
    }
}

/// `float(s)`: surrounding whitespace, `_` between digits, `inf`, `nan` allowed.
pub fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if ["inf", "infinity", "nan"].contains(&unsigned) {
        let neg = lower.starts_with('-');
        let v = if unsigned == "nan" { f64::NAN } else { f64::INFINITY };
        return Some(if neg { -v } else { v });
    }
    if t.contains("__") || t.starts_with('_') || t.ends_with('_') {
        return None;
    }
    t.replace('_', "").parse::<f64>().ok()
}

/// `int(float(v))`, as the SDK parses an integer input's value.
pub fn int_of(v: &Value) -> Option<i128> {
    match v {
        Value::Bool(b) => Some(i128::from(*b)),
        Value::Number(n) if !n.is_f64() => n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)),
        other => float_of(other).filter(|f| f.is_finite()).map(|f| f.trunc() as i128),
    }
}

/// The value marshmallow's `UnionField([Str(), Number(), Bool()])` loads: text stays text,
/// numbers become floats, booleans stay booleans.
pub fn union_str_number_bool(v: &Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map(|f| Value::from(PyFloat(f))).unwrap_or(Value::Null),
        other => other.clone(),
    }
}

/// The value `{value: v}` loads as (`UnionField([Str(), Bool(), Int(), Float()])`): text and
/// booleans stay, 0 and 1 become booleans, other numbers whole numbers (truncated).
pub fn literal_value_union(v: &Value) -> Value {
    match v {
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            if f == 0.0 || f == 1.0 {
                Value::Bool(f == 1.0)
            } else if n.is_f64() {
                Value::from(f.trunc() as i64)
            } else {
                v.clone()
            }
        }
        other => other.clone(),
    }
}

/// A float kept as a float in JSON (1.0, not 1).
pub struct PyFloat(pub f64);

impl From<PyFloat> for Value {
    fn from(f: PyFloat) -> Value {
        serde_json::Number::from_f64(f.0).map(Value::Number).unwrap_or_else(|| python_float(f.0).into())
    }
}

/// True for a string that is one `${{...}}` expression (what the SDK binds rather than passes as
/// text): `^\$\{\{\s*\S*?\s*\}\}$`.
pub fn is_binding(s: &str) -> bool {
    binding_path(s).is_some()
}

/// The path inside a string that is one `${{...}}` expression.
pub fn binding_path(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("${{")?.strip_suffix("}}")?;
    let path = inner.trim_matches(|c: char| c.is_whitespace());
    // `\S*?`: no whitespace inside, and the lazy match stops at the first `}}`.
    (!path.chars().any(char::is_whitespace) && !path.contains("}}")).then_some(path)
}

/// True when a string holds a `${{...}}` expression anywhere.
pub fn has_binding(s: &str) -> bool {
    s.find("${{").is_some_and(|i| s[i..].contains("}}"))
}

/// Seconds as an ISO 8601 duration, as `isodate.duration_isoformat(timedelta(seconds=s))`
/// writes it (`PT1M`, `PT2H5S`, `P1DT6H`, `P0D`).
pub fn iso_duration(seconds: f64) -> String {
    let negative = seconds < 0.0;
    let total = seconds.abs();
    let whole = total.trunc() as u64;
    let micros = ((total - total.trunc()) * 1e6).round() as u64;
    let days = whole / 86_400;
    let rest = whole % 86_400;
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let mut out = String::from(if negative { "-P" } else { "P" });
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if h > 0 || m > 0 || s > 0 || micros > 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 || micros > 0 {
            if micros > 0 {
                let frac = format!("{micros:06}");
                out.push_str(&format!("{s}.{}S", frac.trim_end_matches('0')));
            } else {
                out.push_str(&format!("{s}S"));
            }
        }
    } else if days == 0 {
        out.push_str("0D");
    }
    out
}

/// `convert_ordered_dict_to_dict(..., remove_empty=True)`: drops `None`, and mappings that are
/// empty or became empty, at every level (list items too; empty lists stay).
pub fn drop_empty(m: &mut Map<String, Value>) {
    for v in m.values_mut() {
        drop_empty_value(v);
    }
    m.retain(|_, v| !is_empty_target(v));
}

fn drop_empty_value(v: &mut Value) {
    match v {
        Value::Object(inner) => drop_empty(inner),
        Value::Array(items) => {
            items.iter_mut().for_each(drop_empty_value);
            items.retain(|i| !is_empty_target(i));
        }
        _ => {}
    }
}

fn is_empty_target(v: &Value) -> bool {
    v.is_null() || v.as_object().is_some_and(Map::is_empty)
}

/// `snake_case` to `camelCase` (`job_input_type` -> `jobInputType`).
pub fn camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Drops the `azureml:` prefix of a short reference (`azureml:cpu` -> `cpu`); `azureml://`
/// URIs stay as they are.
pub fn strip_azureml(s: &str) -> &str {
    if s.starts_with("azureml://") { s } else { s.strip_prefix("azureml:").unwrap_or(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_isodate_writes_them() {
        assert_eq!(iso_duration(60.0), "PT1M");
        assert_eq!(iso_duration(7200.0), "PT2H");
        assert_eq!(iso_duration(3661.0), "PT1H1M1S");
        assert_eq!(iso_duration(86_400.0 + 5.0), "P1DT5S");
        assert_eq!(iso_duration(0.0), "P0D");
        assert_eq!(iso_duration(1.5), "PT1.5S");
    }

    #[test]
    fn bindings_as_the_sdk_reads_them() {
        assert_eq!(binding_path("${{parent.inputs.x}}"), Some("parent.inputs.x"));
        assert_eq!(binding_path("${{ parent.inputs.x }}"), Some("parent.inputs.x"));
        assert_eq!(binding_path("${{parent.inputs.x}}/y"), None);
        assert_eq!(binding_path("a ${{parent.inputs.x}}"), None);
        assert!(has_binding("a ${{parent.inputs.x}}"));
    }

    #[test]
    fn python_strings() {
        assert_eq!(str_of(&serde_json::json!(1.0)), "1.0");
        assert_eq!(str_of(&serde_json::json!(true)), "True");
        assert_eq!(str_of(&serde_json::json!(20)), "20");
        assert_eq!(float_of(&serde_json::json!("1e-3")), Some(0.001));
        assert_eq!(int_of(&serde_json::json!("10.0")), Some(10));
        assert_eq!(camel("job_input_type"), "jobInputType");
    }
}
