//! `sluice endpoint create|add|set-default|list|show|disable|enable`: pipeline endpoints of the
//! service, by name.

use anyhow::Result;
use sluice_service::client::Client;
use sluice_service::wire::{EndpointCreate, EndpointUpdate, PipelineEndpoint};

use super::remote::{client, print_json, table};
use super::{Outcome, print_out};
use crate::or_end;
use crate::service_cli::{EndpointCommand, ServerArgs};

fn show(e: &PipelineEndpoint, c: Option<&Client>) -> String {
    let mut out = format!(
        "{} {}\n  status      {}\n  default     version {}\n  endpoint    {}\n",
        e.id, e.name, e.status, e.default_version, e.endpoint
    );
    if let Some(d) = &e.description {
        out.push_str(&format!("  description {d}\n"));
    }
    out.push_str("  versions\n");
    let pipelines = c.and_then(|c| c.endpoint_pipelines(&e.id).ok()).unwrap_or_default();
    for v in &e.pipeline_version_list {
        let ver = v.version.clone().unwrap_or_default();
        let mark = if ver == e.default_version { " (default)" } else { "" };
        let name = pipelines
            .iter()
            .find(|p| p.id == v.pipeline_id)
            .map(|p| format!(" {} [{}]", p.name, p.status))
            .unwrap_or_default();
        out.push_str(&format!("    {ver}: {}{name}{mark}\n", v.pipeline_id));
    }
    out
}

fn done(server: &ServerArgs, e: &PipelineEndpoint, what: &str, c: &Client) -> Result<Outcome> {
    if server.json {
        print_json(e)?;
    } else {
        eprintln!("{what}");
        print_out(&show(e, Some(c)));
    }
    Ok(Outcome::Success)
}

/// Dispatches `sluice endpoint ...`.
pub fn run(cmd: &EndpointCommand) -> Result<Outcome> {
    match cmd {
        EndpointCommand::Create(a) => {
            let c = client(a.server.server.as_deref())?;
            let req = EndpointCreate {
                name: a.name.clone(),
                description: a.description.clone(),
                pipeline_id: a.pipeline.clone(),
                properties: None,
            };
            let e = or_end!(c.create_endpoint(&req));
            done(&a.server, &e, &format!("endpoint `{}` created with version 0", e.name), &c)
        }
        EndpointCommand::Add(a) => {
            let c = client(a.server.server.as_deref())?;
            let e = or_end!(c.endpoint_by_name(&a.name));
            let e = or_end!(c.add_version(&e.id, &a.pipeline));
            let v = e.pipeline_version_list.last().and_then(|v| v.version.clone()).unwrap_or_default();
            done(&a.server, &e, &format!("version {v} added to endpoint `{}`", e.name), &c)
        }
        EndpointCommand::SetDefault(a) => {
            let c = client(a.server.server.as_deref())?;
            let e = or_end!(c.endpoint_by_name(&a.name));
            let update =
                EndpointUpdate { default_version: Some(a.version.clone()), ..EndpointUpdate::default() };
            let e = or_end!(c.update_endpoint(&e.id, &update));
            done(
                &a.server,
                &e,
                &format!("endpoint `{}` runs version {} by default", e.name, e.default_version),
                &c,
            )
        }
        EndpointCommand::List(a) => {
            let c = client(a.server.server.as_deref())?;
            let list = or_end!(c.endpoints());
            if a.server.json {
                print_json(&list)?;
            } else if list.is_empty() {
                print_out("no endpoints; make one with `sluice endpoint create --name NAME --pipeline ID`\n");
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|e| {
                        vec![
                            e.name.clone(),
                            e.status.clone(),
                            e.default_version.clone(),
                            e.pipeline_version_list.len().to_string(),
                            e.id.clone(),
                        ]
                    })
                    .collect();
                let out = table(&["NAME", "STATUS", "DEFAULT", "VERSIONS", "ID"], &rows);
                print_out(&out);
            }
            Ok(Outcome::Success)
        }
        EndpointCommand::Show(a) => {
            let c = client(a.server.server.as_deref())?;
            let e = or_end!(c.endpoint_by_name(&a.name));
            if a.server.json {
                print_json(&e)?;
            } else {
                print_out(&show(&e, Some(&c)));
            }
            Ok(Outcome::Success)
        }
        EndpointCommand::Disable(a) | EndpointCommand::Enable(a) => {
            let status = if matches!(cmd, EndpointCommand::Disable(_)) { "Disabled" } else { "Active" };
            let c = client(a.server.server.as_deref())?;
            let e = or_end!(c.endpoint_by_name(&a.name));
            let update = EndpointUpdate { status: Some(status.to_string()), ..EndpointUpdate::default() };
            let e = or_end!(c.update_endpoint(&e.id, &update));
            done(&a.server, &e, &format!("endpoint `{}` is {}", e.name, e.status), &c)
        }
    }
}
