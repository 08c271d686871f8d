//! Processes left behind by a sluice that was killed (`kill -9`, a crash): their process groups
//! are found by the `SLUICE_RUN_ID` in their environment and ended before a new run starts, so
//! nothing keeps writing into the state folder.

/// Ends process group `pgid` if it still runs a step of run `run`; waits (up to two seconds) for
/// it to be gone. Returns true when it was found.
#[cfg(target_os = "linux")]
pub fn end_group_of_run(pgid: u32, run: i64) -> bool {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    if !group_runs_step_of(pgid, run) {
        return false;
    }
    let _ = killpg(Pid::from_raw(pgid as i32), Signal::SIGKILL);
    for _ in 0..200 {
        if members(pgid).is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    true
}

/// Ends process group `pgid` if it still runs a step of run `run`.
#[cfg(not(target_os = "linux"))]
pub fn end_group_of_run(_pgid: u32, _run: i64) -> bool {
    false
}

/// How many live (not zombie) processes are in group `pgid`.
#[cfg(target_os = "linux")]
pub fn live_members(pgid: u32) -> usize {
    members(pgid).len()
}

/// How many live processes are in group `pgid` (1 when any is, where it cannot be counted).
#[cfg(all(unix, not(target_os = "linux")))]
pub fn live_members(pgid: u32) -> usize {
    use nix::unistd::Pid;
    usize::from(nix::sys::signal::killpg(Pid::from_raw(pgid as i32), None).is_ok())
}

#[cfg(target_os = "linux")]
fn members(pgid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // Fields after the command name (which may hold spaces and parentheses):
            // state ppid pgrp ...
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                return false;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // A zombie has exited already.
            fields.first() != Some(&"Z") && fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid)
        })
        .collect()
}

#[cfg(target_os = "linux")]
fn group_runs_step_of(pgid: u32, run: i64) -> bool {
    let needle = format!("SLUICE_RUN_ID={run}");
    members(pgid).into_iter().any(|pid| {
        std::fs::read(format!("/proc/{pid}/environ"))
            .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == needle.as_bytes()))
    })
}
