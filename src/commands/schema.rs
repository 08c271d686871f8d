//! `sluice schema`.

use anyhow::{Context, Result};
use sluice_compiler::schema;

use super::Outcome;
use crate::cli::SchemaArgs;

/// Writes (or, with `--check`, compares) every schema.
pub fn run(args: &SchemaArgs) -> Result<Outcome> {
    let mut stale = Vec::new();
    if !args.check {
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create `{}`", args.out.display()))?;
    }
    for s in schema::all() {
        let path = args.out.join(s.file_name);
        if args.check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(s.json.as_str()) {
                stale.push(path);
            }
            continue;
        }
        // Write to a temporary file and rename, so a reader never sees half a schema.
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, &s.json).with_context(|| format!("cannot write `{}`", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write `{}`", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    for p in &stale {
        eprintln!(
            "{} differs from the generated schema; run `sluice schema --out {}`",
            p.display(),
            args.out.display()
        );
    }
    Ok(if stale.is_empty() { Outcome::Success } else { Outcome::Failure })
}
