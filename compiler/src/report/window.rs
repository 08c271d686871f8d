//! What miette sees of a file for one diagnostic: only the lines around its labels, each line cut
//! to a window around its labels when it is long, with line numbers and columns of the real file.
//! Reading a span costs a binary search and the size of what is shown, never the size of the
//! file, so rendering many diagnostics is linear in the output.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::source::{SourceFile, Span};

/// Lines of context miette shows before and after a label (its default).
pub const CONTEXT_LINES: usize = 1;
/// Labels whose context lines are at most this many lines apart show as one snippet with the
/// lines between; farther apart, as snippets of their own (so output never grows with the
/// distance between two labels).
const MERGE_GAP: usize = 5;
/// A line longer than this many characters is cut to a window around its labels.
pub const MAX_LINE_CHARS: usize = 160;
/// Characters kept of a line that is cut.
const WINDOW_CHARS: usize = 120;
/// Characters kept before the first label on a cut line.
const LEAD_CHARS: usize = 40;
/// Marks text left out of a cut line.
const ELLIPSIS: &str = "…";

/// One shown line: where its kept text is in the file and in the view.
#[derive(Debug)]
struct ViewLine {
    /// 0-based line number in the file.
    number: usize,
    /// Kept byte range of the file (the whole line, or a window of it).
    kept: std::ops::Range<usize>,
    /// Offset in the view of the line's first byte (an ellipsis when the start was cut).
    view_start: usize,
    /// Offset in the view of the first kept byte.
    view_kept: usize,
    /// Offset in the view just past the line (its terminator included).
    view_end: usize,
    /// First line of its run of consecutive lines (context never crosses a gap).
    run_start: usize,
}

/// The lines of one file shown for one diagnostic, as a [`SourceCode`] of its own.
#[derive(Debug)]
pub struct Window<'f> {
    name: String,
    file: &'f SourceFile,
    view: String,
    lines: Vec<ViewLine>,
}

impl<'f> Window<'f> {
    /// The view of `file`, named `name` in reports, that shows every span in `spans` with its
    /// context lines; `text` is what to show of the file (secrets masked, the same byte layout).
    pub fn new(name: String, file: &'f SourceFile, text: &str, spans: &[Span]) -> Window<'f> {
        let last_line = file.line_count().saturating_sub(1);
        // Lines to show, as sorted and merged ranges.
        let mut ranges: Vec<(usize, usize)> = spans
            .iter()
            .map(|s| {
                let (first, last) = label_lines(file, *s);
                (first.saturating_sub(CONTEXT_LINES), (last + CONTEXT_LINES).min(last_line))
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1 + 1 + MERGE_GAP => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let mut w = Window { name, file, view: String::new(), lines: Vec::new() };
        for (a, b) in merged {
            let run_start = w.lines.len();
            for n in a..=b {
                w.push_line(text, n, spans, run_start);
            }
        }
        w
    }

    fn push_line(&mut self, text: &str, n: usize, spans: &[Span], run_start: usize) {
        let start = self.file.line_start(n + 1) as usize;
        let next = self.file.line_start(n + 2) as usize;
        let (content_end, terminator) = split_terminator(text, start, next);
        let kept = cut(text, start, content_end, spans);
        let view_start = self.view.len();
        if kept.start > start {
            self.view.push_str(ELLIPSIS);
        }
        let view_kept = self.view.len();
        self.view.push_str(&text[kept.clone()]);
        if kept.end < content_end {
            self.view.push_str(ELLIPSIS);
        }
        self.view.push_str(terminator);
        let view_end = self.view.len();
        self.lines.push(ViewLine { number: n, kept, view_start, view_kept, view_end, run_start });
    }

    /// A span of the file as a span of the view. Offsets in text cut from a line map to the
    /// nearest ellipsis; a span that ends past a cut ends after the ellipsis.
    pub fn span(&self, s: Span) -> SourceSpan {
        let start = self.offset(s.start as usize, false);
        let end = if s.is_empty() { start } else { self.offset(s.end as usize, true).max(start) };
        SourceSpan::new(start.into(), end - start)
    }

    fn offset(&self, at: usize, is_end: bool) -> usize {
        let Some(line) = self.line_of_file_offset(at, is_end) else { return 0 };
        let l = &self.lines[line];
        if at < l.kept.start {
            l.view_start
        } else if at <= l.kept.end {
            l.view_kept + (at - l.kept.start)
        } else if is_end {
            // Past the kept text: the span goes on beyond the ellipsis (or into the terminator).
            let cut_end = l.view_kept + l.kept.len();
            if cut_end < l.view_end && self.view[cut_end..].starts_with(ELLIPSIS) {
                cut_end + ELLIPSIS.len()
            } else {
                (l.view_kept + (at - l.kept.start)).min(l.view_end)
            }
        } else {
            (l.view_kept + l.kept.len()).min(l.view_end)
        }
    }

    /// The shown line holding a file offset (an end offset at a line start belongs to the line
    /// before, when that line is shown).
    fn line_of_file_offset(&self, at: usize, is_end: bool) -> Option<usize> {
        let number = self.file.line_of(at as u32);
        let number = if is_end && number > 0 && self.file.line_start(number + 1) as usize == at {
            number - 1
        } else {
            number
        };
        match self.lines.binary_search_by_key(&number, |l| l.number) {
            Ok(i) => Some(i),
            Err(i) => Some(i.min(self.lines.len().saturating_sub(1))).filter(|_| !self.lines.is_empty()),
        }
    }

    /// The shown line holding a view offset.
    fn line_of_view_offset(&self, at: usize) -> usize {
        match self.lines.binary_search_by(|l| {
            if l.view_end <= at {
                std::cmp::Ordering::Less
            } else if l.view_start > at {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        }) {
            Ok(i) => i,
            Err(i) => i.min(self.lines.len().saturating_sub(1)),
        }
    }

    /// The file offset shown at a view offset.
    fn file_offset(&self, at: usize) -> usize {
        let l = &self.lines[self.line_of_view_offset(at)];
        if at <= l.view_kept { l.kept.start } else { (l.kept.start + (at - l.view_kept)).min(l.kept.end) }
    }

    fn run_end(&self, line: usize) -> usize {
        let run = self.lines[line].run_start;
        let mut end = line;
        while end + 1 < self.lines.len() && self.lines[end + 1].run_start == run {
            end += 1;
        }
        end
    }
}

impl SourceCode for Window<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        if self.lines.is_empty() || span.offset() > self.view.len() {
            return Err(MietteError::OutOfBounds);
        }
        // The last byte of the span decides its last line, as miette's own reader has it.
        let last_byte = span.offset() + span.len().max(1) - 1;
        let first = self.line_of_view_offset(span.offset());
        let last = self.line_of_view_offset(last_byte.min(self.view.len().saturating_sub(1))).max(first);
        let run_start = self.lines[first].run_start;
        let from = first.saturating_sub(before).max(run_start);
        let to = (last + after).min(self.run_end(last));
        let (start, end) = (self.lines[from].view_start, self.lines[to].view_end);
        // miette joins two labels' snippets when the first one's line plus this count reaches the
        // second's line: count to the end of the run, so labels of one run join and others not.
        let count = self.lines[self.run_end(last)].number + 1 - self.lines[from].number;
        let at = self.file.line_col(self.file_offset(span.offset()) as u32);
        let (line, column) =
            if before == 0 { (at.line - 1, at.column - 1) } else { (self.lines[from].number, 0) };
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                &self.view.as_bytes()[start..end],
                SourceSpan::new(start.into(), end - start),
                line,
                column,
                count,
            )
            .with_language("yaml"),
        ))
    }
}

/// First and last line (0-based) a label covers: the last is that of its last byte.
fn label_lines(file: &SourceFile, s: Span) -> (usize, usize) {
    let first = file.line_of(s.start);
    let last = file.line_of(s.start + s.len().max(1) - 1);
    (first, last.max(first))
}

/// The end of a line's content and its terminator (`\n`, `\r\n` or nothing).
fn split_terminator(text: &str, start: usize, next: usize) -> (usize, &str) {
    let line = &text[start..next];
    if line.ends_with("\r\n") {
        (next - 2, "\r\n")
    } else if line.ends_with('\n') {
        (next - 1, "\n")
    } else {
        (next, "")
    }
}

/// The part of line `n` (`start..end`, without its terminator) to show: all of it when short,
/// else a window starting a little before the first label on it.
fn cut(text: &str, start: usize, end: usize, spans: &[Span]) -> std::ops::Range<usize> {
    let line = &text[start..end];
    if line.len() <= MAX_LINE_CHARS || line.char_indices().nth(MAX_LINE_CHARS).is_none() {
        return start..end;
    }
    // The first place on this line a label starts or ends.
    let first_point = spans
        .iter()
        .flat_map(|s| [s.start as usize, s.end as usize])
        .filter(|&p| p >= start && p <= end)
        .min()
        .unwrap_or(start);
    let lead =
        text[start..first_point].char_indices().rev().nth(LEAD_CHARS - 1).map_or(start, |(i, _)| start + i);
    let from = if first_point - start <= LEAD_CHARS { start } else { lead };
    let to = text[from..end].char_indices().nth(WINDOW_CHARS).map_or(end, |(i, _)| from + i);
    from..to
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(w: &Window<'_>, s: Span, before: usize) -> (String, usize, usize, usize) {
        let c = w.read_span(&w.span(s), before, before).unwrap();
        (String::from_utf8_lossy(c.data()).into_owned(), c.line(), c.column(), c.line_count())
    }

    #[test]
    fn shows_only_the_lines_around_each_label() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let f = SourceFile::new("a.yml", text.as_str());
        let at = |i: usize| text.find(&format!("line {i}\n")).unwrap() as u32;
        let spans = [Span::new(at(10), at(10) + 4), Span::new(at(90) + 5, at(90) + 7)];
        let w = Window::new("a.yml".into(), &f, &text, &spans);
        assert_eq!(w.view.lines().count(), 6);
        assert_eq!(contents(&w, spans[0], 1), ("line 9\nline 10\nline 11\n".into(), 9, 0, 3));
        // Labels a few lines apart show in one run, with the lines between.
        let near = [Span::new(at(10), at(10) + 4), Span::new(at(16), at(16) + 4)];
        let w2 = Window::new("a.yml".into(), &f, &text, &near);
        assert_eq!(w2.view.lines().count(), 9);
        assert_eq!(contents(&w, spans[1], 0), ("line 90\n".into(), 90, 5, 2));
        // Context stops at a gap rather than running into the other label's lines.
        assert_eq!(contents(&w, spans[1], 5).0, "line 89\nline 90\nline 91\n");
    }

    #[test]
    fn a_long_line_is_cut_around_its_label() {
        let long = format!("key: {}TARGET{}\n", "x".repeat(10_000), "y".repeat(10_000));
        let text = format!("a: 1\n{long}b: 2\n");
        let f = SourceFile::new("a.yml", text.as_str());
        let t = text.find("TARGET").unwrap() as u32;
        let w = Window::new("a.yml".into(), &f, &text, &[Span::new(t, t + 6)]);
        let (data, line, _, _) = contents(&w, Span::new(t, t + 6), 1);
        assert_eq!(line, 0);
        let shown = data.lines().nth(1).unwrap();
        assert!(shown.starts_with(ELLIPSIS) && shown.ends_with(ELLIPSIS), "{shown}");
        assert!(shown.chars().count() <= WINDOW_CHARS + 2, "{}", shown.len());
        assert!(shown.contains("TARGET"));
        // The header still gives the real column.
        assert_eq!(contents(&w, Span::new(t, t + 6), 0).2, 10_005);
        let view = w.span(Span::new(t, t + 6));
        assert_eq!(&w.view[view.offset()..view.offset() + view.len()], "TARGET");
    }

    #[test]
    fn a_label_running_past_the_cut_ends_after_the_ellipsis() {
        let text = format!("k: {}\n", "z".repeat(5_000));
        let f = SourceFile::new("a.yml", text.as_str());
        let s = Span::new(3, 5_003);
        let w = Window::new("a.yml".into(), &f, &text, &[s]);
        let v = w.span(s);
        assert!(w.view[v.offset()..v.offset() + v.len()].ends_with(ELLIPSIS));
    }
}
