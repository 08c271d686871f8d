//! A step's command line. A v1 script step runs `python3 <script> <arguments>` (the interpreter
//! is `SLUICE_PYTHON` when set), each `input:x`/`output:x`/`parameter:x` one argument of its
//! own; a step with a command template (v2) runs it with `bash -c` (`sh -c` where bash is
//! missing), each `${{inputs.x}}`/`${{outputs.y}}` replaced by its path or value quoted so that
//! the shell reads it as literal text in one word (see [`crate::shell`]; Azure ML pastes it
//! as it is), and each `$[[ ... ]]` kept only when every placeholder in it has a value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sluice_compiler::ir::{Arg, Arguments, CommandPart, ComponentOrigin, Invocation, Step, StepKind};

use crate::plan::InputValue;
use crate::shell::{CommandText, Dialect};

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
    let argv = build(step, inputs, outputs, state_dir)?;
    // Text written in the pipeline file (a YAML "\0") cannot be an argument either.
    if let Some(a) = argv.iter().flatten().find(|a| a.contains('\0')) {
        let shown: String = a.chars().take(80).collect();
        return Err(format!(
            "argument `{}` holds a NUL byte, which no program argument can carry",
            shown.escape_default()
        ));
    }
    Ok(argv)
}

fn build(
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
    if let Some(problem) = nul_problem(inputs) {
        return Err(problem);
    }
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
    let values = Values { input: &input, output: &output };
    if let Some(spec) = parallel {
        // python3 <driver> <entry script> <arguments>: the driver calls the script's functions.
        let entry = spec
            .entry_script
            .as_ref()
            .or(step.invocation.script())
            .ok_or("the parallel step has no entry script")?;
        let driver = crate::parallel::driver_path(state_dir).to_string_lossy().into_owned();
        let mut argv = vec![python(), driver, entry.raw.value.clone()];
        match &step.invocation {
            Invocation::Command(template)
            | Invocation::Script { arguments: Arguments::Template(template), .. } => {
                argv.extend(crate::parallel::split_words(&values.render(&template.parts, Dialect::Words)?));
            }
            Invocation::Script { arguments: Arguments::List(list), .. } => {
                argv.extend(arguments(list, &input, &output)?);
            }
            Invocation::None => {}
        }
        return Ok(Some(argv));
    }
    match &step.invocation {
        Invocation::Command(cmd) => {
            let text = values.render(&cmd.parts, Dialect::Sh)?;
            Ok(Some(vec![shell().to_string(), "-c".to_string(), text]))
        }
        Invocation::Script { script: Some(script), arguments: args } => {
            let mut argv = vec![python(), script.raw.value.clone()];
            match args {
                Arguments::List(list) => argv.extend(arguments(list, &input, &output)?),
                Arguments::Template(t) => {
                    argv.extend(crate::parallel::split_words(&values.render(&t.parts, Dialect::Words)?));
                }
            }
            Ok(Some(argv))
        }
        Invocation::Script { script: None, .. } | Invocation::None => {
            Err(match step.component.as_deref().map(|c| &c.origin) {
                Some(ComponentOrigin::Registered(r)) => {
                    format!(
                        "its component `{}` is registered in Azure ML; sluice cannot see its command",
                        r.value
                    )
                }
                _ => "the step has no script or command".to_string(),
            })
        }
    }
}

/// A v1 step's arguments with placeholders replaced.
fn arguments(
    args: &[Arg],
    input: &dyn Fn(&str) -> Result<String, String>,
    output: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Vec<String>, String> {
    let mut argv = Vec::new();
    for a in args {
        argv.push(match a {
            Arg::Literal(s) => s.value.clone(),
            Arg::Input(n) | Arg::Parameter(n) | Arg::SideInput(n) => input(&n.value)?,
            Arg::Output(n) => output(&n.value)?,
        });
    }
    Ok(argv)
}

/// Why a template could not be filled.
enum Unfilled {
    /// A placeholder has no value (an optional fragment holding it is dropped).
    Missing(String),
    /// A value cannot be put where it stands.
    Refused(String),
}

/// Where a template's placeholders find their values.
struct Values<'a> {
    input: &'a dyn Fn(&str) -> Result<String, String>,
    output: &'a dyn Fn(&str) -> Result<String, String>,
}

impl Values<'_> {
    /// The template with each value quoted for `dialect`.
    fn render(&self, parts: &[CommandPart], dialect: Dialect) -> Result<String, String> {
        let mut text = CommandText::new(dialect);
        match self.fill(parts, &mut text) {
            Ok(()) => text.finish().map_err(|e| e.to_string()),
            Err(Unfilled::Missing(e) | Unfilled::Refused(e)) => Err(e),
        }
    }

    fn fill(&self, parts: &[CommandPart], text: &mut CommandText) -> Result<(), Unfilled> {
        let refused = |e: crate::shell::ShellError| Unfilled::Refused(e.to_string());
        for p in parts {
            match p {
                CommandPart::Text(t) => text.push_text(t).map_err(refused)?,
                CommandPart::Input(n) => {
                    let v = (self.input)(&n.value).map_err(Unfilled::Missing)?;
                    text.push_value(&format!("input `{}`", n.value), &v).map_err(refused)?;
                }
                CommandPart::Output(n) => {
                    let v = (self.output)(&n.value).map_err(Unfilled::Missing)?;
                    text.push_value(&format!("output `{}`", n.value), &v).map_err(refused)?;
                }
                // Kept whole when every placeholder inside has a value, else dropped; a value
                // that cannot be quoted is an error either way.
                CommandPart::Optional(inner) => {
                    let mut trial = text.clone();
                    match self.fill(inner, &mut trial) {
                        Ok(()) => *text = trial,
                        Err(Unfilled::Missing(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }
}

/// The first input whose value holds a NUL byte, which no argument or environment variable can
/// carry, in words.
pub fn nul_problem(inputs: &BTreeMap<String, InputValue>) -> Option<String> {
    inputs.iter().find_map(|(name, v)| {
        let at = v.text()?.find('\0')?;
        Some(format!(
            "the value of input `{name}` holds a NUL byte (at byte {at}), which no program argument or environment variable can carry"
        ))
    })
}

/// A step's own environment variables (v2 `environment_variables`), with `${{inputs.x}}` and
/// `${{outputs.y}}` in their values replaced as in its command.
pub fn environment_variables(
    step: &Step,
    inputs: &BTreeMap<String, InputValue>,
    outputs: &BTreeMap<String, PathBuf>,
) -> Vec<(String, String)> {
    step.environment_variables.iter().map(|(k, v)| (k.clone(), substitute(v, inputs, outputs))).collect()
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
