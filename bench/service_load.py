#!/usr/bin/env python3
"""A bounded load test of the workspace service on loopback.

Starts `sluice serve` (the release binary) on a fresh state folder, publishes a four-step
pipeline of shell commands, runs it once so every later run reuses all four steps, then has
CLIENTS clients submit RUNS runs in all (over keep-alive HTTP connections, as Azure ML scripts
would), and poll their runs' status until every run has ended. It prints submissions per
second, p50/p99 latency of submit and of status reads, how long the queue took to drain, and
checks that every run finished exactly once: each has its own local run, and the runtime's run
store holds exactly one completed run per submission (plus the warm-up).

    cargo build --release
    python3 bench/service_load.py [--clients 20] [--runs 500] [--sluice target/release/sluice]

Only the Python standard library is used. Nothing is asserted about timings; the figures go to
bench/README.md.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlparse

PIPELINE = r"""type: pipeline
display_name: load-four
inputs:
  greeting: hello
settings:
  default_compute: local
jobs:
  a:
    type: command
    inputs:
      g: ${{parent.inputs.greeting}}
    outputs:
      o: {type: uri_folder}
    command: echo ${{inputs.g}} > ${{outputs.o}}/a.txt
    environment: azureml:shell@latest
  b:
    type: command
    inputs:
      i: ${{parent.jobs.a.outputs.o}}
    outputs:
      o: {type: uri_folder}
    command: cat ${{inputs.i}}/a.txt > ${{outputs.o}}/b.txt
    environment: azureml:shell@latest
  c:
    type: command
    inputs:
      i: ${{parent.jobs.a.outputs.o}}
    outputs:
      o: {type: uri_folder}
    command: cat ${{inputs.i}}/a.txt > ${{outputs.o}}/c.txt
    environment: azureml:shell@latest
  d:
    type: command
    inputs:
      b: ${{parent.jobs.b.outputs.o}}
      c: ${{parent.jobs.c.outputs.o}}
    outputs:
      o: {type: uri_folder}
    command: cat ${{inputs.b}}/b.txt ${{inputs.c}}/c.txt > ${{outputs.o}}/d.txt
    environment: azureml:shell@latest
"""

PREFIX = "/pipelines/v1.0/subscriptions/bench/resourceGroups/bench/providers/Microsoft.MachineLearningServices/workspaces/bench"
TERMINAL = {"Finished", "Failed", "Canceled"}


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class Conn:
    """One keep-alive connection with the token."""

    def __init__(self, url, token):
        u = urlparse(url)
        self.host, self.port, self.token = u.hostname, u.port, token
        self.c = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                self.c.request(method, PREFIX + path, body=data, headers=headers)
                r = self.c.getresponse()
                return r.status, json.loads(r.read() or b"null")
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.c.close()
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise


def start(sluice, state):
    env = dict(os.environ, SLUICE_LOG="warn")
    p = subprocess.Popen(
        [sluice, "serve", "--state", state, "--listen", "127.0.0.1:0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
    )
    for line in p.stderr:
        if "listening on " in line:
            url = line.split("listening on ")[1].split()[0]
            threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
            return p, url
    raise SystemExit("sluice serve did not start")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--sluice", default="target/release/sluice")
    a = ap.parse_args()
    sluice = os.path.abspath(a.sluice)
    tmp = tempfile.mkdtemp(prefix="sluice-load-")
    project, state = os.path.join(tmp, "project"), os.path.join(tmp, "state")
    os.makedirs(project)
    with open(os.path.join(project, "pipeline.yml"), "w") as f:
        f.write(PIPELINE)
    server, url = start(sluice, state)
    try:
        token = subprocess.run(
            [sluice, "token", "create", "--name", "bench", "--role", "admin", "--state", state],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        env = dict(os.environ, SLUICE_SERVER=url, SLUICE_TOKEN=token)
        published = json.loads(subprocess.run(
            [sluice, "publish", os.path.join(project, "pipeline.yml"), "--name", "load-four", "--json"],
            check=True, capture_output=True, text=True, env=env,
        ).stdout)
        submit_path = f"/PipelineRuns/PipelineSubmit/{published['Id']}"
        c = Conn(url, token)
        status, warm = c.request("POST", submit_path, {"ExperimentName": "warm-up"})
        assert status == 200, warm
        while c.request("GET", f"/PipelineRuns/{warm['Id']}")[1]["Status"]["StatusCode"] not in TERMINAL:
            time.sleep(0.05)

        per_client = [a.runs // a.clients + (1 if i < a.runs % a.clients else 0) for i in range(a.clients)]
        submit_ms, read_ms, ids, errors = [], [], [], []
        lock = threading.Lock()
        barrier = threading.Barrier(a.clients + 1)
        marks = {}

        def client(i):
            conn = Conn(url, token)
            mine = []
            barrier.wait()
            for k in range(per_client[i]):
                t = time.perf_counter()
                status, body = conn.request("POST", submit_path, {
                    "ExperimentName": "load", "RunSource": f"client-{i}", "Tags": {"n": str(k)},
                })
                took = (time.perf_counter() - t) * 1000
                with lock:
                    submit_ms.append(took)
                    if status != 200:
                        errors.append((status, body))
                    else:
                        mine.append(body["Id"])
            barrier.wait()
            pending = set(mine)
            while pending:
                for run in list(pending):
                    t = time.perf_counter()
                    status, body = conn.request("GET", f"/PipelineRuns/{run}")
                    took = (time.perf_counter() - t) * 1000
                    with lock:
                        read_ms.append(took)
                    if status == 200 and body["Status"]["StatusCode"] in TERMINAL:
                        pending.discard(run)
                time.sleep(0.05)
            with lock:
                ids.extend(mine)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
        for t in threads:
            t.start()
        barrier.wait()
        marks["start"] = time.perf_counter()
        barrier.wait()
        marks["submitted"] = time.perf_counter()
        for t in threads:
            t.join()
        marks["ended"] = time.perf_counter()

        runs = [c.request("GET", f"/PipelineRuns/{r}")[1] for r in ids]
        finished = [r for r in runs if r["Status"]["StatusCode"] == "Finished"]
        local_ids = [r["LocalRunId"] for r in runs]
        store = json.loads(subprocess.run(
            [sluice, "runs", "list", "--json", "--limit", str(a.runs + 100), "--state", state],
            check=True, capture_output=True, text=True,
        ).stdout)["runs"]
        completed = sum(1 for r in store if r["status"] == "completed")
        steps = subprocess.run(
            [sluice, "runs", "show", str(max(local_ids)), "--json", "--state", state],
            check=True, capture_output=True, text=True,
        ).stdout
        reused = sum(1 for s in json.loads(steps)["steps"] if s["status"] == "reused")

        submit_s = marks["submitted"] - marks["start"]
        drain_s = marks["ended"] - marks["start"]
        print(f"clients {a.clients}, runs {len(ids)} of a reused 4-step pipeline, {os.cpu_count()} cores")
        print(f"submissions/s          {len(ids) / submit_s:.0f} ({len(ids)} in {submit_s:.2f} s)")
        print(f"submit latency         p50 {percentile(submit_ms, 50):.1f} ms, p99 {percentile(submit_ms, 99):.1f} ms")
        print(f"status read latency    p50 {percentile(read_ms, 50):.1f} ms, p99 {percentile(read_ms, 99):.1f} ms ({len(read_ms)} reads)")
        print(f"all runs ended after   {drain_s:.2f} s ({len(ids) / drain_s:.0f} runs/s end to end)")
        print(f"finished               {len(finished)} of {len(ids)}; refused submissions {len(errors)}")
        print(f"exactly once           {len(set(local_ids))} distinct local runs for {len(ids)} runs; "
              f"{completed} completed runs in the run store (= {len(ids)} + 1 warm-up: {completed == len(ids) + 1})")
        print(f"reuse                  {reused} of 4 steps reused in the last run")
        ok = (len(finished) == len(ids) == a.runs and not errors and len(set(local_ids)) == len(ids)
              and completed == len(ids) + 1 and reused == 4)
        print("OK" if ok else "NOT OK")
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
