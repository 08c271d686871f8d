//! The workspace service in end-to-end tests: the real `sluice serve` on a free loopback port,
//! tokens made with the real `sluice token create`, a plain HTTP client (reqwest), and a small
//! pipeline whose steps are shell commands (no Python needed).

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

/// The REST prefix the tests use (the segments are accepted as given).
pub const PREFIX: &str = "/pipelines/v1.0/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

/// A running `sluice serve`.
pub struct Service {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its state folder.
    pub state: PathBuf,
    log: Arc<Mutex<String>>,
}

/// The `sluice` binary.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.env_remove("SLUICE_WORKSPACE")
        .env_remove("SLUICE_SERVER")
        .env_remove("SLUICE_TOKEN")
        .env("NO_COLOR", "1");
    cmd
}

impl Service {
    /// Starts `sluice serve --state STATE --listen 127.0.0.1:0 ARGS` and waits until it listens.
    pub fn start(state: &Path, args: &[&str]) -> Service {
        let mut child = bin()
            .args(["serve", "--state"])
            .arg(state)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sluice serve starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                {
                    let mut l = sink.lock().expect("log lock");
                    l.push_str(&line);
                    l.push('\n');
                }
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or_default().to_string();
                    let _ = tx.send(url);
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("sluice serve did not start:\n{}", log.lock().expect("log").clone());
            }
        };
        Service { child, url, state: state.to_path_buf(), log }
    }

    /// What the service wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }

    /// `url` + the REST prefix + `rel`.
    pub fn api(&self, rel: &str) -> String {
        format!("{}{PREFIX}{rel}", self.url)
    }

    /// A new token of `role`, made on the state folder as a user would.
    pub fn token(&self, name: &str, role: &str) -> String {
        token(&self.state, name, role, &[])
    }

    /// Ends the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the process to end; its exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("sluice serve did not stop after SIGTERM:\n{}", self.log());
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sluice token create --name NAME --role ROLE --state STATE EXTRA`: the secret (its last line).
pub fn token(state: &Path, name: &str, role: &str, extra: &[&str]) -> String {
    let out = bin()
        .args(["token", "create", "--name", name, "--role", role, "--state"])
        .arg(state)
        .args(extra)
        .output()
        .expect("sluice token runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "token create failed: {}", String::from_utf8_lossy(&out.stderr));
    stdout.lines().last().expect("the token is printed").trim().to_string()
}

/// A plain HTTP client.
pub fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().expect("client")
}

/// An answer: status and body (JSON when it is JSON, else a string).
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: Json,
    /// The body as text.
    pub text: String,
}

/// Sends a request and reads the answer.
pub fn send(req: reqwest::blocking::RequestBuilder) -> Answer {
    let res = req.send().expect("the service answers");
    let status = res.status().as_u16();
    let text = res.text().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| Json::String(text.clone()));
    Answer { status, body, text }
}

/// GET with a token.
pub fn get(url: &str, token: &str) -> Answer {
    send(http().get(url).bearer_auth(token))
}

/// POST JSON with a token.
pub fn post(url: &str, token: &str, body: &Json) -> Answer {
    send(http().post(url).bearer_auth(token).json(body))
}

/// Polls a run until it ends; its last answer.
pub fn wait_run(svc: &Service, token: &str, id: &str, timeout: Duration) -> Json {
    let deadline = Instant::now() + timeout;
    loop {
        let a = get(&svc.api(&format!("/PipelineRuns/{id}")), token);
        assert_eq!(a.status, 200, "{}", a.text);
        let s = a.body["Status"]["StatusCode"].as_str().unwrap_or_default().to_string();
        if ["Finished", "Failed", "Canceled"].contains(&s.as_str()) {
            return a.body;
        }
        assert!(Instant::now() < deadline, "run {id} still {s} after {timeout:?}\n{}", svc.log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls a run until its status is `want`.
pub fn wait_status(svc: &Service, token: &str, id: &str, want: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let a = get(&svc.api(&format!("/PipelineRuns/{id}")), token);
        if a.body["Status"]["StatusCode"] == want {
            return;
        }
        assert!(Instant::now() < deadline, "run {id} is not {want}: {}\n{}", a.text, svc.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A four-step v2 pipeline of shell commands in `dir`: `a` sleeps `seconds`, writes `greeting`
/// and logs a `loss` series; `b` and `c` read it; `d` reads both.
pub fn four_steps(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("src")).expect("folder");
    std::fs::write(dir.join("src/note.txt"), "the code folder of step a\n").expect("write");
    let file = dir.join("pipeline.yml");
    std::fs::write(
        &file,
        r#"type: pipeline
display_name: four-steps
description: Four shell steps.
inputs:
  greeting: hello
  seconds: 0
settings:
  default_compute: local
jobs:
  a:
    type: command
    code: ./src
    inputs:
      g: ${{parent.inputs.greeting}}
      s: ${{parent.inputs.seconds}}
    outputs:
      o: {type: uri_folder}
    command: >-
      sleep ${{inputs.s}} && cat note.txt && echo ${{inputs.g}} > ${{outputs.o}}/a.txt &&
      printf '{"name":"loss","value":1.0,"step":1}\n{"name":"loss","value":0.5,"step":2}\n{"name":"loss","value":0.25,"step":3}\n' >> $SLUICE_METRICS
    environment: azureml:shell@latest
  b:
    type: command
    inputs:
      i: ${{parent.jobs.a.outputs.o}}
    outputs:
      o: {type: uri_folder}
    command: cat ${{inputs.i}}/a.txt > ${{outputs.o}}/b.txt && echo '{"name":"size","value":6}' >> $SLUICE_METRICS
    environment: azureml:shell@latest
  c:
    type: command
    inputs:
      i: ${{parent.jobs.a.outputs.o}}
    outputs:
      o: {type: uri_folder}
    command: cat ${{inputs.i}}/a.txt > ${{outputs.o}}/c.txt && echo '{"name":"size","value":7}' >> $SLUICE_METRICS
    environment: azureml:shell@latest
  d:
    type: command
    inputs:
      b: ${{parent.jobs.b.outputs.o}}
      c: ${{parent.jobs.c.outputs.o}}
    command: cat ${{inputs.b}}/b.txt ${{inputs.c}}/c.txt
    environment: azureml:shell@latest
"#,
    )
    .expect("write");
    file
}

/// `sluice publish FILE --name NAME ARGS --json` against the service with `token`: the
/// published pipeline.
pub fn publish(svc: &Service, token: &str, file: &Path, name: &str, args: &[&str]) -> Json {
    let out = bin()
        .arg("publish")
        .arg(file)
        .args(["--name", name, "--json"])
        .args(args)
        .env("SLUICE_SERVER", &svc.url)
        .env("SLUICE_TOKEN", token)
        .output()
        .expect("sluice publish runs");
    assert!(
        out.status.success(),
        "publish failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("publish --json prints the pipeline")
}

/// Runs `sluice ARGS` against the service with `token`: (exit code, stdout, stderr).
pub fn cli(svc: &Service, token: &str, args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .args(args)
        .env("SLUICE_SERVER", &svc.url)
        .env("SLUICE_TOKEN", token)
        .output()
        .expect("sluice runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Sends only a request's head (with a `Content-Length` announcing a body that is never sent)
/// and reads the answer: a limit must refuse such a body before reading it.
pub fn head_only(url: &str, method: &str, token: &str, content_type: &str, length: usize) -> Answer {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let head = format!(
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).expect("write");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body_text = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    // A chunked body: the JSON is on its own line.
    let json_line = body_text.lines().find(|l| l.starts_with('{')).unwrap_or("").to_string();
    let body = serde_json::from_str(&json_line).unwrap_or(Json::Null);
    Answer { status, body, text }
}
