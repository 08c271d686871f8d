//! A run's metrics as SVG charts, one per metric name: a line per step when a step logged the
//! metric more than once (by its `step`, an epoch or iteration, else in order), bars across the
//! steps when each logged it once; text values as a table.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::html::esc;
use crate::wire::Metric;

const PALETTE: [&str; 8] =
    ["#2f6fde", "#e0632b", "#1a7f4b", "#8b3fd6", "#c2185b", "#00838f", "#9a5b00", "#546e7a"];
const CW: f64 = 440.0;
const CH: f64 = 220.0;
const ML: f64 = 62.0;
const MR: f64 = 14.0;
const MT: f64 = 12.0;
const MB: f64 = 34.0;

/// A number for an axis or a label.
pub fn num(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(0.001..100_000.0).contains(&a) {
        return format!("{v:.3e}");
    }
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

type Series = BTreeMap<String, Vec<(f64, f64)>>;

/// Every chart of `metrics`, or a note that there are none.
pub fn charts(metrics: &[Metric]) -> String {
    let mut numeric: BTreeMap<&str, Series> = BTreeMap::new();
    let mut texts: Vec<&Metric> = Vec::new();
    for m in metrics {
        match m.value {
            Some(v) if v.is_finite() => {
                let series = numeric.entry(m.name.as_str()).or_default().entry(m.step.clone()).or_default();
                let x = m.at.map_or(series.len() as f64, |a| a as f64);
                series.push((x, v));
            }
            _ => texts.push(m),
        }
    }
    if numeric.is_empty() && texts.is_empty() {
        return r#"<p class="empty">No metrics. Steps log them by appending JSON lines like <code>{"name": "rmse", "value": 0.42}</code> to <code>$SLUICE_METRICS</code>.</p>"#.to_string();
    }
    let mut out = String::from(r#"<div class="charts">"#);
    for (name, series) in &numeric {
        let single = series.values().all(|p| p.len() == 1);
        let svg = if single { bars(series) } else { lines(series) };
        let reused = metrics.iter().any(|m| m.name == *name && m.reused);
        let note = if reused { r#" <span class="muted">(some from reused steps)</span>"# } else { "" };
        let _ = write!(
            out,
            r#"<div class="chart" data-metric="{n}"><h3>{n}{note}</h3>{svg}</div>"#,
            n = esc(name)
        );
    }
    out.push_str("</div>");
    if !texts.is_empty() {
        out.push_str(r#"<table><thead><tr><th>Step</th><th>Metric</th><th>Value</th></tr></thead><tbody>"#);
        for m in texts {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&m.step),
                esc(&m.name),
                esc(m.text.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</tbody></table>");
    }
    out
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if (hi - lo).abs() < f64::EPSILON {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    (lo, hi)
}

fn frame(s: &mut String, lo: f64, hi: f64) {
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{CW}" height="{CH}" viewBox="0 0 {CW} {CH}" role="img">"##
    );
    for k in 0..=4 {
        let v = lo + (hi - lo) * k as f64 / 4.0;
        let y = MT + (CH - MT - MB) * (1.0 - k as f64 / 4.0);
        let _ = write!(
            s,
            r##"<line x1="{ML}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#eef0f3"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#667085">{}</text>"##,
            CW - MR,
            ML - 6.0,
            y + 4.0,
            esc(&num(v))
        );
    }
}

fn lines(series: &Series) -> String {
    let (xlo, xhi) = range(series.values().flatten().map(|p| p.0));
    let (ylo, yhi) = range(series.values().flatten().map(|p| p.1));
    let px = |x: f64| ML + (CW - ML - MR) * (x - xlo) / (xhi - xlo);
    let py = |y: f64| MT + (CH - MT - MB) * (1.0 - (y - ylo) / (yhi - ylo));
    let mut s = String::new();
    frame(&mut s, ylo, yhi);
    let _ = write!(
        s,
        r##"<text x="{ML}" y="{:.1}" font-size="11" fill="#667085">{}</text><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#667085">{}</text>"##,
        CH - 14.0,
        esc(&num(xlo)),
        CW - MR,
        CH - 14.0,
        esc(&num(xhi))
    );
    for (k, (step, points)) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let mut sorted = points.clone();
        sorted.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        let pts: Vec<String> = sorted.iter().map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y))).collect();
        let _ = write!(
            s,
            r##"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"><title>{}</title></polyline>"##,
            pts.join(" "),
            esc(step)
        );
        for (x, y) in &sorted {
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{colour}"><title>{}: {} at {}</title></circle>"##,
                px(*x),
                py(*y),
                esc(step),
                esc(&num(*y)),
                esc(&num(*x))
            );
        }
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="10" height="3" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#344054">{}</text>"##,
            ML + 8.0 + 110.0 * k as f64,
            CH - 8.0,
            ML + 22.0 + 110.0 * k as f64,
            CH - 3.0,
            esc(step)
        );
    }
    s.push_str("</svg>");
    s
}

fn bars(series: &Series) -> String {
    let values: Vec<(&String, f64)> =
        series.iter().filter_map(|(k, p)| p.first().map(|v| (k, v.1))).collect();
    let (mut lo, hi) = range(values.iter().map(|v| v.1));
    lo = lo.min(0.0);
    let py = |y: f64| MT + (CH - MT - MB) * (1.0 - (y - lo) / (hi - lo));
    let mut s = String::new();
    frame(&mut s, lo, hi);
    let n = values.len().max(1) as f64;
    let slot = (CW - ML - MR) / n;
    let bw = (slot * 0.6).min(64.0);
    for (k, (step, v)) in values.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let x = ML + slot * k as f64 + (slot - bw) / 2.0;
        let (top, bottom) = (py(v.max(0.0)), py(v.min(0.0)));
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{top:.1}" width="{bw:.1}" height="{:.1}" rx="3" fill="{colour}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#344054">{}</text><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#1c2330">{}</text>"##,
            (bottom - top).max(1.0),
            esc(step),
            esc(&num(*v)),
            x + bw / 2.0,
            CH - 14.0,
            esc(step),
            x + bw / 2.0,
            top - 4.0,
            esc(&num(*v))
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(step: &str, name: &str, v: f64, at: Option<i64>) -> Metric {
        Metric { step: step.into(), name: name.into(), value: Some(v), text: None, at, reused: false }
    }

    #[test]
    fn series_become_lines_and_single_values_bars() {
        let html = charts(&[
            metric("train", "loss", 1.0, Some(0)),
            metric("train", "loss", 0.5, Some(1)),
            metric("train", "loss", 0.25, Some(2)),
            metric("train_a", "rmse", 0.42, None),
            metric("train_b", "rmse", 0.39, None),
        ]);
        assert!(html.contains(r#"data-metric="loss""#) && html.contains("<polyline"));
        assert!(html.contains(r#"data-metric="rmse""#) && html.matches("<rect x=").count() >= 2);
        assert_eq!(num(0.123456), "0.1235");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(1e-7), "1.000e-7");
    }
}
