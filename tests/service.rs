//! The workspace service end to end, with the real binary: `sluice serve` on a free loopback
//! port, `sluice token`, `sluice publish`, `sluice endpoint`, `sluice submit`, `sluice runs
//! --server`, and a plain HTTP client speaking Azure ML's v1 pipelines API.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::time::Duration;

use serde_json::{Value as Json, json};
use support::service::{
    Service, cli, four_steps, get, head_only, http, post, publish, send, token, wait_run, wait_status,
};

const LONG: Duration = Duration::from_secs(120);

fn submit_url(svc: &Service, pipeline: &str) -> String {
    svc.api(&format!("/PipelineRuns/PipelineSubmit/{pipeline}"))
}

/// Copies a folder (the example) into a temporary place.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            if e.file_name() != ".sluice" {
                copy_tree(&e.path(), &target);
            }
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn compare_models_is_published_submitted_versioned_disabled_and_enabled() {
    if !support::require_python("compare_models_is_published_submitted_versioned_disabled_and_enabled") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let project = d.path().join("compare-models");
    copy_tree(&support::root().join("examples/compare-models"), &project);
    let svc = Service::start(&d.path().join("state"), &[]);
    let admin = svc.token("admin", "admin");
    let submitter = svc.token("ci-bot", "submitter");

    let p1 = publish(&svc, &admin, &project.join("pipeline.yml"), "compare-models", &["--version", "1.0"]);
    let id = p1["Id"].as_str().unwrap().to_string();
    assert_eq!(p1["Status"], "Active");
    assert_eq!(p1["Version"], "1.0");
    let url = p1["Endpoint"].as_str().unwrap();
    assert!(
        url.starts_with(&svc.url) && url.ends_with(&format!("/PipelineRuns/PipelineSubmit/{id}")),
        "{url}"
    );
    let lr = p1["Parameters"].as_array().unwrap().iter().find(|p| p["Name"] == "learning_rate_a").unwrap();
    assert_eq!((lr["Type"].as_str(), lr["Default"].as_f64()), (Some("number"), Some(0.01)));
    assert!(p1["CreatedDate"].as_str().unwrap().ends_with('Z'));

    // Submitted over plain HTTP at the URL the service gave, as an Azure ML script would.
    let endpoint = p1["Endpoint"].as_str().unwrap();
    let run = post(endpoint, &submitter, &json!({"ExperimentName": "nightly", "RunSource": "SDK"}));
    assert_eq!(run.status, 200, "{}", run.text);
    for key in
        ["Id", "PipelineId", "RunHistoryExperimentName", "ParameterAssignments", "RunSource", "CreatedDate"]
    {
        assert!(run.body.get(key).is_some(), "the run has {key}: {}", run.text);
    }
    assert_eq!(run.body["Status"]["StatusCode"], "Queued");
    assert_eq!(run.body["SubmittedBy"], "ci-bot");
    let first = wait_run(&svc, &submitter, run.body["Id"].as_str().unwrap(), LONG);
    assert_eq!(first["Status"]["StatusCode"], "Finished", "{first}\n{}", svc.log());
    let first_id = first["Id"].as_str().unwrap().to_string();

    let with = post(
        endpoint,
        &submitter,
        &json!({"ExperimentName": "nightly", "ParameterAssignments": {"learning_rate_a": 0.05, "epochs": "200"}}),
    );
    assert_eq!(with.status, 200, "{}", with.text);
    assert_eq!(with.body["ParameterAssignments"], json!({"epochs": "200", "learning_rate_a": "0.05"}));
    let second = wait_run(&svc, &submitter, with.body["Id"].as_str().unwrap(), LONG);
    assert_eq!(second["Status"]["StatusCode"], "Finished", "{second}");
    assert_eq!(second["Parameters"]["learning_rate_a"], 0.05);

    // Steps, logs and metrics of the first run.
    let steps = get(&svc.api(&format!("/PipelineRuns/{first_id}/StepRuns")), &submitter);
    let names: Vec<&str> =
        steps.body.as_array().unwrap().iter().map(|s| s["Name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 5, "{}", steps.text);
    assert!(steps.body.as_array().unwrap().iter().all(|s| s["Status"] == "Finished"));
    let log = get(&svc.api(&format!("/PipelineRuns/{first_id}/StepRuns/train_a/Logs")), &submitter);
    assert_eq!(log.status, 200);
    assert!(log.text.contains("lr=0.01"), "{}", log.text);
    let metrics = get(&svc.api(&format!("/PipelineRuns/{first_id}/Metrics")), &submitter);
    let names: Vec<&str> =
        metrics.body.as_array().unwrap().iter().map(|m| m["Name"].as_str().unwrap()).collect();
    assert!(names.contains(&"train_rmse") && names.contains(&"valid_rmse_a"), "{}", metrics.text);
    // The second run reused what did not change (validate, prep, train_b).
    let steps2 =
        get(&svc.api(&format!("/PipelineRuns/{}/StepRuns", second["Id"].as_str().unwrap())), &submitter);
    let reused: Vec<&str> = steps2
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Reused"] == true)
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    assert_eq!(reused, ["validate", "prep"], "{}", steps2.text);

    // An endpoint with two versions: version 0 is the first publication, 1 another one.
    let p2 = publish(&svc, &admin, &project.join("pipeline.yml"), "compare-models", &["--version", "2.0"]);
    let id2 = p2["Id"].as_str().unwrap();
    let (code, out, err) =
        cli(&svc, &admin, &["endpoint", "create", "--name", "housing", "--pipeline", &id, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let e: Json = serde_json::from_str(&out).unwrap();
    assert_eq!((e["Name"].as_str(), e["DefaultVersion"].as_str()), (Some("housing"), Some("0")));
    let eid = e["Id"].as_str().unwrap().to_string();
    let (code, out, err) =
        cli(&svc, &admin, &["endpoint", "add", "--name", "housing", "--pipeline", id2, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let e: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(e["PipelineVersionList"][1], json!({"Version": "1", "PipelineId": id2}));
    let (code, out, _) =
        cli(&svc, &admin, &["endpoint", "set-default", "--name", "housing", "--version", "1", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Json>(&out).unwrap()["DefaultVersion"], "1");

    let body = json!({"ExperimentName": "via-endpoint"});
    let default =
        post(&svc.api(&format!("/PipelineRuns/PipelineEndpointSubmit/Id/{eid}")), &submitter, &body);
    assert_eq!(default.status, 200, "{}", default.text);
    assert_eq!(
        (default.body["PipelineId"].as_str(), default.body["PipelineEndpointVersion"].as_str()),
        (Some(id2), Some("1"))
    );
    let v0 = post(&svc.api(&format!("/PipelineRuns/PipelineEndpointSubmit/Id/{eid}/0")), &submitter, &body);
    assert_eq!(v0.status, 200, "{}", v0.text);
    assert_eq!(v0.body["PipelineId"].as_str(), Some(id.as_str()));
    let by_name = post(
        &svc.api("/PipelineRuns/PipelineEndpointSubmit/Name?name=housing&pipelineVersion=0"),
        &submitter,
        &body,
    );
    assert_eq!(by_name.body["PipelineId"].as_str(), Some(id.as_str()), "{}", by_name.text);
    let missing =
        post(&svc.api(&format!("/PipelineRuns/PipelineEndpointSubmit/Id/{eid}/7")), &submitter, &body);
    assert_eq!(missing.status, 404);
    assert!(missing.text.contains("its versions: 0, 1"), "{}", missing.text);
    for r in [&default, &v0, &by_name] {
        let end = wait_run(&svc, &submitter, r.body["Id"].as_str().unwrap(), LONG);
        assert_eq!(end["Status"]["StatusCode"], "Finished");
    }

    // Disabled: refused with the reason; enabled again: taken.
    let (code, _, err) = cli(&svc, &admin, &["endpoint", "disable", "--name", "housing"]);
    assert_eq!(code, 0, "{err}");
    let refused =
        post(&svc.api(&format!("/PipelineRuns/PipelineEndpointSubmit/Id/{eid}")), &submitter, &body);
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.body["error"]["code"], "EndpointDisabled");
    assert!(refused.text.contains("sluice endpoint enable --name housing"), "{}", refused.text);
    let (code, _, _) = cli(&svc, &admin, &["endpoint", "enable", "--name", "housing"]);
    assert_eq!(code, 0);
    let again = post(&svc.api(&format!("/PipelineRuns/PipelineEndpointSubmit/Id/{eid}")), &submitter, &body);
    assert_eq!(again.status, 200, "{}", again.text);
    wait_run(&svc, &submitter, again.body["Id"].as_str().unwrap(), LONG);

    let (code, out, _) = cli(&svc, &admin, &["pipeline", "disable", &id, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Json>(&out).unwrap()["Status"], "Disabled");
    let refused = post(endpoint, &submitter, &body);
    assert_eq!(refused.status, 409);
    assert_eq!(refused.body["error"]["code"], "PipelineDisabled");
    let through =
        post(&svc.api(&format!("/PipelineRuns/PipelineEndpointSubmit/Id/{eid}/0")), &submitter, &body);
    assert_eq!(through.status, 409, "a disabled version is refused through the endpoint too");
    let (code, _, _) = cli(&svc, &admin, &["pipeline", "enable", &id]);
    assert_eq!(code, 0);
    assert_eq!(post(endpoint, &submitter, &body).status, 200);

    // The CLI reads the same runs.
    let (code, out, err) = cli(&svc, &submitter, &["runs", "show", &first_id, "--server", &svc.url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Finished") && out.contains("train_a"), "{out}");
    let (code, out, _) =
        cli(&svc, &submitter, &["runs", "metrics", &first_id, "--server", &svc.url, "--json"]);
    assert_eq!(code, 0);
    assert!(
        serde_json::from_str::<Json>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["Name"] == "train_rmse")
    );
    let (code, out, _) =
        cli(&svc, &submitter, &["runs", "outputs", &first_id, "--server", &svc.url, "--json"]);
    assert_eq!(code, 0);
    let outputs: Json = serde_json::from_str(&out).unwrap();
    let report = outputs.as_array().unwrap().iter().find(|o| o["Step"] == "compare").unwrap();
    assert_eq!(report["Files"][0]["Path"], "report.json");
    let file = get(
        &svc.api(&format!("/PipelineRuns/{first_id}/StepRuns/compare/Outputs/report?path=report.json")),
        &submitter,
    );
    assert!(file.text.contains("\"best\""), "{}", file.text);
}

#[test]
fn a_published_pipeline_keeps_its_files_and_reads_its_datastores_live() {
    let d = tempfile::tempdir().unwrap();
    let project = d.path().join("project");
    let file = four_steps(&project);
    let svc = Service::start(&d.path().join("state"), &[]);
    let admin = svc.token("admin", "admin");
    let p = publish(&svc, &admin, &file, "four", &[]);
    let id = p["Id"].as_str().unwrap();
    // Edit the working tree after publishing: the code folder and the pipeline file.
    std::fs::write(project.join("src/note.txt"), "EDITED after publishing\n").unwrap();
    let text = std::fs::read_to_string(&file).unwrap().replace("greeting: hello", "greeting: changed");
    std::fs::write(&file, text).unwrap();
    let run = post(&submit_url(&svc, id), &admin, &json!({"ExperimentName": "e"}));
    let end = wait_run(&svc, &admin, run.body["Id"].as_str().unwrap(), LONG);
    assert_eq!(end["Status"]["StatusCode"], "Finished", "{end}");
    assert_eq!(end["Parameters"]["greeting"], "hello", "the published default");
    let log =
        get(&svc.api(&format!("/PipelineRuns/{}/StepRuns/a/Logs", end["Id"].as_str().unwrap())), &admin);
    assert_eq!(log.text.trim(), "the code folder of step a", "the published code, not the edit");
    // Publishing again takes the edit.
    let p2 = publish(&svc, &admin, &file, "four", &[]);
    assert_ne!(p2["SnapshotId"], p["SnapshotId"]);
    assert_eq!(p2["Parameters"][0]["Default"], "changed");
}

#[test]
fn queued_runs_survive_a_restart_and_each_finishes_once() {
    let d = tempfile::tempdir().unwrap();
    let file = four_steps(&d.path().join("project"));
    let state = d.path().join("state");
    let mut svc = Service::start(&state, &["--workers", "1"]);
    let admin = svc.token("admin", "admin");
    let id = publish(&svc, &admin, &file, "four", &[])["Id"].as_str().unwrap().to_string();
    let url = submit_url(&svc, &id);
    let slow = post(&url, &admin, &json!({"ExperimentName": "e", "ParameterAssignments": {"seconds": 30}}));
    let slow = slow.body["Id"].as_str().unwrap().to_string();
    let queued: Vec<String> = (0..5)
        .map(|i| {
            let r = post(
                &url,
                &admin,
                &json!({"ExperimentName": "e", "ParameterAssignments": {"greeting": format!("g{i}")}}),
            );
            r.body["Id"].as_str().unwrap().to_string()
        })
        .collect();
    wait_status(&svc, &admin, &slow, "Running", LONG);
    // A crash while the slow run executes and five wait.
    svc.kill();
    let svc = Service::start(&state, &["--workers", "1"]);
    let crashed = wait_run(&svc, &admin, &slow, LONG);
    assert_eq!(crashed["Status"]["StatusCode"], "Failed");
    let why = crashed["Status"]["StatusDetail"].as_str().unwrap();
    assert!(why.contains("the service stopped") && why.contains("not run again"), "{why}");
    let mut local_runs = Vec::new();
    for id in &queued {
        let end = wait_run(&svc, &admin, id, LONG);
        assert_eq!(end["Status"]["StatusCode"], "Finished", "{end}");
        local_runs.push(end["LocalRunId"].as_i64().unwrap());
    }
    local_runs.sort();
    local_runs.dedup();
    assert_eq!(local_runs.len(), 5, "each queued run ran once, as its own local run");
    // The runtime's own store agrees: five completed runs and the interrupted one.
    let out = support::service::bin()
        .args(["runs", "list", "--json", "--limit", "100", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    let list: Json = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<&str> =
        list["runs"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == "completed").count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == "interrupted").count(), 1, "{statuses:?}");
}

#[test]
fn a_run_stopped_by_sigterm_goes_back_to_the_queue_and_a_cancel_cancels() {
    let d = tempfile::tempdir().unwrap();
    let file = four_steps(&d.path().join("project"));
    let state = d.path().join("state");
    let mut svc = Service::start(&state, &[]);
    let admin = svc.token("admin", "admin");
    let id = publish(&svc, &admin, &file, "four", &[])["Id"].as_str().unwrap().to_string();
    let url = submit_url(&svc, &id);
    let run = post(&url, &admin, &json!({"ExperimentName": "e", "ParameterAssignments": {"seconds": 3}}));
    let run = run.body["Id"].as_str().unwrap().to_string();
    wait_status(&svc, &admin, &run, "Running", LONG);
    assert_eq!(svc.terminate(), Some(0));
    assert!(svc.log().contains("running runs go back to the queue"), "{}", svc.log());
    let svc = Service::start(&state, &[]);
    let url = submit_url(&svc, &id);
    let end = wait_run(&svc, &admin, &run, LONG);
    assert_eq!(end["Status"]["StatusCode"], "Finished", "{end}");

    // A cancel of an executing run stops its steps.
    let long = post(&url, &admin, &json!({"ExperimentName": "e", "ParameterAssignments": {"seconds": 60}}));
    let long = long.body["Id"].as_str().unwrap().to_string();
    wait_status(&svc, &admin, &long, "Running", LONG);
    let canceled =
        send(http().delete(svc.api(&format!("/PipelineRuns/{long}/Execution"))).bearer_auth(&admin));
    assert_eq!(canceled.status, 200, "{}", canceled.text);
    assert!(
        ["CancelRequested", "Canceled"].contains(&canceled.body["Status"]["StatusCode"].as_str().unwrap())
    );
    let end = wait_run(&svc, &admin, &long, Duration::from_secs(30));
    assert_eq!(end["Status"]["StatusCode"], "Canceled");
    let steps = get(&svc.api(&format!("/PipelineRuns/{long}/StepRuns")), &admin);
    assert_eq!(steps.body[0]["LocalStatus"], "canceled", "{}", steps.text);
    let again = send(http().delete(svc.api(&format!("/PipelineRuns/{long}/Execution"))).bearer_auth(&admin));
    assert_eq!(again.status, 409, "{}", again.text);
}

#[test]
fn parameters_are_checked_against_the_pipeline() {
    let d = tempfile::tempdir().unwrap();
    let file = four_steps(&d.path().join("project"));
    let svc = Service::start(&d.path().join("state"), &[]);
    let admin = svc.token("admin", "admin");
    let id = publish(&svc, &admin, &file, "four", &[])["Id"].as_str().unwrap().to_string();
    let url = submit_url(&svc, &id);
    let unknown = post(&url, &admin, &json!({"ExperimentName": "e", "ParameterAssignments": {"secnds": 1}}));
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.body["error"]["code"], "UnknownParameter");
    assert_eq!(unknown.body["error"]["target"], "secnds");
    assert_eq!(unknown.body["error"]["known"], json!(["greeting (string)", "seconds (integer)"]));
    assert!(unknown.text.contains("did you mean `seconds`"), "{}", unknown.text);
    let wrong =
        post(&url, &admin, &json!({"ExperimentName": "e", "ParameterAssignments": {"seconds": "soon"}}));
    assert_eq!((wrong.status, wrong.body["error"]["code"].as_str()), (400, Some("BadParameterValue")));
    let array = post(&url, &admin, &json!({"ExperimentName": "e", "ParameterAssignments": {"seconds": [1]}}));
    assert_eq!(array.status, 400);
    let no_experiment = post(&url, &admin, &json!({"ParameterAssignments": {}}));
    assert_eq!(no_experiment.status, 400);
    assert!(no_experiment.text.contains("ExperimentName"), "{}", no_experiment.text);
    let data = post(
        &url,
        &admin,
        &json!({"ExperimentName": "e", "DataPathAssignments": {"raw": {"DataStoreName": "workspaceblobstore", "RelativePath": "x"}}}),
    );
    assert_eq!((data.status, data.body["error"]["code"].as_str()), (400, Some("UnknownDataParameter")));
    let typo = post(&url, &admin, &json!({"ExperimentName": "e", "ParameterAssignment": {"seconds": 1}}));
    assert_eq!(typo.status, 400);
    assert!(typo.text.contains("ParameterAssignment"), "an unknown field is named: {}", typo.text);
    // The CLI says the same, exit 1.
    let (code, _, err) = cli(&svc, &admin, &["submit", "--pipeline", &id, "-p", "secnds=1"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("did you mean `seconds`") && err.contains("known: greeting (string), seconds (integer)"),
        "{err}"
    );
    let (code, out, err) =
        cli(&svc, &admin, &["submit", "--pipeline", &id, "-p", "greeting=hi", "--wait", "--json"]);
    assert_eq!(code, 0, "{err}");
    let run: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (run["Status"]["StatusCode"].as_str(), run["RunSource"].as_str()),
        (Some("Finished"), Some("sluice"))
    );
}

#[test]
fn tokens_and_roles_decide_who_may_do_what() {
    let d = tempfile::tempdir().unwrap();
    let file = four_steps(&d.path().join("project"));
    let state = d.path().join("state");
    let svc = Service::start(&state, &[]);
    let admin = svc.token("admin", "admin");
    let reader = svc.token("viewer", "reader");
    let submitter = svc.token("bot", "submitter");
    let expiring = token(&state, "short", "admin", &["--expires-in", "1s"]);
    let id = publish(&svc, &admin, &file, "four", &[])["Id"].as_str().unwrap().to_string();
    let list = svc.api("/PublishedPipelines");

    let none = send(http().get(&list));
    assert_eq!(none.status, 401);
    assert!(none.text.contains("Authorization: Bearer"), "{}", none.text);
    let wrong = get(&list, "slc_0000");
    assert_eq!(wrong.status, 401);
    let basic = send(http().get(&list).basic_auth("u", Some("p")));
    assert_eq!(basic.status, 401);
    assert!(basic.text.contains("`Basic` scheme"), "{}", basic.text);
    std::thread::sleep(Duration::from_millis(1500));
    let expired = get(&list, &expiring);
    assert_eq!(expired.status, 401);
    assert!(expired.text.contains("token `short` expired"), "{}", expired.text);

    assert_eq!(get(&list, &reader).status, 200);
    let body = json!({"ExperimentName": "e"});
    let forbidden = post(&submit_url(&svc, &id), &reader, &body);
    assert_eq!(forbidden.status, 403);
    assert_eq!(
        forbidden.body["error"]["message"],
        "token `viewer` has role reader; submitting a run needs role submitter or admin"
    );
    assert_eq!(post(&submit_url(&svc, &id), &submitter, &body).status, 200);
    let status = send(
        http()
            .put(svc.api(&format!("/PublishedPipelines/{id}/status")))
            .bearer_auth(&submitter)
            .json(&json!("Disabled")),
    );
    assert_eq!(status.status, 403, "{}", status.text);
    let me = get(&svc.api("/Tokens/Me"), &submitter);
    assert_eq!(
        me.body,
        json!({"Name": "bot", "Role": "submitter", "CreatedDate": null, "ExpiresDate": null, "Revoked": false})
    );

    // No secret in an answer, the log, or the database.
    let tokens = get(&svc.api("/Tokens"), &admin);
    assert_eq!(tokens.status, 200);
    let db = std::fs::read(state.join("service.db")).unwrap();
    for secret in [&admin, &reader, &submitter] {
        assert!(!tokens.text.contains(secret.as_str()));
        assert!(!svc.log().contains(secret.as_str()));
        assert!(!String::from_utf8_lossy(&db).contains(secret.as_str()));
    }
    // A revoked token is refused.
    let out = support::service::bin()
        .args(["token", "revoke", "--name", "bot", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(out.status.success());
    let revoked = get(&list, &submitter);
    assert_eq!(revoked.status, 401);
    assert!(revoked.text.contains("revoked"));
}

#[test]
fn no_auth_is_only_for_loopback_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    let out = support::service::bin()
        .args(["serve", "--no-auth", "--listen", "0.0.0.0:0", "--state"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--no-auth is allowed only on a loopback address"), "{err}");
    let svc = Service::start(&d.path().join("state"), &["--no-auth"]);
    assert!(svc.log().contains("authentication is OFF (--no-auth)"), "{}", svc.log());
    let list = send(http().get(svc.api("/PublishedPipelines")));
    assert_eq!(list.status, 200, "{}", list.text);
}

#[test]
fn a_finished_run_is_published_again_local_or_service() {
    let d = tempfile::tempdir().unwrap();
    let project = d.path().join("project");
    let file = four_steps(&project);
    let svc = Service::start(&d.path().join("state"), &[]);
    let admin = svc.token("admin", "admin");
    // A local run, then `publish --run latest` from its folder.
    let ran = support::service::bin().arg("run").arg(&file).args(["-p", "greeting=local"]).output().unwrap();
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    let out = support::service::bin()
        .args(["publish", "--run", "latest", "--name", "from-run", "--json"])
        .current_dir(&project)
        .env("SLUICE_SERVER", &svc.url)
        .env("SLUICE_TOKEN", &admin)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["Properties"]["LocalRun"], "1");
    // Once the files change, the run's pipeline is not what is there any more.
    std::fs::write(project.join("src/note.txt"), "changed\n").unwrap();
    let out = support::service::bin()
        .args(["publish", "--run", "1", "--name", "from-run"])
        .current_dir(&project)
        .env("SLUICE_SERVER", &svc.url)
        .env("SLUICE_TOKEN", &admin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the files of run 1 changed since it ran: step(s) `a`"), "{err}");

    // A service run, published again by its id: the same snapshot.
    let id = p["Id"].as_str().unwrap();
    let run = post(&submit_url(&svc, id), &admin, &json!({"ExperimentName": "e"}));
    let run_id = run.body["Id"].as_str().unwrap().to_string();
    wait_run(&svc, &admin, &run_id, LONG);
    let (code, out, err) = cli(&svc, &admin, &["publish", "--run", &run_id, "--name", "again", "--json"]);
    assert_eq!(code, 0, "{err}");
    let again: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(again["SnapshotId"], p["SnapshotId"]);
    assert_eq!(again["SourceRun"], run_id.as_str());
}

#[test]
fn bad_input_gets_a_clear_4xx_and_never_a_500() {
    let d = tempfile::tempdir().unwrap();
    let file = four_steps(&d.path().join("project"));
    let mut svc =
        Service::start(&d.path().join("state"), &["--max-body", "65536", "--max-upload", "1048576"]);
    let admin = svc.token("admin", "admin");
    let id = publish(&svc, &admin, &file, "four", &[])["Id"].as_str().unwrap().to_string();
    let url = submit_url(&svc, &id);
    let c = http();
    let check = |what: &str, a: support::service::Answer, want: u16| {
        assert_eq!(a.status, want, "{what}: {}", a.text);
        assert!(
            a.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: a JSON error: {}",
            a.text
        );
    };
    check(
        "malformed JSON",
        send(
            c.post(&url)
                .bearer_auth(&admin)
                .header("content-type", "application/json")
                .body("{\"ExperimentName\": "),
        ),
        400,
    );
    check(
        "not an object",
        send(c.post(&url).bearer_auth(&admin).header("content-type", "application/json").body("[1, 2]")),
        400,
    );
    check(
        "wrong content type",
        send(c.post(&url).bearer_auth(&admin).header("content-type", "text/plain").body("{}")),
        415,
    );
    check("no content type", send(c.post(&url).bearer_auth(&admin).body("{\"ExperimentName\": \"e\"}")), 415);
    let huge = format!("{{\"ExperimentName\": \"e\", \"Description\": \"{}\"}}", "x".repeat(200_000));
    check(
        "huge body",
        send(c.post(&url).bearer_auth(&admin).header("content-type", "application/json").body(huge)),
        413,
    );
    let blob_url = svc.api(&format!("/Snapshots/Blobs/{}", "a".repeat(64)));
    check("huge upload", head_only(&blob_url, "PUT", &admin, "application/octet-stream", 2 << 20), 413);
    check("huge body", head_only(&url, "POST", &admin, "application/json", 50 << 20), 413);
    check(
        "blob of another hash",
        send(
            c.put(&blob_url).bearer_auth(&admin).header("content-type", "application/octet-stream").body("x"),
        ),
        400,
    );
    check("blob as JSON", send(c.put(&blob_url).bearer_auth(&admin).json(&json!("x"))), 415);
    for bad in ["..%2F..%2Fetc%2Fpasswd", "..", "%2e%2e", "not-a-uuid", &"9".repeat(5000)] {
        check(bad, get(&svc.api(&format!("/PipelineRuns/{bad}")), &admin), 404);
        check(bad, get(&svc.api(&format!("/PublishedPipelines/{bad}")), &admin), 404);
        check(
            bad,
            post(
                &svc.api(&format!("/PipelineRuns/PipelineEndpointSubmit/Id/{bad}")),
                &admin,
                &json!({"ExperimentName": "e"}),
            ),
            404,
        );
    }
    check("unknown route", get(&format!("{}/pipelines/v1.0/nothing", svc.url), &admin), 404);
    check(
        "a path outside the snapshot",
        post(
            &svc.api("/PublishedPipelines/Create"),
            &admin,
            &json!({"Name": "x", "Snapshot": {"PipelineFile": "../../etc/passwd", "Files": {"../../etc/passwd": {"Sha256": "a".repeat(64), "Size": 1}}}}),
        ),
        400,
    );
    check(
        "a bad status",
        send(
            c.put(svc.api(&format!("/PublishedPipelines/{id}/status")))
                .bearer_auth(&admin)
                .json(&json!("Gone")),
        ),
        400,
    );
    check("a bad experiment name", post(&url, &admin, &json!({"ExperimentName": "../x"})), 400);
    check(
        "a data path that leaves its datastore",
        post(
            &url,
            &admin,
            &json!({"ExperimentName": "e", "DataPathAssignments": {"x": {"DataStoreName": "workspaceblobstore", "RelativePath": "../../etc"}}}),
        ),
        400,
    );

    // Logs and output files of a finished run: step names and paths are looked up, never joined.
    let run = post(&url, &admin, &json!({"ExperimentName": "e"}));
    let run_id = run.body["Id"].as_str().unwrap().to_string();
    wait_run(&svc, &admin, &run_id, LONG);
    for step in ["..%2F..%2F..%2Fservice.db", "..", "a%2F..%2F..%2Fx"] {
        check(step, get(&svc.api(&format!("/PipelineRuns/{run_id}/StepRuns/{step}/Logs")), &admin), 404);
    }
    check(
        "a stream",
        get(&svc.api(&format!("/PipelineRuns/{run_id}/StepRuns/a/Logs?stream=..%2Fx")), &admin),
        400,
    );
    for path in ["..%2F..%2F..%2F..%2Fservice.db", "%2Fetc%2Fpasswd", ".."] {
        check(
            path,
            get(&svc.api(&format!("/PipelineRuns/{run_id}/StepRuns/a/Outputs/o?path={path}")), &admin),
            400,
        );
    }
    check(
        "an output name",
        get(&svc.api(&format!("/PipelineRuns/{run_id}/StepRuns/a/Outputs/..?path=a.txt")), &admin),
        404,
    );
    let ok = get(&svc.api(&format!("/PipelineRuns/{run_id}/StepRuns/a/Outputs/o?path=a.txt")), &admin);
    assert_eq!((ok.status, ok.text.trim()), (200, "hello"));
    check("a bad limit", get(&svc.api("/PipelineRuns?limit=lots"), &admin), 400);
    assert!(svc.alive(), "the service is still up");
    assert!(!svc.log().contains(" 500 ") && !svc.log().contains("status=500"), "{}", svc.log());
}

#[test]
fn the_served_openapi_document_is_the_committed_one_and_every_operation_is_routed() {
    let d = tempfile::tempdir().unwrap();
    let svc = Service::start(&d.path().join("state"), &[]);
    let admin = svc.token("admin", "admin");
    let served = get(&format!("{}/openapi.json", svc.url), &admin);
    assert_eq!(served.status, 200);
    assert_eq!(
        send(http().get(format!("{}/openapi.json", svc.url))).status,
        401,
        "the document needs a token too"
    );
    let committed = std::fs::read_to_string(support::root().join("service/openapi.json")).unwrap();
    assert_eq!(served.body, serde_json::from_str::<Json>(&committed).unwrap());
    let nil = "00000000-0000-0000-0000-000000000000";
    for (path, item) in served.body["paths"].as_object().unwrap() {
        let mut url = svc.url.clone();
        for part in path.split('/').skip(1) {
            url.push('/');
            url.push_str(match part {
                "{subscription}" | "{resourceGroup}" | "{workspace}" => "x",
                "{version}" => "0",
                "{stepName}" | "{outputName}" => "a",
                "{sha256}" => "0000000000000000000000000000000000000000000000000000000000000000",
                p if p.starts_with('{') => nil,
                p => p,
            });
        }
        for method in item.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            let req = match method.as_str() {
                "get" => http().get(&url),
                "post" => http().post(&url).json(&json!({})),
                "put" => http().put(&url).json(&json!("Active")),
                "delete" => http().delete(&url),
                other => panic!("method {other}"),
            };
            let a = send(req.bearer_auth(&admin));
            let what = format!("{method} {url}");
            assert_ne!(a.status, 405, "{what} is routed");
            assert!(!a.text.contains("no route"), "{what} is routed: {}", a.text);
            assert!(a.status < 500, "{what}: {}", a.text);
        }
    }
}

/// A form body, as a browser sends it.
fn form(pairs: &[(&str, &str)]) -> String {
    let enc = sluice_service::client::segment;
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

#[test]
fn the_studio_escapes_what_users_wrote_and_refuses_forged_forms() {
    let d = tempfile::tempdir().unwrap();
    let file = four_steps(&d.path().join("project"));
    let svc = Service::start(&d.path().join("state"), &[]);
    let admin = svc.token("admin", "admin");
    let evil = "<img src=x onerror=alert(1)>";
    let id = publish(&svc, &admin, &file, evil, &["--description", "\"><script>alert(2)</script>"])["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let no_redirects =
        reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let anonymous = no_redirects.get(format!("{}/studio", svc.url)).send().unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);
    assert_eq!(anonymous.headers()["location"], "/studio/login?next=%2Fstudio");
    let cookie = format!("sluice_token={admin}");
    for page in ["/studio".to_string(), format!("/studio/pipelines/{id}")] {
        let res = http().get(format!("{}{page}", svc.url)).header("cookie", &cookie).send().unwrap();
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        let html = res.text().unwrap();
        assert!(
            !html.contains(evil) && html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{page} escapes the name"
        );
        assert!(!html.contains("<script>alert(2)"), "{page} escapes the description");
        assert!(!html.contains(&admin), "{page} holds no secret");
    }
    // A form without the value derived from the token (another site's) is refused.
    let forged = http()
        .post(format!("{}/studio/pipelines/{id}/status", svc.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("status", "Disabled"), ("csrf", "0123")]))
        .send()
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(get(&svc.api(&format!("/PublishedPipelines/{id}")), &admin).body["Status"], "Active");
    // A refused submission from the form is shown on the page, with the parameter named.
    let page = http()
        .get(format!("{}/studio/pipelines/{id}", svc.url))
        .header("cookie", &cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let refused = http()
        .post(format!("{}/studio/pipelines/{id}/submit", svc.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", csrf.as_str()), ("experiment", "e"), ("p.seconds", "soon")]))
        .send()
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    assert!(refused.text().unwrap().contains("parameter `seconds`: `soon` is not an integer"));
}

#[test]
fn an_endpoint_changed_as_the_sdk_does_it_gains_versions_and_keeps_old_ones() {
    let d = tempfile::tempdir().unwrap();
    let file = four_steps(&d.path().join("project"));
    let svc = Service::start(&d.path().join("state"), &[]);
    let admin = svc.token("admin", "admin");
    let first = publish(&svc, &admin, &file, "four", &[])["Id"].as_str().unwrap().to_string();
    let second =
        publish(&svc, &admin, &file, "four", &["--version", "2"])["Id"].as_str().unwrap().to_string();
    let created =
        post(&svc.api("/PipelineEndpoints/Create"), &admin, &json!({"Name": "four", "PipelineId": first}));
    assert_eq!(created.status, 200, "{}", created.text);
    // The SDK's PipelineEndpoint.add: the whole entity, with a new entry at the end of the list.
    let mut entity = created.body.clone();
    entity["PipelineVersionList"].as_array_mut().unwrap().push(json!({"PipelineId": second}));
    entity["DefaultVersion"] = json!("1");
    let id = entity["Id"].as_str().unwrap().to_string();
    let put =
        send(http().put(svc.api(&format!("/PipelineEndpoints/{id}"))).bearer_auth(&admin).json(&entity));
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["DefaultVersion"], "1");
    assert_eq!(put.body["PipelineVersionList"][1], json!({"Version": "1", "PipelineId": second}));
    // Changing an existing version is refused; the name cannot change.
    let mut changed = put.body.clone();
    changed["PipelineVersionList"][0]["PipelineId"] = json!(second);
    let refused =
        send(http().put(svc.api(&format!("/PipelineEndpoints/{id}"))).bearer_auth(&admin).json(&changed));
    assert_eq!(refused.status, 400, "{}", refused.text);
    let renamed = send(
        http()
            .put(svc.api(&format!("/PipelineEndpoints/{id}")))
            .bearer_auth(&admin)
            .json(&json!({"Name": "other"})),
    );
    assert_eq!(renamed.status, 400);
    let taken =
        post(&svc.api("/PipelineEndpoints/Create"), &admin, &json!({"Name": "four", "PipelineId": first}));
    assert_eq!((taken.status, taken.body["error"]["code"].as_str()), (409, Some("NameTaken")));
    let by_name = get(&svc.api("/PipelineEndpoints/Name?Name=fuor"), &admin);
    assert_eq!(by_name.status, 404);
    assert!(by_name.text.contains("did you mean `four`"), "{}", by_name.text);
}

/// Issue 14 through the network: a `ParameterAssignments` value meant as shell code reaches the
/// step's command as one word and runs nothing.
#[test]
fn hostile_parameter_assignments_reach_the_command_as_one_word() {
    let d = tempfile::tempdir().unwrap();
    let project = d.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let file = project.join("pipeline.yml");
    std::fs::write(
        &file,
        r#"type: pipeline
inputs:
  msg: plain
settings:
  default_compute: local
jobs:
  echo:
    type: command
    inputs:
      m: ${{parent.inputs.msg}}
    outputs:
      o: {type: uri_folder}
    command: printf '%s' ${{inputs.m}} > ${{outputs.o}}/got
    environment: azureml:shell@latest
"#,
    )
    .unwrap();
    let svc = Service::start(&d.path().join("state"), &[]);
    let admin = svc.token("admin", "admin");
    let id = publish(&svc, &admin, &file, "hostile", &[])["Id"].as_str().unwrap().to_string();
    let marker = d.path().join("MARKER");
    let m = marker.display();
    let values = [
        format!("; touch {m}"),
        format!("$(touch {m})"),
        format!("`touch {m}`"),
        format!("' ; touch {m} ; '"),
        format!("\" ; touch {m} ; \""),
        format!("line1\nline2; touch {m}"),
        "a'b \"c\" $HOME * ~".to_string(),
        "-x".to_string(),
    ];
    for value in &values {
        let body = json!({"ExperimentName": "hostile", "ParameterAssignments": {"msg": value}});
        let created = post(&submit_url(&svc, &id), &admin, &body);
        assert_eq!(created.status, 200, "{value:?}: {}", created.text);
        let run_id = created.body["Id"].as_str().unwrap().to_string();
        let run = wait_run(&svc, &admin, &run_id, LONG);
        assert_eq!(run["Status"]["StatusCode"], "Finished", "{value:?}: {run}\n{}", svc.log());
        assert!(!marker.exists(), "the value {value:?} ran as shell code");
        let seen: Vec<String> = walkdir(&svc.state)
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n == "got"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        assert!(seen.contains(value), "{value:?} did not reach the command as one word: {seen:?}");
    }
}

/// Every file below `dir`.
fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => todo.push(e.path()),
                Ok(_) => out.push(e.path()),
                Err(_) => {}
            }
        }
    }
    out
}
