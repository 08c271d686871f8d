//! What a step leaves behind, through the real binary: its logs are capped per stream (head and
//! tail, a note of what was dropped), a failing step's tail is read from the end of its log,
//! `runs logs` streams in bounded memory, and processes a step started in the background end
//! with it.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn sluice(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sluice"));
    c.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .env_remove("SLUICE_WORKSPACE")
        .env_remove("SLUICE_MAX_LOG_SIZE");
    c
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A project whose one v2 step runs `command` (in bash).
fn project(command: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("pipeline.yml"),
        format!(
            "type: pipeline\nsettings: {{default_compute: local}}\njobs:\n  noisy:\n    type: command\n    environment: {{image: python:3.12}}\n    command: {}\n",
            serde_json::to_string(command).unwrap()
        ),
    )
    .unwrap();
    d
}

/// Peak RSS in KiB of `cmd` run through GNU time (`None` without it, after saying so).
fn peak_rss_kib(cmd: &mut Command, test: &str) -> Option<(u64, Output)> {
    if !Path::new("/usr/bin/time").exists() {
        support::absent(test, "GNU time (/usr/bin/time) is not installed", support::ci());
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("rss");
    let mut timed = Command::new("/usr/bin/time");
    timed.arg("-f").arg("%M").arg("-o").arg(&report).arg(cmd.get_program()).args(cmd.get_args());
    if let Some(d) = cmd.get_current_dir() {
        timed.current_dir(d);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let out = timed.output().unwrap();
    let kib = std::fs::read_to_string(&report).unwrap().lines().last().unwrap().trim().parse().unwrap();
    Some((kib, out))
}

/// 40 MB to stdout with a 1 MiB limit keeps 1 MiB: the first half, a note, the last half.
#[test]
fn a_noisy_step_keeps_the_head_and_tail_of_its_log() {
    let d = project("seq 1 5000000; echo bye >&2");
    let out = sluice(d.path(), &["run", "pipeline.yml", "--max-log-size", "1MiB"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let log = std::fs::read(d.path().join(".sluice/runs/1/noisy/stdout")).unwrap();
    assert!(log.len() <= 1 << 20, "{} bytes kept", log.len());
    let full: String = (1..=5_000_000).map(|i| format!("{i}\n")).collect();
    let head = 512 << 10;
    assert_eq!(&log[..head], &full.as_bytes()[..head]);
    let note_at = head + log[head..].iter().position(|b| *b == b'[').unwrap();
    let note_end = note_at + log[note_at..].iter().position(|b| *b == b'\n').unwrap() + 1;
    let note = String::from_utf8_lossy(&log[note_at..note_end]);
    let tail = &log[note_end..];
    assert!(full.as_bytes().ends_with(tail) && tail.len() > 500 << 10, "{} tail bytes", tail.len());
    let dropped = full.len() - head - tail.len();
    assert!(note.contains(&format!("({dropped} bytes)")) && note.contains("--max-log-size"), "{note}");
    // A short stream is kept whole.
    assert_eq!(std::fs::read_to_string(d.path().join(".sluice/runs/1/noisy/stderr")).unwrap(), "bye\n");

    // The limit from the environment; `unlimited` keeps everything.
    let out = sluice(d.path(), &["run", "pipeline.yml", "--regenerate-outputs"])
        .env("SLUICE_MAX_LOG_SIZE", "64k")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let size = std::fs::metadata(d.path().join(".sluice/runs/2/noisy/stdout")).unwrap().len();
    assert!(size <= 64 << 10 && size > 60 << 10, "{size}");
    let out =
        sluice(d.path(), &["run", "pipeline.yml", "--regenerate-outputs", "--max-log-size", "unlimited"])
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read(d.path().join(".sluice/runs/3/noisy/stdout")).unwrap(), full.as_bytes());

    let out = sluice(d.path(), &["run", "pipeline.yml", "--max-log-size", "12"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("4KiB"), "{}", text(&out));
}

/// A failing step's 50 MB of stderr with no line break: sluice shows only its end, and its own
/// memory stays small.
#[test]
fn a_failing_step_shows_a_bounded_tail_of_a_huge_log() {
    let test = "a_failing_step_shows_a_bounded_tail_of_a_huge_log";
    let d = project("head -c 50000000 /dev/zero | tr '\\0' x >&2; printf END >&2; exit 3");
    let Some((kib, out)) = peak_rss_kib(&mut sluice(d.path(), &["run", "pipeline.yml"]), test) else {
        return;
    };
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.len() < 40 << 10, "sluice printed {} bytes", err.len());
    assert!(
        err.contains("(its last 1 lines, of 47.7 MiB)") && err.contains("xxxxEND\n"),
        "{}",
        &err[..2000.min(err.len())]
    );
    assert!(kib < 100 << 10, "peak RSS {kib} KiB");
}

/// `runs logs` of a 60 MB log prints it whole, and into `head` it stops at once; in bounded
/// memory either way.
#[test]
fn runs_logs_streams_a_large_log() {
    let test = "runs_logs_streams_a_large_log";
    let d = project("yes 'a line of the log' | head -c 60000000");
    let out = sluice(d.path(), &["run", "pipeline.yml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let Some((kib, out)) =
        peak_rss_kib(&mut sluice(d.path(), &["runs", "logs", "1", "noisy", "--stream", "stdout"]), test)
    else {
        return;
    };
    assert_eq!(out.status.code(), Some(0));
    let header = b"==> noisy stdout (completed) <==\n";
    assert_eq!(out.stdout.len(), header.len() + 60_000_000 + 1);
    assert!(out.stdout.starts_with(header) && out.stdout.ends_with(b"log\na line\n"));
    assert!(kib < 50 << 10, "peak RSS {kib} KiB");
    // Into a reader that goes away.
    let piped = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' runs logs 1 noisy | head -2; echo \"status ${{PIPESTATUS[0]}}\"",
            env!("CARGO_BIN_EXE_sluice")
        ))
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&piped.stdout),
        "==> noisy stdout (completed) <==\na line of the log\nstatus 0\n",
        "{}",
        text(&piped)
    );
}

/// A step that leaves a process running in the background: the process ends with the step,
/// and the step's stderr says so.
#[test]
fn background_processes_end_with_their_step() {
    let token = format!("sluice-background-{}", std::process::id());
    let d = project(&format!("(exec -a {token} sleep 300) & echo started"));
    let out = sluice(d.path(), &["run", "pipeline.yml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let left = support::processes_mentioning(&token);
    assert!(left.is_empty(), "the background process outlived its step: {left:?}");
    let stderr = std::fs::read_to_string(d.path().join(".sluice/runs/1/noisy/stderr")).unwrap();
    assert!(stderr.contains("ended 1 process the step left running"), "{stderr}");
    assert_eq!(std::fs::read_to_string(d.path().join(".sluice/runs/1/noisy/stdout")).unwrap(), "started\n");
}
