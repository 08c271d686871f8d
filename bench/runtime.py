#!/usr/bin/env python3
"""Benchmarks of sluice's fingerprints and local runtime (DESIGN section 9), with the real binary.

    cargo build --release && python3 bench/runtime.py [--sluice target/release/sluice] [--dir DIR]

Measures:
  1. cold hashing of a 1 GiB source tree (no hash cache; files in the page cache), against the
     machine's SHA-256 limit from `openssl speed -evp sha256` (one core and all cores);
  2. a warm `sluice plan` of an unchanged 100,000-file tree, and of a step whose cached output
     holds 100,000 files (checked against their content hashes before reuse);
  3. `sluice run` of 1,000 no-op steps (orchestration overhead per step) and of the same 1,000
     steps when every one is reused;
  4. `sluice plan` of examples/compare-models.
Prints a table; nothing is asserted. Needs about 1.2 GiB of free disk in DIR (default: a
temporary folder, removed afterwards).
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


CPU = [0.0]  # CPU seconds (user + system) of the last command run by sh()


def sh(cmd, env=None, cwd=None, check=True):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[0] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if check and p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return dt, p


def median_time(cmd, n, env=None, cwd=None, before=None):
    """Median and best wall time; CPU[0] is left at the median CPU time (user + system)."""
    times, cpus = [], []
    for _ in range(n):
        if before:
            before()
        times.append(sh(cmd, env=env, cwd=cwd)[0])
        cpus.append(CPU[0])
    CPU[0] = statistics.median(cpus)
    return statistics.median(times), min(times)


def openssl_limit():
    """SHA-256 bytes/s of one core and of all cores (16 KiB blocks)."""

    def speed(extra):
        _, p = sh(["openssl", "speed", *extra, "-evp", "sha256", "-bytes", "16384", "-seconds", "3"], check=False)
        lines = [l for l in p.stdout.splitlines() if l.lower().startswith("sha256") or l.startswith("evp")]
        if not lines:
            return None
        m = re.findall(r"([\d.]+)k", lines[-1])
        return float(m[-1]) * 1000 if m else None

    cores = os.cpu_count() or 1
    return speed([]), speed(["-multi", str(cores)]), cores


def write_pipeline(path, steps_yaml, params=""):
    with open(path, "w") as f:
        f.write("pipeline:\n  name: bench\n  default_compute: local\n")
        f.write(params)
        f.write("  steps:\n")
        f.write(steps_yaml)


def old_mtimes(root):
    """Sets every file's mtime an hour back, as in a tree nobody touched lately (a hash is
    cached only for files that are not being written right now)."""
    t = time.time() - 3600
    for d, _, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(d, name), (t, t))


def bench_cold_hash(sluice, base):
    proj = os.path.join(base, "hash1g")
    src = os.path.join(proj, "src")
    os.makedirs(src, exist_ok=True)
    # 1 GiB: 1,024 files of 1 MiB in 32 folders, random content.
    block = os.urandom(1 << 20)
    for i in range(1024):
        d = os.path.join(src, f"d{i % 32:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:04d}.bin"), "wb") as f:
            f.write(block[i:] + block[:i])
    with open(os.path.join(src, "main.py"), "w") as f:
        f.write("print('hi')\n")
    write_pipeline(
        os.path.join(proj, "pipeline.yml"),
        "    s:\n      type: PythonScriptStep\n      script_name: main.py\n      source_directory: src\n",
    )
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(src) for f in fs)
    # Read the tree once so the page cache holds it: the bench measures hashing, not the disk.
    for d, _, fs in os.walk(src):
        for f in fs:
            with open(os.path.join(d, f), "rb") as fh:
                while fh.read(1 << 22):
                    pass

    def forget():
        shutil.rmtree(os.path.join(proj, ".sluice"), ignore_errors=True)

    med, best = median_time([sluice, "plan", "pipeline.yml"], 5, cwd=proj, before=forget)
    return total, med, best, CPU[0]


def bench_warm_plan(sluice, base, n_files=100_000):
    proj = os.path.join(base, "tree100k")
    src = os.path.join(proj, "src")
    for i in range(n_files):
        d = os.path.join(src, f"d{i // 100:04d}")
        if i % 100 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:06d}.py"), "w") as f:
            f.write(f"# file {i}\nVALUE = {i}\n")
    with open(os.path.join(src, "main.py"), "w") as f:
        f.write("print('hi')\n")
    old_mtimes(src)
    write_pipeline(
        os.path.join(proj, "pipeline.yml"),
        "    s:\n      type: PythonScriptStep\n      script_name: main.py\n      source_directory: src\n",
    )
    # A state folder, so that plans keep file hashes (a plan writes nothing without one).
    os.makedirs(os.path.join(proj, ".sluice"), exist_ok=True)
    cold, _ = sh([sluice, "plan", "pipeline.yml"], cwd=proj)
    med, best = median_time([sluice, "plan", "pipeline.yml"], 7, cwd=proj)
    return n_files, cold, med, best, CPU[0]


def bench_warm_plan_outputs(sluice, base, n_files=100_000):
    """A step whose output holds n_files files, run once; then warm plans, each of which checks
    the cached output against the content hashes its marker records before reusing it."""
    proj = os.path.join(base, "outputs100k")
    os.makedirs(os.path.join(proj, "src"), exist_ok=True)
    with open(os.path.join(proj, "src", "many.py"), "w") as f:
        f.write(
            "import os, sys\n"
            "out = sys.argv[2]\n"
            f"for i in range({n_files}):\n"
            "    d = os.path.join(out, f'd{i // 100:04d}')\n"
            "    if i % 100 == 0:\n"
            "        os.makedirs(d)\n"
            "    with open(os.path.join(d, f'f{i:06d}.txt'), 'w') as fh:\n"
            "        fh.write(f'row {i}\\n')\n"
        )
    write_pipeline(
        os.path.join(proj, "pipeline.yml"),
        "    s:\n      type: PythonScriptStep\n      script_name: many.py\n      source_directory: src\n"
        "      arguments: [--out, output:o]\n      outputs: {o: {destination: o}}\n",
    )
    sh([sluice, "run", "pipeline.yml"], cwd=proj)
    _, p = sh([sluice, "plan", "pipeline.yml", "--json"], cwd=proj)
    assert '"reuse": "hit"' in p.stdout, p.stdout
    med, best = median_time([sluice, "plan", "pipeline.yml"], 7, cwd=proj)
    return n_files, med, best, CPU[0]


def bench_steps(sluice, base, n=1000, width=100, real_python=False):
    """n no-op steps in n/width levels of `width`; each reads one output of the level before."""
    proj = os.path.join(base, f"steps{n}{'py' if real_python else ''}")
    os.makedirs(os.path.join(proj, "src"), exist_ok=True)
    with open(os.path.join(proj, "src", "noop.py"), "w") as f:
        f.write("pass\n")
    old_mtimes(os.path.join(proj, "src"))
    lines = []
    for i in range(n):
        level, j = divmod(i, width)
        lines.append(f"    s{i}:\n      type: PythonScriptStep\n      script_name: noop.py\n      source_directory: src\n")
        # A distinct argument per step: identical steps would share one fingerprint and run once.
        if level == 0:
            lines.append(f"      arguments: [--id, '{i}', --out, output:o]\n")
        else:
            lines.append(f"      arguments: [--id, '{i}', --in, input:i, --out, output:o]\n")
            lines.append(f"      inputs: {{i: {{source: d{(level - 1) * width + (j * 7) % width}}}}}\n")
        lines.append(f"      outputs: {{o: {{destination: d{i}}}}}\n")
    write_pipeline(os.path.join(proj, "pipeline.yml"), "".join(lines))
    # The steps' interpreter is `true`: the process costs ~1 ms, the rest is sluice. With
    # real_python, each step is a real `python3 noop.py` (as DVC's one-line stages are real).
    env = dict(os.environ)
    if real_python:
        env.pop("SLUICE_PYTHON", None)
    else:
        env["SLUICE_PYTHON"] = "true"
    first, p = sh([sluice, "run", "pipeline.yml"], env=env, cwd=proj)
    first_cpu = CPU[0]
    reused_med, reused_best = median_time([sluice, "run", "pipeline.yml"], 5, env=env, cwd=proj)
    # The same steps, each a bare `true` process, one at a time and two at a time, without sluice.
    t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run(["true"])
    bare = time.perf_counter() - t0
    shutil.rmtree(os.path.join(proj, ".sluice"))
    seq, _ = sh([sluice, "run", "pipeline.yml", "--jobs", "1"], env=env, cwd=proj)
    return n, first, first_cpu, seq, bare, reused_med, reused_best


def bench_example(sluice):
    proj = os.path.join(ROOT, "examples", "compare-models")
    return median_time([sluice, "plan", "pipeline.yml"], 21, cwd=proj)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default=os.path.join(ROOT, "target", "release", "sluice"))
    ap.add_argument("--dir", default=None)
    ap.add_argument("--only", choices=["hash", "tree", "outputs", "steps", "dvc", "example"], action="append",
                    help="run only these benchmarks (repeatable)")
    args = ap.parse_args()
    sluice = os.path.abspath(args.sluice)
    base = args.dir or tempfile.mkdtemp(prefix="sluice-bench-")
    os.makedirs(base, exist_ok=True)
    try:
        one, multi, cores = openssl_limit()
        print(f"machine: {cores} cores; openssl sha256 (16 KiB blocks): "
              f"{one / 1e9:.2f} GB/s one core, {multi / 1e9 if multi else float('nan'):.2f} GB/s all cores")
        want = lambda name: not args.only or name in args.only
        if want("hash"):
            total, med, best, cpu = bench_cold_hash(sluice, base)
            rate = total / med
            print(f"cold hash, 1 GiB tree ({total / 2**30:.2f} GiB, 1,024 files): median {med * 1000:.0f} ms, "
                  f"best {best * 1000:.0f} ms -> {rate / 1e9:.2f} GB/s median, {total / best / 1e9:.2f} GB/s best; "
                  f"{rate / (one * cores) * 100:.0f}% of {cores} x one-core openssl, "
                  f"{(rate / multi * 100) if multi else float('nan'):.0f}% of openssl -multi {cores}; "
                  f"CPU {cpu:.2f} s -> {total / cpu / 1e9:.2f} GB/s per busy core = {total / cpu / one * 100:.0f}% of one-core openssl")
            shutil.rmtree(os.path.join(base, "hash1g"), ignore_errors=True)
        if want("tree"):
            n, cold, med, best, cpu = bench_warm_plan(sluice, base)
            print(f"plan of a {n:,}-file tree: cold {cold * 1000:.0f} ms, warm median {med * 1000:.0f} ms, "
                  f"best {best * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms (user + system, all threads)")
            shutil.rmtree(os.path.join(base, "tree100k"), ignore_errors=True)
        if want("outputs"):
            n, med, best, cpu = bench_warm_plan_outputs(sluice, base)
            print(f"plan reusing a cached output of {n:,} files (each checked against its content hash): "
                  f"warm median {med * 1000:.0f} ms, best {best * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms")
            shutil.rmtree(os.path.join(base, "outputs100k"), ignore_errors=True)
        if want("steps"):
            n, first, first_cpu, seq, bare, reused_med, reused_best = bench_steps(sluice, base)
            print(f"{n:,} no-op steps: run {first:.2f} s ({first / n * 1000:.1f} ms/step, default jobs; "
                  f"CPU {first_cpu / n * 1000:.1f} ms/step incl. the step process), "
                  f"--jobs 1 {seq:.2f} s ({seq / n * 1000:.1f} ms/step; the bare processes alone take "
                  f"{bare / n * 1000:.1f} ms each, so overhead {(seq - bare) / n * 1000:.1f} ms/step)")
            print(f"{n:,} reused steps: run median {reused_med * 1000:.0f} ms, best {reused_best * 1000:.0f} ms")
        if want("dvc"):
            n, first, first_cpu, seq, bare, reused_med, reused_best = bench_steps(sluice, base, 200, 20, True)
            print(f"{n} python3 steps (DVC: 200 one-line stages run in 69 s, no-op in 2.6 s): "
                  f"run {first:.2f} s, all reused {reused_med * 1000:.0f} ms median")
            proj = os.path.join(ROOT, "examples", "compare-models")
            shutil.rmtree(os.path.join(proj, ".sluice"), ignore_errors=True)
            sh([sluice, "run", "pipeline.yml"], cwd=proj)
            med, best = median_time([sluice, "run", "pipeline.yml"], 11, cwd=proj)
            pmed, pbest = median_time([sluice, "plan", "pipeline.yml"], 11, cwd=proj)
            print(f"examples/compare-models, 5 steps, nothing to do (DVC 4 stages: repro 0.98 s, status 0.77 s): "
                  f"run {med * 1000:.0f} ms median, plan {pmed * 1000:.1f} ms median")
        if want("example"):
            med, best = bench_example(sluice)
            print(f"plan of examples/compare-models: median {med * 1000:.1f} ms, best {best * 1000:.1f} ms")
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
