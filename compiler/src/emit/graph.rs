//! `sluice graph`: the DAG as Graphviz DOT or Mermaid.

use std::fmt::Write;

use crate::ir::{EdgeKind, Pipeline, Source, StepKind};

/// Graph output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// Renders the pipeline's DAG; nested pipelines become clusters (DOT) or subgraphs (Mermaid).
pub fn render(pipeline: &Pipeline, format: GraphFormat) -> String {
    let mut out = String::new();
    let title = pipeline.name.as_ref().map(|n| n.value.as_str()).unwrap_or("pipeline");
    match format {
        GraphFormat::Dot => {
            let _ = writeln!(out, "digraph {} {{", dot_id(title));
            out.push_str("  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
            dot_body(&mut out, pipeline, "", 1);
            out.push_str("}\n");
        }
        GraphFormat::Mermaid => {
            out.push_str("flowchart LR\n");
            mermaid_body(&mut out, pipeline, "", 1);
        }
    }
    out
}

fn dot_id(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn step_label(p: &Pipeline, i: usize) -> String {
    let s = &p.steps[i];
    match &s.display_name {
        Some(d) if d != &s.key.value => format!("{}\\n{} ({})", s.key.value, d, s.kind.name()),
        _ => format!("{}\\n{}", s.key.value, s.kind.name()),
    }
}

fn dot_body(out: &mut String, p: &Pipeline, prefix: &str, depth: usize) {
    let pad = "  ".repeat(depth);
    let id = |key: &str| dot_id(&format!("{prefix}{key}"));
    for (i, s) in p.steps.iter().enumerate() {
        if let StepKind::Pipeline(sub) = &s.kind {
            let _ = writeln!(out, "{pad}subgraph {} {{", dot_id(&format!("cluster_{prefix}{}", s.key.value)));
            let _ = writeln!(out, "{pad}  label={};", dot_id(&s.key.value));
            dot_body(out, sub, &format!("{prefix}{}/", s.key.value), depth + 1);
            let _ = writeln!(out, "{pad}}}");
        }
        let _ = writeln!(
            out,
            "{pad}{} [label={}];",
            id(&s.key.value),
            dot_id(&step_label(p, i)).replace("\\\\n", "\\n")
        );
    }
    for d in &p.data {
        let _ = writeln!(
            out,
            "{pad}{} [shape=cylinder, label={}];",
            id(&format!("data:{}", d.name.value)),
            dot_id(&d.name.value)
        );
    }
    for (from, to, kind) in p.dag.edges() {
        let (a, b) = (id(&p.step(from).key.value), id(&p.step(to).key.value));
        match kind {
            EdgeKind::Data { output, input, .. } => {
                let label = if output == input { output.clone() } else { format!("{output} -> {input}") };
                let _ = writeln!(out, "{pad}{a} -> {b} [label={}];", dot_id(&label));
            }
            EdgeKind::Order { .. } => {
                let _ = writeln!(out, "{pad}{a} -> {b} [style=dashed];");
            }
        }
    }
    for s in &p.steps {
        for input in &s.inputs {
            if let Source::Data { index, .. } = input.source {
                let d = &p.data[index];
                let _ = writeln!(
                    out,
                    "{pad}{} -> {} [label={}];",
                    id(&format!("data:{}", d.name.value)),
                    id(&s.key.value),
                    dot_id(&input.name.value)
                );
            }
        } // A copy writes into a data reference.
        if let StepKind::DataTransfer { destination, .. } = &s.kind
            && p.data.iter().any(|d| d.name.value == destination.value)
        {
            let _ = writeln!(
                out,
                "{pad}{} -> {} [label=\"destination\"];",
                id(&s.key.value),
                id(&format!("data:{}", destination.value))
            );
        }
    }
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

fn mermaid_body(out: &mut String, p: &Pipeline, prefix: &str, depth: usize) {
    let pad = "  ".repeat(depth);
    let id = |i: usize| format!("{}s{i}", prefix.replace('/', "_"));
    for (i, s) in p.steps.iter().enumerate() {
        if let StepKind::Pipeline(sub) = &s.kind {
            let _ = writeln!(out, "{pad}subgraph {}_sub[\"{}\"]", id(i), mermaid_text(&s.key.value));
            mermaid_body(out, sub, &format!("{}_", id(i)), depth + 1);
            let _ = writeln!(out, "{pad}end");
        }
        let label = step_label(p, i).replace("\\n", "<br/>");
        let label = mermaid_text(&label).replace("#lt;br/#gt;", "<br/>");
        let _ = writeln!(out, "{pad}{}[\"{label}\"]", id(i));
    }
    for (j, d) in p.data.iter().enumerate() {
        let _ = writeln!(out, "{pad}{}d{j}[(\"{}\")]", prefix.replace('/', "_"), mermaid_text(&d.name.value));
    }
    for (from, to, kind) in p.dag.edges() {
        match kind {
            EdgeKind::Data { output, .. } => {
                let _ = writeln!(out, "{pad}{} -->|{}| {}", id(from.0), mermaid_text(output), id(to.0));
            }
            EdgeKind::Order { .. } => {
                let _ = writeln!(out, "{pad}{} -.-> {}", id(from.0), id(to.0));
            }
        }
    }
    for (i, s) in p.steps.iter().enumerate() {
        for input in &s.inputs {
            if let Source::Data { index, .. } = input.source {
                let _ = writeln!(
                    out,
                    "{pad}{}d{index} -->|{}| {}",
                    prefix.replace('/', "_"),
                    mermaid_text(&input.name.value),
                    id(i)
                );
            }
        }
        if let StepKind::DataTransfer { destination, .. } = &s.kind
            && let Some(j) = p.data.iter().position(|d| d.name.value == destination.value)
        {
            let _ = writeln!(out, "{pad}{} -->|destination| {}d{j}", id(i), prefix.replace('/', "_"));
        }
    }
}
