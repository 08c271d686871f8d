//! DataTransferStep on this machine (issue 12, item 5): the source (a local file or folder, or
//! the cached copy of a cloud one) is copied into the step's output, each file checked against
//! the source's SHA-256 after the copy, and the output is then published to the destination's
//! datastore (any kind) like an output on a cloud datastore ([`crate::remote::publish`]).
//!
//! A data reference that a DataTransferStep of the same pipeline writes is read by later steps
//! as that step's output ([`rebind`]): it does not exist before the run, so it cannot be hashed
//! or listed when the run is planned, and its content is the transfer's.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sluice_compiler::ir::{DataLocation, Pipeline, Source, StepId, StepKind};

/// The pipeline with each DataTransferStep's destination data reference made its output's
/// datastore and path, and every later read of that data reference made a read of the output.
/// `None` when the pipeline has no DataTransferStep writing a data reference.
pub fn rebind(p: &Pipeline) -> Option<Pipeline> {
    let mut writes: Vec<(StepId, usize)> = Vec::new();
    for (i, s) in p.steps.iter().enumerate() {
        if let StepKind::DataTransfer { destination, .. } = &s.kind
            && let Some(d) = p.data.iter().position(|d| d.name.value == destination.value)
        {
            writes.push((StepId(i), d));
        }
    }
    if writes.is_empty() {
        return None;
    }
    let mut out = p.clone();
    for &(id, d) in &writes {
        if let DataLocation::Datastore { datastore, path } = &p.data[d].location
            && let Some(o) = out.steps[id.0].outputs.iter_mut().find(|o| o.name.value == "destination")
        {
            o.datastore = Some(datastore.clone());
            o.path = Some(path.clone());
        }
    }
    for (i, step) in out.steps.iter_mut().enumerate() {
        for port in &mut step.inputs {
            if let Source::Data { index, .. } = &port.source
                && let Some(&(writer, _)) = writes.iter().find(|(w, d)| d == index && w.0 != i)
                && p.dag.dependencies(StepId(i)).contains(&writer)
            {
                port.source = Source::StepOutput {
                    step: writer,
                    output: "destination".to_string(),
                    at: port.name.clone(),
                };
            }
        }
    }
    Some(out)
}

/// Copies `src` (a file or folder) into the folder `dest`: a file as `dest/<its name>`, a
/// folder's files under `dest`. Each copy is read back and compared with the source's SHA-256.
/// Returns the files and bytes copied.
pub fn copy_verified(src: &Path, dest: &Path) -> Result<(usize, u64), String> {
    std::fs::create_dir_all(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let meta = std::fs::metadata(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
    if meta.is_file() {
        let name = src.file_name().ok_or_else(|| format!("{} has no file name", src.display()))?;
        let n = copy_file(src, &dest.join(name))?;
        return Ok((1, n));
    }
    let (mut files, mut bytes) = (0, 0);
    for (rel, is_dir) in entries_below(src)? {
        let (f, t) = (src.join(&rel), dest.join(&rel));
        if is_dir {
            std::fs::create_dir_all(&t).map_err(|e| format!("cannot create {}: {e}", t.display()))?;
        } else {
            bytes += copy_file(&f, &t)?;
            files += 1;
        }
    }
    Ok((files, bytes))
}

/// With `data_copy_mode: fail_if_conflict`: the first file that two of the inputs would both
/// copy to the same place, named with both inputs. The outer error is one of reading.
pub fn conflict(sources: &[(String, PathBuf)]) -> Result<Option<String>, String> {
    let mut seen: std::collections::HashMap<PathBuf, &str> = std::collections::HashMap::new();
    for (name, src) in sources {
        for rel in relative_files(src)? {
            if let Some(first) = seen.insert(rel.clone(), name) {
                return Ok(Some(format!(
                    "`{}` is in both input `{first}` and input `{name}`, and the copy mode is `fail_if_conflict`",
                    rel.display()
                )));
            }
        }
    }
    Ok(None)
}

/// The files a copy of `src` puts into its destination, relative to it (a file: its name).
fn relative_files(src: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
    if meta.is_file() {
        return Ok(src.file_name().map(PathBuf::from).into_iter().collect());
    }
    Ok(entries_below(src)?.into_iter().filter(|(_, is_dir)| !is_dir).map(|(rel, _)| rel).collect())
}

/// Every folder and file below the folder `src`, relative to it, each folder before what it
/// holds; `true` for a folder.
fn entries_below(src: &Path) -> Result<Vec<(PathBuf, bool)>, String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = src.join(&rel);
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for e in entries {
            let e = e.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            let path = e.path();
            let is_dir = std::fs::metadata(&path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?
                .is_dir();
            let r = rel.join(e.file_name());
            if is_dir {
                stack.push(r.clone());
            }
            out.push((r, is_dir));
        }
    }
    Ok(out)
}

/// Copies one file, hashing what was read, then reads the copy back and compares.
fn copy_file(src: &Path, dst: &Path) -> Result<u64, String> {
    let err = |p: &Path, e: std::io::Error| {
        format!("cannot copy {} to {}: {e} ({})", src.display(), dst.display(), p.display())
    };
    let mut from = std::fs::File::open(src).map_err(|e| err(src, e))?;
    let mut to = std::fs::File::create(dst).map_err(|e| err(dst, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = from.read(&mut buf).map_err(|e| err(src, e))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        to.write_all(&buf[..k]).map_err(|e| err(dst, e))?;
        n += k as u64;
    }
    to.sync_all().map_err(|e| err(dst, e))?;
    drop(to);
    let want = h.finalize();
    let got = sha256_file(dst).map_err(|e| err(dst, e))?;
    if got != want.as_slice() {
        return Err(format!(
            "the copy of {} at {} differs from it after the copy (SHA-256 mismatch)",
            src.display(),
            dst.display()
        ));
    }
    Ok(n)
}

fn sha256_file(p: &Path) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(p)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            return Ok(h.finalize().to_vec());
        }
        h.update(&buf[..k]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_files_and_folders_checked() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("a.csv"), "a,b\n1,2\n").unwrap();
        std::fs::write(src.join("sub/b.txt"), "x").unwrap();
        assert_eq!(copy_verified(&src, &dir.path().join("out")).unwrap(), (2, 9));
        assert_eq!(std::fs::read_to_string(dir.path().join("out/sub/b.txt")).unwrap(), "x");
        assert_eq!(copy_verified(&src.join("a.csv"), &dir.path().join("one")).unwrap(), (1, 8));
        assert!(dir.path().join("one/a.csv").is_file());
    }
}
