//! The RunConfiguration file a step names (`runconfig:`, read by the SDK's
//! `RunConfiguration.load`). Its schema is large and the SDK ignores keys it does not know, so
//! sluice reads only what decides whether the SDK loads it and what sluice uses: an
//! `environment` mapping (without one the SDK takes the file for its legacy format and fails),
//! the conda file it names, integer settings, and the Databricks cluster and libraries.

use crate::source::Span;
use crate::yaml::{Node, Value};

/// What sluice reads from a RunConfiguration file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunConfig {
    /// `environment.name`.
    pub environment_name: Option<String>,
    /// `environment.docker.baseImage`.
    pub base_image: Option<String>,
    /// `environment.python.condaDependenciesFile`, relative to the runconfig file's folder, with
    /// its span.
    pub conda_file: Option<(String, Span)>,
    /// `environment.databricks.cluster` is given (the cluster then comes from here).
    pub databricks_cluster: bool,
}

/// A problem that makes the SDK refuse the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The root or `environment` is not a mapping, or `environment` is absent.
    NoEnvironment {
        /// Where.
        span: Span,
        /// What is wrong.
        message: String,
    },
    /// A value of the wrong type.
    WrongType {
        /// Where.
        span: Span,
        /// What is wrong.
        message: String,
    },
}

/// Integer settings at the top level of a run configuration.
const INTEGER_KEYS: [&str; 2] = ["nodeCount", "maxRunDurationSeconds"];

/// Reads a run configuration's tree.
pub fn read(root: &Node) -> (RunConfig, Vec<Problem>) {
    let mut rc = RunConfig::default();
    let mut problems = Vec::new();
    if !matches!(root.value, Value::Map(_)) {
        problems.push(Problem::NoEnvironment {
            span: Span::point(root.span.start),
            message: format!(
                "a run configuration is a mapping with `environment:`; this file is {}",
                root.value.kind_name()
            ),
        });
        return (rc, problems);
    }
    match root.entry("environment") {
        None => problems.push(Problem::NoEnvironment {
            span: Span::point(root.span.start),
            message: "a run configuration needs `environment:`; without it the SDK reads the legacy format, \
                      which fails without a `.azureml/<target>.compute` file"
                .to_string(),
        }),
        Some((_, env)) if !matches!(env.value, Value::Map(_)) => problems.push(Problem::NoEnvironment {
            span: env.span,
            message: format!("`environment` must be a mapping, not {}", env.value.kind_name()),
        }),
        Some((_, env)) => environment(env, &mut rc, &mut problems),
    }
    for key in INTEGER_KEYS {
        if let Some(v) = root.get(key)
            && !integer_like(v)
        {
            problems.push(Problem::WrongType {
                span: v.span,
                message: format!("`{key}` must be an integer, not {}", v.value.kind_name()),
            });
        }
    }
    (rc, problems)
}

fn environment(env: &Node, rc: &mut RunConfig, problems: &mut Vec<Problem>) {
    rc.environment_name = env.get("name").and_then(Node::as_str).map(str::to_string);
    rc.base_image =
        env.get("docker").and_then(|d| d.get("baseImage")).and_then(Node::as_str).map(str::to_string);
    if let Some(f) = env.get("python").and_then(|p| p.get("condaDependenciesFile")) {
        match f.as_str() {
            Some(s) => rc.conda_file = Some((s.to_string(), f.span)),
            None if matches!(f.value, Value::Null) => {}
            None => problems.push(Problem::WrongType {
                span: f.span,
                message: format!("`condaDependenciesFile` must be a path, not {}", f.value.kind_name()),
            }),
        }
    }
    rc.databricks_cluster =
        env.get("databricks").and_then(|d| d.get("cluster")).is_some_and(|c| !matches!(c.value, Value::Null));
}

/// An integer, or text the SDK's `int()` reads as one.
fn integer_like(v: &Node) -> bool {
    match &v.value {
        Value::Int(_) | Value::Null => true,
        Value::Str(s) => s.trim().parse::<i64>().is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse};

    fn read_text(text: &str) -> (RunConfig, Vec<Problem>) {
        read(&parse(text, &Limits::default()).0.unwrap())
    }

    #[test]
    fn reads_the_environment() {
        let (rc, problems) = read_text(
            "environment:\n  name: e\n  docker: {baseImage: img}\n  python: {condaDependenciesFile: c.yml}\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rc.environment_name.as_deref(), Some("e"));
        assert_eq!(rc.base_image.as_deref(), Some("img"));
        assert_eq!(rc.conda_file.map(|c| c.0).as_deref(), Some("c.yml"));
    }

    #[test]
    fn the_legacy_format_is_refused() {
        assert!(matches!(read_text("script: train.py\n").1[..], [Problem::NoEnvironment { .. }]));
        assert!(matches!(read_text("environment: []\n").1[..], [Problem::NoEnvironment { .. }]));
        assert!(matches!(read_text("- a\n").1[..], [Problem::NoEnvironment { .. }]));
        assert!(matches!(read_text("environment: {}\nnodeCount: abc\n").1[..], [Problem::WrongType { .. }]));
    }
}
