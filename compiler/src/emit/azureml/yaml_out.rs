//! v2 YAML files from the v2 document (`sluice compile --target azureml-yaml -o DIR`):
//! `DIR/pipeline.yml`, and `DIR/components/<name>.yml` for each component read from (or, for a
//! v1 step, made as) its own file. Relative paths (code folders, conda files, build contexts,
//! local data) are rewritten to point from the new files to the same places, so azure-ai-ml
//! loads the files into the same request body (local data paths are the exception: the body
//! carries them as written, so theirs change with the new location).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use super::doc::{ComponentDoc, JobDoc, Origin, PipelineDoc};
use super::pyyaml;

/// Schema URLs written at the top of each file (editors validate against them).
const PIPELINE_SCHEMA: &str = "https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json";

/// The files of the document, as (path relative to `out`, text).
pub fn files(doc: &PipelineDoc, out: &Path) -> Vec<(PathBuf, String)> {
    let out = crate::paths::absolute(out);
    let mut w = Writer { out: out.clone(), files: Vec::new(), written: HashMap::new() };
    let mut fields = Map::new();
    fields.insert("$schema".into(), PIPELINE_SCHEMA.into());
    fields.insert("type".into(), "pipeline".into());
    for (k, v) in &doc.fields {
        if k == "$schema" || k == "type" {
            continue;
        }
        let v = if k == "inputs" { rewrite_inputs(v, &doc.dir, &out) } else { v.clone() };
        fields.insert(k.clone(), v);
    }
    let jobs: Map<String, Value> = doc.jobs.iter().map(|j| (j.name.clone(), w.job(j, &out))).collect();
    fields.insert("jobs".into(), jobs.into());
    let mut files =
        vec![(PathBuf::from("pipeline.yml"), header() + &pyyaml::dump_portable(&Value::Object(fields)))];
    files.append(&mut w.files);
    files
}

fn header() -> String {
    "# Written by `sluice compile --target azureml-yaml`.\n".to_string()
}

struct Writer {
    /// The output folder (absolute).
    out: PathBuf,
    /// Component files written so far.
    files: Vec<(PathBuf, String)>,
    /// Component file written for each component body (by its folder and text), so one used
    /// by several jobs is written once.
    written: HashMap<String, PathBuf>,
}

impl Writer {
    /// A job as written into a file in folder `at`.
    fn job(&mut self, job: &JobDoc, at: &Path) -> Value {
        let mut f = job.fields.clone();
        if let Some(v) = f.get("inputs").cloned() {
            f.insert("inputs".into(), rewrite_inputs(&v, &job.dir, at));
        }
        // A job written in place carries its component's paths itself.
        rewrite_component_paths(&mut f, &job.dir, at);
        let key = if f.contains_key("trial") { "trial" } else { "component" };
        match (&job.component, f.get(key).cloned()) {
            // A prompt flow stays where it is.
            (Some(c), _) if c.flow.is_some() => {
                let referenced = c.flow.as_ref().map(|fl| fl.referenced.clone()).unwrap_or_default();
                f.insert(key.into(), relative(at, &referenced).into());
            }
            (Some(c), Some(Value::Object(_))) => {
                let body = self.component_body(c, at);
                f.insert(key.into(), Value::Object(body));
            }
            (Some(c), _) => {
                let rel = self.component_file(c, &job.name);
                let path = relative(at, &self.out.join(&rel));
                let reference = match c.origin {
                    Origin::InPlace => format!("file:{path}"),
                    Origin::File => path,
                };
                f.insert(key.into(), reference.into());
            }
            _ => {}
        }
        Value::Object(f)
    }

    /// A component body rewritten to live in folder `at`.
    fn component_body(&mut self, c: &ComponentDoc, at: &Path) -> Map<String, Value> {
        let mut f = c.fields.clone();
        rewrite_component_paths(&mut f, &c.dir, at);
        if !c.jobs.is_empty() {
            let jobs: Map<String, Value> = c.jobs.iter().map(|j| (j.name.clone(), self.job(j, at))).collect();
            f.insert("jobs".into(), jobs.into());
        }
        f
    }

    /// Writes a component into `components/` (once); gives its path relative to the output.
    fn component_file(&mut self, c: &ComponentDoc, job_name: &str) -> PathBuf {
        let dir = self.out.join("components");
        let body = self.component_body(c, &dir);
        let text = pyyaml::dump_portable(&Value::Object(body));
        let key = format!("{}\n{text}", c.dir.display());
        if let Some(p) = self.written.get(&key) {
            return p.clone();
        }
        let stem = c.fields.get("name").and_then(Value::as_str).unwrap_or(job_name);
        let stem: String = stem
            .chars()
            .map(|ch| if ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' { ch } else { '_' })
            .collect();
        let mut rel = PathBuf::from("components").join(format!("{stem}.yml"));
        let mut n = 2;
        while self.files.iter().any(|(p, _)| p == &rel) {
            rel = PathBuf::from("components").join(format!("{stem}_{n}.yml"));
            n += 1;
        }
        self.files.push((rel.clone(), header() + &text));
        self.written.insert(key, rel.clone());
        rel
    }
}

/// Local paths among `inputs` (`{path: ./data}`) made relative to `to` instead of `from`.
fn rewrite_inputs(inputs: &Value, from: &Path, to: &Path) -> Value {
    let Value::Object(m) = inputs else { return inputs.clone() };
    let mut out = Map::new();
    for (k, v) in m {
        let mut v = v.clone();
        if let Value::Object(spec) = &mut v
            && let Some(Value::String(p)) = spec.get("path")
            && is_local(p)
        {
            let new = relative(to, &from.join(p.strip_prefix("file:").unwrap_or(p)));
            spec.insert("path".into(), new.into());
        }
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// `code`, an environment's conda file and build context, `additional_includes` and a parallel
/// task's code and environment, made relative to `to` instead of `from`.
fn rewrite_component_paths(f: &mut Map<String, Value>, from: &Path, to: &Path) {
    let fix = |v: &mut Value| {
        if let Value::String(p) = v
            && is_local(p)
        {
            *v = relative(to, &from.join(p.strip_prefix("file:").unwrap_or(p))).into();
        }
    };
    if let Some(v) = f.get_mut("code") {
        fix(v);
    }
    if let Some(Value::Array(items)) = f.get_mut("additional_includes") {
        items.iter_mut().for_each(fix);
    }
    let env_fix = |env: &mut Value| {
        if let Value::Object(e) = env {
            if let Some(v) = e.get_mut("conda_file") {
                fix(v);
            }
            if let Some(Value::Object(b)) = e.get_mut("build")
                && let Some(v) = b.get_mut("path")
            {
                fix(v);
            }
        }
    };
    if let Some(env) = f.get_mut("environment") {
        env_fix(env);
    }
    if let Some(Value::Object(task)) = f.get_mut("task") {
        if let Some(v) = task.get_mut("code") {
            fix(v);
        }
        if let Some(env) = task.get_mut("environment") {
            env_fix(env);
        }
    }
}

/// True for a path on this machine (not a URI, a registered asset or a binding).
fn is_local(p: &str) -> bool {
    let lower = p.to_ascii_lowercase();
    !(p.contains("://")
        || lower.starts_with("azureml:")
        || lower.starts_with("http:")
        || lower.starts_with("https:")
        || lower.starts_with("git+")
        || p.contains("${{")
        || p.starts_with("/subscriptions/"))
}

/// `to` as a path relative to folder `from` (`./x`, `../y/z`); both absolute.
pub fn relative(from: &Path, to: &Path) -> String {
    let from = crate::check::path_escapes_root::normalize(from);
    let to = crate::check::path_escapes_root::normalize(to);
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return to.to_string_lossy().into_owned();
    }
    let mut parts: Vec<String> = Vec::new();
    for _ in common..a.len() {
        parts.push("..".into());
    }
    for c in &b[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    if parts.is_empty() {
        return ".".into();
    }
    let joined = parts.join("/");
    if joined.starts_with("..") { joined } else { format!("./{joined}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b/c")), "./c");
        assert_eq!(relative(Path::new("/a/b/out"), Path::new("/a/b/src/x")), "../src/x");
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b")), ".");
        assert_eq!(relative(Path::new("/a/b/c"), Path::new("/a/./d/../e")), "../../e");
    }
}
