//! Putting values into a command template so that each stays one literal word.
//!
//! A v2 `command:` is run by `bash -c` (or `sh -c`). Azure ML pastes `${{inputs.x}}` values into
//! the text as they are; sluice instead follows the author's text with a small POSIX shell
//! lexer and writes each value quoted for the place it lands in: outside quotes as a single
//! quoted word (`'a b'`, with `'\''` for a quote), inside `"..."` with `\` before `$`, `` ` ``,
//! `"` and `\`, inside `'...'` by closing and reopening the quotes around `\'`, inside `$'...'`
//! with `\\` and `\'`, inside backquotes with one more level of escaping, in a here-document
//! body as the body's own rules ask. A value made only of characters no shell treats specially
//! (letters, digits, `_@%+:,./-`) is written as it is, so ordinary commands read as before.
//! The author's text is kept as written; a value never becomes code, a second word, a
//! variable name after a `$`, or the end of a quote, a command substitution or a
//! here-document.

/// Characters a value may hold and still be written without quotes anywhere.
fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_@%+:,./-".contains(c)
}

/// Which language reads the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// A POSIX shell (`bash -c`, `sh -c`).
    Sh,
    /// Plain words with `'...'`, `"..."` and `\` quoting and nothing else (the program
    /// arguments of a parallel step, split by [`crate::parallel::split_words`]).
    Words,
}

/// Why a value cannot be put into a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellError {
    /// The value holds a NUL byte, which no argument, environment variable or shell text can.
    #[error("the value of {what} holds a NUL byte (at byte {at}), which no program argument can carry")]
    Nul {
        /// The placeholder, e.g. ``input `msg` ``.
        what: String,
        /// Byte offset of the NUL.
        at: usize,
    },
    /// The value is inside a here-document body and holds a line break, which would let it
    /// end the document.
    #[error(
        "the value of {what} holds a line break and is inside a here-document (`<<{delimiter}`); \
         pass it as an argument or in a file instead"
    )]
    HeredocLineBreak {
        /// The placeholder.
        what: String,
        /// The document's delimiter.
        delimiter: String,
    },
    /// A line of a here-document made with a value equals the document's delimiter.
    #[error(
        "with the value of {what}, a line of the here-document equals its delimiter `{delimiter}`, \
         which would end it early"
    )]
    HeredocEnded {
        /// The placeholder.
        what: String,
        /// The document's delimiter.
        delimiter: String,
    },
    /// A placeholder is the delimiter word of a here-document.
    #[error("{what} is used as the delimiter of a here-document; write the delimiter as text")]
    HeredocDelimiter {
        /// The placeholder.
        what: String,
    },
    /// A placeholder is inside backquotes that are nested or inside double quotes, where
    /// shells read quotes and backslashes differently.
    #[error(
        "{what} is inside backquotes within double quotes or other backquotes, which shells read differently; use `$(...)` instead"
    )]
    Backquotes {
        /// The placeholder.
        what: String,
    },
    /// A value holding a single quote, `<(` or `>(` is inside `"${...}"`, where bash reads
    /// them as quotes and process substitutions and other shells do not.
    #[error(
        "the value of {what} holds a single quote, `<(` or `>(` and is inside `\"${{...}}\"`, where bash and sh read them differently; move the placeholder out of the expansion"
    )]
    QuoteInExpansion {
        /// The placeholder.
        what: String,
    },
    /// Quotes before the placeholder (inside `"${...}"`) are read differently by bash and sh,
    /// so the place it lands in is not known.
    #[error(
        "{what} follows quotes inside `\"${{...}}\"`, which bash and sh read differently; write the command without them"
    )]
    Ambiguous {
        /// The placeholder.
        what: String,
    },
}

/// A quoting context of the text read so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Unquoted text at the top level.
    Top,
    /// Unquoted text inside `$(...)` or `$((...))`, with the parentheses still open.
    CmdSub(u32),
    /// Unquoted text inside backquotes.
    Backquote {
        /// A `` \` `` was seen inside (a nested substitution).
        nested: bool,
    },
    /// Inside `'...'`.
    Single,
    /// Inside `"..."`.
    Double,
    /// Inside `$'...'`.
    Ansi,
    /// Inside `${...}`; `double` when the expansion is itself inside double quotes.
    Param {
        /// Inside `"..."`.
        double: bool,
    },
}

/// A here-document announced on the current line.
#[derive(Debug, Clone)]
struct Heredoc {
    delimiter: String,
    /// Any part of the delimiter was quoted: the body is literal.
    quoted: bool,
    /// `<<-`: leading tabs are removed from body lines.
    strip_tabs: bool,
}

/// The delimiter word of a here-document, being read.
#[derive(Debug, Clone)]
struct Capture {
    depth: usize,
    word: String,
    quoted: bool,
    strip_tabs: bool,
    /// The character after `<<` was seen (it may be the `-` of `<<-`).
    begun: bool,
}

/// The body of a here-document, being read line by line.
#[derive(Debug, Clone)]
struct Body {
    doc: Heredoc,
    line: String,
    /// The placeholder whose value is on the current line.
    value_on_line: Option<String>,
    /// Documents announced on the same line, read after this one.
    queued: Vec<Heredoc>,
}

/// A command text built from the author's text and values.
#[derive(Debug, Clone)]
pub struct CommandText {
    dialect: Dialect,
    out: String,
    stack: Vec<Frame>,
    /// The last character was an unconsumed `\`.
    escaped: bool,
    /// The last character was a `$` that starts an expansion.
    dollar: bool,
    /// The next character starts a word (so `#` starts a comment).
    word_start: bool,
    comment: bool,
    /// `<` characters just seen.
    lt: u8,
    /// Quotes were seen that bash and sh read differently (inside `"${...}"`).
    ambiguous: bool,
    capture: Option<Capture>,
    pending: Vec<Heredoc>,
    body: Option<Body>,
}

impl CommandText {
    /// An empty text read as `dialect`.
    pub fn new(dialect: Dialect) -> CommandText {
        CommandText {
            dialect,
            out: String::new(),
            stack: vec![Frame::Top],
            escaped: false,
            dollar: false,
            word_start: true,
            comment: false,
            lt: 0,
            ambiguous: false,
            capture: None,
            pending: Vec::new(),
            body: None,
        }
    }

    /// Appends the author's text as written.
    pub fn push_text(&mut self, text: &str) -> Result<(), ShellError> {
        for c in text.chars() {
            self.author_char(c)?;
            self.out.push(c);
        }
        Ok(())
    }

    /// Appends `value` so that it reads as literal text at this place; `what` names the
    /// placeholder in errors (``input `msg` ``).
    pub fn push_value(&mut self, what: &str, value: &str) -> Result<(), ShellError> {
        if let Some(at) = value.find('\0') {
            return Err(ShellError::Nul { what: what.to_string(), at });
        }
        if self.capture.is_some() || (self.lt == 2 && self.body.is_none() && !self.comment) {
            return Err(ShellError::HeredocDelimiter { what: what.to_string() });
        }
        if self.body.is_some() {
            return self.push_body_value(what, value);
        }
        if self.comment {
            // Not run; only a line break would end the comment early.
            self.out.extend(value.chars().map(|c| if c == '\n' { ' ' } else { c }));
            return Ok(());
        }
        let top = self.top();
        if self.ambiguous {
            return Err(ShellError::Ambiguous { what: what.to_string() });
        }
        if self.backquotes_unclear() {
            return Err(ShellError::Backquotes { what: what.to_string() });
        }
        if top == (Frame::Param { double: true })
            && (value.contains('\'') || value.contains("<(") || value.contains(">("))
        {
            return Err(ShellError::QuoteInExpansion { what: what.to_string() });
        }
        if self.escaped && value.is_empty() {
            // The author's `\` then applies to the text after the placeholder, as the shell
            // will read it.
            return Ok(());
        }
        let mut text = String::new();
        let mut rest = value;
        if self.dollar && !matches!(top, Frame::Single | Frame::Ansi) {
            // `$` before a value would expand it as a name: make the `$` literal.
            self.out.pop();
            text.push_str("\\$");
        }
        if self.escaped && top == Frame::Ansi {
            // In `$'...'` a `\` before the value would make an escape sequence of it: it is
            // written as a literal backslash.
            self.out.push('\\');
            self.escaped = false;
        }
        if self.escaped {
            // The author's `\` applies to the value's first character; it stays literal.
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                text.push(c);
                rest = chars.as_str();
            }
        }
        quote_into(&mut text, top, rest, self.escaped);
        if self.dialect == Dialect::Sh && self.stack.iter().any(|f| matches!(f, Frame::Backquote { .. })) {
            // Backquotes take `\\` and `` \` `` before their text is read again.
            text = text.replace('\\', "\\\\").replace('`', "\\`");
        }
        self.out.push_str(&text);
        self.escaped = false;
        self.dollar = false;
        self.word_start = false;
        self.lt = 0;
        Ok(())
    }

    /// The finished text.
    pub fn finish(self) -> Result<String, ShellError> {
        if let Some(body) = &self.body {
            // A last line without a line break also ends a here-document.
            self.check_body_line(body)?;
        }
        Ok(self.out)
    }

    fn top(&self) -> Frame {
        self.stack.last().copied().unwrap_or(Frame::Top)
    }

    /// True inside backquotes that are nested, or inside double quotes (POSIX leaves quotes
    /// in them undefined, and bash and dash differ).
    fn backquotes_unclear(&self) -> bool {
        self.stack.iter().enumerate().any(|(i, f)| match f {
            Frame::Backquote { nested } => {
                *nested
                    || self.stack[..i]
                        .iter()
                        .any(|g| matches!(g, Frame::Double | Frame::Param { double: true }))
            }
            _ => false,
        })
    }

    fn push_body_value(&mut self, what: &str, value: &str) -> Result<(), ShellError> {
        let Some(body) = self.body.as_mut() else { return Ok(()) };
        if value.contains('\n') {
            return Err(ShellError::HeredocLineBreak {
                what: what.to_string(),
                delimiter: body.doc.delimiter.clone(),
            });
        }
        let mut text = String::new();
        if body.doc.quoted {
            text.push_str(value);
        } else {
            if self.dollar {
                self.out.pop();
                body.line.pop();
                text.push_str("\\$");
            }
            for c in value.chars() {
                if matches!(c, '\\' | '$' | '`') && !std::mem::take(&mut self.escaped) {
                    text.push('\\');
                }
                self.escaped = false;
                text.push(c);
            }
        }
        body.line.push_str(&text);
        body.value_on_line = Some(what.to_string());
        self.out.push_str(&text);
        self.escaped = false;
        self.dollar = false;
        Ok(())
    }

    fn check_body_line(&self, body: &Body) -> Result<(), ShellError> {
        let line = if body.doc.strip_tabs { body.line.trim_start_matches('\t') } else { &body.line };
        match &body.value_on_line {
            Some(what) if line == body.doc.delimiter => {
                Err(ShellError::HeredocEnded { what: what.clone(), delimiter: body.doc.delimiter.clone() })
            }
            _ => Ok(()),
        }
    }

    /// Follows one character of the author's text.
    fn author_char(&mut self, c: char) -> Result<(), ShellError> {
        if let Some(mut body) = self.body.take() {
            if c != '\n' {
                body.line.push(c);
                if !body.doc.quoted {
                    self.dollar = c == '$' && !self.escaped;
                    self.escaped = c == '\\' && !self.escaped;
                }
                self.body = Some(body);
                return Ok(());
            }
            self.check_body_line(&body)?;
            let line = if body.doc.strip_tabs { body.line.trim_start_matches('\t') } else { &body.line };
            if line == body.doc.delimiter {
                self.start_body(body.queued);
            } else {
                self.body = Some(Body { line: String::new(), value_on_line: None, ..body });
            }
            self.escaped = false;
            self.dollar = false;
            return Ok(());
        }
        if self.comment {
            if c == '\n' {
                self.comment = false;
                self.newline();
            }
            return Ok(());
        }
        self.capture_char(c);
        let escaped = std::mem::take(&mut self.escaped);
        let dollar = std::mem::take(&mut self.dollar);
        let top = self.top();
        if escaped && top != Frame::Single {
            self.word_start = false;
            if c == '`' && self.dialect == Dialect::Sh {
                // `` \` `` inside backquotes opens nested ones.
                if let Some(Frame::Backquote { nested }) =
                    self.stack.iter_mut().rev().find(|f| matches!(f, Frame::Backquote { .. }))
                {
                    *nested = true;
                }
            }
            return Ok(());
        }
        match top {
            Frame::Single => {
                if c == '\'' {
                    self.stack.pop();
                } else if c == '`' {
                    self.close_backquote();
                }
            }
            Frame::Ansi => match c {
                '\\' => self.escaped = true,
                '\'' => {
                    self.stack.pop();
                }
                _ => {}
            },
            Frame::Double => match c {
                '\\' => self.escaped = true,
                '"' => {
                    self.stack.pop();
                }
                _ if self.dialect == Dialect::Words => {}
                '$' => self.dollar = true,
                '(' if dollar => self.stack.push(Frame::CmdSub(1)),
                '{' if dollar => self.stack.push(Frame::Param { double: true }),
                '`' => self.backquote(),
                _ => {}
            },
            Frame::Param { double } => match c {
                '\\' => self.escaped = true,
                '}' => {
                    self.stack.pop();
                }
                '\'' | '"' if double => self.ambiguous = true,
                '\'' => self.stack.push(Frame::Single),
                '"' => self.stack.push(Frame::Double),
                '$' => self.dollar = true,
                '(' if dollar => self.stack.push(Frame::CmdSub(1)),
                '{' if dollar => self.stack.push(Frame::Param { double }),
                '`' => self.backquote(),
                _ => {}
            },
            Frame::Top | Frame::CmdSub(_) | Frame::Backquote { .. } => self.unquoted_char(c, dollar),
        }
        Ok(())
    }

    fn unquoted_char(&mut self, c: char, dollar: bool) {
        let sh = self.dialect == Dialect::Sh;
        let word_start = std::mem::replace(&mut self.word_start, false);
        if sh && c == '<' {
            self.lt += 1;
        } else {
            if sh && self.lt == 2 {
                self.capture = Some(Capture {
                    depth: self.stack.len(),
                    word: String::new(),
                    quoted: false,
                    strip_tabs: false,
                    begun: false,
                });
                self.capture_char(c);
            }
            self.lt = 0;
        }
        match c {
            '\\' => self.escaped = true,
            '\'' if sh && dollar => self.stack.push(Frame::Ansi),
            '\'' => self.stack.push(Frame::Single),
            '"' => self.stack.push(Frame::Double),
            _ if !sh => {}
            '$' => self.dollar = true,
            '(' if dollar => self.stack.push(Frame::CmdSub(1)),
            '{' if dollar => self.stack.push(Frame::Param { double: false }),
            '(' | ')' => {
                if let Some(Frame::CmdSub(n)) = self.stack.last_mut() {
                    if c == '(' {
                        *n += 1;
                    } else {
                        *n -= 1;
                        if *n == 0 {
                            self.stack.pop();
                        }
                    }
                }
                self.word_start = true;
            }
            '`' => self.backquote(),
            '#' if word_start => self.comment = true,
            '\n' => self.newline(),
            c if c.is_whitespace() || ";&|<>".contains(c) => self.word_start = true,
            _ => {}
        }
    }

    /// A `` ` `` outside single quotes: closes the innermost backquotes, or opens new ones.
    fn backquote(&mut self) {
        if !self.close_backquote() {
            self.stack.push(Frame::Backquote { nested: false });
        }
    }

    /// Pops up to and including the innermost backquote frame; false when there is none.
    fn close_backquote(&mut self) -> bool {
        if self.dialect != Dialect::Sh {
            return false;
        }
        let Some(i) = self.stack.iter().rposition(|f| matches!(f, Frame::Backquote { .. })) else {
            return false;
        };
        self.stack.truncate(i);
        true
    }

    /// An unquoted line break: here-documents announced on the line start.
    fn newline(&mut self) {
        self.word_start = true;
        self.lt = 0;
        if let Some(c) = self.capture.take() {
            self.end_capture(c);
        }
        let pending = std::mem::take(&mut self.pending);
        self.start_body(pending);
    }

    fn start_body(&mut self, mut docs: Vec<Heredoc>) {
        if docs.is_empty() {
            return;
        }
        let doc = docs.remove(0);
        self.body = Some(Body { doc, line: String::new(), value_on_line: None, queued: docs });
    }

    /// Follows the delimiter word after `<<`.
    fn capture_char(&mut self, c: char) {
        let depth = self.stack.len();
        let escaped = self.escaped;
        let Some(cap) = self.capture.as_mut() else { return };
        if !cap.begun {
            cap.begun = true;
            if c == '-' {
                cap.strip_tabs = true;
                return;
            }
        }
        let at_level = depth == cap.depth && !escaped;
        if at_level && (c == ' ' || c == '\t') && cap.word.is_empty() && !cap.quoted {
            return;
        }
        if at_level && (c.is_whitespace() || ";&|<>()".contains(c)) {
            if let Some(cap) = self.capture.take() {
                self.end_capture(cap);
            }
            return;
        }
        if matches!(c, '\'' | '"' | '\\') && !escaped {
            cap.quoted = true;
        } else {
            cap.word.push(c);
        }
    }

    fn end_capture(&mut self, cap: Capture) {
        if !cap.word.is_empty() || cap.quoted {
            self.pending.push(Heredoc {
                delimiter: cap.word,
                quoted: cap.quoted,
                strip_tabs: cap.strip_tabs,
            });
        }
    }
}

/// Writes `value` quoted for `frame` (after an escaped first character when `after_escape`).
fn quote_into(out: &mut String, frame: Frame, value: &str, after_escape: bool) {
    let plain = value.chars().all(is_safe) && (!value.is_empty() || after_escape);
    match frame {
        _ if plain => out.push_str(value),
        Frame::Top | Frame::CmdSub(_) | Frame::Backquote { .. } | Frame::Param { double: false } => {
            out.push('\'');
            out.push_str(&value.replace('\'', "'\\''"));
            out.push('\'');
        }
        Frame::Single => out.push_str(&value.replace('\'', "'\\''")),
        Frame::Double | Frame::Param { double: true } => {
            let brace = frame != Frame::Double;
            for c in value.chars() {
                if matches!(c, '\\' | '$' | '`' | '"') || (brace && c == '}') {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        Frame::Ansi => {
            for c in value.chars() {
                if matches!(c, '\\' | '\'') {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
}

#[cfg(test)]
mod tests;
