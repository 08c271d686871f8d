//! A step's command line. A v1 script step runs `python3 <script> <arguments>` (the interpreter
//! is `SLUICE_PYTHON` when set); a step with a command template (v2) runs it with `bash -c`
//! (`sh -c` where bash is missing), each `${{inputs.x}}`/`${{outputs.y}}` replaced by its path or
//! value as text, as Azure ML does, and each `$[[ ... ]]` kept only when every placeholder in it
//! has a value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sluice_compiler::ir::{Arg, CommandPart, ComponentOrigin, Step, StepKind};

use crate::plan::InputValue;

/// The Python interpreter for script steps: `SLUICE_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("SLUICE_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "python3".to_string())
}

/// The shell for command templates: `bash` when on `PATH`, else `sh`.
pub fn shell() -> &'static str {
    if find_program("bash").is_some() { "bash" } else { "sh" }
}

/// The full path of a program as the operating system would find it (a name with a `/` is
/// taken as a path).
pub fn find_program(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = Path::new(name);
        return p.is_file().then(|| p.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// The argv of a step with its inputs and outputs at these places; `None` for kinds sluice does
/// not run itself. `state_dir` holds the driver of parallel steps.
pub fn command_line(
    step: &Step,
    inputs: &BTreeMap<String, InputValue>,
    outputs: &BTreeMap<String, PathBuf>,
    state_dir: &Path,
) -> Result<Option<Vec<String>>, String> {
    let parallel = match &step.kind {
        StepKind::Command => None,
        StepKind::Parallel(spec) => Some(spec),
        _ => return Ok(None),
    };
    let input = |name: &str| -> Result<String, String> {
        match inputs.get(name).and_then(InputValue::text) {
            Some(t) => Ok(t),
            None => Err(format!("input `{name}` has no value")),
        }
    };
    let output = |name: &str| -> Result<String, String> {
        outputs
            .get(name)
            .map(|p| p.to_string_lossy().into_owned())
            .ok_or_else(|| format!("no output `{name}`"))
    };
    if let Some(spec) = parallel {
        // python3 <driver> <entry script> <arguments>: the driver calls the script's functions.
        let entry = spec
            .entry_script
            .as_ref()
            .or(step.script.as_ref())
            .ok_or("the parallel step has no entry script")?;
        let driver = crate::parallel::driver_path(state_dir).to_string_lossy().into_owned();
        let mut argv = vec![python(), driver, entry.raw.value.clone()];
        if let Some(cmd) = &step.command {
            argv.extend(crate::parallel::split_words(&render(&cmd.parts, &input, &output)?));
        }
        argv.extend(arguments(step, &input, &output)?);
        return Ok(Some(argv));
    }
    if let Some(cmd) = &step.command {
        let text = render(&cmd.parts, &input, &output)?;
        return Ok(Some(vec![shell().to_string(), "-c".to_string(), text]));
    }
    let Some(script) = &step.script else {
        return Err(match step.component.as_deref().map(|c| &c.origin) {
            Some(ComponentOrigin::Registered(r)) => {
                format!(
                    "its component `{}` is registered in Azure ML; sluice cannot see its command",
                    r.value
                )
            }
            _ => "the step has no script or command".to_string(),
        });
    };
    let mut argv = vec![python(), script.raw.value.clone()];
    argv.extend(arguments(step, &input, &output)?);
    Ok(Some(argv))
}

/// A v1 step's arguments with placeholders replaced.
fn arguments(
    step: &Step,
    input: &dyn Fn(&str) -> Result<String, String>,
    output: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Vec<String>, String> {
    let mut argv = Vec::new();
    for a in &step.arguments {
        argv.push(match a {
            Arg::Literal(s) => s.value.clone(),
            Arg::Input(n) | Arg::Parameter(n) | Arg::SideInput(n) => input(&n.value)?,
            Arg::Output(n) => output(&n.value)?,
        });
    }
    Ok(argv)
}

fn render(
    parts: &[CommandPart],
    input: &dyn Fn(&str) -> Result<String, String>,
    output: &dyn Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut s = String::new();
    for p in parts {
        match p {
            CommandPart::Text(t) => s.push_str(t),
            CommandPart::Input(n) => s.push_str(&input(&n.value)?),
            CommandPart::Output(n) => s.push_str(&output(&n.value)?),
            // Kept whole when every placeholder inside has a value, else dropped.
            CommandPart::Optional(inner) => {
                if let Ok(t) = render(inner, input, output) {
                    s.push_str(&t);
                }
            }
        }
    }
    Ok(s)
}

/// A step's own environment variables (v2 `environment_variables`), with `${{inputs.x}}` and
/// `${{outputs.y}}` in their values replaced as in its command.
pub fn environment_variables(
    step: &Step,
    inputs: &BTreeMap<String, InputValue>,
    outputs: &BTreeMap<String, PathBuf>,
) -> Vec<(String, String)> {
    let Some(serde_json::Value::Object(vars)) = step.settings.get("environment_variables") else {
        return Vec::new();
    };
    vars.iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), substitute(&text, inputs, outputs))
        })
        .collect()
}

/// Replaces each `${{inputs.x}}` / `${{outputs.y}}` in `text` (others stay as written).
pub fn substitute(
    text: &str,
    inputs: &BTreeMap<String, InputValue>,
    outputs: &BTreeMap<String, PathBuf>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let Some(len) = rest[start..].find("}}") else { break };
        let inner = rest[start + 3..start + len].trim();
        let value = if let Some(name) = inner.strip_prefix("inputs.") {
            inputs.get(name).and_then(InputValue::text)
        } else if let Some(name) = inner.strip_prefix("outputs.") {
            outputs.get(name).map(|p| p.to_string_lossy().into_owned())
        } else {
            None
        };
        out.push_str(&rest[..start]);
        match value {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_text_are_replaced() {
        let inputs = BTreeMap::from([("lr".to_string(), InputValue::Value(0.5.into()))]);
        let outputs = BTreeMap::from([("m".to_string(), PathBuf::from("/o/m"))]);
        assert_eq!(
            substitute("a ${{inputs.lr}} b ${{ outputs.m }} c ${{x.y}}", &inputs, &outputs),
            "a 0.5 b /o/m c ${{x.y}}"
        );
        assert_eq!(substitute("${{inputs.missing}} ${{", &inputs, &outputs), "${{inputs.missing}} ${{");
    }
}
