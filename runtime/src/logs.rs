//! Step logs: a step's stdout and stderr are read through pipes into files under
//! `.sluice/runs/<run>/<step>/`, each kept to a size limit (the head and the tail, with a line
//! saying how much was dropped between them), and read back in bounded memory: tails from the
//! end of the file, whole logs streamed.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::oneshot;

/// The default limit of one stream of one step: 64 MiB.
pub const DEFAULT_LIMIT: u64 = 64 << 20;

/// The smallest limit accepted (the note about dropped bytes must fit, with room to spare).
pub const MIN_LIMIT: u64 = 4 << 10;

/// Room kept between the head and the tail for the note about dropped bytes.
const NOTE_ROOM: u64 = 512;

/// The environment variable that sets the limit when `--max-log-size` is not given.
pub const LIMIT_VAR: &str = "SLUICE_MAX_LOG_SIZE";

/// The most a step's log keeps of each stream (`None`: everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimit(pub Option<u64>);

impl Default for LogLimit {
    fn default() -> LogLimit {
        LogLimit(Some(DEFAULT_LIMIT))
    }
}

impl std::str::FromStr for LogLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<LogLimit, String> {
        parse_limit(s).map(LogLimit)
    }
}

/// Reads a size limit: a number of bytes with an optional unit (`k`, `KB`, `KiB`, `M`, `MB`,
/// `MiB`, `G`, ...; all powers of 1024), or `unlimited` (`None`).
pub fn parse_limit(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("unlimited") || t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "`{text}` is not a size: write bytes with an optional unit (64MiB, 500k, 1G) or `unlimited`"
            ));
        }
    };
    let n: u64 = digits.parse().map_err(|_| {
        format!("`{text}` is not a size: write bytes with an optional unit (64MiB, 500k, 1G) or `unlimited`")
    })?;
    let bytes = n
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large; write `unlimited` for no limit"))?;
    if bytes < MIN_LIMIT {
        return Err(format!("`{text}` is less than the smallest log limit, 4KiB"));
    }
    Ok(Some(bytes))
}

/// Sizes for people: `1.5 MiB`, `300 bytes`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v.fract() == 0.0 { format!("{v:.0} {}", UNITS[unit]) } else { format!("{v:.1} {}", UNITS[unit]) }
}

/// A log file that keeps at most `limit` bytes of a stream: the bytes up to the limit are
/// written as they come; past it, the first half stays and the rest of the file is a ring of
/// the latest bytes, put in order with a note when the stream ends. Memory stays at one buffer
/// whatever the stream's size.
#[derive(Debug)]
pub struct CappedLog {
    file: File,
    limit: Option<u64>,
    /// Bytes received.
    total: u64,
    /// Next write position in the ring, relative to its start (ring mode only).
    ring_pos: Option<u64>,
    /// The byte before the cut (to start the note on a new line).
    head_last: u8,
}

impl CappedLog {
    /// A log written into `file` (empty), kept to `limit` bytes (`None`: all).
    pub fn new(file: File, limit: Option<u64>) -> CappedLog {
        CappedLog { file, limit: limit.map(|l| l.max(MIN_LIMIT)), total: 0, ring_pos: None, head_last: b'\n' }
    }

    fn head_len(limit: u64) -> u64 {
        limit / 2
    }

    /// Where the ring starts and how long it is.
    fn ring(limit: u64) -> (u64, u64) {
        let start = Self::head_len(limit) + NOTE_ROOM;
        (start, limit - start)
    }

    /// Appends bytes of the stream.
    pub fn write(&mut self, mut buf: &[u8]) -> io::Result<()> {
        let Some(limit) = self.limit else {
            self.total += buf.len() as u64;
            return self.file.write_all(buf);
        };
        if self.ring_pos.is_none() {
            // Straight into the file while it is under the limit.
            let room = limit.saturating_sub(self.total);
            let n = room.min(buf.len() as u64) as usize;
            if n > 0 {
                self.file.write_all(&buf[..n])?;
                let head = Self::head_len(limit);
                if self.total < head && self.total + n as u64 >= head {
                    self.head_last = buf[(head - self.total - 1) as usize];
                }
                self.total += n as u64;
                buf = &buf[n..];
            }
            if buf.is_empty() {
                return Ok(());
            }
            // Full: the bytes from the ring's start to the limit are the latest, in order.
            self.ring_pos = Some(0);
        }
        let (start, len) = Self::ring(limit);
        while !buf.is_empty() {
            let pos = self.ring_pos.unwrap_or(0);
            let n = (len - pos).min(buf.len() as u64) as usize;
            self.file.seek(SeekFrom::Start(start + pos))?;
            self.file.write_all(&buf[..n])?;
            self.total += n as u64;
            self.ring_pos = Some((pos + n as u64) % len);
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.total
    }

    /// Puts the kept bytes in order with the note between head and tail; `ending` is appended
    /// (a note on why reading stopped).
    pub fn finish(mut self, ending: Option<&str>) -> io::Result<()> {
        if let (Some(limit), Some(pos)) = (self.limit, self.ring_pos) {
            let head = Self::head_len(limit);
            let (start, len) = Self::ring(limit);
            let dropped = self.total - head - len;
            let lead = if self.head_last == b'\n' { "" } else { "\n" };
            let mut note = format!(
                "{lead}[sluice: {} ({dropped} bytes) of this stream dropped here; a step keeps the first {} and the last {} of each stream (--max-log-size, {LIMIT_VAR})]\n",
                human_bytes(dropped),
                human_bytes(head),
                human_bytes(len),
            );
            note.truncate(NOTE_ROOM as usize);
            let note_len = note.len() as u64;
            self.file.seek(SeekFrom::Start(head))?;
            self.file.write_all(note.as_bytes())?;
            // Now [head][note][junk][newest][oldest]: reversing the region after the note and
            // then each piece gives [oldest][newest][junk]; the junk is cut off.
            let from = head + note_len;
            let end = limit;
            reverse(&mut self.file, from, end)?;
            reverse(&mut self.file, from, from + (len - pos))?;
            reverse(&mut self.file, from + (len - pos), from + len)?;
            debug_assert_eq!(end - (from + len), start - from);
            self.file.set_len(from + len)?;
            self.file.seek(SeekFrom::End(0))?;
        }
        if let Some(text) = ending {
            self.file.write_all(text.as_bytes())?;
        }
        self.file.flush()
    }
}

/// Reverses the bytes of `file` in `[start, end)` with two bounded buffers.
fn reverse(file: &mut File, mut start: u64, mut end: u64) -> io::Result<()> {
    const CHUNK: u64 = 256 << 10;
    let mut a = vec![0u8; CHUNK as usize];
    let mut b = vec![0u8; CHUNK as usize];
    while end > start + 1 {
        let n = ((end - start) / 2).min(CHUNK);
        if n == 0 {
            break;
        }
        let (a, b) = (&mut a[..n as usize], &mut b[..n as usize]);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(a)?;
        file.seek(SeekFrom::Start(end - n))?;
        file.read_exact(b)?;
        a.reverse();
        b.reverse();
        file.seek(SeekFrom::Start(start))?;
        file.write_all(b)?;
        file.seek(SeekFrom::Start(end - n))?;
        file.write_all(a)?;
        start += n;
        end -= n;
    }
    Ok(())
}

/// How reading a step's stream ended.
#[derive(Debug)]
pub struct Captured {
    /// Bytes the step wrote.
    pub bytes: u64,
    /// Reading stopped before the end of the stream (a process outside the step's group still
    /// held it).
    pub stopped: bool,
}

/// Copies `pipe` into `log` until the stream ends or `stop` fires, then puts the log in order.
pub async fn capture(
    mut pipe: impl AsyncRead + Unpin,
    mut log: CappedLog,
    mut stop: oneshot::Receiver<()>,
) -> io::Result<Captured> {
    let mut buf = vec![0u8; 64 << 10];
    let mut failed: Option<io::Error> = None;
    let mut stopped = false;
    loop {
        tokio::select! {
            biased;
            r = pipe.read(&mut buf) => match r {
                Ok(0) => break,
                // Once writing failed, the stream is still drained so the step is not blocked.
                Ok(n) => if failed.is_none() {
                    failed = log.write(&buf[..n]).err();
                },
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed.get_or_insert(e);
                    break;
                }
            },
            _ = &mut stop => {
                stopped = true;
                break;
            }
        }
    }
    drop(pipe);
    if let Some(e) = failed {
        return Err(e);
    }
    let bytes = log.received();
    let ending = stopped.then_some(
        "\n[sluice: stopped reading when the step ended: a process that left the step's process group still held this stream]\n",
    );
    if log.ring_pos.is_some() {
        // Putting a full log in order moves up to its size: off the run loop's thread.
        tokio::task::spawn_blocking(move || log.finish(ending))
            .await
            .map_err(|e| io::Error::other(e.to_string()))??;
    } else {
        log.finish(ending)?;
    }
    Ok(Captured { bytes, stopped })
}

/// The end of a log file, read from the end with a byte bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// The last lines (at most the number asked for), without their line breaks.
    pub lines: Vec<String>,
    /// The file's size.
    pub size: u64,
    /// Lines before these were left out (by count or by the byte bound).
    pub cut: bool,
    /// The first line shown is only the end of a longer line.
    pub partial_first: bool,
}

/// The last `max_lines` lines of `path`, reading at most `max_bytes` from its end.
pub fn tail(path: &Path, max_lines: usize, max_bytes: u64) -> io::Result<Tail> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let start = size.saturating_sub(max_bytes);
    f.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity((size - start) as usize);
    f.take(max_bytes).read_to_end(&mut bytes)?;
    // A final line break ends the last line; it does not start an empty one.
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    let mut pieces: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    let mut partial_first = false;
    if start > 0 && pieces.len() > 1 {
        // The first piece is the end of a line that began before the bytes read.
        pieces.remove(0);
    } else if start > 0 {
        partial_first = true;
    }
    let mut cut = start > 0;
    if pieces.len() > max_lines {
        pieces.drain(..pieces.len() - max_lines);
        cut = true;
        partial_first = false;
    }
    if body.is_empty() {
        pieces.clear();
    }
    let lines = pieces
        .iter()
        .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned())
        .collect();
    Ok(Tail { lines, size, cut, partial_first })
}

/// Copies a log to `out` in bounded memory; returns the last byte written (`None`: empty).
pub fn stream(mut f: impl Read, out: &mut dyn Write) -> io::Result<Option<u8>> {
    let mut buf = vec![0u8; 64 << 10];
    let mut last = None;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.write_all(&buf[..n])?;
        last = Some(buf[n - 1]);
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly.

    use super::*;

    fn capped(limit: u64, chunks: &[&[u8]]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let file = File::options().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
        let mut log = CappedLog::new(file, Some(limit));
        for c in chunks {
            log.write(c).unwrap();
        }
        log.finish(None).unwrap();
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn a_log_under_the_limit_is_kept_whole() {
        let data: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(capped(4096, &[&data[..1000], &data[1000..]]), data);
    }

    #[test]
    fn a_log_over_the_limit_keeps_head_and_tail_in_order_with_a_note() {
        let limit = 8192u64;
        // Numbered lines, so order and completeness show.
        let text: String = (0..5000).map(|i| format!("line {i:05}\n")).collect();
        let bytes = text.as_bytes();
        for chunk in [1usize, 7, 100, 4096, 65536] {
            let chunks: Vec<&[u8]> = bytes.chunks(chunk).collect();
            let got = capped(limit, &chunks);
            assert!(got.len() as u64 <= limit, "{} bytes kept", got.len());
            let head = (limit / 2) as usize;
            let (start, len) = CappedLog::ring(limit);
            assert_eq!(&got[..head], &bytes[..head], "chunk {chunk}");
            let tail = &bytes[bytes.len() - len as usize..];
            assert!(got.ends_with(tail), "chunk {chunk}");
            let note = String::from_utf8_lossy(&got[head..got.len() - tail.len()]).into_owned();
            let dropped = bytes.len() as u64 - head as u64 - len;
            assert!(note.contains(&format!("({dropped} bytes)")), "{note}");
            assert!(note.ends_with("]\n") && (note.len() as u64) <= start - head as u64, "{note:?}");
        }
    }

    #[test]
    fn reversal_handles_every_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r");
        for n in [0usize, 1, 2, 3, 10, 600_000] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 % 256) as u8).collect();
            std::fs::write(&path, &data).unwrap();
            let mut f = File::options().read(true).write(true).open(&path).unwrap();
            reverse(&mut f, 0, n as u64).unwrap();
            let mut want = data.clone();
            want.reverse();
            assert_eq!(std::fs::read(&path).unwrap(), want, "{n}");
        }
    }

    #[test]
    fn limits_parse() {
        assert_eq!(parse_limit("64MiB"), Ok(Some(64 << 20)));
        assert_eq!(parse_limit("500k"), Ok(Some(500 << 10)));
        assert_eq!(parse_limit("1 G"), Ok(Some(1 << 30)));
        assert_eq!(parse_limit("8192"), Ok(Some(8192)));
        assert_eq!(parse_limit("unlimited"), Ok(None));
        assert!(parse_limit("12").is_err());
        assert!(parse_limit("10 parsecs").is_err());
        assert!(parse_limit("99999999999999999999T").is_err());
        assert!(parse_limit("").is_err());
    }

    #[test]
    fn tails_are_bounded_in_lines_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t");
        std::fs::write(&p, "a\nb\nc\n").unwrap();
        let t = tail(&p, 40, 16 << 10).unwrap();
        assert_eq!((t.lines.clone(), t.cut), (vec!["a".to_string(), "b".into(), "c".into()], false));
        assert_eq!(tail(&p, 2, 16 << 10).unwrap().lines, ["b", "c"]);
        // One long line with no line break: only its end, marked partial.
        std::fs::write(&p, "x".repeat(100_000)).unwrap();
        let t = tail(&p, 40, 1000).unwrap();
        assert_eq!((t.lines.len(), t.lines[0].len(), t.partial_first, t.cut), (1, 1000, true, true));
        // The byte bound drops the partial first line when whole lines follow.
        std::fs::write(&p, format!("{}\nlast\n", "y".repeat(5000))).unwrap();
        let t = tail(&p, 40, 100).unwrap();
        assert_eq!((t.lines.clone(), t.partial_first), (vec!["last".to_string()], false));
        std::fs::write(&p, "").unwrap();
        assert!(tail(&p, 40, 100).unwrap().lines.is_empty());
    }
}
