//! Strings of a v2 file with their expressions parsed and their positions mapped back to the
//! source, and the classification of each `${{...}}` expression.

use crate::diagnostic::Diagnostic;
use crate::ir::Name;
use crate::lower::LowerCtx;
use crate::source::{FileId, Span};
use crate::syntax::v2::binding::{self, Expr, Segment, SpanMap, Template, TemplateError};
use crate::yaml::Spanned;

/// A string as written in a file, ready to be searched for expressions.
#[derive(Debug, Clone)]
pub struct Text {
    /// The decoded value.
    pub value: String,
    /// File it is written in.
    pub file: FileId,
    /// Where its bytes are in the source.
    pub map: SpanMap,
    /// Span of the whole scalar.
    pub span: Span,
}

impl Text {
    /// A spanned string of the file `cx` lowers.
    pub fn new(cx: &LowerCtx, value: &str, span: Span) -> Text {
        let raw = cx.text.get(span.start as usize..span.end as usize).unwrap_or("");
        let map =
            if binding::has_template(value) { SpanMap::new(value, raw, span) } else { SpanMap::whole(span) };
        Text { value: value.to_string(), file: cx.file, map, span }
    }

    /// From a spanned string.
    pub fn of(cx: &LowerCtx, s: &Spanned<String>) -> Text {
        Text::new(cx, &s.value, s.span)
    }

    /// The source span of a byte range of the value.
    pub fn span_of(&self, range: std::ops::Range<usize>) -> Span {
        self.map.span(range)
    }

    /// A name for one segment of an expression, placed on the whole expression (diagnostics
    /// point at the binding, and say which name in it is wrong).
    pub fn name(&self, seg: &Segment, e: &Expr) -> Name {
        Name { value: seg.text.clone(), file: self.file, span: self.span_of(e.range.clone()) }
    }

    /// The whole expression as a name (its text and span).
    pub fn expr_name(&self, e: &Expr) -> Name {
        Name {
            value: self.value.get(e.range.clone()).unwrap_or("").to_string(),
            file: self.file,
            span: self.span_of(e.range.clone()),
        }
    }

    /// Parses the expressions, turning shape problems into diagnostics.
    pub fn parse(&self, out: &mut Vec<Diagnostic>) -> Template {
        if !binding::has_template(&self.value) {
            return Template { parts: vec![binding::Part::Text(0..self.value.len())] };
        }
        let (t, errors) = binding::parse(&self.value);
        for e in errors {
            out.push(self.template_error(&e));
        }
        t
    }

    fn template_error(&self, e: &TemplateError) -> Diagnostic {
        use crate::check::{invalid_binding, unclosed_expression};
        match e {
            TemplateError::Unclosed { range, opener } => {
                let close = if *opener == "${{" { "}}" } else { "]]" };
                unclosed_expression::RULE
                    .at(self.file, self.span_of(range.clone()), format!("`{opener}` is never closed"))
                    .with_help(format!("close it with `{close}`"))
            }
            TemplateError::Malformed { range, reason } => invalid_binding::RULE
                .at(self.file, self.span_of(range.clone()), format!("malformed expression: {reason}"))
                .with_help("write a dotted path such as `${{parent.inputs.x}}` or `${{inputs.x}}`"),
            TemplateError::NestedOptional { range } => invalid_binding::RULE
                .at(
                    self.file,
                    self.span_of(range.clone()),
                    "`$[[` inside `$[[ ... ]]`: optional fragments do not nest",
                )
                .with_help("close the outer fragment with `]]` first"),
        }
    }
}

/// What an expression refers to.
#[derive(Debug, Clone, Copy)]
pub enum Ref<'e> {
    /// `${{parent.inputs.x}}`.
    ParentInput(&'e Segment),
    /// `${{parent.outputs.y}}`.
    ParentOutput(&'e Segment),
    /// `${{parent.jobs.j}}` (a job itself: control flow bodies and blocks).
    Job(&'e Segment),
    /// `${{parent.jobs.j.outputs.o}}`.
    JobOutput(&'e Segment, &'e Segment),
    /// `${{parent.jobs.j.inputs.i}}`.
    JobInput(&'e Segment, &'e Segment),
    /// `${{inputs.x}}` (commands and job-level fields).
    Input(&'e Segment),
    /// `${{outputs.y}}`.
    Output(&'e Segment),
    /// `${{search_space.p}}` (sweeps).
    SearchSpace(&'e Segment),
    /// A value the service fills in: `${{name}}`, `${{output_name}}`, `${{default_datastore}}`.
    Macro,
    /// Not a binding sluice knows; the reason.
    Invalid(&'static str),
}

/// Single-word expressions the service replaces at run time.
pub const MACROS: [&str; 5] = ["name", "output_name", "default_datastore", "uuid", "run_id"];

/// Classifies an expression by its path.
pub fn classify(e: &Expr) -> Ref<'_> {
    let s = &e.segments;
    let word = |i: usize| s.get(i).map(|x| x.text.as_str());
    match (word(0), word(1), s.len()) {
        (Some("parent"), Some("inputs"), n) if n >= 3 => Ref::ParentInput(&s[2]),
        (Some("parent"), Some("outputs"), 3) => Ref::ParentOutput(&s[2]),
        (Some("parent"), Some("jobs"), 3) => Ref::Job(&s[2]),
        (Some("parent"), Some("jobs"), 5) => match word(3) {
            Some("outputs") => Ref::JobOutput(&s[2], &s[4]),
            Some("inputs") => Ref::JobInput(&s[2], &s[4]),
            _ => Ref::Invalid("after `parent.jobs.<job>` comes `outputs.<name>` or `inputs.<name>`"),
        },
        (Some("parent"), Some("jobs"), 4) => {
            Ref::Invalid("name the port: `${{parent.jobs.<job>.outputs.<name>}}`")
        }
        (Some("parent"), Some("inputs" | "outputs"), _) => {
            Ref::Invalid("name the port after `parent.inputs.`")
        }
        (Some("parent"), _, _) => {
            Ref::Invalid("after `parent.` comes `inputs.<name>`, `outputs.<name>` or `jobs.<job>`")
        }
        (Some("inputs"), _, 2) => Ref::Input(&s[1]),
        (Some("outputs"), _, 2) => Ref::Output(&s[1]),
        (Some("search_space"), _, 2) => Ref::SearchSpace(&s[1]),
        (Some(w), None, 1) if MACROS.contains(&w) => Ref::Macro,
        _ => Ref::Invalid(
            "bindings are `${{parent.inputs.x}}`, `${{parent.jobs.j.outputs.o}}`, `${{parent.outputs.y}}`, or `${{inputs.x}}`/`${{outputs.y}}` in commands",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::v2::binding::parse;

    fn kind(s: &str) -> String {
        let (t, _) = parse(s);
        let (e, _) = binding::expressions(&t)[0];
        match classify(e) {
            Ref::ParentInput(x) => format!("pi:{}", x.text),
            Ref::ParentOutput(x) => format!("po:{}", x.text),
            Ref::Job(j) => format!("job:{}", j.text),
            Ref::JobOutput(j, o) => format!("jo:{}.{}", j.text, o.text),
            Ref::JobInput(j, i) => format!("ji:{}.{}", j.text, i.text),
            Ref::Input(x) => format!("in:{}", x.text),
            Ref::Output(x) => format!("out:{}", x.text),
            Ref::SearchSpace(x) => format!("ss:{}", x.text),
            Ref::Macro => "macro".into(),
            Ref::Invalid(_) => "invalid".into(),
        }
    }

    #[test]
    fn classifies() {
        assert_eq!(kind("${{parent.inputs.x}}"), "pi:x");
        assert_eq!(kind("${{parent.outputs.y}}"), "po:y");
        assert_eq!(kind("${{parent.jobs.a.outputs.o}}"), "jo:a.o");
        assert_eq!(kind("${{parent.jobs.a.inputs.i}}"), "ji:a.i");
        assert_eq!(kind("${{parent.jobs.a}}"), "job:a");
        assert_eq!(kind("${{inputs.x}}"), "in:x");
        assert_eq!(kind("${{search_space.lr}}"), "ss:lr");
        assert_eq!(kind("${{name}}"), "macro");
        assert_eq!(kind("${{parent.job.a}}"), "invalid");
        assert_eq!(kind("${{parent.jobs.a.outputs}}"), "invalid");
    }
}
