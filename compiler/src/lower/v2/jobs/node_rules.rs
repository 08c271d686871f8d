//! What azure-ai-ml refuses in a job's settings that sluice's typed reading lets through: a
//! sweep's `limits` without `max_total_trials` (the sweep schema requires it), a parallel job's
//! `logging_level` in another case than `DEBUG`, `INFO` or `WARNING`, a `mini_batch_size` text
//! that is not a size (`entities/_builders/parallel.py`), and a service's `nodes` other than
//! `all` (`JobService._validate_nodes`). Each is a diagnostic at the value.

use super::*;
use crate::yaml::Value;

/// A `mini_batch_size` text azure-ai-ml accepts: `^\d+([kKmMgG][bB])*$`.
pub(super) fn is_batch_size(text: &str) -> bool {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let unit = &text.as_bytes()[digits..];
    digits > 0
        && unit.len().is_multiple_of(2)
        && unit.chunks(2).all(|p| b"kKmMgG".contains(&p[0]) && (p[1] == b'b' || p[1] == b'B'))
}

impl Lowerer<'_> {
    /// The checks of this file that apply to a job of this kind.
    pub(super) fn node_rules(
        &mut self,
        cx: &LowerCtx,
        key: &Spanned<String>,
        job: &Job,
        node: Option<&Node>,
    ) {
        let Some(node) = node else { return };
        match job {
            Job::Sweep(_) => self.sweep_total_trials(cx, key, node),
            Job::Parallel(_) => {
                self.logging_level(cx, node);
                self.batch_size(cx, node);
            }
            _ => {}
        }
        self.service_nodes(cx, node);
    }

    /// A sweep's `limits` must give `max_total_trials`.
    fn sweep_total_trials(&mut self, cx: &LowerCtx, key: &Spanned<String>, node: &Node) {
        let Some((k, limits)) = node.entry("limits") else { return };
        if !matches!(limits.value, Value::Map(_)) || limits.get("max_total_trials").is_some() {
            return;
        }
        self.report(
            check::missing_key::RULE
                .at(
                    cx.file,
                    k.span,
                    format!("the limits of sweep `{}` have no `max_total_trials`", key.value),
                )
                .with_help("add `max_total_trials: 20` (azure-ai-ml requires how many trials to run in all)"),
        );
    }

    /// A parallel job's (or component's) `logging_level` is `DEBUG`, `INFO` or `WARNING`, in capitals.
    pub(super) fn logging_level(&mut self, cx: &LowerCtx, node: &Node) {
        let Some(v) = node.get("logging_level") else { return };
        let Some(level) = v.as_str() else { return };
        const LEVELS: [&str; 3] = ["DEBUG", "INFO", "WARNING"];
        if LEVELS.contains(&level) || binding::has_template(level) {
            return;
        }
        let upper = level.to_uppercase();
        let help = if LEVELS.contains(&upper.as_str()) {
            format!("write `{upper}` (azure-ai-ml reads the level in capitals only)")
        } else {
            "use DEBUG, INFO or WARNING".to_string()
        };
        self.report(
            check::invalid_value::RULE
                .at(cx.file, v.span, format!("`{level}` is not a logging level azure-ai-ml accepts"))
                .with_help(help),
        );
    }

    /// A parallel job's (or component's) `mini_batch_size` given as text is a number of files or a size.
    pub(super) fn batch_size(&mut self, cx: &LowerCtx, node: &Node) {
        let Some(v) = node.get("mini_batch_size") else { return };
        let Some(text) = v.as_str() else { return };
        if is_batch_size(text) || binding::has_template(text) {
            return;
        }
        self.report(
            check::invalid_value::RULE
                .at(cx.file, v.span, format!("`{text}` is not a mini-batch size"))
                .with_help("give a number of files (`10`) or a size (`100kb`, `10mb`, `1gb`)"),
        );
    }

    /// A service's `nodes` is `all` or left out.
    fn service_nodes(&mut self, cx: &LowerCtx, node: &Node) {
        let Some(services) = node.get("services") else { return };
        for (_, service) in services.entries() {
            let Some(nodes) = service.get("nodes") else { continue };
            if matches!(nodes.value, Value::Null) || nodes.as_str() == Some("all") {
                continue;
            }
            let shown =
                nodes.as_str().map(str::to_string).unwrap_or_else(|| nodes.value.kind_name().to_string());
            self.report(
                check::invalid_value::RULE
                    .at(
                        cx.file,
                        nodes.span,
                        format!("a service's `nodes` is `all` or left out, not `{shown}`"),
                    )
                    .with_help("write `nodes: all`, or leave `nodes` out"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_batch_size;

    #[test]
    fn batch_sizes_as_the_sdk_reads_them() {
        for ok in ["10", "10kb", "1MB", "5gB", "10kbkb"] {
            assert!(is_batch_size(ok), "{ok}");
        }
        for bad in ["", "ten", "10 kb", "kb", "10k", "10tb", "-1", "1.5mb"] {
            assert!(!is_batch_size(bad), "{bad}");
        }
    }
}
