//! A pipeline's DAG as SVG: steps in columns by depth (each after what it waits for), ordered
//! in a column by where their upstream steps are (fewer crossings), edges as curves with arrows,
//! each step coloured by its status and marked when its outputs were reused.

use std::collections::HashMap;
use std::fmt::Write;

use super::html::{esc, seg};

/// A step to draw.
#[derive(Debug, Clone)]
pub struct Node {
    /// Step key.
    pub name: String,
    /// Steps it waits for.
    pub depends_on: Vec<String>,
    /// sluice's status word (`completed`, `reused`, `running`, ... or `not started`).
    pub status: String,
    /// Why it ran or was reused.
    pub reason: Option<String>,
    /// Where a click goes.
    pub href: Option<String>,
    /// Drawn highlighted (the step whose logs are shown).
    pub selected: bool,
}

const W: f64 = 196.0;
const H: f64 = 54.0;
const GX: f64 = 70.0;
const GY: f64 = 18.0;
const PAD: f64 = 16.0;

fn colours(status: &str) -> (&'static str, &'static str, &'static str) {
    // (fill, stroke, text of the status line)
    match status {
        "completed" => ("#e5f5ec", "#4caf7d", "#1a7f4b"),
        "reused" => ("#efeafc", "#8b6fd6", "#5b3fa8"),
        "running" => ("#e6efff", "#4a86e8", "#175cd3"),
        "failed" | "interrupted" => ("#fdeceb", "#e5675c", "#b42318"),
        "canceled" | "skipped" => ("#fff3dc", "#e0a43a", "#9a5b00"),
        "queued" => ("#f2f4f7", "#98a2b3", "#475467"),
        _ => ("#ffffff", "#c6ccd5", "#667085"),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// The DAG of `nodes` (in an order where each comes after what it waits for) as an SVG element.
pub fn dag(nodes: &[Node]) -> String {
    if nodes.is_empty() {
        return r#"<p class="empty">No steps.</p>"#.to_string();
    }
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
    let mut level = vec![0usize; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        level[i] = n
            .depends_on
            .iter()
            .filter_map(|d| index.get(d.as_str()))
            .map(|&d| level[d] + 1)
            .max()
            .unwrap_or(0);
    }
    let levels = level.iter().max().map_or(1, |m| m + 1);
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); levels];
    let mut row = vec![0f64; nodes.len()];
    for (i, &l) in level.iter().enumerate() {
        columns[l].push(i);
    }
    for col in &mut columns {
        // Barycentre of the upstream rows, stable for ties.
        let key = |i: usize| {
            let ups: Vec<f64> =
                nodes[i].depends_on.iter().filter_map(|d| index.get(d.as_str())).map(|&d| row[d]).collect();
            if ups.is_empty() { i as f64 } else { ups.iter().sum::<f64>() / ups.len() as f64 }
        };
        let mut keyed: Vec<(f64, usize)> = col.iter().map(|&i| (key(i), i)).collect();
        keyed.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1)));
        *col = keyed.into_iter().map(|(_, i)| i).collect();
        for (r, &i) in col.iter().enumerate() {
            row[i] = r as f64;
        }
    }
    let rows = columns.iter().map(Vec::len).max().unwrap_or(1) as f64;
    let mut pos = vec![(0f64, 0f64); nodes.len()];
    for (l, col) in columns.iter().enumerate() {
        let offset = (rows - col.len() as f64) * (H + GY) / 2.0;
        for (r, &i) in col.iter().enumerate() {
            pos[i] = (PAD + l as f64 * (W + GX), PAD + offset + r as f64 * (H + GY));
        }
    }
    let width = PAD * 2.0 + levels as f64 * W + (levels - 1) as f64 * GX;
    let height = PAD * 2.0 + rows * H + (rows - 1.0) * GY;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="dag-svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="pipeline graph"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#98a2b3"/></marker></defs>"##
    );
    for (i, n) in nodes.iter().enumerate() {
        for d in &n.depends_on {
            let Some(&j) = index.get(d.as_str()) else { continue };
            let (x1, y1) = (pos[j].0 + W, pos[j].1 + H / 2.0);
            let (x2, y2) = (pos[i].0 - 2.0, pos[i].1 + H / 2.0);
            let c = GX / 2.0;
            let _ = write!(
                s,
                r##"<path d="M{x1:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}" fill="none" stroke="#98a2b3" stroke-width="1.5" marker-end="url(#arrow)"/>"##,
                x1 + c,
                x2 - c
            );
        }
    }
    for (i, n) in nodes.iter().enumerate() {
        let (x, y) = pos[i];
        let (fill, stroke, ink) = colours(&n.status);
        let width = if n.selected { 3.0 } else { 1.5 };
        let status = if n.status == "reused" { "reused ♻".to_string() } else { n.status.clone() };
        let title = match &n.reason {
            Some(r) => format!("{}: {} ({r})", n.name, n.status),
            None => format!("{}: {}", n.name, n.status),
        };
        let open = n.href.as_ref().map_or_else(String::new, |h| format!(r#"<a href="{}">"#, esc(h)));
        let close = if n.href.is_some() { "</a>" } else { "" };
        let _ = write!(
            s,
            r##"{open}<g class="node" data-step="{name_attr}" data-status="{status_attr}"><title>{title}</title><rect x="{x:.1}" y="{y:.1}" width="{W}" height="{H}" rx="9" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/><text x="{tx:.1}" y="{ty1:.1}" font-size="13" font-weight="600" fill="#1c2330">{name}</text><text x="{tx:.1}" y="{ty2:.1}" font-size="12" fill="{ink}">{status}</text></g>{close}"##,
            name_attr = esc(&n.name),
            status_attr = esc(&n.status),
            title = esc(&title),
            tx = x + 12.0,
            ty1 = y + 22.0,
            ty2 = y + 41.0,
            name = esc(&truncate(&n.name, 24)),
            status = esc(&status),
        );
    }
    s.push_str("</svg>");
    s
}

/// The link of a step on a run page.
pub fn step_link(run: &str, step: &str) -> String {
    format!("/studio/runs/{}?step={}#logs", seg(run), seg(step))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, deps: &[&str], status: &str) -> Node {
        Node {
            name: name.into(),
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            status: status.into(),
            reason: None,
            href: None,
            selected: false,
        }
    }

    #[test]
    fn steps_are_drawn_after_what_they_wait_for() {
        let svg = dag(&[
            node("prep", &[], "completed"),
            node("train_a", &["prep"], "reused"),
            node("train_b", &["prep"], "failed"),
            node("<compare>", &["train_a", "train_b"], "skipped"),
        ]);
        assert_eq!(svg.matches("marker-end=\"url(#arrow)\"").count(), 4, "one curve per edge");
        assert!(svg.contains("&lt;compare&gt;"), "names are escaped");
        assert!(svg.contains("reused ♻"));
        let x_of = |name: &str| {
            let at = svg.find(&format!("data-step=\"{name}\"")).unwrap();
            let rest = &svg[at..];
            let x = rest.find("x=\"").unwrap();
            rest[x + 3..].split('"').next().unwrap().parse::<f64>().unwrap()
        };
        assert!(x_of("prep") < x_of("train_a") && x_of("train_a") < x_of("&lt;compare&gt;"));
    }
}
