//! The files a step names: RunConfiguration files (`runconfig:`) and ParallelRunConfig files
//! (`parallel_run_config:`). Each is read once per pipeline, its problems reported in its own
//! file. Paths inside them resolve as the SDK resolves them: a conda file from the run
//! configuration's folder, the rest from the pipeline file's folder (the SDK's working folder).

use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use super::{Lowerer, READ};
use crate::check::{conflicting_keys, invalid_value, missing_file, missing_key, wrong_type};
use crate::diagnostic::Diagnostics;
use crate::ir::{Name, PathRef};
use crate::lower::read_with;
use crate::source::{FileId, Span};
use crate::syntax::common::Scalar;
use crate::syntax::v1::parallel_run_config::{
    EnvironmentSpec, OutputAction, ParallelRunConfig, ParallelRunConfigFile,
};
use crate::syntax::v1::runconfig::{self, Problem, RunConfig};
use crate::yaml::Spanned;

/// The configuration files read for one pipeline, by resolved path (`None`: absent or unreadable).
#[derive(Default)]
pub(crate) struct Configs {
    runconfigs: HashMap<PathBuf, Option<Rc<LoadedRunConfig>>>,
    parallel: HashMap<PathBuf, Option<Rc<LoadedParallel>>>,
    /// The `compute_target_name` of parallel run configurations that could not be read, so
    /// that their steps are not also said to have no compute.
    parallel_compute: HashMap<PathBuf, Name>,
}

/// A run configuration and the files it names.
pub(crate) struct LoadedRunConfig {
    /// What sluice reads from it.
    pub config: RunConfig,
    /// Its conda file, when it names one that exists.
    pub conda: Option<PathRef>,
}

/// A parallel run configuration and where it was read from.
pub(crate) struct LoadedParallel {
    /// The file.
    pub file: FileId,
    /// Its configuration.
    pub config: ParallelRunConfig,
    /// Files it names whose content decides the step's result (an environment file).
    pub files: Vec<PathRef>,
}

impl LoadedParallel {
    /// A name written in the configuration file.
    pub fn name(&self, s: &Spanned<String>) -> Name {
        Name::new(self.file, s)
    }
}

impl Lowerer<'_, '_> {
    /// Reads the run configuration `raw` names (once) and returns the files it names that join
    /// the step's fingerprint. A missing file is reported by the missing-file check.
    pub(super) fn runconfig(&mut self, raw: &Spanned<String>) -> Vec<PathRef> {
        self.load_runconfig(raw).and_then(|rc| rc.conda.clone()).into_iter().collect()
    }

    /// What the run configuration `raw` names says, when it could be read.
    pub(super) fn runconfig_info(&mut self, raw: &Spanned<String>) -> Option<RunConfig> {
        self.load_runconfig(raw).map(|rc| rc.config.clone())
    }

    fn load_runconfig(&mut self, raw: &Spanned<String>) -> Option<Rc<LoadedRunConfig>> {
        let path = self.cx.dir.join(&raw.value);
        if let Some(hit) = self.configs.runconfigs.get(&path) {
            return hit.clone();
        }
        let loaded = self.read_runconfig(&path);
        self.configs.runconfigs.insert(path, loaded.clone());
        loaded
    }

    fn read_runconfig(&mut self, path: &std::path::Path) -> Option<Rc<LoadedRunConfig>> {
        if !path.is_file() {
            return None;
        }
        let file = self.loader.load(path)?;
        let node = self.loader.parse(file)?;
        let (config, problems) = runconfig::read(&node);
        for p in problems {
            self.loader.report(vec![match p {
                Problem::NoEnvironment { span, message } => missing_key::RULE
                    .at(file, span, message)
                    .with_help("write the RunConfiguration's `environment:` mapping (as `RunConfiguration.save` writes it)"),
                Problem::WrongType { span, message } => wrong_type::RULE.at(file, span, message),
            }]);
        }
        let dir = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
        let conda = config.conda_file.as_ref().and_then(|(f, span)| {
            let p =
                PathRef { raw: Name { value: f.clone(), file, span: *span }, base: dir.clone(), root: None };
            if p.resolved().is_file() {
                return Some(p);
            }
            self.loader.report(vec![
                missing_file::RULE.at(file, *span, format!("conda file `{f}` does not exist")).with_help(
                    format!(
                        "looked for `{}` (relative to the run configuration's folder)",
                        crate::source::shown_path(&p.resolved()).display()
                    ),
                ),
            ]);
            None
        });
        Some(Rc::new(LoadedRunConfig { config, conda }))
    }

    /// The compute a parallel run configuration that could not be read names, if it names one.
    pub(super) fn parallel_compute(&self, raw: &Spanned<String>) -> Option<Name> {
        self.configs.parallel_compute.get(&self.cx.dir.join(&raw.value)).cloned()
    }

    /// Reads the parallel run configuration `raw` names (once), reporting its problems.
    pub(super) fn parallel_config(&mut self, raw: &Spanned<String>) -> Option<Rc<LoadedParallel>> {
        let path = self.cx.dir.join(&raw.value);
        if let Some(hit) = self.configs.parallel.get(&path) {
            return hit.clone();
        }
        let loaded = self.read_parallel(&path).map(Rc::new);
        self.configs.parallel.insert(path, loaded.clone());
        loaded
    }

    fn read_parallel(&mut self, path: &std::path::Path) -> Option<LoadedParallel> {
        if !path.is_file() {
            return None;
        }
        let file = self.loader.load(path)?;
        let node = self.loader.parse(file)?;
        let Some(doc) = read_with::<ParallelRunConfigFile>(self.loader, file, &node, READ) else {
            let compute = node.get("parallel_run_config").and_then(|c| c.get("compute_target_name"));
            if let Some(c) = compute.filter(|c| c.as_str().is_some()) {
                let name = Name { value: c.as_str().unwrap_or_default().to_string(), file, span: c.span };
                self.configs.parallel_compute.insert(path.to_path_buf(), name);
            }
            return None;
        };
        let owner = node.entry("parallel_run_config").map(|(k, _)| k.span).unwrap_or(Span::point(0));
        let config = doc.parallel_run_config.value;
        let files = self.check_parallel(file, owner, &config);
        Some(LoadedParallel { file, config, files })
    }

    /// The checks of the SDK's `ParallelRunConfig`; returns the environment files it names.
    fn check_parallel(&mut self, file: FileId, owner: Span, c: &ParallelRunConfig) -> Vec<PathRef> {
        let mut found = Diagnostics::new();
        if c.entry_script.is_none() {
            found.push(
                missing_key::RULE
                    .at(file, owner, "missing required key `entry_script`")
                    .with_help("add `entry_script:`, the script with `init()` and `run(mini_batch)`"),
            );
        }
        self.parallel_counts(file, c, &mut found);
        parallel_batches(file, c, &mut found);
        parallel_environment(file, owner, c, &mut found);
        self.loader.report(found.into_vec());
        self.parallel_environment_files(file, c)
    }

    /// The counts of a `ParallelRunConfig`: each at least its minimum, nodes at most the
    /// cluster's, the failed percentage a percentage.
    fn parallel_counts(&self, file: FileId, c: &ParallelRunConfig, found: &mut Diagnostics) {
        let mut push = |d| found.push(d);
        let at_least = |v: &Option<Spanned<i64>>, min: i64, key: &str| {
            v.as_ref().filter(|v| v.value < min).map(|v| {
                invalid_value::RULE.at(
                    file,
                    v.span,
                    format!("`{key}` is {}; it must be {min} or more", v.value),
                )
            })
        };
        for d in [
            at_least(&Some(Spanned::new(c.node_count.value, c.node_count.span)), 1, "node_count"),
            at_least(&c.process_count_per_node, 1, "process_count_per_node"),
            at_least(&c.run_invocation_timeout, 1, "run_invocation_timeout"),
            at_least(&c.run_max_try, 1, "run_max_try"),
            at_least(
                &Some(Spanned::new(c.error_threshold.value, c.error_threshold.span)),
                -1,
                "error_threshold",
            ),
            at_least(&c.allowed_failed_count, -1, "allowed_failed_count"),
        ]
        .into_iter()
        .flatten()
        {
            push(d);
        }
        // An AmlCompute cluster has at most `max_instances` nodes (the SDK asks the workspace).
        let max = self
            .workspace
            .compute(&c.compute_target_name.value)
            .and_then(|compute| compute.settings.get("max_instances"))
            .and_then(serde_json::Value::as_i64);
        if let Some(max) = max
            && c.node_count.value > max
        {
            push(
                invalid_value::RULE
                    .at(
                        file,
                        c.node_count.span,
                        format!(
                            "`node_count` is {}, but cluster `{}` has at most {max} nodes",
                            c.node_count.value, c.compute_target_name.value
                        ),
                    )
                    .with_help(format!(
                        "ask for {max} nodes or fewer, or raise the cluster's `max_instances`"
                    )),
            );
        }
        if let Some(p) = &c.allowed_failed_percent
            && !(0.0..=100.0).contains(&p.value)
        {
            push(invalid_value::RULE.at(
                file,
                p.span,
                format!("`allowed_failed_percent` is {}; it must be between 0 and 100", p.value),
            ));
        }
    }

    /// The environment files a `ParallelRunConfig` names, when they exist (else reported).
    fn parallel_environment_files(&mut self, file: FileId, c: &ParallelRunConfig) -> Vec<PathRef> {
        let mut out = Vec::new();
        // Environment files: relative to the pipeline's folder (the SDK's working folder).
        let dir = self.cx.dir.clone();
        let named: Vec<(String, Span, &str, PathBuf)> = match (&c.environment, &c.environment_dir_path) {
            (Some(Spanned { value: EnvironmentSpec::File(f), span }), _) => {
                vec![(f.clone(), *span, "environment file", dir.join(f))]
            }
            (_, Some(d)) => vec![(
                format!("{}/azureml_environment.json", d.value.trim_end_matches('/')),
                d.span,
                "environment folder (with azureml_environment.json)",
                dir.join(&d.value).join("azureml_environment.json"),
            )],
            _ => Vec::new(),
        };
        for (raw, span, what, looked) in named {
            if looked.is_file() {
                out.push(PathRef { raw: Name { value: raw, file, span }, base: dir.clone(), root: None });
            } else {
                self.loader.report(vec![
                    missing_file::RULE.at(file, span, format!("{what} `{raw}` does not exist")).with_help(
                        format!(
                            "looked for `{}` (relative to the pipeline file's folder)",
                            crate::source::shown_path(&looked).display()
                        ),
                    ),
                ]);
            }
        }
        out
    }
}

/// How a `ParallelRunConfig` splits its input: a mini-batch size that is a count or a size, not
/// beside `partition_keys`; an `append_row_file_name` that is a file name.
fn parallel_batches(file: FileId, c: &ParallelRunConfig, found: &mut Diagnostics) {
    let mut push = |d| found.push(d);
    if let Some(m) = &c.mini_batch_size
        && !mini_batch_size_ok(&m.value)
    {
        push(
            invalid_value::RULE
                .at(
                    file,
                    m.span,
                    format!("`mini_batch_size` `{}` is not a count or a size", m.value.to_text()),
                )
                .with_help("give a number of files (`10`) or a size of tabular data (`1MB`, `512KB`, `1GB`)"),
        );
    }
    if let (Some(m), Some(keys)) = (&c.mini_batch_size, &c.partition_keys) {
        let at = keys.first().map(|k| k.span).unwrap_or(m.span);
        push(
            conflicting_keys::RULE
                .at(file, at, "`partition_keys` and `mini_batch_size` split the input in two ways; give one")
                .with_label(crate::diagnostic::Label::with_message(
                    file,
                    m.span,
                    "`mini_batch_size` given here",
                )),
        );
    }
    if c.output_action.value == OutputAction::AppendRow
        && let Some(name) = &c.append_row_file_name
        && name.value.chars().any(|ch| "~\"#%&*:<>?/\\{|}".contains(ch))
    {
        push(
            invalid_value::RULE
                .at(file, name.span, format!("`append_row_file_name` `{}` is not a file name", name.value))
                .with_help("use a plain file name, without `/` and the characters ~\"#%&*:<>?\\{|}"),
        );
    }
}

/// A `ParallelRunConfig` names exactly one environment.
fn parallel_environment(file: FileId, owner: Span, c: &ParallelRunConfig, found: &mut Diagnostics) {
    let mut push = |d| found.push(d);
    let envs: Vec<(&str, Span)> = [
        ("environment", c.environment.as_ref().map(|e| e.span)),
        ("environment_dir_path", c.environment_dir_path.as_ref().map(|e| e.span)),
        ("environment_name", c.environment_name.as_ref().map(|e| e.span)),
    ]
    .into_iter()
    .filter_map(|(k, s)| s.map(|s| (k, s)))
    .collect();
    match envs.as_slice() {
        [] => push(
            missing_key::RULE
                .at(file, owner, "the parallel run configuration names no environment")
                .with_help("add `environment_name: <registered environment>`, or `environment:` (a definition or its file)"),
        ),
        [_] => {}
        [(first, _), (second, at), ..] => push(
            conflicting_keys::RULE
                .at(file, *at, format!("both `{first}` and `{second}` give the environment; the SDK would use `{first}`"))
                .with_help("keep one"),
        ),
    }
}

/// `mini_batch_size` as the SDK takes it: a count, or text matching `^\d+([kKmMgG][bB])*$`.
fn mini_batch_size_ok(v: &Scalar) -> bool {
    match v {
        Scalar::Int(i) => *i >= 0,
        Scalar::Str(s) => {
            let digits = s.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                return false;
            }
            let rest = &s.as_bytes()[digits..];
            rest.len() % 2 == 0
                && rest.chunks(2).all(|c| {
                    matches!(c[0], b'k' | b'K' | b'm' | b'M' | b'g' | b'G') && matches!(c[1], b'b' | b'B')
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mini_batch_sizes() {
        for ok in ["10", "1MB", "512kb", "1Gb"] {
            assert!(mini_batch_size_ok(&Scalar::Str(ok.into())), "{ok}");
        }
        for bad in ["10XB", "MB", "1.5MB", "", "1 MB"] {
            assert!(!mini_batch_size_ok(&Scalar::Str(bad.into())), "{bad}");
        }
        assert!(mini_batch_size_ok(&Scalar::Int(5)));
        assert!(!mini_batch_size_ok(&Scalar::Float(1.5)));
        assert!(!mini_batch_size_ok(&Scalar::Bool(true)));
    }
}
