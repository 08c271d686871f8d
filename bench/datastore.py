#!/usr/bin/env python3
"""Upload and download throughput of `sluice datastore` against Azurite on loopback, next to
baselines that run here: a plain `curl` PUT/GET loop (SAS in the URL, as many at once as sluice
uses), and the Azure SDK for Python (azure-storage-blob) when a Python that has it is given.

    cargo build --release
    python3 bench/datastore.py [--sets big,small] [--jobs 8] [--runs 3] [--sdk-python /path/to/venv/bin/python]

Sets: `big` is 64 files of 16 MiB, `small` 4,096 files of 256 KiB (1 GiB each), random bytes.
Each measurement starts a fresh emulator (in-memory storage) so none inherits another's data;
with --runs N each is taken N times and the best upload and download kept.
Azurite comes from SLUICE_TEST_AZURITE_BIN, else ~/.cache/sluice-ci/azurite-3.35.0 (see
.ci/run). Needs about 2.5 GiB free in the temporary folder.
"""

import argparse
import base64
import concurrent.futures as cf
import hashlib
import hmac
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# SLUICE_BENCH_BIN: a release binary built elsewhere (CARGO_TARGET_DIR).
SLUICE = Path(os.environ.get("SLUICE_BENCH_BIN", ROOT / "target" / "release" / "sluice"))
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
SETS = {"big": (64, 16 << 20), "small": (4096, 256 << 10)}

SDK_SCRIPT = r"""
import concurrent.futures as cf, os, sys, time
from azure.storage.blob import ContainerClient
url, sas, mode, folder, jobs = sys.argv[1:6]
c = ContainerClient.from_container_url(f"{url}?{sas}")
if mode == "up":
    try:
        c.create_container()
    except Exception:
        pass
files = sorted(os.listdir(folder)) if mode == "up" else [b.name for b in c.list_blobs()]
def up(name):
    with open(os.path.join(folder, name), "rb") as f:
        c.upload_blob(name, f, overwrite=True, max_concurrency=1)
def down(name):
    with open(os.path.join(folder, name), "wb") as f:
        c.download_blob(name, max_concurrency=1).readinto(f)
start = time.monotonic()
with cf.ThreadPoolExecutor(int(jobs)) as pool:
    list(pool.map(up if mode == "up" else down, files))
print(time.monotonic() - start)
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Azurite:
    def __init__(self, binary):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
             "--inMemoryPersistence", "--skipApiVersionCheck", "--silent"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("Azurite did not start")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def account_sas():
    sv, ss, srt, sp, se = "2023-11-03", "b", "sco", "rwdlac", "2099-01-01T00:00:00Z"
    to_sign = f"{ACCOUNT}\n{sp}\n{ss}\n{srt}\n\n{se}\n\n\n{sv}\n\n"
    sig = base64.b64encode(hmac.new(base64.b64decode(KEY), to_sign.encode(), hashlib.sha256).digest()).decode()
    return f"sv={sv}&ss={ss}&srt={srt}&sp={sp}&se={se}&sig={urllib.parse.quote(sig, safe='')}"


def make_set(folder, count, size):
    folder.mkdir(parents=True)
    for i in range(count):
        with open(folder / f"part-{i:05d}.bin", "wb") as f:
            f.write(os.urandom(size))


def timed(cmd, env=None):
    start = time.monotonic()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.monotonic() - start
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{r.stderr[-2000:]}")
    return took


def sluice_run(work, azurite, folder, jobs):
    ws = work / "ws"
    ws.mkdir(exist_ok=True)
    (ws / "workspace.yaml").write_text(
        f"datastores:\n  lake:\n    type: azure_blob\n    account_name: {ACCOUNT}\n    container_name: bench\n"
        f"    account_url: {azurite.url}\n    account_key: ${{env:BENCH_KEY}}\n")
    env = dict(os.environ, BENCH_KEY=KEY)
    up = timed([SLUICE, "datastore", "upload", "--workspace", ws / "workspace.yaml", "--datastore", "lake",
                "--jobs", str(jobs), folder], env)
    out = work / "sluice-out"
    down = timed([SLUICE, "datastore", "download", "--workspace", ws / "workspace.yaml", "--datastore", "lake",
                  "--jobs", str(jobs), "--target-path", out, folder.name], env)
    shutil.rmtree(out)
    return up, down


def curl_run(work, azurite, folder, jobs):
    sas = account_sas()
    base = f"{azurite.url}/curlbench"
    subprocess.run(["curl", "-sf", "-X", "PUT", f"{base}?restype=container&{sas}", "-H", "Content-Length: 0"], check=True)
    files = sorted(folder.iterdir())

    def put(p):
        subprocess.run(["curl", "-sf", "-o", "/dev/null", "-T", str(p), "-H", "x-ms-blob-type: BlockBlob",
                        f"{base}/{p.name}?{sas}"], check=True)

    out = work / "curl-out"
    out.mkdir()

    def get(p):
        subprocess.run(["curl", "-sf", "-o", str(out / p.name), f"{base}/{p.name}?{sas}"], check=True)

    start = time.monotonic()
    with cf.ThreadPoolExecutor(jobs) as pool:
        list(pool.map(put, files))
    up = time.monotonic() - start
    start = time.monotonic()
    with cf.ThreadPoolExecutor(jobs) as pool:
        list(pool.map(get, files))
    down = time.monotonic() - start
    shutil.rmtree(out)
    return up, down


def sdk_run(work, azurite, folder, jobs, python):
    script = work / "sdk.py"
    script.write_text(SDK_SCRIPT)
    url = f"{azurite.url}/sdkbench"
    up = float(subprocess.run([python, script, url, account_sas(), "up", folder, str(jobs)],
                              check=True, capture_output=True, text=True).stdout)
    out = work / "sdk-out"
    out.mkdir()
    down = float(subprocess.run([python, script, url, account_sas(), "down", out, str(jobs)],
                                check=True, capture_output=True, text=True).stdout)
    shutil.rmtree(out)
    return up, down


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="big,small")
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--runs", type=int, default=1, help="measure each this many times, keep the best")
    ap.add_argument("--sdk-python", help="a Python with azure-storage-blob installed")
    ap.add_argument("--azurite-bin", default=os.environ.get(
        "SLUICE_TEST_AZURITE_BIN",
        str(Path.home() / ".cache/sluice-ci/azurite-3.35.0/node_modules/.bin/azurite-blob")))
    args = ap.parse_args()
    if not SLUICE.is_file():
        raise SystemExit("build first: cargo build --release")
    tools = [("sluice", sluice_run), ("curl loop", curl_run)]
    if args.sdk_python:
        tools.append(("azure-storage-blob", lambda w, a, f, j: sdk_run(w, a, f, j, args.sdk_python)))
    rows = []
    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as tmp:
        work = Path(tmp)
        for name in args.sets.split(","):
            count, size = SETS[name]
            folder = work / name
            make_set(folder, count, size)
            total = count * size
            for tool, fn in tools:
                best = None
                for _ in range(args.runs):
                    azurite = Azurite(args.azurite_bin)
                    try:
                        up, down = fn(work, azurite, folder, args.jobs)
                    finally:
                        azurite.stop()
                    best = (up, down) if best is None else (min(best[0], up), min(best[1], down))
                up, down = best
                rows.append((f"{count} x {size >> 10} KiB", tool, up, total / up / 2**20, down, total / down / 2**20))
                print(f"{rows[-1][0]:>16}  {tool:<20} up {up:6.2f} s {rows[-1][3]:6.1f} MiB/s   "
                      f"down {down:6.2f} s {rows[-1][5]:6.1f} MiB/s", file=sys.stderr)
            shutil.rmtree(folder)
    print(f"\n| set (1 GiB) | tool | upload | download |\n| --- | --- | --- | --- |")
    for s, tool, up, upr, down, downr in rows:
        print(f"| {s} | {tool} | {up:.2f} s ({upr:.0f} MiB/s) | {down:.2f} s ({downr:.0f} MiB/s) |")


if __name__ == "__main__":
    main()
