//! A parallel walk of a folder for hashing: the files the ignore file keeps, with their keys.
//! Directory entries are read with their type and stated relative to their directory (no full
//! path lookup per file), on every core; links are followed, and a link back to a folder it is
//! inside is an error, as in `git` and the `ignore` crate's walker. A FIFO, socket or device that
//! the ignore rules keep is an error too: it cannot be read (a FIFO would block), so a step reading
//! it could not be fingerprinted, and skipping it silently would let changes through unseen.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use super::cache::{FileKey, HashCache};
use super::tree::ALWAYS_SKIPPED;
use crate::ignore_file::{IgnoreFile, join_relative};

/// A file found by [`walk`].
#[derive(Debug, Clone)]
pub struct Found {
    /// Path relative to the walked folder.
    pub rel: PathBuf,
    /// Its key.
    pub key: FileKey,
    /// Its hash, when the cache given to [`walk`] knows it for this key.
    pub cached: Option<[u8; 32]>,
}

/// A folder to read: its path relative to the root, and the (device, inode) of it and of every
/// folder it is inside (to tell a link loop).
struct Job {
    rel: PathBuf,
    ancestors: Arc<Vec<(u64, u64)>>,
    /// Where the ignore file sees it: its resolved path relative to the ignore file's folder
    /// (azure-ai-ml tests `resolve(folder)/name`, so a linked folder is seen where it leads).
    seen_as: Option<Arc<str>>,
}

struct Queue {
    jobs: Vec<Job>,
    busy: usize,
    error: Option<String>,
}

/// Every file under `root` that `matcher` does not exclude, in one list per folder (folders named in
/// [`ALWAYS_SKIPPED`] are never entered), each list sorted by path, each file with its hash from
/// `cache` when the cache knows it (looked up by the walking threads, so in parallel too).
pub fn walk(
    root: &Path,
    matcher: Option<&IgnoreFile>,
    threads: usize,
    cache: &HashCache,
) -> Result<Vec<Vec<Found>>, String> {
    let root_meta = std::fs::metadata(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let seen_as = match matcher {
        Some(m) => match seen_as(m, root)? {
            Some(s) => Some(s),
            // No relative form (another drive): the SDK excludes every file.
            None => return Ok(Vec::new()),
        },
        None => None,
    };
    let first = Job { rel: PathBuf::new(), ancestors: Arc::new(vec![dev_ino(&root_meta)]), seen_as };
    let queue = Mutex::new(Queue { jobs: vec![first], busy: 0, error: None });
    let wake = Condvar::new();
    let results: Vec<Vec<Vec<Found>>> = std::thread::scope(|s| {
        let workers: Vec<_> =
            (0..threads.max(1)).map(|_| s.spawn(|| worker(root, matcher, cache, &queue, &wake))).collect();
        workers.into_iter().map(|w| w.join().unwrap_or_default()).collect()
    });
    let q = queue.into_inner().map_err(|_| "a walking thread panicked".to_string())?;
    if let Some(e) = q.error {
        return Err(e);
    }
    // Lists of a folder each, not joined: the caller moves the entries on anyway.
    Ok(results.into_iter().flatten().collect())
}

/// The form in which `matcher` sees the folder `dir`: resolved, relative to its base.
fn seen_as(matcher: &IgnoreFile, dir: &Path) -> Result<Option<Arc<str>>, String> {
    let resolved = std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(matcher.relative(&resolved).map(Arc::from))
}

fn worker(
    root: &Path,
    matcher: Option<&IgnoreFile>,
    cache: &HashCache,
    queue: &Mutex<Queue>,
    wake: &Condvar,
) -> Vec<Vec<Found>> {
    // A list per folder: no large list grows by copying (fresh memory is costly to touch).
    let mut found: Vec<Vec<Found>> = Vec::new();
    // The absolute path of each file, built in one buffer (no allocation per lookup).
    let mut abs: Vec<u8> = root.as_os_str().as_encoded_bytes().to_vec();
    abs.extend_from_slice(std::path::MAIN_SEPARATOR_STR.as_bytes());
    let prefix = abs.len();
    let mut looked_up = 0;
    let mut look_up = |found: &mut [Found]| {
        for f in found.iter_mut() {
            abs.truncate(prefix);
            abs.extend_from_slice(f.rel.as_os_str().as_encoded_bytes());
            f.cached = cache.get_bytes(&abs, &f.key);
        }
    };
    'jobs: loop {
        let job = {
            let Ok(mut q) = queue.lock() else { break 'jobs };
            loop {
                if q.error.is_some() {
                    break 'jobs;
                }
                if let Some(j) = q.jobs.pop() {
                    q.busy += 1;
                    break j;
                }
                if q.busy == 0 {
                    wake.notify_all();
                    break 'jobs;
                }
                q = match wake.wait(q) {
                    Ok(q) => q,
                    Err(_) => break 'jobs,
                };
            }
        };
        let mut subdirs = Vec::new();
        let mut files = Vec::new();
        let result = read_dir(root, &job, matcher, &mut files, &mut subdirs);
        if !files.is_empty() {
            // Sorted here, on every core, so the caller's sort of all files finds long runs.
            files.sort_unstable_by(|a: &Found, b: &Found| {
                a.rel.as_os_str().as_encoded_bytes().cmp(b.rel.as_os_str().as_encoded_bytes())
            });
            found.push(files);
        }
        {
            let Ok(mut q) = queue.lock() else { break 'jobs };
            q.busy -= 1;
            match result {
                Ok(()) => q.jobs.extend(subdirs),
                Err(e) => {
                    q.error.get_or_insert(e);
                }
            }
            wake.notify_all();
        }
        // Looked up a folder at a time, once its subfolders are queued for the other threads,
        // while the names are still in this core's cache; while the saved cache is still being
        // read, at the end.
        if cache.is_ready() {
            found[looked_up..].iter_mut().for_each(|f| look_up(f));
            looked_up = found.len();
        }
    }
    found[looked_up..].iter_mut().for_each(|f| look_up(f));
    found
}

fn read_dir(
    root: &Path,
    job: &Job,
    matcher: Option<&IgnoreFile>,
    found: &mut Vec<Found>,
    subdirs: &mut Vec<Job>,
) -> Result<(), String> {
    let dir = root.join(&job.rel);
    let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let entries = std::fs::read_dir(&dir).map_err(|e| err(&dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| err(&dir, e))?;
        let name = entry.file_name();
        let rel = job.rel.join(&name);
        let mut ty = entry.file_type().map_err(|e| err(&rel, e))?;
        let mut meta = None;
        let is_link = ty.is_symlink();
        if is_link {
            // Links are followed: what counts is what they point at.
            let m = std::fs::metadata(entry.path())
                .map_err(|e| format!("{}: {e} (a broken link?)", entry.path().display()))?;
            ty = m.file_type();
            meta = Some(m);
        }
        // How the ignore file sees the entry, when there is one.
        let seen = match (matcher, &job.seen_as) {
            (Some(m), Some(dir)) => Some((m, join_relative(dir, &name.to_string_lossy()))),
            _ => None,
        };
        if ty.is_dir() {
            if let Some(sub) = subdir(job, &entry, rel, meta, seen, is_link)? {
                subdirs.push(sub);
            }
        } else if ty.is_file() {
            if seen.is_some_and(|(m, rel)| m.is_excluded_rel(&rel)) {
                continue;
            }
            let m = match meta {
                Some(m) => m,
                None => entry.metadata().map_err(|e| err(&rel, e))?,
            };
            found.push(Found { rel, key: FileKey::from_metadata(&m), cached: None });
        } else if !seen.is_some_and(|(m, rel)| m.is_excluded_rel(&rel)) {
            let m = match meta {
                Some(m) => m,
                None => entry.metadata().map_err(|e| err(&rel, e))?,
            };
            return Err(format!(
                "`{}` is {}: sluice hashes only regular files and folders; remove it, or list it in the folder's .amlignore or .gitignore (source folders)",
                entry.path().display(),
                crate::source::special_kind(&m)
            ));
        }
    }
    Ok(())
}

/// The job of reading a subfolder, `None` when it is skipped or ignored; an error when a link
/// loops back to a folder it is inside.
fn subdir(
    job: &Job,
    entry: &std::fs::DirEntry,
    rel: PathBuf,
    meta: Option<std::fs::Metadata>,
    seen: Option<(&IgnoreFile, String)>,
    is_link: bool,
) -> Result<Option<Job>, String> {
    let name = entry.file_name();
    if ALWAYS_SKIPPED.iter().any(|s| name == *s)
        || seen.as_ref().is_some_and(|(m, rel)| m.excludes_all_below(rel))
    {
        return Ok(None);
    }
    let m = match meta {
        Some(m) => m,
        None => entry.metadata().map_err(|e| format!("{}: {e}", rel.display()))?,
    };
    let id = dev_ino(&m);
    if job.ancestors.contains(&id) {
        return Err(format!("{}: a link loops back to a folder it is inside", entry.path().display()));
    }
    let mut ancestors = (*job.ancestors).clone();
    ancestors.push(id);
    let seen_as = match seen {
        // A linked folder is seen where it leads.
        Some((m, _)) if is_link => match seen_as(m, &entry.path())? {
            Some(s) => Some(s),
            None => return Ok(None),
        },
        Some((_, rel)) => Some(Arc::from(rel)),
        None => None,
    };
    Ok(Some(Job { rel, ancestors: Arc::new(ancestors), seen_as }))
}

#[cfg(unix)]
fn dev_ino(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn dev_ino(_m: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_an_error_unless_ignored() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::write(r.join("a.txt"), "a").unwrap();
        let fifo = r.join("pipe");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let e = walk(r, None, 2, &HashCache::new()).unwrap_err();
        assert!(e.contains("pipe` is a FIFO (named pipe)") && e.contains(".amlignore"), "{e}");
        std::fs::write(r.join(".amlignore"), "pipe\n").unwrap();
        let rules = IgnoreFile::for_folder(r).unwrap().unwrap();
        let found = walk(r, Some(&rules), 2, &HashCache::new()).unwrap();
        assert_eq!(found.into_iter().flatten().count(), 2, "a.txt and .amlignore");
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_loops_are_errors() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("real/sub")).unwrap();
        std::fs::write(r.join("real/sub/a.txt"), "a").unwrap();
        std::fs::create_dir_all(r.join("tree")).unwrap();
        std::os::unix::fs::symlink(r.join("real"), r.join("tree/linked")).unwrap();
        std::os::unix::fs::symlink(r.join("real/sub/a.txt"), r.join("tree/file")).unwrap();
        let mut names: Vec<String> = walk(&r.join("tree"), None, 2, &HashCache::new())
            .unwrap()
            .into_iter()
            .flatten()
            .map(|f| f.rel.to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["file", "linked/sub/a.txt"]);
        std::os::unix::fs::symlink(r.join("tree"), r.join("tree/loop")).unwrap();
        let e = walk(&r.join("tree"), None, 2, &HashCache::new()).unwrap_err();
        assert!(e.contains("loops back"), "{e}");
        std::os::unix::fs::symlink(r.join("nowhere"), r.join("real/broken")).unwrap();
        assert!(walk(&r.join("real"), None, 1, &HashCache::new()).unwrap_err().contains("broken link"));
    }
}
