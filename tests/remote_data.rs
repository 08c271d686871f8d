//! End-to-end tests of runs with data elsewhere (issue 12, items 3 to 6), with the real binary:
//! pipelines whose data references and outputs are on an Azure Blob container of Azurite (the
//! emulator `.ci/run` starts; without it these tests say `skipped:`, and fail under
//! `SLUICE_CI=1`), DataTransferSteps between a container and a local datastore, registered
//! datasets (on a container and on the built-in workspace's blob store), and the faults: the
//! emulator stopped while a step's data is fetched, an upload refused mid-way.

#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::azurite::{self, ACCOUNT, Emulator, KEY, corrupting_proxy, port_of};
use support::{Run, run, sluice};

const CRED_VAR: &str = "SLUICE_TEST_LAKE_KEY";

/// A project whose datastore `lake` is container `container` at `url`, `here` a local folder.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(url: &str, container: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let ws = format!(
            "datastores:\n  lake:\n    type: azure_blob\n    account_name: {ACCOUNT}\n    container_name: {container}\n    account_url: {url}\n    account_key: ${{env:{CRED_VAR}}}\n  here: {{type: local, path: ./here}}\ncomputes:\n  cpu: {{type: amlcompute}}\n  adf: {{type: datafactory, factory_name: f, resource_group: rg, location: westeurope}}\n"
        );
        std::fs::write(dir.path().join("workspace.yaml"), ws).unwrap();
        Project { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn sluice(&self, args: &[&str]) -> Run {
        run(sluice(self.dir.path()).env(CRED_VAR, KEY).args(args))
    }

    fn ok(&self, args: &[&str]) -> Run {
        let r = self.sluice(args);
        assert_eq!(r.code, Some(0), "sluice {args:?}\n{}", r.all_output());
        r
    }

    /// `plan --json`: each step's (reuse, reason).
    fn plan(&self, file: &str) -> Vec<(String, String, String)> {
        let r = self.ok(&["plan", file, "--json"]);
        let doc: Value = serde_json::from_str(&r.stdout).unwrap();
        doc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["key"].as_str().unwrap().to_string(),
                    s["reuse"].as_str().unwrap().to_string(),
                    s["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// The `data.log` of step `step` in run `run`, empty when it has none.
    fn data_log(&self, run: i64, step: &str) -> String {
        std::fs::read_to_string(self.path(&format!(".sluice/runs/{run}/{step}/data.log"))).unwrap_or_default()
    }

    /// Paths on `lake` under `prefix`.
    fn listed(&self, prefix: &str) -> Vec<String> {
        let r = self.ok(&["datastore", "list", "--datastore", "lake", "--json", prefix]);
        let doc: Value = serde_json::from_str(&r.stdout).unwrap();
        doc["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect()
    }
}

fn container(tag: &str) -> String {
    format!("{tag}-{}", std::process::id())
}

/// The entries of `.sluice/remote` (one per fetched or kept identity).
fn remote_entries(p: &Project) -> Vec<String> {
    std::fs::read_dir(p.path(".sluice/remote"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

const PREP: &str = "\
import os, sys
raw, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
rows = []
for f in sorted(os.listdir(raw)):
    rows += open(os.path.join(raw, f)).read().splitlines()[1:]
open(os.path.join(out, 'rows.txt'), 'w').write('\\n'.join(rows) + '\\n')
";

const COUNT: &str = "\
import os, sys
data, out = sys.argv[1], sys.argv[2]
print('reads', data)
os.makedirs(out, exist_ok=True)
n = len(open(os.path.join(data, 'rows.txt')).read().splitlines())
open(os.path.join(out, 'n.txt'), 'w').write(str(n))
";

const PIPELINE: &str = "\
pipeline:
  name: on-blob
  default_compute: cpu
  data_references:
    sales: {datastore: lake, path_on_datastore: in/sales}
  steps:
    prep:
      type: PythonScriptStep
      script_name: prep.py
      source_directory: src/prep
      arguments: [input:raw, output:clean]
      inputs: {raw: {source: sales}}
      outputs: {clean: {destination: clean, datastore: lake}}
    count:
      type: PythonScriptStep
      script_name: count.py
      source_directory: src/count
      arguments: [input:clean, output:n]
      inputs: {clean: {source: clean}}
      outputs: {n: {destination: n}}
";

fn blob_project(url: &str, tag: &str) -> Project {
    let p = Project::new(url, &container(tag));
    p.write("data/sales/jan.csv", "id,amount\n1,10\n2,20\n");
    p.write("data/sales/feb.csv", "id,amount\n3,30\n");
    p.write("src/prep/prep.py", PREP);
    p.write("src/count/count.py", COUNT);
    p.write("pipeline.yml", PIPELINE);
    p.ok(&["datastore", "upload", "--datastore", "lake", "--target-path", "in", "data/sales"]);
    p
}

#[test]
fn a_pipeline_on_a_blob_container_runs_reuses_and_reruns_for_a_changed_blob() {
    let test = "a_pipeline_on_a_blob_container_runs_reuses_and_reruns_for_a_changed_blob";
    let Some(url) = azurite::require_blob(test) else { return };
    if !support::require_python(test) {
        return;
    }
    let p = blob_project(&url, "runs");
    let first = p.ok(&["run", "pipeline.yml"]);
    assert!(first.stderr.contains("2 ran, 0 reused"), "{}", first.stderr);
    // prep read a local copy of the container's folder, fetched once into the cache.
    assert!(
        p.data_log(1, "prep")
            .contains("input `raw`: 2 file(s), 35 B downloaded from `in/sales` on datastore `lake`"),
        "{}",
        p.data_log(1, "prep")
    );
    assert_eq!(remote_entries(&p).len(), 1);
    // Its output went up to the container after it succeeded...
    let published: Vec<String> =
        p.listed("azureml").into_iter().filter(|f| f.ends_with("/clean/rows.txt")).collect();
    assert_eq!(published.len(), 1, "{published:?}");
    // ... and count read it from the cache, not over the network.
    assert_eq!(p.data_log(1, "count"), "");
    let count_out = std::fs::read_to_string(p.path(".sluice/runs/1/count/stdout")).unwrap();
    assert!(count_out.contains("/.sluice/cache/"), "{count_out}");

    // Again: everything reused, nothing downloaded (the identity comes from a listing).
    let again = p.ok(&["run", "pipeline.yml"]);
    assert!(again.stderr.contains("all 2 steps reused"), "{}", again.stderr);
    assert_eq!(p.data_log(2, "prep"), "");

    // A changed blob: prep re-runs, the reason names the data reference and the file.
    p.write("data/sales/feb.csv", "id,amount\n3,30\n4,40\n");
    p.ok(&["datastore", "upload", "--overwrite", "--datastore", "lake", "--target-path", "in", "data/sales"]);
    let plan = p.plan("pipeline.yml");
    assert_eq!(plan[0].1, "miss");
    assert_eq!(plan[0].2, "data reference `sales` (input `raw`): file `feb.csv` changed", "{plan:?}");
    assert_eq!(plan[1].2, "upstream step `prep` re-runs (input `clean`)");
    p.ok(&["run", "pipeline.yml"]);
    assert!(p.data_log(3, "prep").contains("downloaded"), "{}", p.data_log(3, "prep"));
    let n = std::fs::read_to_string(
        support::walk(&p.path(".sluice/cache"))
            .into_iter()
            .find(|f| f.ends_with("n/n.txt") && std::fs::read_to_string(f).unwrap() == "4")
            .expect("a count of 4 rows"),
    )
    .unwrap();
    assert_eq!(n, "4");

    // A script change re-runs prep on the same data: the cached copy, no download.
    p.write("src/prep/prep.py", &format!("{PREP}# tuned\n"));
    p.ok(&["run", "pipeline.yml"]);
    assert!(
        p.data_log(4, "prep")
            .contains("input `raw`: `in/sales` on datastore `lake` already in the cache, not downloaded"),
        "{}",
        p.data_log(4, "prep")
    );
}

#[test]
fn a_data_transfer_goes_from_blob_to_local_and_back_and_is_reused() {
    let Some(url) = azurite::require_blob("a_data_transfer_goes_from_blob_to_local_and_back_and_is_reused")
    else {
        return;
    };
    let p = blob_project(&url, "transfer");
    p.write(
        "transfer.yml",
        "pipeline:\n  name: transfer\n  data_references:\n    incoming: {datastore: lake, path_on_datastore: in/sales}\n    staged: {datastore: here, path_on_datastore: staged/sales}\n    back: {datastore: lake, path_on_datastore: back/sales}\n  steps:\n    down:\n      type: DataTransferStep\n      name: down\n      compute: adf\n      source_data_reference:\n        incoming: {source: incoming}\n      destination_data_reference:\n        staged: {source: staged}\n      source_reference_type: directory\n      destination_reference_type: directory\n    up:\n      type: DataTransferStep\n      name: up\n      compute: adf\n      source_data_reference:\n        staged: {source: staged}\n      destination_data_reference:\n        back: {source: back}\n      run_after: [down]\n",
    );
    // Azure ML could not run it (Data Factory does not reach a local folder): warnings.
    let check = p.sluice(&["check", "transfer.yml", "--format", "json"]);
    assert_eq!(check.code, Some(0), "{}", check.all_output());
    assert!(
        check.stdout.contains("`sluice run` copies it on this machine, Azure ML cannot"),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("\"severity\":\"warning\"")
            || check.stdout.contains("\"severity\": \"warning\""),
        "{}",
        check.stdout
    );

    p.ok(&["run", "transfer.yml"]);
    for f in ["jan.csv", "feb.csv"] {
        assert_eq!(
            std::fs::read(p.path(&format!("here/staged/sales/{f}"))).unwrap(),
            std::fs::read(p.path(&format!("data/sales/{f}"))).unwrap()
        );
    }
    assert_eq!(p.listed("back"), ["back/sales/feb.csv", "back/sales/jan.csv"]);
    assert!(
        p.data_log(1, "down").contains("each checked against the source's SHA-256"),
        "{}",
        p.data_log(1, "down")
    );
    let got = p.ok(&["datastore", "download", "--datastore", "lake", "--target-path", "got", "back"]);
    assert!(got.stderr.contains("2 files"), "{}", got.stderr);
    assert_eq!(
        std::fs::read(p.path("got/back/sales/feb.csv")).unwrap(),
        std::fs::read(p.path("data/sales/feb.csv")).unwrap()
    );

    // The source did not change: both reused.
    let again = p.ok(&["run", "transfer.yml"]);
    assert!(again.stderr.contains("all 2 steps reused"), "{}", again.stderr);
    // It did: both copy again.
    p.write("data/sales/jan.csv", "id,amount\n1,11\n");
    p.ok(&["datastore", "upload", "--overwrite", "--datastore", "lake", "--target-path", "in", "data/sales"]);
    let plan = p.plan("transfer.yml");
    assert_eq!(plan[0].2, "data reference `incoming` (input `source`): file `jan.csv` changed", "{plan:?}");
    assert_eq!(plan[1].1, "miss");
    p.ok(&["run", "transfer.yml"]);
    assert_eq!(std::fs::read_to_string(p.path("here/staged/sales/jan.csv")).unwrap(), "id,amount\n1,11\n");
}

/// A DataTransferStep whose destination is a file (`destination_reference_type: file`) puts the
/// one file it copies at the destination's path, not in a folder of that name.
#[test]
fn a_file_transfer_lands_at_the_destination_path() {
    let Some(url) = azurite::require_blob("a_file_transfer_lands_at_the_destination_path") else {
        return;
    };
    let p = blob_project(&url, "onefile");
    p.write(
        "transfer.yml",
        "pipeline:\n  name: onefile\n  data_references:\n    jan: {datastore: lake, path_on_datastore: in/sales/jan.csv}\n    copy: {datastore: lake, path_on_datastore: back/january.csv}\n  steps:\n    copy:\n      type: DataTransferStep\n      name: copy\n      compute: adf\n      source_data_reference:\n        jan: {source: jan}\n      destination_data_reference:\n        copy: {source: copy}\n      source_reference_type: file\n      destination_reference_type: file\n",
    );
    p.ok(&["run", "transfer.yml"]);
    assert_eq!(p.listed("back"), ["back/january.csv"]);
}

#[test]
fn a_sql_source_or_destination_cannot_run_here() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("workspace.yaml"),
        "datastores:\n  db:\n    type: azure_blob\n    account_name: warehouse\n    container_name: exports\n    sas_token: ${env:DB_SAS}\n  here: {type: local, path: ./here}\ncomputes:\n  adf: {type: datafactory, factory_name: f, resource_group: rg, location: westeurope}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("pipeline.yml"),
        "pipeline:\n  name: sql\n  data_references:\n    orders: {datastore: db, sql_query: select * from orders}\n    copy: {datastore: here, path_on_datastore: orders}\n  steps:\n    pull:\n      type: DataTransferStep\n      name: pull\n      compute: adf\n      source_data_reference:\n        orders: {source: orders}\n      destination_data_reference:\n        copy: {source: copy}\n",
    )
    .unwrap();
    let r = run(sluice(d).args(["run", "pipeline.yml"]));
    r.assert_no_panic("sql source");
    assert_ne!(r.code, Some(0), "{}", r.all_output());
    assert!(
        r.stderr.contains("SQL source `select * from orders` on datastore `db` cannot be read from this machine: Azure SQL and PostgreSQL sources are read only by Azure Data Factory, which cannot run here"),
        "{}",
        r.all_output()
    );
}

#[test]
fn datasets_on_a_container_are_registered_versioned_used_and_profiled() {
    let test = "datasets_on_a_container_are_registered_versioned_used_and_profiled";
    let Some(url) = azurite::require_blob(test) else { return };
    if !support::require_python(test) {
        return;
    }
    let p = blob_project(&url, "datasets");
    p.write("data/orders.csv", "id,price,day\n1,2.5,2024-01-01\n2,,2024-01-02\n");
    p.ok(&["datastore", "upload", "--datastore", "lake", "data/orders.csv"]);
    let reg = p.ok(&[
        "dataset",
        "register",
        "--name",
        "orders",
        "--delimited",
        "lake:orders.csv",
        "--description",
        "daily orders",
    ]);
    assert!(
        reg.stderr.contains("registered dataset `orders` version 1: delimited `lake:orders.csv`, 1 file"),
        "{}",
        reg.stderr
    );
    let same = p.ok(&["dataset", "register", "--name", "orders", "--delimited", "lake:orders.csv"]);
    assert!(same.stderr.contains("version 1 already pins this data"), "{}", same.stderr);
    let files = p.ok(&["dataset", "register", "--name", "sales", "--files", "lake:in/sales"]);
    assert!(files.stderr.contains("2 files"), "{}", files.stderr);

    let prof = p.ok(&["dataset", "profile", "orders", "--json"]);
    let doc: Value = serde_json::from_str(&prof.stdout).unwrap();
    assert_eq!(doc["rows"], 2);
    assert_eq!(doc["columns"][1]["name"], "price");
    assert_eq!(doc["columns"][1]["type"], "float");
    assert_eq!(doc["columns"][1]["nulls"], 1);
    assert_eq!(doc["columns"][2]["type"], "datetime");

    let script = "import sys, os\nsrc, out = sys.argv[1], sys.argv[2]\nos.makedirs(out, exist_ok=True)\nopen(os.path.join(out, 'lines'), 'w').write(str(len(open(src).read().splitlines())))\n";
    p.write("src/lines/lines.py", script);
    p.write(
        "v1.yml",
        "pipeline:\n  name: v1-datasets\n  default_compute: cpu\n  data_references:\n    latest: {dataset_name: orders}\n    pinned: {dataset_name: orders, dataset_version: 1}\n  steps:\n    on_latest:\n      type: PythonScriptStep\n      script_name: lines.py\n      source_directory: src/lines\n      arguments: [input:d, output:n]\n      inputs: {d: {source: latest}}\n      outputs: {n: {destination: n1}}\n    on_v1:\n      type: PythonScriptStep\n      script_name: lines.py\n      source_directory: src/lines\n      arguments: [input:d, output:n]\n      inputs: {d: {source: pinned}}\n      outputs: {n: {destination: n2}}\n",
    );
    p.write(
        "v2.yml",
        "type: pipeline\ndisplay_name: v2-datasets\nsettings:\n  default_compute: azureml:cpu\njobs:\n  on_latest:\n    type: command\n    code: src/lines\n    command: python3 lines.py ${{inputs.d}} ${{outputs.n}}\n    environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest\n    inputs:\n      d: {type: uri_file, path: azureml:orders@latest}\n    outputs:\n      n: {type: uri_folder}\n  on_v1:\n    type: command\n    code: src/lines\n    command: python3 lines.py ${{inputs.d}} ${{outputs.n}}\n    environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest\n    inputs:\n      d: {type: uri_file, path: azureml:orders:1}\n    outputs:\n      n: {type: uri_folder}\n",
    );
    for f in ["v1.yml", "v2.yml"] {
        let r = p.ok(&["run", f]);
        assert!(r.stderr.contains("2 ran"), "{f}: {}", r.stderr);
    }

    // New data, registered as version 2: the steps on the latest re-run, naming the dataset
    // and both versions; those pinned to version 1 stay reused (its copy was fetched).
    p.write("data/orders.csv", "id,price,day\n1,2.5,2024-01-01\n2,,2024-01-02\n3,4,2024-01-03\n");
    p.ok(&["datastore", "upload", "--overwrite", "--datastore", "lake", "data/orders.csv"]);
    // Before the new version: the data changed under version 1, which no longer is what it was.
    let stale = p.ok(&["dataset", "register", "--name", "orders", "--delimited", "lake:orders.csv"]);
    assert!(stale.stderr.contains("version 2"), "{}", stale.stderr);
    for f in ["v1.yml", "v2.yml"] {
        let plan = p.plan(f);
        let by_key = |k: &str| plan.iter().find(|s| s.0 == k).unwrap().clone();
        assert_eq!(by_key("on_latest").1, "miss", "{f}: {plan:?}");
        assert!(by_key("on_latest").2.contains("dataset `orders` version 1 -> 2"), "{f}: {plan:?}");
        assert_eq!(by_key("on_v1").1, "hit", "{f}: {plan:?}");
        let r = p.ok(&["run", f]);
        assert!(r.stderr.contains("1 ran, 1 reused"), "{f}: {}", r.stderr);
    }
    let shown = p.ok(&["dataset", "show", "orders", "--json"]);
    let doc: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(doc["versions"].as_array().unwrap().len(), 2);
    assert_eq!(doc["versions"][0]["description"], "daily orders");
    assert_eq!(doc["versions"][1]["reference"], "azureml:orders:2");
}

#[test]
fn datasets_on_the_builtin_blob_store_and_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = |args: &[&str]| run(sluice(d).args(args));
    std::fs::create_dir_all(d.join("data/images")).unwrap();
    std::fs::write(d.join("data/images/a.png"), b"png").unwrap();
    std::fs::write(d.join("data/images/b.PNG"), b"png2").unwrap();
    std::fs::write(d.join("data/t.tsv"), "name\tscore\nx\t1\ny\t3\n").unwrap();
    let up = s(&["datastore", "upload", "--datastore", "workspaceblobstore", "data"]);
    assert_eq!(up.code, Some(0), "{}", up.all_output());
    let reg = s(&["dataset", "register", "--name", "images", "--files", "workspaceblobstore:data/images"]);
    assert_eq!(reg.code, Some(0), "{}", reg.all_output());
    let reg = s(&["dataset", "register", "--name", "scores", "--delimited", "workspaceblobstore:data/t.tsv"]);
    assert_eq!(reg.code, Some(0), "{}", reg.all_output());
    let list = s(&["dataset", "list"]);
    assert!(list.stdout.contains("images") && list.stdout.contains("scores"), "{}", list.all_output());
    let prof = s(&["dataset", "profile", "images"]);
    assert!(prof.stdout.contains("2 files, 7 B; 2 .png"), "{}", prof.all_output());
    let prof = s(&["dataset", "profile", "scores"]);
    assert!(prof.stdout.contains("2 rows, 2 columns"), "{}", prof.all_output());
    assert!(prof.stdout.contains("score   integer"), "{}", prof.all_output());

    // A version keeps what it pinned: editing the data in place does not change version 1.
    std::fs::write(d.join(".sluice/datastores/workspaceblobstore/data/t.tsv"), "name\tscore\nz\t9\n")
        .unwrap();
    let prof = s(&["dataset", "profile", "scores", "--version", "1"]);
    assert!(prof.stdout.contains("2 rows"), "{}", prof.all_output());

    for (args, code, want) in [
        (
            &["dataset", "register", "--name", "../x", "--files", "workspaceblobstore:data"][..],
            2,
            "is not a dataset name",
        ),
        (&["dataset", "register", "--name", "x", "--files", "data"], 2, "is not DATASTORE:PATH"),
        (
            &["dataset", "register", "--name", "x", "--files", "workspaceblobstor:data"],
            1,
            "did you mean `workspaceblobstore`",
        ),
        (
            &["dataset", "register", "--name", "x", "--delimited", "workspaceblobstore:data/images"],
            1,
            "--delimited names one delimited file",
        ),
        (
            &["dataset", "register", "--name", "x", "--files", "workspaceblobstore:nothing/here"],
            1,
            "nothing/here",
        ),
        (&["dataset", "register", "--name", "x"], 2, "--files"),
        (&["dataset", "show", "image"], 1, "did you mean `images`"),
        (&["dataset", "profile", "images", "--version", "2"], 1, "has no version 2"),
    ] {
        let r = s(args);
        r.assert_no_panic(&format!("{args:?}"));
        assert_eq!(r.code, Some(code), "{args:?}\n{}", r.all_output());
        assert!(r.stderr.contains(want), "{args:?}: want `{want}`\n{}", r.stderr);
    }
}

#[test]
fn a_refused_upload_fails_the_step_and_publishes_nothing() {
    let test = "a_refused_upload_fails_the_step_and_publishes_nothing";
    let Some(url) = azurite::require_blob(test) else { return };
    if !support::require_python(test) {
        return;
    }
    let name = container("refused");
    let direct = Project::new(&url, &name);
    direct.write("data/x.csv", "x\n1\n");
    direct.ok(&["datastore", "upload", "--datastore", "lake", "data/x.csv"]);
    // Through a proxy that changes a byte of one file on its way up: the service refuses it
    // (its MD5 does not match).
    let proxy = corrupting_proxy(port_of(&url), b"POISON", b"P0ISON", true);
    let p = Project::new(&format!("http://127.0.0.1:{proxy}/{ACCOUNT}"), &name);
    p.write(
        "src/make.py",
        "import os, sys\nout = sys.argv[2]\nos.makedirs(out, exist_ok=True)\nfor i in range(12):\n    open(os.path.join(out, f'part-{i:02}.txt'), 'w').write('fine ' * 1000)\nopen(os.path.join(out, 'zz-last.txt'), 'w').write('POISON')\n",
    );
    p.write(
        "pipeline.yml",
        "pipeline:\n  name: refused\n  default_compute: cpu\n  data_references:\n    x: {datastore: lake, path_on_datastore: x.csv}\n  steps:\n    make:\n      type: PythonScriptStep\n      script_name: make.py\n      source_directory: src\n      arguments: [input:x, output:out]\n      inputs: {x: {source: x}}\n      outputs: {out: {destination: out, datastore: lake}}\n",
    );
    let r = p.sluice(&["run", "pipeline.yml"]);
    assert_eq!(r.code, Some(1), "{}", r.all_output());
    assert!(r.stderr.contains("cannot upload output `out` to `azureml/"), "{}", r.stderr);
    assert!(r.stderr.contains("on datastore `lake`"), "{}", r.stderr);
    // Nothing of it is on the container, and nothing reached the cache.
    assert_eq!(direct.listed(""), ["x.csv"]);
    let plan = p.plan("pipeline.yml");
    assert_eq!(plan[0].1, "miss", "{plan:?}");
    assert!(plan[0].2.contains("failed"), "{plan:?}");
}

#[test]
fn an_emulator_stopped_while_data_is_fetched_leaves_nothing_and_a_rerun_completes() {
    let test = "an_emulator_stopped_while_data_is_fetched_leaves_nothing_and_a_rerun_completes";
    let Some(bin) = azurite::require_bin(test) else { return };
    if !support::require_python(test) {
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let mut emu = Emulator::start(&bin, logs.path());
    let p = Project::new(&emu.url(), "fetch");
    let upload = |p: &Project| {
        for i in 0..48 {
            let bytes: Vec<u8> =
                (0..(1u32 << 20)).map(|j| (j.wrapping_mul(2654435761).wrapping_add(i) >> 13) as u8).collect();
            let f = p.path(&format!("data/big/part-{i:02}.bin"));
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, bytes).unwrap();
        }
        p.ok(&["datastore", "upload", "--datastore", "lake", "--target-path", "in", "data/big"]);
    };
    upload(&p);
    p.write("src/size.py", "import os, sys\nprint(sum(os.path.getsize(os.path.join(sys.argv[1], f)) for f in os.listdir(sys.argv[1])))\nos.makedirs(sys.argv[2], exist_ok=True)\n");
    p.write(
        "pipeline.yml",
        "pipeline:\n  name: big\n  default_compute: cpu\n  data_references:\n    big: {datastore: lake, path_on_datastore: in/big}\n  steps:\n    size:\n      type: PythonScriptStep\n      script_name: size.py\n      source_directory: src\n      arguments: [input:d, output:o]\n      inputs: {d: {source: big}}\n      outputs: {o: {destination: o}}\n",
    );
    let child = sluice(p.dir.path())
        .env(CRED_VAR, KEY)
        .args(["run", "pipeline.yml"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Stop the emulator once the fetch has begun writing.
    let start = Instant::now();
    let tmp = p.path(".sluice/tmp");
    loop {
        let fetching = std::fs::read_dir(&tmp)
            .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("remote-")))
            .unwrap_or(false);
        if fetching {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the fetch never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    emu.kill();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot download `in/big` on datastore `lake`"), "{err}");
    assert!(remote_entries(&p).is_empty(), "a partial copy was kept");
    assert!(
        std::fs::read_dir(&tmp).map(|d| d.flatten().count()).unwrap_or(0) == 0,
        "temporary files stayed in {}",
        tmp.display()
    );

    // The emulator is back (empty: its storage was in memory); the data goes up again and
    // the run completes.
    emu.restart();
    upload(&p);
    let r = p.ok(&["run", "pipeline.yml"]);
    assert!(r.stderr.contains("1 ran"), "{}", r.stderr);
    let size = std::fs::read_to_string(p.path(".sluice/runs/2/size/stdout")).unwrap();
    assert_eq!(size.trim(), (48u64 << 20).to_string());
    let _: &Path = p.dir.path();
}
