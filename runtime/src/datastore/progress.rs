//! What a transfer shows while it goes: one progress bar on a terminal (bytes, rate, files,
//! time left) with notes printed above it, plain lines elsewhere (CI logs, pipes). Both go to
//! stderr; a command's product (a listing) goes to stdout.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Receives what a transfer does. Called from several tasks at once.
pub trait TransferReporter: Send + Sync {
    /// The transfer of `files` files, `bytes` bytes in all, starts (`verb`: `uploading`).
    fn start(&self, verb: &str, files: usize, bytes: u64);
    /// `n` more bytes went through.
    fn bytes(&self, n: u64);
    /// A file is done (`uploaded raw/a.csv (1.2 KiB)`).
    fn done(&self, line: &str);
    /// Something worth a line (a skipped file, a container made).
    fn note(&self, line: &str);
    /// The transfer ended (well or not); the display is cleared.
    fn finish(&self);
}

/// Plain lines on stderr, one per file and note.
#[derive(Debug, Default)]
pub struct PlainReporter;

impl TransferReporter for PlainReporter {
    fn start(&self, verb: &str, files: usize, bytes: u64) {
        if files > 0 {
            eprintln!(
                "{verb} {files} file{} ({})",
                if files == 1 { "" } else { "s" },
                super::format_bytes(bytes)
            );
        }
    }
    fn bytes(&self, _: u64) {}
    fn done(&self, line: &str) {
        eprintln!("{line}");
    }
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
    fn finish(&self) {}
}

/// Says nothing (for callers that report on their own, such as a run).
#[derive(Debug, Default)]
pub struct SilentReporter;

impl TransferReporter for SilentReporter {
    fn start(&self, _: &str, _: usize, _: u64) {}
    fn bytes(&self, _: u64) {}
    fn done(&self, _: &str) {}
    fn note(&self, _: &str) {}
    fn finish(&self) {}
}

/// A progress bar on the terminal.
#[derive(Debug)]
pub struct BarReporter {
    bar: Mutex<Option<ProgressBar>>,
    files: AtomicUsize,
    done: AtomicUsize,
}

impl Default for BarReporter {
    fn default() -> Self {
        BarReporter { bar: Mutex::new(None), files: AtomicUsize::new(0), done: AtomicUsize::new(0) }
    }
}

impl BarReporter {
    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(guard) = self.bar.lock()
            && let Some(bar) = guard.as_ref()
        {
            f(bar);
        }
    }
}

impl TransferReporter for BarReporter {
    fn start(&self, verb: &str, files: usize, bytes: u64) {
        if files == 0 {
            return;
        }
        // Set up hidden, so the first frame already shows everything.
        let bar = ProgressBar::hidden();
        bar.set_length(bytes);
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(verb.to_string());
        bar.set_message(format!("0/{files} files"));
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.enable_steady_tick(Duration::from_millis(200));
        self.files.store(files, Ordering::Relaxed);
        if let Ok(mut guard) = self.bar.lock() {
            *guard = Some(bar);
        }
    }
    fn bytes(&self, n: u64) {
        self.with_bar(|b| b.inc(n));
    }
    fn done(&self, _: &str) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let files = self.files.load(Ordering::Relaxed);
        self.with_bar(|b| b.set_message(format!("{done}/{files} files")));
    }
    fn note(&self, line: &str) {
        let mut shown = false;
        self.with_bar(|b| {
            b.println(line);
            shown = true;
        });
        if !shown {
            eprintln!("{line}");
        }
    }
    fn finish(&self) {
        if let Ok(mut guard) = self.bar.lock()
            && let Some(bar) = guard.take()
        {
            bar.finish_and_clear();
        }
    }
}
