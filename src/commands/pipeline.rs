//! `sluice pipeline list|show|disable|enable`: published pipelines of the service.

use anyhow::Result;
use sluice_service::wire::PublishedPipeline;

use super::remote::{client, print_json, table};
use super::{Outcome, print_out};
use crate::or_end;
use crate::service_cli::PipelineCommand;

/// Dispatches `sluice pipeline ...`.
pub fn run(cmd: &PipelineCommand) -> Result<Outcome> {
    match cmd {
        PipelineCommand::List(a) => {
            let c = client(a.server.server.as_deref())?;
            let list = or_end!(c.pipelines());
            if a.server.json {
                print_json(&list)?;
            } else if list.is_empty() {
                print_out("no published pipelines; publish one with `sluice publish FILE --name NAME`\n");
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|p| {
                        vec![
                            p.id.clone(),
                            p.name.clone(),
                            p.version.clone().unwrap_or_else(|| "-".into()),
                            p.status.clone(),
                            p.total_run_steps.to_string(),
                            p.created_date.clone(),
                        ]
                    })
                    .collect();
                let out = table(&["ID", "NAME", "VERSION", "STATUS", "STEPS", "CREATED"], &rows);
                print_out(&out);
            }
            Ok(Outcome::Success)
        }
        PipelineCommand::Show(a) => {
            let c = client(a.server.server.as_deref())?;
            let p = or_end!(c.pipeline(&a.id));
            if a.server.json {
                print_json(&p)?;
                return Ok(Outcome::Success);
            }
            let graph = or_end!(c.pipeline_graph(&p.id));
            let mut out = describe(&p);
            out.push_str("  steps\n");
            for s in &graph.steps {
                let after = if s.depends_on.is_empty() {
                    String::new()
                } else {
                    format!(" after {}", s.depends_on.join(", "))
                };
                out.push_str(&format!("    {} ({}){after}\n", s.name, s.kind));
            }
            print_out(&out);
            Ok(Outcome::Success)
        }
        PipelineCommand::Disable(a) | PipelineCommand::Enable(a) => {
            let status = if matches!(cmd, PipelineCommand::Disable(_)) { "Disabled" } else { "Active" };
            let c = client(a.server.server.as_deref())?;
            let p = or_end!(c.set_pipeline_status(&a.id, status));
            if a.server.json {
                print_json(&p)?;
            } else {
                print_out(&format!("published pipeline `{}` ({}) is {}\n", p.name, p.id, p.status));
            }
            Ok(Outcome::Success)
        }
    }
}

/// A published pipeline for people.
pub fn describe(p: &PublishedPipeline) -> String {
    let mut out = format!(
        "{} {}{}\n  status      {}\n  endpoint    {}\n  pipeline    {} ({})\n  published   {} by {}\n",
        p.id,
        p.name,
        p.version.as_deref().map(|v| format!(" version {v}")).unwrap_or_default(),
        p.status,
        p.endpoint,
        p.pipeline_name,
        p.pipeline_file,
        p.created_date,
        p.created_by
    );
    if let Some(d) = &p.description {
        out.push_str(&format!("  description {d}\n"));
    }
    out.push_str("  parameters\n");
    if p.parameters.is_empty() {
        out.push_str("    none\n");
    }
    for x in &p.parameters {
        let default = x.default.as_ref().map(|d| format!(" = {d}")).unwrap_or_default();
        out.push_str(&format!("    {} ({}){default}\n", x.name, x.ty));
    }
    out
}
