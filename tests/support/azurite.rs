//! Azurite, the Azure Storage emulator, for the datastore tests. `.ci/run` starts its Blob
//! service and exports `SLUICE_TEST_AZURITE_BLOB` (the account URL) and
//! `SLUICE_TEST_AZURITE_BIN` (the `azurite-blob` program, for tests that start an emulator of
//! their own to stop it mid-transfer). Without them a test says `skipped:` (a failure under
//! `SLUICE_CI=1`, see `external.rs`).

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::external::{absent, ci};

/// The account URL of a running emulator's Blob service.
pub const URL_VAR: &str = "SLUICE_TEST_AZURITE_BLOB";
/// The `azurite-blob` program.
pub const BIN_VAR: &str = "SLUICE_TEST_AZURITE_BIN";
/// Azurite's well-known development account.
pub const ACCOUNT: &str = "devstoreaccount1";
/// Its published key (not a secret: every Azurite has it).
pub const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// `host:port` of an `http://host:port/...` URL.
fn authority(url: &str) -> Option<&str> {
    url.strip_prefix("http://")?.split('/').next()
}

/// The running emulator's account URL, or `None` after the `skipped:` line (a failure under
/// `SLUICE_CI=1`).
pub fn require_blob(test: &str) -> Option<String> {
    let why = match std::env::var(URL_VAR) {
        Ok(url) => match authority(&url) {
            Some(hostport) if TcpStream::connect(hostport).is_ok() => {
                return Some(url.trim_end_matches('/').to_string());
            }
            _ => format!("{URL_VAR}={url} does not accept connections"),
        },
        Err(_) => format!("{URL_VAR} is not set (`.ci/run` starts Azurite and sets it)"),
    };
    absent(test, &why, ci());
    None
}

/// The `azurite-blob` program, or `None` after the `skipped:` line.
pub fn require_bin(test: &str) -> Option<PathBuf> {
    let why = match std::env::var_os(BIN_VAR).map(PathBuf::from) {
        Some(bin) if bin.is_file() => return Some(bin),
        Some(bin) => format!("{BIN_VAR}={} is not a file", bin.display()),
        None => format!("{BIN_VAR} is not set (`.ci/run` installs Azurite and sets it)"),
    };
    absent(test, &why, ci());
    None
}

/// An emulator of a test's own, on a free loopback port, killed when dropped.
#[derive(Debug)]
pub struct Emulator {
    bin: PathBuf,
    /// Its port.
    pub port: u16,
    child: Option<Child>,
    log: PathBuf,
}

impl Emulator {
    /// Starts one (waiting up to 60 s for its port), logging into `dir`.
    pub fn start(bin: &Path, dir: &Path) -> Emulator {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut e = Emulator { bin: bin.to_path_buf(), port, child: None, log: dir.join("azurite.log") };
        e.restart();
        e
    }

    /// The account URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/{ACCOUNT}", self.port)
    }

    /// Kills it at once (as a crash or a pulled cable would).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port, empty (its storage is in memory).
    pub fn restart(&mut self) {
        self.kill();
        let log = std::fs::File::create(&self.log).expect("azurite log");
        let child = Command::new(&self.bin)
            .args(["--blobHost", "127.0.0.1", "--blobPort", &self.port.to_string()])
            .args(["--inMemoryPersistence", "--skipApiVersionCheck", "--silent"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("azurite-blob starts");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if start.elapsed() > Duration::from_secs(60) {
                panic!(
                    "Azurite did not listen on {} within 60 s:\n{}",
                    self.port,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP proxy to `port` that replaces `from` by `to` (same length) in what flows `up` (to the
/// service) or down (to sluice): corruption on the wire.
pub fn corrupting_proxy(port: u16, from: &'static [u8], to: &'static [u8], up: bool) -> u16 {
    assert_eq!(from.len(), to.len());
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let proxy = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", port)) else { continue };
            let pipe = |mut a: TcpStream, mut b: TcpStream, corrupt: bool| {
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 1 << 16];
                    while let Ok(n) = a.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if corrupt && let Some(i) = buf[..n].windows(from.len()).position(|w| w == from) {
                            buf[i..i + to.len()].copy_from_slice(to);
                        }
                        if b.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = b.shutdown(std::net::Shutdown::Write);
                });
            };
            pipe(client.try_clone().expect("socket"), server.try_clone().expect("socket"), up);
            pipe(server, client, !up);
        }
    });
    proxy
}

/// The port of an `http://127.0.0.1:PORT/...` URL.
pub fn port_of(url: &str) -> u16 {
    url.strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .expect("an http://127.0.0.1:PORT/... URL")
}
