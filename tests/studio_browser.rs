//! The studio in a real browser: headless Chromium driven through chromedriver (WebDriver, with
//! fantoccini). Sign in with a token, open the pipelines page, submit a run from the form, see
//! it finish and its DAG, its metrics chart and its logs, then disable the pipeline from its
//! page. Screenshots of each page are saved under `target/studio-screenshots/`. Without
//! Chromium the test says `skipped:` (a failure under `SLUICE_CI=1`; `.ci/run` installs it).
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use support::service::{Service, cli, four_steps, publish};

type Error = Box<dyn std::error::Error>;

/// `name` found on PATH, as a path (chromedriver wants the browser's path).
fn which(name: &Path) -> PathBuf {
    if name.is_absolute() {
        return name.to_path_buf();
    }
    std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|c| c.is_file()))
        .unwrap_or_else(|| name.to_path_buf())
}

/// `target/studio-screenshots`, beside the test binary's `debug/` folder.
fn screenshots() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target =
        exe.ancestors().nth(3).map(Path::to_path_buf).unwrap_or_else(|| support::root().join("target"));
    let dir = target.join("studio-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn shot(c: &Client, dir: &Path, name: &str) -> Result<(), Error> {
    let png = c.screenshot().await?;
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png)?;
    Ok(())
}

/// Waits until the page's run status is `want` (the page reloads itself while the run goes).
async fn wait_for_status(c: &Client, want: &str) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let status = match c.find(Locator::Id("run-status")).await {
            Ok(e) => e.attr("data-status").await.ok().flatten(),
            Err(_) => None,
        };
        if status.as_deref() == Some(want) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(
                format!("the run page still says {status:?}, not {want}:\n{}", c.source().await?).into()
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn drive(
    svc: &Service,
    token: &str,
    browser: &Path,
    driver_port: u16,
    profile: &Path,
) -> Result<(), Error> {
    let dir = screenshots();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_string(),
        serde_json::json!({
            "binary": which(browser),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1360,1000",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let c = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await?;
    let result = steps(&c, svc, token, &dir).await;
    if result.is_err() {
        let _ = shot(&c, &dir, "failure").await;
    }
    c.close().await?;
    result
}

async fn steps(c: &Client, svc: &Service, token: &str, dir: &Path) -> Result<(), Error> {
    // Without a token: the sign-in page.
    c.goto(&format!("{}/studio", svc.url)).await?;
    let field = c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("token")).await?;
    shot(c, dir, "01-sign-in").await?;
    field.send_keys(token).await?;
    c.find(Locator::Id("sign-in")).await?.click().await?;

    // The pipelines page: the published pipeline, its endpoint URL, its parameters.
    let link =
        c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("tr[data-pipeline] a")).await?;
    let page = c.source().await?;
    assert!(page.contains("four-steps") && page.contains("PipelineRuns/PipelineSubmit/"), "{page}");
    assert!(page.contains("greeting") && page.contains("seconds"), "the parameters are shown");
    shot(c, dir, "02-pipelines").await?;
    link.click().await?;

    // The pipeline page: its DAG and the submission form.
    c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("submit-form")).await?;
    let nodes = c.find_all(Locator::Css(".dag g.node")).await?;
    assert_eq!(nodes.len(), 4, "the DAG has the four steps");
    c.find(Locator::Css(r#"[name="p.greeting"]"#)).await?.send_keys("hello from the browser").await?;
    shot(c, dir, "03-pipeline").await?;
    c.find(Locator::Id("submit-run")).await?.click().await?;

    // The run page follows the run to its end.
    c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("run-status")).await?;
    wait_for_status(c, "Finished").await?;
    let nodes = c.find_all(Locator::Css("#dag g.node")).await?;
    assert_eq!(nodes.len(), 4);
    for n in &nodes {
        assert_eq!(n.attr("data-status").await?.as_deref(), Some("completed"));
    }
    c.find(Locator::Css(r#".chart[data-metric="loss"] polyline"#)).await?;
    c.find(Locator::Css(r#".chart[data-metric="size"] rect"#)).await?;
    let log = c.find(Locator::Css("pre.log")).await?.text().await?;
    assert!(log.contains("hello from the browser"), "the last step's log: {log}");
    shot(c, dir, "04-run-finished").await?;
    c.execute("document.querySelector('.charts').scrollIntoView()", vec![]).await?;
    shot(c, dir, "05-run-metrics-and-logs").await?;

    // A step's logs from the DAG.
    c.find(Locator::Css(r#"#dag g.node[data-step="a"]"#)).await?.click().await?;
    let log =
        c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("pre.log")).await?.text().await?;
    assert!(log.contains("the code folder of step a"), "{log}");

    c.goto(&format!("{}/studio/runs", svc.url)).await?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(r#"tr[data-status="Finished"]"#))
        .await?;
    shot(c, dir, "06-runs").await?;
    c.goto(&format!("{}/studio/endpoints", svc.url)).await?;
    c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("tr[data-endpoint]")).await?;
    shot(c, dir, "07-endpoints").await?;

    // Disable the pipeline from its page: the form is replaced by the reason.
    c.goto(&format!("{}/studio", svc.url)).await?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("tr[data-pipeline] a"))
        .await?
        .click()
        .await?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("button.danger"))
        .await?
        .click()
        .await?;
    c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("p.notice")).await?;
    let page = c.source().await?;
    assert!(page.contains("This pipeline is disabled"), "{page}");
    shot(c, dir, "08-pipeline-disabled").await?;
    Ok(())
}

#[test]
fn the_studio_submits_a_run_from_its_form_and_shows_it_finish() {
    let Some((browser, driver)) =
        support::external::require_browser("the_studio_submits_a_run_from_its_form_and_shows_it_finish")
    else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let file = four_steps(&d.path().join("project"));
    let svc = Service::start(&d.path().join("state"), &[]);
    let admin = svc.token("studio-admin", "admin");
    let p = publish(&svc, &admin, &file, "four-steps", &["--version", "1"]);
    let (code, _, err) =
        cli(&svc, &admin, &["endpoint", "create", "--name", "four", "--pipeline", p["Id"].as_str().unwrap()]);
    assert_eq!(code, 0, "{err}");

    let port = free_port();
    let mut chromedriver = Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let profile = d.path().join("chromium-profile");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let result = rt.block_on(drive(&svc, &admin, &browser, port, &profile));
    let _ = chromedriver.kill();
    let _ = chromedriver.wait();
    if let Err(e) = result {
        panic!("{e}\nservice log:\n{}", svc.log());
    }
}
