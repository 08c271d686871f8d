//! Values spelt as Python and the Azure ML SDK spell them: float `repr`, marshmallow's booleans,
//! `${env:NAME}` references. Every layer formats values this way, so it sits below them all.

/// Python's truthiness of a value (`0`, `0.0`, `""`, `false`, `null`, empty collections are
/// false).
pub fn truthy(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// What marshmallow's `Boolean` field makes of a value: `true`, `'True'`, `yes`, `on`, `1`,
/// ... are true, their opposites false, anything else an error (`None`).
pub fn marshmallow_bool(v: &serde_json::Value) -> Option<bool> {
    const TRUTHY: [&str; 14] =
        ["t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1"];
    const FALSY: [&str; 14] =
        ["f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0"];
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        // `1` and `0` are in marshmallow's sets, and so is every number equal to them (`1.0`).
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        serde_json::Value::String(s) if TRUTHY.contains(&s.as_str()) => Some(true),
        serde_json::Value::String(s) if FALSY.contains(&s.as_str()) => Some(false),
        _ => None,
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

    #[test]
    fn booleans_as_marshmallow_reads_them() {
        use serde_json::json;
        for v in [json!(true), json!("True"), json!("yes"), json!("ON"), json!("1"), json!(1), json!(1.0)] {
            assert_eq!(marshmallow_bool(&v), Some(true), "{v}");
        }
        for v in [json!(false), json!("false"), json!("No"), json!("off"), json!("0"), json!(0)] {
            assert_eq!(marshmallow_bool(&v), Some(false), "{v}");
        }
        for v in [json!("sometimes"), json!("tRue"), json!(2), json!(null), json!([])] {
            assert_eq!(marshmallow_bool(&v), None, "{v}");
        }
    }
}
