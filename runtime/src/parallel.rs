//! Parallel steps (ParallelRunStep, v2 parallel jobs) run on this machine through a small Python
//! driver (`parallel_driver.py`, kept in the state folder): the entry script's `init()`, then
//! `run(mini_batch)` over the files of the step's data inputs, one mini-batch after another,
//! with retries and the error threshold, and `append_row` results written to the output.

use std::path::{Path, PathBuf};

use serde_json::json;
use sluice_compiler::ir::{PortRole, Step, StepKind};

/// The driver's source.
pub const DRIVER: &str = include_str!("parallel_driver.py");

/// Where the driver is kept in a state folder.
pub fn driver_path(state_dir: &Path) -> PathBuf {
    state_dir.join("parallel-driver.py")
}

/// Writes the driver into the state folder unless it is there already.
pub fn install_driver(state_dir: &Path) -> std::io::Result<()> {
    let path = driver_path(state_dir);
    if std::fs::read(&path).is_ok_and(|b| b == DRIVER.as_bytes()) {
        return Ok(());
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, DRIVER)?;
    std::fs::rename(&tmp, &path)
}

/// The driver's settings for a parallel step (`SLUICE_PARALLEL`), `None` for other kinds.
pub fn settings(step: &Step) -> Option<serde_json::Value> {
    let StepKind::Parallel(spec) = &step.kind else {
        return None;
    };
    // The inputs `input_data` names, else every data input.
    let split: Vec<&str> = if spec.split.is_empty() {
        step.inputs.iter().filter(|p| p.role == PortRole::Data).map(|p| p.name.value.as_str()).collect()
    } else {
        spec.split.iter().map(String::as_str).collect()
    };
    Some(json!({
        "split": split,
        "output": step.outputs.first().map(|o| o.name.value.as_str()),
        "mini_batch_size": spec.mini_batch_size,
        "error_threshold": spec.error_threshold,
        "output_action": spec.output_action.as_deref().unwrap_or("append_row"),
        "append_row_file_name": spec.append_row_file_name,
        "max_tries": spec.max_tries,
    }))
}

/// Splits a command line into words as a POSIX shell would for plain words and quotes (no
/// expansions): the program arguments of a parallel step given as a template.
pub fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(split_words("  --a 'b c' \"d\\\"e\" f\\ g  "), ["--a", "b c", "d\"e", "f g"]);
        assert_eq!(split_words("x ''"), ["x", ""]);
        assert!(split_words("   ").is_empty());
    }
}
