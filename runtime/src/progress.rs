//! What a run shows while it goes: a live display on a terminal (indicatif), plain lines
//! elsewhere (CI logs, pipes).

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::secrets::mask;
use crate::time::format_duration;

/// How a finished step ended, for the display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepEnd {
    /// Succeeded.
    Completed,
    /// Failed with this description (`exit code 1`, `killed by signal 9`, an error).
    Failed(String),
    /// Stopped by a cancel.
    Canceled,
}

/// Receives what a run does, to show it.
pub trait Reporter: Send {
    /// The run waits for another process holding the state folder.
    fn waiting(&mut self, holder: &str);
    /// The run starts.
    fn started(&mut self, run: i64, pipeline: &str, steps: usize, to_run: usize, reused: usize);
    /// A step's outputs are reused.
    fn reused(&mut self, step: &str, reason: &str);
    /// A step starts.
    fn step_started(&mut self, step: &str, reason: &str);
    /// A step ended after `ms` milliseconds.
    fn step_ended(&mut self, step: &str, end: &StepEnd, ms: i64);
    /// A failed step's captured output, to show.
    fn failure_output(&mut self, step: &str, text: &str);
    /// A step does not run.
    fn skipped(&mut self, step: &str, reason: &str);
    /// The run is being canceled.
    fn canceling(&mut self);
    /// The run ended.
    fn finished(&mut self, summary: &str);
}

/// Plain lines on stderr.
#[derive(Debug, Default)]
pub struct PlainReporter;

impl Reporter for PlainReporter {
    fn waiting(&mut self, holder: &str) {
        eprintln!("waiting for {holder} to finish with the state folder (Ctrl-C to stop waiting)...");
    }
    fn started(&mut self, run: i64, pipeline: &str, steps: usize, to_run: usize, reused: usize) {
        eprintln!("run {run} of {pipeline}: {steps} steps, {to_run} to run, {reused} reused");
    }
    fn reused(&mut self, step: &str, reason: &str) {
        eprintln!("{step}: reused ({reason})");
    }
    fn step_started(&mut self, step: &str, reason: &str) {
        eprintln!("{step}: running ({reason})");
    }
    fn step_ended(&mut self, step: &str, end: &StepEnd, ms: i64) {
        let d = format_duration(ms);
        match end {
            StepEnd::Completed => eprintln!("{step}: completed in {d}"),
            StepEnd::Failed(why) => eprintln!("{step}: failed ({why}) after {d}"),
            StepEnd::Canceled => eprintln!("{step}: canceled after {d}"),
        }
    }
    fn failure_output(&mut self, _step: &str, text: &str) {
        eprint!("{text}");
    }
    fn skipped(&mut self, step: &str, reason: &str) {
        eprintln!("{step}: skipped ({reason})");
    }
    fn canceling(&mut self) {
        eprintln!("canceling: stopping the running steps...");
    }
    fn finished(&mut self, summary: &str) {
        eprintln!("{summary}");
    }
}

/// Another reporter, shown only text with the secrets' values masked (see [`crate::secrets`]).
pub struct Masked<'a>(pub &'a mut dyn Reporter);

impl Reporter for Masked<'_> {
    fn waiting(&mut self, holder: &str) {
        self.0.waiting(&mask(holder));
    }
    fn started(&mut self, run: i64, pipeline: &str, steps: usize, to_run: usize, reused: usize) {
        self.0.started(run, &mask(pipeline), steps, to_run, reused);
    }
    fn reused(&mut self, step: &str, reason: &str) {
        self.0.reused(&mask(step), &mask(reason));
    }
    fn step_started(&mut self, step: &str, reason: &str) {
        self.0.step_started(step, &mask(reason));
    }
    fn step_ended(&mut self, step: &str, end: &StepEnd, ms: i64) {
        let end = match end {
            StepEnd::Failed(why) => StepEnd::Failed(mask(why).into_owned()),
            other => other.clone(),
        };
        self.0.step_ended(step, &end, ms);
    }
    fn failure_output(&mut self, step: &str, text: &str) {
        self.0.failure_output(step, &mask(text));
    }
    fn skipped(&mut self, step: &str, reason: &str) {
        self.0.skipped(step, &mask(reason));
    }
    fn canceling(&mut self) {
        self.0.canceling();
    }
    fn finished(&mut self, summary: &str) {
        self.0.finished(&mask(summary));
    }
}

/// A live display: a bar of finished steps and a spinner per running step.
pub struct TerminalReporter {
    multi: MultiProgress,
    /// Finished steps out of all (made when the run starts).
    total: Option<ProgressBar>,
    running: HashMap<String, ProgressBar>,
}

impl std::fmt::Debug for TerminalReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalReporter").finish()
    }
}

impl Default for TerminalReporter {
    fn default() -> Self {
        Self::new()
    }
}

impl TerminalReporter {
    /// A display on stderr.
    pub fn new() -> TerminalReporter {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        TerminalReporter { multi, total: None, running: HashMap::new() }
    }

    fn line(&self, text: &str) {
        let _ = self.multi.println(text);
    }

    fn step_done(&self) {
        if let Some(t) = &self.total {
            t.inc(1);
        }
    }
}

impl Reporter for TerminalReporter {
    fn waiting(&mut self, holder: &str) {
        self.line(&format!(
            "waiting for {holder} to finish with the state folder (Ctrl-C to stop waiting)..."
        ));
    }
    fn started(&mut self, run: i64, pipeline: &str, steps: usize, to_run: usize, reused: usize) {
        self.line(&format!("run {run} of {pipeline}: {steps} steps, {to_run} to run, {reused} reused"));
        let total = self.multi.add(ProgressBar::new(steps as u64));
        if let Ok(style) = ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} steps  {elapsed}") {
            total.set_style(style.progress_chars("=> "));
        }
        self.total = Some(total);
    }
    fn reused(&mut self, step: &str, reason: &str) {
        self.line(&format!("  reused     {step} ({reason})"));
        self.step_done();
    }
    fn step_started(&mut self, step: &str, _reason: &str) {
        let spinner = ProgressBar::new_spinner();
        let bar = match &self.total {
            Some(t) => self.multi.insert_before(t, spinner),
            None => self.multi.add(spinner),
        };
        if let Ok(style) = ProgressStyle::with_template("  {spinner} {msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.set_message(step.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        self.running.insert(step.to_string(), bar);
    }
    fn step_ended(&mut self, step: &str, end: &StepEnd, ms: i64) {
        if let Some(bar) = self.running.remove(step) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        let d = format_duration(ms);
        match end {
            StepEnd::Completed => self.line(&format!("  completed  {step} in {d}")),
            StepEnd::Failed(why) => self.line(&format!("  FAILED     {step} ({why}) after {d}")),
            StepEnd::Canceled => self.line(&format!("  canceled   {step} after {d}")),
        }
        self.step_done();
    }
    fn failure_output(&mut self, _step: &str, text: &str) {
        self.multi.suspend(|| eprint!("{text}"));
    }
    fn skipped(&mut self, step: &str, reason: &str) {
        self.line(&format!("  skipped    {step} ({reason})"));
        self.step_done();
    }
    fn canceling(&mut self) {
        self.line("canceling: stopping the running steps...");
    }
    fn finished(&mut self, summary: &str) {
        for (_, bar) in self.running.drain() {
            bar.finish_and_clear();
        }
        if let Some(t) = self.total.take() {
            t.finish_and_clear();
        }
        let _ = self.multi.clear();
        eprintln!("{summary}");
    }
}
