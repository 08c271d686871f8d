//! The studio's pages, rendered on the server from the API's own objects.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::charts;
use super::html::{Tab, badge, between, button_form, csrf, duration, esc, page, seg, short, url_box, when};
use super::svg::{self, Node};
use crate::auth::{Caller, Role};
use crate::wire::{
    Metric, PipelineEndpoint, PipelineParameter, PipelineRun, PublishedPipeline, RunOutput, StepRun,
    entity_status, status,
};

fn chips(params: &[PipelineParameter]) -> String {
    if params.is_empty() {
        return r#"<span class="muted">none</span>"#.to_string();
    }
    params
        .iter()
        .map(|p| {
            let default =
                p.default.as_ref().map(|d| format!(" = {}", esc(&d.to_string()))).unwrap_or_default();
            format!(r#"<span class="chip"><b>{}</b>: {}{default}</span>"#, esc(&p.name), esc(&p.ty))
        })
        .collect()
}

fn status_button(caller: &Caller, action: &str, current: &str) -> String {
    if !caller.may(Role::Admin) {
        return String::new();
    }
    if current == entity_status::ACTIVE {
        button_form(caller, action, &[("status", "Disabled")], "Disable", "danger small")
    } else {
        button_form(caller, action, &[("status", "Active")], "Enable", "small")
    }
}

/// The pipelines page.
pub fn pipelines(caller: &Caller, list: &[PublishedPipeline], notice: Option<&str>) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<h1>Pipelines</h1><p class="sub">{} published pipeline(s). Publish one with <code>sluice publish pipeline.yml --name NAME</code>.</p>"#,
        list.len()
    );
    if let Some(n) = notice {
        let _ = write!(b, r#"<div class="notice">{}</div>"#, esc(n));
    }
    b.push_str(r#"<div class="card">"#);
    if list.is_empty() {
        b.push_str(r#"<p class="empty">Nothing is published yet.</p>"#);
    } else {
        b.push_str("<table><thead><tr><th>Name</th><th>Status</th><th>Steps</th><th>Parameters</th><th>Endpoint URL</th><th>Published</th><th></th></tr></thead><tbody>");
        for p in list {
            let version = p
                .version
                .as_ref()
                .map(|v| format!(r#" <span class="chip">v{}</span>"#, esc(v)))
                .unwrap_or_default();
            let _ = write!(
                b,
                r#"<tr data-pipeline="{id}"><td class="name"><a href="/studio/pipelines/{id}"><b>{name}</b></a>{version}<div class="muted">{pname}</div></td><td>{status}</td><td>{steps}</td><td>{params}</td><td>{url}</td><td>{at}<div class="muted">by {by}</div></td><td class="right">{button}</td></tr>"#,
                id = esc(&p.id),
                name = esc(&p.name),
                pname = esc(&p.pipeline_name),
                status = badge(&p.status),
                steps = p.total_run_steps,
                params = chips(&p.parameters),
                url = url_box(&p.endpoint),
                at = esc(&when(&p.created_date)),
                by = esc(&p.created_by),
                button =
                    status_button(caller, &format!("/studio/pipelines/{}/status", seg(&p.id)), &p.status),
            );
        }
        b.push_str("</tbody></table>");
    }
    b.push_str("</div>");
    page("Pipelines", Tab::Pipelines, Some(caller), &b, &[])
}

/// The fields of a submission form for `params`.
fn parameter_fields(params: &[PipelineParameter]) -> String {
    let mut b = String::new();
    for p in params {
        let default = p.default.as_ref().map(|d| match d {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let hint = match (&default, p.optional) {
            (Some(d), _) => format!("default {d}"),
            (None, true) => "optional".to_string(),
            (None, false) => "required".to_string(),
        };
        let desc = p.description.as_ref().map(|d| format!(" · {}", esc(d))).unwrap_or_default();
        let name = format!("p.{}", p.name);
        let input = if p.is_data {
            r#"<span class="muted">a data parameter: set it with <code>DataPathAssignments</code> over REST</span>"#.to_string()
        } else if p.ty == "boolean" || p.ty == "bool" {
            format!(
                r#"<select name="{n}" id="{n}"><option value="">default{}</option><option>true</option><option>false</option></select>"#,
                default.as_ref().map(|d| format!(" ({})", esc(d))).unwrap_or_default(),
                n = esc(&name)
            )
        } else {
            let kind = if matches!(p.ty.as_str(), "integer" | "int" | "number" | "float") {
                "number"
            } else {
                "text"
            };
            let step = if kind == "number" { r#" step="any""# } else { "" };
            format!(
                r#"<input type="{kind}"{step} name="{n}" id="{n}" placeholder="{ph}">"#,
                n = esc(&name),
                ph = esc(default.as_deref().unwrap_or(""))
            )
        };
        let _ = write!(
            b,
            r#"<label for="{n}">{name}<small>{ty}, {hint}{desc}</small></label><div>{input}</div>"#,
            n = esc(&name),
            name = esc(&p.name),
            ty = esc(&p.ty),
        );
    }
    b
}

/// A submission form posting to `action`.
fn submit_form(
    caller: &Caller,
    action: &str,
    experiment: &str,
    params: &[PipelineParameter],
    extra: &str,
    blocked: Option<&str>,
) -> String {
    if !caller.may(Role::Submitter) {
        return format!(
            r#"<p class="muted">Token <b>{}</b> has role {}; submitting needs role submitter or admin.</p>"#,
            esc(&caller.name),
            esc(caller.role.as_str())
        );
    }
    if let Some(why) = blocked {
        return format!(r#"<p class="notice">{}</p>"#, esc(why));
    }
    format!(
        r#"<form method="post" action="{action}" class="form" id="submit-form">{csrf}{extra}<label for="experiment">Experiment<small>recorded with the run</small></label><div><input type="text" name="experiment" id="experiment" value="{exp}" required></div>{fields}<label for="description">Description<small>optional</small></label><div><input type="text" name="description" id="description"></div><div></div><div class="actions"><button type="submit" class="btn" id="submit-run">Submit run</button></div></form>"#,
        action = esc(action),
        csrf = csrf(caller),
        exp = esc(experiment),
        fields = parameter_fields(params),
    )
}

fn experiment_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' })
        .collect();
    let s = s.trim_start_matches(['-', '_']).to_string();
    if s.is_empty() { "default".to_string() } else { s.chars().take(256).collect() }
}

fn runs_table(runs: &[PipelineRun], empty: &str) -> String {
    if runs.is_empty() {
        return format!(r#"<p class="empty">{}</p>"#, esc(empty));
    }
    let mut b = String::from(
        "<table><thead><tr><th>Run</th><th>Status</th><th>Pipeline</th><th>Experiment</th><th>Source</th><th>Submitted</th><th>Duration</th><th>Parameters</th></tr></thead><tbody>",
    );
    for r in runs {
        let endpoint = match (&r.pipeline_endpoint_name, &r.pipeline_endpoint_version) {
            (Some(n), Some(v)) => format!(r#"<div class="muted">via {} v{}</div>"#, esc(n), esc(v)),
            _ => String::new(),
        };
        let params: String = r
            .parameter_assignments
            .iter()
            .map(|(k, v)| format!(r#"<span class="chip"><b>{}</b>={}</span>"#, esc(k), esc(v)))
            .collect();
        let took = between(r.status.start_time.as_deref(), r.status.end_time.as_deref());
        let _ = write!(
            b,
            r#"<tr data-run="{id}" data-status="{st}"><td><a href="/studio/runs/{id}"><code>{short}</code></a></td><td>{badge}</td><td><a href="/studio/pipelines/{pid}">{pname}</a>{endpoint}</td><td>{exp}</td><td>{src}<div class="muted">by {by}</div></td><td>{at}</td><td>{took}</td><td>{params}</td></tr>"#,
            id = esc(&r.id),
            st = esc(&r.status.status_code),
            short = esc(&short(&r.id)),
            badge = badge(&r.status.status_code),
            pid = esc(&r.pipeline_id),
            pname = esc(&r.pipeline_name),
            exp = esc(&r.run_history_experiment_name),
            src = esc(&r.run_source),
            by = esc(&r.submitted_by),
            at = esc(&when(&r.created_date)),
            took = esc(&duration(took)),
            params =
                if params.is_empty() { r#"<span class="muted">defaults</span>"#.to_string() } else { params },
        );
    }
    b.push_str("</tbody></table>");
    b
}

fn props(p: &PublishedPipeline) -> String {
    if p.properties.is_empty() {
        return r#"<span class="muted">–</span>"#.to_string();
    }
    p.properties
        .iter()
        .map(|(k, v)| format!(r#"<span class="chip"><b>{}</b> {}</span>"#, esc(k), esc(v)))
        .collect()
}

/// The page of one published pipeline.
pub fn pipeline(
    caller: &Caller,
    p: &PublishedPipeline,
    steps: &[crate::wire::GraphStep],
    runs: &[PipelineRun],
    error: Option<&str>,
) -> String {
    let mut b = String::new();
    let version =
        p.version.as_ref().map(|v| format!(r#"<span class="chip">v{}</span>"#, esc(v))).unwrap_or_default();
    let _ = write!(
        b,
        r#"<div class="split"><div><h1>{name} {version} {badge}</h1><p class="sub">{desc}</p></div><div class="actions">{button}</div></div>"#,
        name = esc(&p.name),
        badge = badge(&p.status),
        desc = esc(p.description.as_deref().unwrap_or("")),
        button = status_button(caller, &format!("/studio/pipelines/{}/status", seg(&p.id)), &p.status),
    );
    if let Some(e) = error {
        let _ = write!(b, r#"<div class="error">{}</div>"#, esc(e));
    }
    let _ = write!(
        b,
        r#"<div class="card grid"><div class="kv"><b>Endpoint URL</b>{url}</div><div class="kv"><b>Id</b><code>{id}</code></div><div class="kv"><b>Pipeline</b>{pname} <span class="muted">({file})</span></div><div class="kv"><b>Published</b>{at} by {by}</div><div class="kv"><b>Snapshot</b><code>{snap}</code></div><div class="kv"><b>Source</b><div>{props}</div></div></div>"#,
        url = url_box(&p.endpoint),
        id = esc(&p.id),
        pname = esc(&p.pipeline_name),
        file = esc(&p.pipeline_file),
        at = esc(&when(&p.created_date)),
        by = esc(&p.created_by),
        snap = esc(&short(&p.snapshot_id)),
        props = props(p),
    );
    let nodes: Vec<Node> = steps
        .iter()
        .map(|s| Node {
            name: s.name.clone(),
            depends_on: s.depends_on.clone(),
            status: "not started".to_string(),
            reason: Some(s.kind.clone()),
            href: None,
            selected: false,
        })
        .collect();
    let _ = write!(b, r#"<div class="card"><h2>Steps</h2><div class="dag">{}</div></div>"#, svg::dag(&nodes));
    let blocked =
        (p.status != entity_status::ACTIVE).then_some("This pipeline is disabled: enable it to submit runs.");
    let _ = write!(
        b,
        r#"<div class="card"><h2>Submit a run</h2>{}</div>"#,
        submit_form(
            caller,
            &format!("/studio/pipelines/{}/submit", seg(&p.id)),
            &experiment_name(&p.name),
            &p.parameters,
            "",
            blocked
        )
    );
    let _ = write!(b, r#"<div class="card"><h2>Runs</h2>{}</div>"#, runs_table(runs, "No runs yet."));
    page(&p.name, Tab::Pipelines, Some(caller), &b, &[])
}

/// The endpoints page.
pub fn endpoints(caller: &Caller, list: &[PipelineEndpoint], names: &BTreeMap<String, String>) -> String {
    let mut b = format!(
        r#"<h1>Endpoints</h1><p class="sub">{} endpoint(s). Make one with <code>sluice endpoint create --name NAME --pipeline ID</code>.</p><div class="card">"#,
        list.len()
    );
    if list.is_empty() {
        b.push_str(r#"<p class="empty">No endpoints yet.</p>"#);
    } else {
        b.push_str("<table><thead><tr><th>Name</th><th>Status</th><th>Default</th><th>Versions</th><th>Endpoint URL</th><th></th></tr></thead><tbody>");
        for e in list {
            let versions: String = e
                .pipeline_version_list
                .iter()
                .map(|v| {
                    let ver = v.version.clone().unwrap_or_default();
                    let name = names.get(&v.pipeline_id).cloned().unwrap_or_else(|| short(&v.pipeline_id));
                    format!(r#"<span class="chip"><b>{}</b> {}</span>"#, esc(&ver), esc(&name))
                })
                .collect();
            let _ = write!(
                b,
                r#"<tr data-endpoint="{id}"><td class="name"><a href="/studio/endpoints/{id}"><b>{name}</b></a><div class="muted">{desc}</div></td><td>{status}</td><td>{default}</td><td>{versions}</td><td>{url}</td><td class="right">{button}</td></tr>"#,
                id = esc(&e.id),
                name = esc(&e.name),
                desc = esc(e.description.as_deref().unwrap_or("")),
                status = badge(&e.status),
                default = esc(&e.default_version),
                url = url_box(&e.endpoint),
                button =
                    status_button(caller, &format!("/studio/endpoints/{}/status", seg(&e.id)), &e.status),
            );
        }
        b.push_str("</tbody></table>");
    }
    b.push_str("</div>");
    page("Endpoints", Tab::Endpoints, Some(caller), &b, &[])
}

/// The page of one endpoint.
pub fn endpoint(
    caller: &Caller,
    e: &PipelineEndpoint,
    versions: &[PublishedPipeline],
    runs: &[PipelineRun],
    error: Option<&str>,
) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<div class="split"><div><h1>{name} {badge}</h1><p class="sub">{desc}</p></div><div class="actions">{button}</div></div>"#,
        name = esc(&e.name),
        badge = badge(&e.status),
        desc = esc(e.description.as_deref().unwrap_or("")),
        button = status_button(caller, &format!("/studio/endpoints/{}/status", seg(&e.id)), &e.status),
    );
    if let Some(err) = error {
        let _ = write!(b, r#"<div class="error">{}</div>"#, esc(err));
    }
    let _ = write!(
        b,
        r#"<div class="card grid"><div class="kv"><b>Endpoint URL (default version)</b>{}</div><div class="kv"><b>Id</b><code>{}</code></div><div class="kv"><b>Default version</b>{}</div><div class="kv"><b>Changed</b>{}</div></div>"#,
        url_box(&e.endpoint),
        esc(&e.id),
        esc(&e.default_version),
        esc(&when(&e.last_modified_date)),
    );
    b.push_str(r#"<div class="card"><h2>Versions</h2><table><thead><tr><th>Version</th><th>Pipeline</th><th>Status</th><th>Published</th><th></th></tr></thead><tbody>"#);
    for (v, p) in e.pipeline_version_list.iter().zip(versions) {
        let ver = v.version.clone().unwrap_or_default();
        let is_default = ver == e.default_version;
        let action = if is_default {
            r#"<span class="badge ok">default</span>"#.to_string()
        } else if caller.may(Role::Admin) {
            button_form(
                caller,
                &format!("/studio/endpoints/{}/default", seg(&e.id)),
                &[("version", &ver)],
                "Make default",
                "ghost small",
            )
        } else {
            String::new()
        };
        let label = p
            .version
            .as_ref()
            .map(|v| format!(r#" <span class="chip">v{}</span>"#, esc(v)))
            .unwrap_or_default();
        let _ = write!(
            b,
            r#"<tr data-version="{ver}"><td><b>{ver}</b></td><td><a href="/studio/pipelines/{pid}">{pname}</a>{label}</td><td>{status}</td><td>{at}</td><td class="right">{action}</td></tr>"#,
            ver = esc(&ver),
            pid = esc(&p.id),
            pname = esc(&p.name),
            status = badge(&p.status),
            at = esc(&when(&p.created_date)),
        );
    }
    b.push_str("</tbody></table></div>");
    let default =
        e.pipeline_version_list.iter().position(|v| v.version.as_deref() == Some(e.default_version.as_str()));
    let params = default.and_then(|i| versions.get(i)).map(|p| p.parameters.clone()).unwrap_or_default();
    let mut select = String::from(
        r#"<label for="version">Version<small>default: the endpoint's</small></label><div><select name="version" id="version"><option value="">default ("#,
    );
    select.push_str(&esc(&e.default_version));
    select.push_str(")</option>");
    for v in &e.pipeline_version_list {
        let ver = v.version.clone().unwrap_or_default();
        let _ = write!(select, "<option>{}</option>", esc(&ver));
    }
    select.push_str("</select></div>");
    let blocked =
        (e.status != entity_status::ACTIVE).then_some("This endpoint is disabled: enable it to submit runs.");
    let _ = write!(
        b,
        r#"<div class="card"><h2>Submit a run</h2><p class="muted">The fields are the default version's parameters.</p>{}</div>"#,
        submit_form(
            caller,
            &format!("/studio/endpoints/{}/submit", seg(&e.id)),
            &experiment_name(&e.name),
            &params,
            &select,
            blocked
        )
    );
    let _ = write!(
        b,
        r#"<div class="card"><h2>Runs</h2>{}</div>"#,
        runs_table(runs, "No runs through this endpoint yet.")
    );
    page(&e.name, Tab::Endpoints, Some(caller), &b, &[])
}

/// The runs page.
pub fn runs(caller: &Caller, list: &[PipelineRun], counts: &BTreeMap<String, i64>, api: &str) -> String {
    let mut b = String::from(r#"<h1>Runs</h1><p class="sub">Newest first.</p><div class="counts">"#);
    for (s, n) in counts {
        let _ = write!(b, r#"<span>{} {n}</span>"#, badge(s));
    }
    b.push_str("</div>");
    let _ = write!(b, r#"<div class="card">{}</div>"#, runs_table(list, "No runs yet."));
    let active = list.iter().any(|r| !status::is_terminal(&r.status.status_code));
    let watch: Vec<String> = active.then(|| format!("{api}/PipelineRuns?limit=100")).into_iter().collect();
    page("Runs", Tab::Runs, Some(caller), &b, &watch)
}

/// What the run page shows.
#[derive(Debug)]
pub struct RunView<'a> {
    /// The run.
    pub run: &'a PipelineRun,
    /// Its steps.
    pub steps: &'a [StepRun],
    /// Its metrics.
    pub metrics: &'a [Metric],
    /// Its outputs.
    pub outputs: &'a [RunOutput],
    /// The step whose log is shown, and the stream.
    pub log: Option<(&'a str, &'a str, String)>,
    /// The API's URL prefix (for output downloads and polling).
    pub api: &'a str,
}

/// The page of one run.
pub fn run(caller: &Caller, v: &RunView) -> String {
    let r = v.run;
    let mut b = String::new();
    let cancel = if !status::is_terminal(&r.status.status_code) && caller.may(Role::Submitter) {
        button_form(caller, &format!("/studio/runs/{}/cancel", seg(&r.id)), &[], "Cancel run", "danger")
    } else {
        String::new()
    };
    let _ = write!(
        b,
        r#"<div class="split"><div><h1>Run <code>{short}</code> <span id="run-status" data-status="{st}">{badge}</span></h1><p class="sub">{detail}</p></div><div class="actions">{cancel}</div></div>"#,
        short = esc(&short(&r.id)),
        st = esc(&r.status.status_code),
        badge = badge(&r.status.status_code),
        detail = esc(r.status.status_detail.as_deref().or(r.description.as_deref()).unwrap_or("")),
    );
    let endpoint = match (&r.pipeline_endpoint_id, &r.pipeline_endpoint_name, &r.pipeline_endpoint_version) {
        (Some(id), Some(n), Some(ver)) => {
            format!(r#"<a href="/studio/endpoints/{}">{}</a> version {}"#, esc(id), esc(n), esc(ver))
        }
        _ => r#"<span class="muted">–</span>"#.to_string(),
    };
    let params: String = r
        .parameters
        .iter()
        .map(|(k, val)| {
            let given = if r.parameter_assignments.contains_key(k) {
                ""
            } else {
                r#" <span class="muted">(default)</span>"#
            };
            format!(r#"<span class="chip"><b>{}</b>={}{given}</span>"#, esc(k), esc(&val.to_string()))
        })
        .collect();
    let took = between(r.status.start_time.as_deref(), r.status.end_time.as_deref());
    let _ = write!(
        b,
        r#"<div class="card grid"><div class="kv"><b>Pipeline</b><a href="/studio/pipelines/{pid}">{pname}</a></div><div class="kv"><b>Endpoint</b>{endpoint}</div><div class="kv"><b>Experiment</b>{exp}</div><div class="kv"><b>Source</b>{src} · by {by}</div><div class="kv"><b>Submitted</b>{at}</div><div class="kv"><b>Duration</b>{took}</div><div class="kv"><b>Parameters</b><div>{params}</div></div><div class="kv"><b>Id</b><code>{id}</code>{local}</div></div>"#,
        pid = esc(&r.pipeline_id),
        pname = esc(&r.pipeline_name),
        exp = esc(&r.run_history_experiment_name),
        src = esc(&r.run_source),
        by = esc(&r.submitted_by),
        at = esc(&when(&r.created_date)),
        took = esc(&duration(took)),
        params = if params.is_empty() { r#"<span class="muted">none</span>"#.to_string() } else { params },
        id = esc(&r.id),
        local = r
            .local_run_id
            .map(|l| format!(r#" <span class="muted">(local run {l})</span>"#))
            .unwrap_or_default(),
    );
    let selected = v.log.as_ref().map(|(s, _, _)| *s);
    let nodes: Vec<Node> = v
        .steps
        .iter()
        .map(|s| Node {
            name: s.name.clone(),
            depends_on: s.depends_on.clone(),
            status: s.local_status.clone(),
            reason: s.reason.clone(),
            href: Some(svg::step_link(&r.id, &s.name)),
            selected: selected == Some(s.name.as_str()),
        })
        .collect();
    let _ = write!(
        b,
        r#"<div class="card"><h2>Graph</h2><div class="dag" id="dag">{}</div></div>"#,
        svg::dag(&nodes)
    );
    b.push_str(r#"<div class="card"><h2>Steps</h2><table><thead><tr><th>Step</th><th>Status</th><th>Reuse</th><th>Took</th><th>Why</th></tr></thead><tbody>"#);
    for s in v.steps {
        let why = match (&s.local_status[..], &s.message) {
            ("failed" | "skipped" | "canceled" | "interrupted", Some(m)) => m.clone(),
            _ => s.reason.clone().unwrap_or_default(),
        };
        let _ = write!(
            b,
            r#"<tr data-step="{n}" data-status="{st}"><td><a href="{link}">{n}</a></td><td>{badge}</td><td>{reuse}</td><td>{took}</td><td>{why}</td></tr>"#,
            n = esc(&s.name),
            st = esc(&s.local_status),
            link = esc(&svg::step_link(&r.id, &s.name)),
            badge = badge(&s.local_status),
            reuse = esc(s.reuse.as_deref().unwrap_or("–")),
            took = esc(&duration(s.duration_ms)),
            why = esc(&why),
        );
    }
    b.push_str("</tbody></table></div>");
    let _ = write!(b, r#"<div class="card"><h2>Metrics</h2>{}</div>"#, charts::charts(v.metrics));
    if let Some((step, stream, text)) = &v.log {
        let mut tabs = String::new();
        for s in v.steps {
            let class = if s.name == *step { r#" class="current""# } else { "" };
            let _ = write!(
                tabs,
                r#"<a href="{}"{class}>{}</a>"#,
                esc(&svg::step_link(&r.id, &s.name)),
                esc(&s.name)
            );
        }
        let other = if *stream == "stdout" { "stderr" } else { "stdout" };
        let _ = write!(
            b,
            r#"<div class="card" id="logs"><div class="split"><h2>Logs of <code>{step}</code> ({stream})</h2><a href="/studio/runs/{id}?step={sseg}&amp;stream={other}#logs">show {other}</a></div><div class="tabs">{tabs}</div><pre class="log">{text}</pre></div>"#,
            step = esc(step),
            stream = esc(stream),
            id = esc(&seg(&r.id)),
            sseg = esc(&seg(step)),
            text = if text.is_empty() { "(empty)".to_string() } else { esc(text) },
        );
    }
    if !v.outputs.is_empty() {
        b.push_str(r#"<div class="card"><h2>Outputs</h2><table><thead><tr><th>Step</th><th>Output</th><th>Files</th></tr></thead><tbody>"#);
        for o in v.outputs {
            let files: String = o
                .files
                .iter()
                .take(20)
                .map(|f| {
                    let href = format!(
                        "{}/PipelineRuns/{}/StepRuns/{}/Outputs/{}?path={}",
                        v.api,
                        seg(&r.id),
                        seg(&o.step),
                        seg(&o.name),
                        seg(&f.path)
                    );
                    format!(
                        r#"<div><a href="{}">{}</a> <span class="muted">{} bytes</span></div>"#,
                        esc(&href),
                        esc(&f.path),
                        f.size
                    )
                })
                .collect();
            let more =
                if o.files.len() > 20 || o.truncated { r#"<div class="muted">and more</div>"# } else { "" };
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{files}{more}</td></tr>",
                esc(&o.step),
                esc(&o.name)
            );
        }
        b.push_str("</tbody></table></div>");
    }
    let watch: Vec<String> = if status::is_terminal(&r.status.status_code) {
        Vec::new()
    } else {
        vec![
            format!("{}/PipelineRuns/{}", v.api, seg(&r.id)),
            format!("{}/PipelineRuns/{}/StepRuns", v.api, seg(&r.id)),
        ]
    };
    page(&format!("Run {}", short(&r.id)), Tab::Runs, Some(caller), &b, &watch)
}

/// The sign-in page.
pub fn login(error: Option<&str>, next: &str) -> String {
    let err = error.map(|e| format!(r#"<div class="error">{}</div>"#, esc(e))).unwrap_or_default();
    let body = format!(
        r#"<div class="login card"><h1>Sign in</h1><p class="sub">Paste a token made with <code>sluice token create --name NAME --role reader|submitter|admin --state DIR</code> beside the service.</p>{err}<form method="post" action="/studio/login" class="form" style="grid-template-columns:1fr"><input type="hidden" name="next" value="{next}"><input type="password" name="token" id="token" placeholder="slc_..." autocomplete="off" required><button class="btn" type="submit" id="sign-in">Sign in</button></form></div>"#,
        next = esc(next)
    );
    page("Sign in", Tab::None, None, &body, &[])
}

/// A page for an error.
pub fn error(caller: Option<&Caller>, status: u16, message: &str) -> String {
    let body = format!(
        r#"<h1>{}</h1><div class="error">{}</div><p><a href="/studio">Back to the pipelines</a></p>"#,
        if status == 404 { "Not found" } else { "Cannot do that" },
        esc(message)
    );
    page("Error", Tab::None, caller, &body, &[])
}
