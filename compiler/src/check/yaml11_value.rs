//! `yaml11-value`: a plain scalar of a v2 file that Azure ML reads as another value than sluice.
//!
//! sluice reads YAML 1.2 (booleans are `true` and `false` only); azure-ai-ml reads YAML 1.1 with
//! PyYAML, where `yes`, `no`, `on`, `off` (in three casings) are booleans, `017` is octal (15),
//! `1_000` is 1000, `1:30` is 90, and `1e-3` and `0o17` are text. Such a value means one thing to
//! `sluice check` and `sluice run` and another in Azure, so it is worth a warning; the payloads
//! `sluice compile` makes use Azure's reading. `True` and `False` are not reported: every YAML
//! reader but sluice's strict mode agrees they are booleans; nor is `1e-3`: the typed fields it
//! reaches (`default` of a number input, limits) parse the text as the same number.

use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::source::FileId;
use crate::yaml::yaml11::{self, Scalar11};
use crate::yaml::{Node, Value};

/// A plain scalar of a v2 file reads as another value in YAML 1.1, as Azure ML reads it.
pub const RULE: Rule = Rule {
    code: "yaml11-value",
    severity: Severity::Warning,
    summary: "A plain value in a v2 file (`yes`, `off`, `017`, `1_000`, `1e-3`) is read differently by Azure ML (YAML 1.1) than by sluice (YAML 1.2).",
};

/// Reports every plain scalar of `node` (keys too) that YAML 1.1 reads otherwise.
pub fn check(file: FileId, node: &Node, text: &str, out: &mut Diagnostics) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|i| check(file, i, text, out)),
        Value::Map(entries) => {
            for (k, v) in entries {
                check(file, k, text, out);
                check(file, v, text, out);
            }
        }
        _ => {
            if !yaml11::reads_differently(node, text) {
                return;
            }
            let eleven = yaml11::scalar(node, text);
            // `True`/`False` spell booleans for every reader but sluice's strict one.
            let raw = text.get(node.span.start as usize..node.span.end as usize).unwrap_or("").trim();
            if matches!(raw, "True" | "False" | "TRUE" | "FALSE") {
                return;
            }
            // `1e-3` is text to PyYAML, but every typed field it reaches parses it as a number.
            if matches!((&eleven, &node.value), (Scalar11::Str(_), Value::Float(_))) {
                return;
            }
            let (azure, help) = match &eleven {
                Scalar11::Bool(b) => (
                    format!("the boolean {b}"),
                    format!("write `{b}` for a boolean, or quote it (`'{raw}'`) for text"),
                ),
                Scalar11::Int(i) => {
                    (format!("the number {i}"), format!("write `{i}` for the number, or quote it (`'{raw}'`) for text"))
                }
                Scalar11::Float(f) => (
                    format!("the number {}", crate::python::python_float(*f)),
                    format!("write `{}` for the number, or quote it for text", crate::python::python_float(*f)),
                ),
                Scalar11::Str(_) => (
                    format!("the text \"{raw}\""),
                    "quote it for text, or write the number with a dot and a signed exponent (`1.0e-3`)".to_string(),
                ),
                Scalar11::Null => ("nothing (null)".to_string(), "quote it for text".to_string()),
            };
            let sluice = match &node.value {
                Value::Str(s) => format!("the text \"{s}\""),
                Value::Int(i) => format!("the number {i}"),
                Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("the number {}", *f as i64),
                Value::Float(f) => format!("the number {}", crate::python::python_float(*f)),
                Value::Bool(b) => format!("the boolean {b}"),
                _ => "another value".to_string(),
            };
            out.push(
                RULE.at(file, node.span, format!("`{raw}` is {azure} to Azure ML (YAML 1.1) but {sluice} to sluice"))
                    .with_help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let (node, _) = crate::yaml::parse(text, &crate::yaml::Limits::default());
        let mut out = Diagnostics::new();
        check(FileId(0), &node.expect("parses"), text, &mut out);
        out.into_vec().into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn yaml_1_1_readings_are_reported() {
        let text = "a: yes\nb: 'yes'\nc: True\nd: 017\ne: 1e-3\nf: 1_000\ng: x\nh: 3\ni: 0o17\nj: off\n";
        assert_eq!(
            found(text),
            [
                "`yes` is the boolean true to Azure ML (YAML 1.1) but the text \"yes\" to sluice",
                "`017` is the number 15 to Azure ML (YAML 1.1) but the number 17 to sluice",
                "`0o17` is the text \"0o17\" to Azure ML (YAML 1.1) but the number 15 to sluice",
                "`off` is the boolean false to Azure ML (YAML 1.1) but the text \"off\" to sluice",
            ]
        );
    }
}
