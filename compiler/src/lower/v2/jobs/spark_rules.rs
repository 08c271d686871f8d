//! What azure-ai-ml validates of a Spark job before it sends it, read from
//! `entities/_job/spark_helpers.py`, `entities/_builders/spark.py` and the Spark schema: its
//! settings (`conf`) as `_validate_spark_configurations` reads them, that it names its own
//! compute or serverless resources but not both, that its file lists name no file twice, and
//! that the data it is given is in `direct` mode. Each refusal of the SDK is a diagnostic at the
//! key that causes it.

use super::*;
use crate::yaml::yaml11::{Scalar11, scalar};

use crate::ir::spark::{
    DRIVER_CORES, DYNAMIC_ALLOCATION as DYNAMIC, EXECUTOR_CORES, EXECUTOR_INSTANCES as INSTANCES,
    MAX_EXECUTORS as MAX, MIN_EXECUTORS as MIN, SIZES,
};

/// An example value for each required key, for the fix.
fn example(key: &str) -> &'static str {
    match key {
        DRIVER_CORES | INSTANCES => "1",
        EXECUTOR_CORES => "2",
        _ => "2g",
    }
}

/// A mapping node and the file it is written in.
#[derive(Clone, Copy)]
pub(super) struct At<'a> {
    /// The file.
    pub cx: &'a LowerCtx,
    /// The mapping (a job, or a component's body).
    pub node: &'a Node,
}

/// One setting as the SDK ends up with it, and where it is written.
struct Setting<'a> {
    value: Scalar11,
    cx: &'a LowerCtx,
    key: &'a Node,
    node: &'a Node,
}

impl Setting<'_> {
    /// Python's truth of the value.
    fn truthy(&self) -> bool {
        crate::python::truthy(&self.value.to_json())
    }

    /// The value as an integer, when it is one (azure-ai-ml compares these with numbers; a
    /// text such as `"2"` makes it fail).
    fn int(&self) -> Option<i128> {
        match self.value {
            Scalar11::Int(i) => Some(i),
            Scalar11::Bool(b) => Some(i128::from(b)),
            _ => None,
        }
    }
}

/// The `conf` entry `key` of a job or component, as YAML 1.1 reads it; `None` when absent or null.
fn conf_entry<'a>(at: Option<At<'a>>, key: &str) -> Option<Setting<'a>> {
    let at = at?;
    let (k, v) = at.node.get("conf")?.entry(key)?;
    let value = scalar(v, &at.cx.text);
    (value != Scalar11::Null).then_some(Setting { value, cx: at.cx, key: k, node: v })
}

/// The node's value when truthy, else the component's (`Spark.__init__`: `self.x or
/// _component.x`).
fn merged<'a>(job: At<'a>, component: Option<At<'a>>, key: &str) -> Option<Setting<'a>> {
    conf_entry(Some(job), key).filter(Setting::truthy).or_else(|| conf_entry(component, key))
}

impl Lowerer<'_> {
    /// Every check azure-ai-ml makes of a Spark job (`job`: its mapping, when there is one);
    /// `component` is the body it runs (the job itself when written in place), `None` when the
    /// component is registered (then the SDK checks only where it runs).
    pub(super) fn spark_rules(&mut self, key: &Spanned<String>, job: Option<At>, component: Option<At>) {
        let Some(job) = job else { return };
        self.spark_compute(key, job);
        self.spark_lists(job);
        if let Some(c) = component {
            if !std::ptr::eq(c.node, job.node) {
                self.spark_lists(c);
            }
            self.spark_conf(key, job, c);
            self.spark_modes(key, job, c);
        }
    }

    /// `py_files`, `jars`, `files` and `archives` must not name a file twice (the Spark
    /// schema's `no_duplicates`).
    fn spark_lists(&mut self, at: At) {
        for list in ["py_files", "jars", "files", "archives"] {
            let Some(items) = at.node.get(list) else { continue };
            let crate::yaml::Value::Seq(items) = &items.value else { continue };
            let mut seen = std::collections::HashSet::new();
            for item in items {
                let Some(text) = item.as_str() else { continue };
                if !seen.insert(text) {
                    self.report(
                        check::invalid_value::RULE
                            .at(at.cx.file, item.span, format!("`{text}` is listed twice in `{list}`"))
                            .with_help("remove the repetition (azure-ai-ml refuses duplicates)"),
                    );
                }
            }
        }
    }

    /// `compute` (a Spark pool) and `resources` (serverless Spark) exclude each other; the
    /// absence of both is `missing-compute`, which knows the pipeline.
    fn spark_compute(&mut self, key: &Spanned<String>, job: At) {
        let given = |k: &str| job.node.entry(k).filter(|(_, v)| v.value != crate::yaml::Value::Null);
        let (Some(_), Some((resources, _))) = (given("compute"), given("resources")) else { return };
        self.report(
            check::conflicting_keys::RULE
                .at(
                    job.cx.file,
                    resources.span,
                    format!("spark job `{}` gives both `compute` and `resources`", key.value),
                )
                .with_help(
                    "keep `compute` to run on an attached Spark pool, or `resources` for serverless Spark \
                     (azure-ai-ml refuses both together)",
                ),
        );
    }

    /// `_validate_spark_configurations` over the settings the job ends up with.
    fn spark_conf(&mut self, key: &Spanned<String>, job: At, component: At) {
        let dynamic = merged(job, Some(component), DYNAMIC);
        let enabled = dynamic.as_ref().is_some_and(|d| match &d.value {
            Scalar11::Bool(b) => *b,
            Scalar11::Str(s) => s == "True" || s == "true",
            _ => false,
        });
        let mut required: Vec<&str> = SIZES.to_vec();
        if !enabled {
            required.push(INSTANCES);
        }
        let missing: Vec<&str> = required
            .into_iter()
            .filter(|k| merged(job, Some(component), k).is_none_or(|s| !s.truthy()))
            .collect();
        if !missing.is_empty() {
            self.spark_missing(key, job, component, &missing, enabled);
        }
        let (min, max) = (merged(job, Some(component), MIN), merged(job, Some(component), MAX));
        if !enabled {
            for s in [&min, &max].into_iter().flatten() {
                self.report(
                    check::conflicting_keys::RULE
                        .at(
                            s.cx.file,
                            s.key.span,
                            format!(
                                "`{}` is set but dynamic allocation is not enabled; azure-ai-ml refuses it",
                                s.key.key_string()
                            ),
                        )
                        .with_help(format!("remove it, or set `{DYNAMIC}: true`")),
                );
            }
            return;
        }
        let (Some(min), Some(max)) = (min, max) else {
            let (cx, span) = dynamic.map(|d| (d.cx, d.key.span)).unwrap_or((job.cx, key.span));
            self.report(
                check::missing_key::RULE
                    .at(
                        cx.file,
                        span,
                        format!("dynamic allocation is enabled, so azure-ai-ml requires `{MIN}` and `{MAX}`"),
                    )
                    .with_help(format!("add `{MIN}: 1` and `{MAX}: 4` under `conf`")),
            );
            return;
        };
        self.spark_executors(&min, &max, merged(job, Some(component), INSTANCES));
    }

    /// The required settings that are missing, reported at the `conf` that should hold them.
    fn spark_missing(
        &mut self,
        key: &Spanned<String>,
        job: At,
        component: At,
        missing: &[&str],
        dynamic: bool,
    ) {
        let conf =
            [job, component].into_iter().find_map(|at| at.node.entry("conf").map(|(k, _)| (at.cx, k.span)));
        let (cx, span) = conf.unwrap_or((job.cx, key.span));
        let names = missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        let why = if dynamic {
            "azure-ai-ml requires the driver's and executors' cores and memory"
        } else {
            "without dynamic allocation azure-ai-ml requires the driver's and executors' cores and memory \
             and the number of executors"
        };
        let fix = missing.iter().map(|k| format!("`{k}: {}`", example(k))).collect::<Vec<_>>().join(", ");
        self.report(
            check::missing_key::RULE
                .at(cx.file, span, format!("spark job `{}` does not set {names}: {why}", key.value))
                .with_help(format!("add {fix} under `conf` (values to suit the job)")),
        );
    }

    /// The executor bounds under dynamic allocation: whole numbers, `0 < min <= max`, and the
    /// initial count between them.
    fn spark_executors(&mut self, min: &Setting, max: &Setting, instances: Option<Setting>) {
        let instances = instances.filter(Setting::truthy);
        for s in [Some(min), Some(max), instances.as_ref()].into_iter().flatten() {
            if s.int().is_none() {
                self.report(
                    check::invalid_value::RULE
                        .at(
                            s.cx.file,
                            s.node.span,
                            format!(
                                "`{}` must be a whole number; azure-ai-ml compares it with the other executor counts",
                                s.key.key_string()
                            ),
                        )
                        .with_help("write the number without quotes"),
                );
                return;
            }
        }
        let (lo, hi) = (min.int().unwrap_or_default(), max.int().unwrap_or_default());
        if lo <= 0 || lo > hi {
            let message = if lo <= 0 {
                format!("`{MIN}` is {lo}; azure-ai-ml requires at least 1")
            } else {
                format!("`{MIN}` is {lo}, above `{MAX}` ({hi})")
            };
            self.report(
                check::invalid_range::RULE
                    .at(min.cx.file, min.node.span, message)
                    .with_help("give at least 1 executor, and no more than the maximum"),
            );
            return;
        }
        if let Some(s) = instances
            && let Some(n) = s.int()
            && (n < lo || n > hi)
        {
            self.report(
                check::invalid_range::RULE
                    .at(
                        s.cx.file,
                        s.node.span,
                        format!("`{INSTANCES}` is {n}, outside the dynamic allocation's {lo} to {hi}"),
                    )
                    .with_help(format!("start with between {lo} and {hi} executors, or leave it out")),
            );
        }
    }

    /// Data given to a Spark job in place must be read and written in `direct` mode, unless the
    /// component's declaration says `direct` (`_validate_input_output_mode`); data bound to a
    /// pipeline input or another job's output is left to the service.
    fn spark_modes(&mut self, key: &Spanned<String>, job: At, component: At) {
        for (side, word) in [("inputs", "input"), ("outputs", "output")] {
            let Some(given) = job.node.get(side) else { continue };
            for (name, value) in given.entries() {
                let n = name.key_string();
                if !matches!(value.value, crate::yaml::Value::Map(_))
                    || (side == "outputs" && n == "default")
                    || value.get("path").and_then(Node::as_str).is_some_and(|p| p.contains("${{"))
                {
                    continue;
                }
                let Some(declared) = component.node.get(side).and_then(|d| d.get(&n)) else { continue };
                let mode = |v: &Node| v.get("mode").and_then(Node::as_str).map(str::to_lowercase);
                if mode(value).as_deref() == Some("direct") || mode(declared).as_deref() == Some("direct") {
                    continue;
                }
                let (span, what) = match value.entry("mode") {
                    Some((_, m)) => (m.span, format!("is in `{}` mode", m.as_str().unwrap_or_default())),
                    None => (name.span, "gives no mode".to_string()),
                };
                self.report(
                    check::invalid_value::RULE
                        .at(
                            job.cx.file,
                            span,
                            format!(
                                "{word} `{n}` of spark job `{}` {what}; azure-ai-ml accepts only `direct` for Spark",
                                key.value
                            ),
                        )
                        .with_help("write `mode: direct` (Spark reads and writes the data itself)"),
                );
            }
        }
    }
}
