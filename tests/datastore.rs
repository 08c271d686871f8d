//! End-to-end tests of `sluice datastore upload|download|list|rm` with the real binary: on a
//! local datastore, and on Azure Blob containers of Azurite (the emulator `.ci/run` starts;
//! without it these tests say `skipped:`, and fail under `SLUICE_CI=1`). Faults: the emulator
//! killed mid-transfer, bytes corrupted on the wire, wrong credentials whose value must appear
//! in no output.

#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest, Md5};
use support::azurite::{self, ACCOUNT, Emulator, KEY, corrupting_proxy, port_of};
use support::{Run, run, sluice};

/// The variable the test workspaces read the credential from.
const CRED_VAR: &str = "SLUICE_TEST_LAKE_CREDENTIAL";

/// A project folder with a workspace whose datastore `lake` is a container on an emulator.
struct Project {
    dir: tempfile::TempDir,
    /// The value of `CRED_VAR` for commands.
    credential: String,
}

impl Project {
    /// `lake` is container `container` at `url`, authenticated by `field` (`account_key`,
    /// `sas_token`) from `CRED_VAR`.
    fn azure(url: &str, container: &str, field: &str, credential: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let ws = format!(
            "datastores:\n  lake:\n    type: azure_blob\n    account_name: {ACCOUNT}\n    container_name: {container}\n    account_url: {url}\n    {field}: ${{env:{CRED_VAR}}}\n  scratch:\n    type: local\n    path: ./scratch\ncomputes:\n  local: {{type: local}}\n"
        );
        std::fs::write(dir.path().join("workspace.yaml"), ws).unwrap();
        Project { dir, credential: credential.to_string() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = sluice(self.dir.path());
        cmd.env(CRED_VAR, &self.credential).args(args);
        cmd
    }

    fn sluice(&self, args: &[&str]) -> Run {
        run(&mut self.command(args))
    }

    /// Runs and checks the exit code.
    fn ok(&self, args: &[&str]) -> Run {
        let r = self.sluice(args);
        assert_eq!(r.code, Some(0), "sluice {args:?}\n{}", r.all_output());
        r
    }

    fn listed(&self, args: &[&str]) -> Vec<(String, u64, Option<String>)> {
        let mut all = vec!["datastore", "list", "--datastore", "lake", "--json"];
        all.extend_from_slice(args);
        let r = self.ok(&all);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(doc["version"], 1);
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["size"].as_u64().unwrap(),
                    f["md5"].as_str().map(str::to_string),
                )
            })
            .collect()
    }
}

/// A container name of its own for each test (the CI emulator is shared by every test).
fn container(tag: &str) -> String {
    format!("{tag}-{}", std::process::id())
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Deterministic bytes that do not compress or repeat.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    support::walk(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"))
        .collect()
}

#[test]
fn folders_and_patterns_go_up_list_with_their_md5_come_down_and_are_removed() {
    let Some(url) =
        azurite::require_blob("folders_and_patterns_go_up_list_with_their_md5_come_down_and_are_removed")
    else {
        return;
    };
    let p = Project::azure(&url, &container("roundtrip"), "account_key", KEY);
    write(&p.path("data/a.csv"), b"x,y\n1,2\n");
    write(&p.path("data/sub/b.csv"), b"x,y\n3,4\n");
    write(&p.path("data/sub/deep/c.txt"), b"notes");
    // Over the single-request limit (32 MiB): uploaded in blocks, its MD5 recorded after.
    let big = noise((33 << 20) + 17, 7);
    write(&p.path("data/big.bin"), &big);

    let up = p.ok(&["datastore", "upload", "--datastore", "lake", "--target-path", "raw", "data"]);
    assert!(up.stderr.contains("created container"), "the emulator starts empty\n{}", up.stderr);
    assert!(up.stderr.contains("4 files (33.0 MiB) uploaded to datastore `lake`"), "{}", up.stderr);
    // A quoted pattern: placed relative to the folder before the first wildcard.
    p.ok(&["datastore", "upload", "--datastore", "lake", "--target-path", "csv", "data/**/*.csv"]);

    let listed = p.listed(&[]);
    let paths: Vec<&str> = listed.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(
        paths,
        [
            "csv/a.csv",
            "csv/sub/b.csv",
            "raw/data/a.csv",
            "raw/data/big.bin",
            "raw/data/sub/b.csv",
            "raw/data/sub/deep/c.txt"
        ]
    );
    for (path, size, md5) in &listed {
        let local =
            std::fs::read(p.path(&path.replacen("raw/", "", 1).replacen("csv/", "data/", 1))).unwrap();
        assert_eq!(*size, local.len() as u64, "{path}");
        assert_eq!(md5.as_deref(), Some(md5_hex(&local).as_str()), "the service holds the MD5 of {path}");
    }
    let text = p.ok(&["datastore", "list", "--datastore", "lake", "raw/data/sub"]);
    assert!(
        text.stdout.contains(&md5_hex(b"notes")) && text.stdout.contains("raw/data/sub/deep/c.txt"),
        "{}",
        text.stdout
    );
    assert!(text.stderr.contains("2 files, 13 B on datastore `lake`"), "{}", text.stderr);

    let down = p.ok(&["datastore", "download", "--datastore", "lake", "--target-path", "out", "raw/data"]);
    assert!(!down.stderr.contains("only their size"), "every file had an MD5 to check\n{}", down.stderr);
    assert_eq!(
        files_under(&p.path("out")),
        ["data/a.csv", "data/big.bin", "data/sub/b.csv", "data/sub/deep/c.txt"]
    );
    assert!(std::fs::read(p.path("out/data/big.bin")).unwrap() == big);
    p.ok(&["datastore", "download", "--datastore", "lake", "--target-path", "out2", "raw/**/*.csv"]);
    assert_eq!(files_under(&p.path("out2")), ["data/a.csv", "data/sub/b.csv"]);
    p.ok(&["datastore", "download", "--datastore", "lake", "--target-path", "one", "raw/data/sub/b.csv"]);
    assert_eq!(std::fs::read(p.path("one/b.csv")).unwrap(), b"x,y\n3,4\n");

    let typo = p.sluice(&["datastore", "download", "--datastore", "lake", "raw/data/a.cvs"]);
    assert_eq!(typo.code, Some(1), "{}", typo.all_output());
    assert!(
        typo.stderr
            .contains("nothing at `raw/data/a.cvs` on datastore `lake`; did you mean `raw/data/a.csv`?"),
        "{}",
        typo.stderr
    );

    let rm = p.ok(&["datastore", "rm", "--datastore", "lake", "csv/**/*.csv"]);
    assert!(rm.stderr.contains("2 files deleted"), "{}", rm.stderr);
    let folder = p.sluice(&["datastore", "rm", "--datastore", "lake", "raw/data"]);
    assert_eq!(folder.code, Some(2), "a folder needs --recursive\n{}", folder.all_output());
    assert!(
        folder.stderr.contains("is a folder of 4 files") && folder.stderr.contains("--recursive"),
        "{}",
        folder.stderr
    );
    let dry = p.ok(&["datastore", "rm", "--datastore", "lake", "-r", "--dry-run", "raw"]);
    assert!(dry.stderr.contains("would delete raw/data/big.bin"), "{}", dry.stderr);
    assert_eq!(p.listed(&[]).len(), 4, "a dry run deletes nothing");
    p.ok(&["datastore", "rm", "--datastore", "lake", "-r", "raw"]);
    assert!(p.listed(&[]).is_empty());
}

#[test]
fn existing_files_are_skipped_with_a_note_unless_overwrite() {
    let Some(url) = azurite::require_blob("existing_files_are_skipped_with_a_note_unless_overwrite") else {
        return;
    };
    let p = Project::azure(&url, &container("overwrite"), "account_key", KEY);
    write(&p.path("a.csv"), b"first\n");
    write(&p.path("b.csv"), b"b\n");
    p.ok(&["datastore", "upload", "--datastore", "lake", "a.csv"]);
    write(&p.path("a.csv"), b"second version\n");
    // As the SDK's upload_files(overwrite=False): kept, with a note; the rest goes up.
    let again = p.ok(&["datastore", "upload", "--datastore", "lake", "a.csv", "b.csv"]);
    assert!(
        again.stderr.contains("skipped a.csv: already on datastore `lake`; it differs in size: 6 B there, 15 B here (--overwrite replaces it)"),
        "{}",
        again.stderr
    );
    assert!(
        again.stderr.contains("uploaded b.csv") && again.stderr.contains("1 skipped"),
        "{}",
        again.stderr
    );
    let listed = p.listed(&["a.csv"]);
    assert_eq!(listed[0].2.as_deref(), Some(md5_hex(b"first\n").as_str()), "the blob was not replaced");
    p.ok(&["datastore", "upload", "--datastore", "lake", "--overwrite", "a.csv"]);
    assert_eq!(p.listed(&["a.csv"])[0].2.as_deref(), Some(md5_hex(b"second version\n").as_str()));

    // Downloads follow the same rule for local files.
    write(&p.path("out/a.csv"), b"local edit");
    let down = p.ok(&["datastore", "download", "--datastore", "lake", "--target-path", "out", "a.csv"]);
    assert!(
        down.stderr.contains("skipped out/a.csv: already here (--overwrite replaces it)"),
        "{}",
        down.stderr
    );
    assert_eq!(std::fs::read(p.path("out/a.csv")).unwrap(), b"local edit");
    p.ok(&["datastore", "download", "--datastore", "lake", "--target-path", "out", "--overwrite", "a.csv"]);
    assert_eq!(std::fs::read(p.path("out/a.csv")).unwrap(), b"second version\n");
}

/// A proxy to `port` that answers the first `failures` connections with `503 Server Busy`.
fn busy_proxy(port: u16, failures: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for (i, client) in listener.incoming().flatten().enumerate() {
            if i < failures {
                let mut client = client;
                let mut head = [0u8; 4096];
                let _ = client.read(&mut head);
                let _ = client
                    .write_all(b"HTTP/1.1 503 Server Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                continue;
            }
            let Ok(server) = TcpStream::connect(("127.0.0.1", port)) else { continue };
            for (mut a, mut b) in
                [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)]
            {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut a, &mut b);
                    let _ = b.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
    proxy
}

#[test]
fn bytes_changed_on_the_wire_are_caught_and_nothing_is_kept() {
    let Some(url) = azurite::require_blob("bytes_changed_on_the_wire_are_caught_and_nothing_is_kept") else {
        return;
    };
    let name = container("integrity");
    let direct = Project::azure(&url, &name, "account_key", KEY);
    let content = b"id,value\n1,CORRUPTME\n2,fine\n";
    write(&direct.path("good.csv"), content);
    direct.ok(&["datastore", "upload", "--datastore", "lake", "good.csv"]);

    // Down: the service's Content-MD5 no longer matches what arrives.
    let down_url = format!(
        "http://127.0.0.1:{}/{ACCOUNT}",
        corrupting_proxy(port_of(&url), b"CORRUPTME", b"CORRUPTED", false)
    );
    let via = Project::azure(&down_url, &name, "account_key", KEY);
    let r = via.sluice(&["datastore", "download", "--datastore", "lake", "--target-path", "out", "good.csv"]);
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert!(r.stderr.contains("integrity check failed for `good.csv` on datastore `lake`"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("the service holds MD5 {}", md5_hex(content))), "{}", r.stderr);
    assert!(
        files_under(&via.path("out")).is_empty(),
        "nothing half-written or wrong is left: {:?}",
        files_under(&via.path("out"))
    );

    // Up: the service stores what arrived and says its MD5; sluice compares and takes it back.
    let up_url = format!(
        "http://127.0.0.1:{}/{ACCOUNT}",
        corrupting_proxy(port_of(&url), b"CORRUPTME", b"CORRUPTED", true)
    );
    let via = Project::azure(&up_url, &name, "account_key", KEY);
    write(&via.path("bad.csv"), content);
    let r = via.sluice(&["datastore", "upload", "--datastore", "lake", "bad.csv"]);
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert!(
        r.stderr.contains("integrity check failed for `bad.csv` on datastore `lake`: sent MD5"),
        "{}",
        r.stderr
    );
    let left: Vec<String> = direct.listed(&[]).into_iter().map(|l| l.0).collect();
    assert_eq!(left, ["good.csv"], "the corrupted upload was removed");
}

#[test]
fn transient_failures_are_retried_with_backoff() {
    let Some(url) = azurite::require_blob("transient_failures_are_retried_with_backoff") else { return };
    let name = container("retry");
    let direct = Project::azure(&url, &name, "account_key", KEY);
    write(&direct.path("a.csv"), b"a\n");
    direct.ok(&["datastore", "upload", "--datastore", "lake", "a.csv"]);

    // Without retries the first 503 is the answer.
    let busy = Project::azure(
        &format!("http://127.0.0.1:{}/{ACCOUNT}", busy_proxy(port_of(&url), 1)),
        &name,
        "account_key",
        KEY,
    );
    let r = busy.sluice(&["datastore", "list", "--datastore", "lake", "--retries", "0"]);
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert!(r.stderr.contains("failed listing: it answered 503"), "{}", r.stderr);
    // With them, two busy answers in a row are waited out (0.1 s, then 0.2 s, with jitter).
    let busy = Project::azure(
        &format!("http://127.0.0.1:{}/{ACCOUNT}", busy_proxy(port_of(&url), 2)),
        &name,
        "account_key",
        KEY,
    );
    write(&busy.path("b.csv"), b"b\n");
    busy.ok(&["datastore", "upload", "--datastore", "lake", "--retries", "3", "b.csv"]);
    let paths: Vec<String> = direct.listed(&[]).into_iter().map(|l| l.0).collect();
    assert_eq!(paths, ["a.csv", "b.csv"]);
}

#[test]
fn ctrl_c_stops_a_download_and_leaves_no_partial_file() {
    let Some(url) = azurite::require_blob("ctrl_c_stops_a_download_and_leaves_no_partial_file") else {
        return;
    };
    let p = Project::azure(&url, &container("cancel"), "account_key", KEY);
    for i in 0..60 {
        write(&p.path(&format!("data/part-{i:02}.bin")), &noise(512 << 10, i + 100));
    }
    p.ok(&["datastore", "upload", "--datastore", "lake", "data"]);
    let download = ["datastore", "download", "--datastore", "lake", "--jobs", "1", "--target-path", "out"];
    let (child, rx, seen) = run_until(&p, &download, "downloaded ", 5);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT)
        .unwrap();
    let (code, err) = finish(child, rx, seen);
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("canceled"), "{err}");
    let got = files_under(&p.path("out"));
    assert!(got.len() < 60, "it stopped");
    for f in &got {
        assert!(f.starts_with("data/part-") && f.ends_with(".bin"), "a temporary file stayed: {f}");
        assert_eq!(
            std::fs::read(p.path("out").join(f)).unwrap(),
            std::fs::read(p.path(f)).unwrap(),
            "{f} is whole"
        );
    }
}

/// Runs `args` in the background and returns once `lines` lines of stderr starting with
/// `prefix` were printed, with the child and the lines so far.
fn run_until(
    p: &Project,
    args: &[&str],
    prefix: &'static str,
    lines: usize,
) -> (std::process::Child, mpsc::Receiver<String>, Vec<String>) {
    let mut child = p.command(args).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let start = Instant::now();
    let mut seen = Vec::new();
    while seen.iter().filter(|l: &&String| l.starts_with(prefix)).count() < lines {
        match rx.recv_timeout(Duration::from_secs(120).saturating_sub(start.elapsed())) {
            Ok(l) => seen.push(l),
            Err(_) => panic!("{lines} `{prefix}` lines did not come:\n{}", seen.join("\n")),
        }
    }
    (child, rx, seen)
}

/// Waits for the child and returns its exit code and the rest of its stderr.
fn finish(
    mut child: std::process::Child,
    rx: mpsc::Receiver<String>,
    mut seen: Vec<String>,
) -> (Option<i32>, String) {
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "sluice did not give up:\n{}", seen.join("\n"));
        std::thread::sleep(Duration::from_millis(50));
    };
    while let Ok(l) = rx.recv_timeout(Duration::from_secs(5)) {
        seen.push(l);
    }
    (status.code(), seen.join("\n"))
}

#[test]
fn an_emulator_stopped_mid_transfer_is_a_clear_error_and_a_rerun_completes() {
    let test = "an_emulator_stopped_mid_transfer_is_a_clear_error_and_a_rerun_completes";
    let Some(bin) = azurite::require_bin(test) else { return };
    let scratch = tempfile::tempdir().unwrap();
    let mut emulator = Emulator::start(&bin, scratch.path());
    let p = Project::azure(&emulator.url(), "faults", "account_key", KEY);
    let n = 120;
    for i in 0..n {
        write(&p.path(&format!("data/part-{i:03}.bin")), &noise(256 << 10, i as u64 + 1));
    }
    let upload = ["datastore", "upload", "--datastore", "lake", "--jobs", "1", "--retries", "1", "data"];

    // Upload: killed after ten files.
    let (child, rx, seen) = run_until(&p, &upload, "uploaded ", 10);
    emulator.kill();
    let (code, err) = finish(child, rx, seen);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "error: cannot reach the Blob service of datastore `lake` at {} (",
            emulator.url()
        )),
        "{err}"
    );
    assert!(err.contains("--retries sets how many"), "{err}");

    // The emulator comes back empty (its storage was in memory): the container is made again
    // and a re-run completes.
    emulator.restart();
    let again = p.ok(&upload);
    assert!(again.stderr.contains(&format!("{n} files (30.0 MiB) uploaded")), "{}", again.stderr);
    assert_eq!(p.listed(&[]).len(), n);

    // Download: killed after ten files; what is on disk is whole, and no temporary file stays.
    let download = [
        "datastore",
        "download",
        "--datastore",
        "lake",
        "--jobs",
        "1",
        "--retries",
        "1",
        "--target-path",
        "out",
    ];
    let (child, rx, seen) = run_until(&p, &download, "downloaded ", 10);
    emulator.kill();
    let (code, err) = finish(child, rx, seen);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("error: cannot reach the Blob service of datastore `lake`"), "{err}");
    let got = files_under(&p.path("out"));
    assert!(got.len() >= 10 && got.len() < n, "{} files", got.len());
    for f in &got {
        assert!(
            f.starts_with("data/part-") && f.ends_with(".bin"),
            "a temporary or foreign file stayed: {f}"
        );
        assert_eq!(
            std::fs::read(p.path("out").join(f)).unwrap(),
            std::fs::read(p.path(f)).unwrap(),
            "{f} is whole"
        );
    }
    emulator.restart();
    p.ok(&upload);
    let done = p.ok(&download);
    assert!(done.stderr.contains(&format!("{} skipped", got.len())), "{}", done.stderr);
    assert_eq!(files_under(&p.path("out")).len(), n);
    for f in files_under(&p.path("out")) {
        assert_eq!(std::fs::read(p.path("out").join(&f)).unwrap(), std::fs::read(p.path(&f)).unwrap(), "{f}");
    }
}

/// An account SAS (<https://learn.microsoft.com/rest/api/storageservices/create-account-sas>)
/// signed with `key`.
fn account_sas(key: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let (sv, ss, srt, sp, se) = ("2023-11-03", "b", "sco", "rwdlac", "2099-01-01T00:00:00Z");
    let to_sign = format!("{ACCOUNT}\n{sp}\n{ss}\n{srt}\n\n{se}\n\n\n{sv}\n\n");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&BASE64.decode(key).unwrap()).unwrap();
    mac.update(to_sign.as_bytes());
    let sig = BASE64.encode(mac.finalize().into_bytes());
    let sig: String = sig
        .chars()
        .map(|c| match c {
            '+' => "%2B".to_string(),
            '/' => "%2F".to_string(),
            '=' => "%3D".to_string(),
            c => c.to_string(),
        })
        .collect();
    format!("sv={sv}&ss={ss}&srt={srt}&sp={sp}&se={se}&sig={sig}")
}

/// Asserts that no output of `r` holds `secret` in any form a URL or header could give it.
fn assert_hidden(r: &Run, secret: &str, what: &str) {
    let all = r.all_output();
    let encoded: String = secret
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    for form in [secret.to_string(), encoded] {
        assert!(!all.contains(&form), "{what}: the secret appears in the output:\n{all}");
    }
    if let Some((_, sig)) = secret.split_once("sig=") {
        assert!(!all.contains(sig), "{what}: the SAS signature appears in the output:\n{all}");
    }
}

#[test]
fn a_wrong_credential_is_a_clear_403_that_never_shows_it() {
    let Some(url) = azurite::require_blob("a_wrong_credential_is_a_clear_403_that_never_shows_it") else {
        return;
    };
    let name = container("denied");
    let good = Project::azure(&url, &name, "account_key", KEY);
    write(&good.path("a.csv"), b"a\n");
    good.ok(&["datastore", "upload", "--datastore", "lake", "a.csv"]);

    let wrong_key = BASE64.encode(b"sluice-test-wrong-account-key-0123456789abcdefghij");
    let wrong_sas = account_sas(&BASE64.encode(b"another-wrong-key-for-signing-sas-tokens"));
    for (field, secret) in [("account_key", wrong_key.as_str()), ("sas_token", wrong_sas.as_str())] {
        let p = Project::azure(&url, &name, field, secret);
        write(&p.path("b.csv"), b"b\n");
        let hint = if field == "account_key" {
            "check the account key in ${env:"
        } else {
            "check the SAS token in ${env:"
        };
        for args in [
            &["datastore", "upload", "--datastore", "lake", "b.csv"][..],
            &["datastore", "list", "--datastore", "lake"],
            &["datastore", "download", "--datastore", "lake", "--target-path", "out", "a.csv"],
            &["datastore", "rm", "--datastore", "lake", "a.csv"],
        ] {
            let r = p.sluice(args);
            assert_eq!(r.code, Some(1), "{field} {args:?}\n{}", r.all_output());
            assert!(
                r.stderr.contains(&format!(
                    "access denied to container `{name}` of account `{ACCOUNT}` (datastore `lake`"
                )),
                "{field} {args:?}\n{}",
                r.stderr
            );
            assert!(r.stderr.contains(&format!("{hint}{CRED_VAR}}}")), "{field} {args:?}\n{}", r.stderr);
            assert_hidden(&r, secret, &format!("{field} {args:?}"));
            assert!(!p.path("out").exists(), "nothing is written");
        }
    }
    assert_eq!(good.listed(&[]).len(), 1, "a.csv is still there");

    // Plans and runs of a pipeline reading the datastore neither print the key nor store it;
    // with a wrong key they fail with the same clear 403, naming the datastore.
    let pipeline = "pipeline:\n  name: reads-lake\n  default_compute: local\n  data_references:\n    raw: {datastore: lake, path_on_datastore: a.csv}\n  steps:\n    show:\n      type: PythonScriptStep\n      script_name: show.py\n      source_directory: .\n      arguments: [--raw, input:raw]\n      inputs: {raw: {source: raw}}\n";
    let denied = Project::azure(&url, &name, "account_key", &wrong_key);
    for p in [&good, &denied] {
        std::fs::write(p.path("pipeline.yml"), pipeline).unwrap();
        std::fs::write(p.path("show.py"), "import sys; print(open(sys.argv[2]).read())\n").unwrap();
    }
    for args in [
        &["plan", "pipeline.yml"][..],
        &["plan", "pipeline.yml", "--json", "--explain"],
        &["run", "pipeline.yml"],
    ] {
        let r = good.sluice(args);
        assert_eq!(r.code, Some(0), "{args:?}\n{}", r.all_output());
        assert_hidden(&r, KEY, &format!("{args:?}"));
        let r = denied.sluice(args);
        assert_eq!(r.code, Some(1), "{args:?}\n{}", r.all_output());
        assert!(
            r.stderr.contains("data reference `raw`")
                && r.stderr.contains(&format!(
                    "access denied to container `{name}` of account `{ACCOUNT}` (datastore `lake`"
                )),
            "{args:?}\n{}",
            r.stderr
        );
        assert_hidden(&r, &wrong_key, &format!("wrong key {args:?}"));
    }
    for f in support::walk(good.dir.path()).into_iter().chain(support::walk(denied.dir.path())) {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(KEY) && !text.contains(&wrong_key), "{} holds a key", f.display());
    }

    // A credential that is not set or not base64 is a usage error naming the variable only.
    let mut unset = good.command(&["datastore", "list", "--datastore", "lake"]);
    unset.env_remove(CRED_VAR);
    let r = run(&mut unset);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert!(
        r.stderr.contains(&format!("`account_key` comes from ${{env:{CRED_VAR}}}, which is not set")),
        "{}",
        r.stderr
    );
    let garbled = Project::azure(&url, &name, "account_key", "not base64 at all!");
    let r = garbled.sluice(&["datastore", "list", "--datastore", "lake"]);
    assert_eq!(r.code, Some(2), "{}", r.all_output());
    assert_hidden(&r, "not base64 at all!", "garbled key");
}

#[test]
fn a_sas_token_works_and_never_shows() {
    let Some(url) = azurite::require_blob("a_sas_token_works_and_never_shows") else { return };
    let sas = account_sas(KEY);
    let p = Project::azure(&url, &container("sas"), "sas_token", &sas);
    write(&p.path("data/a.csv"), b"a\n");
    let outputs = [
        p.ok(&["datastore", "upload", "--datastore", "lake", "data"]),
        p.ok(&["datastore", "list", "--datastore", "lake"]),
        p.ok(&["datastore", "download", "--datastore", "lake", "--target-path", "out", "data"]),
        p.sluice(&["datastore", "download", "--datastore", "lake", "missing.csv"]),
        p.ok(&["datastore", "rm", "--datastore", "lake", "-r", "data"]),
    ];
    assert_eq!(std::fs::read(p.path("out/data/a.csv")).unwrap(), b"a\n");
    for r in &outputs {
        assert_hidden(r, &sas, "sas");
    }
}

#[test]
fn local_datastores_take_the_same_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("data/a.csv"), b"a\n");
    write(&d.join("data/x/b.csv"), b"bb\n");
    write(&d.join("data/x/c.txt"), b"c\n");
    let s = |args: &[&str]| run(sluice(d).args(args));
    // The built-in workspace's blob store is a folder under .sluice/datastores.
    let up = s(&[
        "datastore",
        "upload",
        "--datastore",
        "workspaceblobstore",
        "--target-path",
        "in",
        "data/**/*.csv",
    ]);
    assert_eq!(up.code, Some(0), "{}", up.all_output());
    assert_eq!(files_under(&d.join(".sluice/datastores/workspaceblobstore")), ["in/a.csv", "in/x/b.csv"]);
    let list = s(&["datastore", "list", "--datastore", "workspaceblobstore"]);
    assert!(
        list.stdout.contains("in/x/b.csv") && list.stderr.contains("2 files, 5 B"),
        "{}",
        list.all_output()
    );
    let down =
        s(&["datastore", "download", "--datastore", "workspaceblobstore", "--target-path", "got", "in"]);
    assert_eq!(down.code, Some(0), "{}", down.all_output());
    assert_eq!(files_under(&d.join("got")), ["in/a.csv", "in/x/b.csv"]);
    assert_eq!(std::fs::read(d.join("got/in/x/b.csv")).unwrap(), b"bb\n");
    let rm = s(&["datastore", "rm", "--datastore", "workspaceblobstore", "-r", "in/x"]);
    assert_eq!(rm.code, Some(0), "{}", rm.all_output());
    assert_eq!(files_under(&d.join(".sluice/datastores/workspaceblobstore")), ["in/a.csv"]);

    // Uploading a folder that holds the datastore's own folder leaves that out.
    let all = s(&["datastore", "upload", "--datastore", "workspaceblobstore", "--target-path", "all", "."]);
    assert_eq!(all.code, Some(0), "{}", all.all_output());
    assert!(
        all.stderr.contains("left out 1 file already in the folder of datastore `workspaceblobstore`"),
        "{}",
        all.stderr
    );
    let stored = files_under(&d.join(".sluice/datastores/workspaceblobstore"));
    assert!(stored.iter().all(|f| !f.contains("datastores/workspaceblobstore")), "{stored:?}");
    assert!(stored.iter().any(|f| f.ends_with("/data/x/c.txt")), "{stored:?}");

    // Usage errors exit 2 and say what is wrong.
    for (args, want) in [
        (
            &["datastore", "list", "--datastore", "workspaceblobstor"][..],
            "did you mean `workspaceblobstore`?",
        ),
        (
            &["datastore", "upload", "--datastore", "workspaceblobstore", "--target-path", "../up", "data"],
            "must stay inside the datastore",
        ),
        (
            &["datastore", "upload", "--datastore", "workspaceblobstore", "data/*.parquet"],
            "`data/*.parquet` matches no file",
        ),
        (&["datastore", "upload", "--datastore", "workspaceblobstore", "nope.csv"], "nope.csv"),
        (
            &["datastore", "upload", "--datastore", "workspaceblobstore", "data/a.csv", "data/x/../a.csv"],
            "would both be uploaded as `a.csv`",
        ),
        (&["datastore", "rm", "--datastore", "workspaceblobstore", "in"], "pass --recursive"),
        (&["datastore", "upload", "--datastore", "workspaceblobstore", "--jobs", "0", "data"], "--jobs"),
    ] {
        let r = s(args);
        assert_eq!(r.code, Some(2), "{args:?}\n{}", r.all_output());
        assert!(r.stderr.contains(want), "{args:?}: want `{want}`\n{}", r.stderr);
    }
    let missing = s(&["datastore", "download", "--datastore", "workspaceblobstore", "in/b.csv"]);
    assert_eq!(missing.code, Some(1), "{}", missing.all_output());
    assert!(
        missing.stderr.contains("nothing at `in/b.csv` on datastore `workspaceblobstore`"),
        "{}",
        missing.stderr
    );
}
