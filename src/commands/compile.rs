//! `sluice compile`: Azure ML request bodies (`--target azureml`) or v2 YAML
//! (`--target azureml-yaml`).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sluice_compiler::emit::azureml;
use sluice_compiler::session::Session;

use super::{Outcome, print_diagnostics, session};
use crate::cli::{CompileArgs, CompileTarget};

/// Compiles each file; prints (or writes) the product of those that check clean.
pub fn run(args: &CompileArgs) -> Result<Outcome> {
    let mut s = session(&args.workspace)?;
    match args.target {
        CompileTarget::Azureml => bodies(args, &mut s),
        CompileTarget::AzuremlYaml => yaml(args, &mut s),
    }
}

/// The payload of one file, or `None` when it has errors (reported into the session).
fn payload(s: &mut Session, file: &Path) -> Result<Option<azureml::Payload>> {
    let Some(c) = s.compile(file)? else { return Ok(None) };
    match azureml::emit(&c.pipeline, &c.workspace, &s.sources) {
        Ok(p) => {
            s.diagnostics.extend(p.warnings.clone());
            Ok(Some(p))
        }
        Err(ds) => {
            s.diagnostics.extend(ds);
            Ok(None)
        }
    }
}

/// `--target azureml`: one file gives one JSON object; several give one JSON line each.
fn bodies(args: &CompileArgs, s: &mut Session) -> Result<Outcome> {
    let mut failed = false;
    let text = if let [file] = args.files.as_slice() {
        match payload(s, file)? {
            Some(p) => Some(format!("{}\n", serde_json::to_string_pretty(&p.to_json())?)),
            None => {
                failed = true;
                None
            }
        }
    } else {
        let mut lines = String::new();
        for file in &args.files {
            let line = match payload(s, file)? {
                Some(p) => json!({"file": file, "ok": true, "body": p.body, "components": p.components}),
                None => {
                    failed = true;
                    json!({"file": file, "ok": false, "body": Value::Null, "components": Value::Null})
                }
            };
            lines.push_str(&serde_json::to_string(&line)?);
            lines.push('\n');
        }
        // With several files, the lines of those that compiled are the product; the others
        // say they failed. With `-o`, nothing is written unless every file compiled.
        (!failed || args.output.is_none()).then_some(lines)
    };
    print_diagnostics(s);
    if let Some(text) = text {
        match &args.output {
            Some(path) => write_atomically(path, text.as_bytes())?,
            None => print_stdout(&text),
        }
    }
    Ok(if failed { Outcome::Failure } else { Outcome::Success })
}

/// `--target azureml-yaml -o DIR`: `DIR/pipeline.yml` and its component files.
fn yaml(args: &CompileArgs, s: &mut Session) -> Result<Outcome> {
    let Some(dir) = &args.output else {
        bail!("`--target azureml-yaml` writes a folder: give it with `-o DIR`");
    };
    let [file] = args.files.as_slice() else {
        bail!("`--target azureml-yaml` compiles one pipeline file at a time");
    };
    let files = match s.compile(file)? {
        Some(c) => match azureml::emit_yaml(&c.pipeline, &c.workspace, &s.sources, dir) {
            Ok(y) => {
                s.diagnostics.extend(y.warnings);
                Some(y.files)
            }
            Err(ds) => {
                s.diagnostics.extend(ds);
                None
            }
        },
        None => None,
    };
    print_diagnostics(s);
    let Some(files) = files else { return Ok(Outcome::Failure) };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        write_atomically(&path, text.as_bytes())?;
    }
    Ok(Outcome::Success)
}

/// Writes a file through a temporary file in the same folder and a rename, so a reader never
/// sees half of it.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in `{}`", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.flush())
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    tmp.persist(path).map_err(|e| e.error).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

/// Writes the product to stdout; a reader that went away (`| head`) is not an error.
fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}
