//! A full disk: telling it (free space, "No space left on device") and saying how much room a
//! step needs, so a run that filled the disk fails with that reason instead of a lost message.

use std::path::Path;

/// Less free space than this on the state folder's disk counts as a full disk when a step
/// fails: its writes (and the message it meant to print) may have failed for want of room.
pub const NEARLY_FULL: u64 = 1 << 20;

/// Words that start every explanation of a full disk (to tell them in a failure's reason).
pub const FULL: &str = "the disk holding";

/// The bytes free for this process on the disk holding `path` (`None` where unknown).
#[cfg(unix)]
pub fn free_bytes(path: &Path) -> Option<u64> {
    let s = nix::sys::statvfs::statvfs(path).ok()?;
    Some((s.blocks_available() as u64).saturating_mul(s.fragment_size() as u64))
}

/// The bytes free for this process on the disk holding `path` (`None` where unknown).
#[cfg(not(unix))]
pub fn free_bytes(_path: &Path) -> Option<u64> {
    None
}

/// True when the disk holding `path` has (nearly) no room left.
pub fn is_full(path: &Path) -> bool {
    free_bytes(path).is_some_and(|b| b < NEARLY_FULL)
}

/// True when an I/O error says the disk (or the user's quota) is full.
pub fn is_no_space(e: &std::io::Error) -> bool {
    // ENOSPC is 28 and EDQUOT 122 on Linux; other systems map them to the same kinds.
    matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
        || matches!(e.raw_os_error(), Some(28))
}

/// True when a step's log says it ran out of room (`No space left on device`, `ENOSPC`).
pub fn log_says_no_space(text: &str) -> bool {
    text.contains("No space left on device") || text.contains("ENOSPC") || text.contains("[Errno 28]")
}

/// The total size of the files under `path` (a file's own size; 0 when it is not there).
pub fn tree_bytes(path: &Path) -> u64 {
    let mut total = 0;
    let mut dirs = vec![path.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&d) else { continue };
        if !meta.is_dir() {
            total += meta.len();
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => dirs.push(e.path()),
                Ok(_) => total += e.metadata().map_or(0, |m| m.len()),
                Err(_) => {}
            }
        }
    }
    total
}

/// `the disk holding `/p/.sluice` filled up (12 KiB free now): <need>; free space there (or
/// move the project to a disk with room) and run again`.
pub fn explain_full(state_dir: &Path, need: &str) -> String {
    let free = free_bytes(state_dir).map_or_else(|| "nearly nothing".to_string(), format_bytes);
    format!(
        "{FULL} `{}` filled up ({free} free now): {need}; free space there (or move the project to a disk with room) and run again",
        state_dir.display()
    )
}

/// `512 B`, `840 KiB`, `1.5 GiB`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 || v >= 100.0 {
        format!("{} {}", v.round() as u64, UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_for_people() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(860 * 1024), "860 KiB");
        assert_eq!(format_bytes(1536 * 1024 * 1024), "1.5 GiB");
    }

    #[test]
    fn no_space_errors_are_told() {
        assert!(is_no_space(&std::io::Error::from_raw_os_error(28)));
        assert!(is_no_space(&std::io::Error::from(std::io::ErrorKind::StorageFull)));
        assert!(!is_no_space(&std::io::Error::from(std::io::ErrorKind::PermissionDenied)));
        assert!(log_says_no_space("OSError: [Errno 28] No space left on device"));
    }

    #[test]
    fn tree_sizes() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b")).unwrap();
        std::fs::write(d.path().join("a/b/x"), "12345").unwrap();
        std::fs::write(d.path().join("y"), "12").unwrap();
        assert_eq!(tree_bytes(d.path()), 7);
        assert_eq!(tree_bytes(&d.path().join("y")), 2);
        assert_eq!(tree_bytes(&d.path().join("missing")), 0);
        assert!(free_bytes(d.path()).is_some_and(|b| b > 0));
    }
}
