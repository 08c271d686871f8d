"""sluice's local driver for parallel steps (ParallelRunStep, v2 parallel jobs).

Runs the entry script's init(), then run(mini_batch) over the files of the step's data inputs,
in mini-batches, one after another in this process, then shutdown() when defined. A mini-batch
is a list of file paths (a file dataset). With output_action append_row, every item run()
returns is written as a line to the output's append_row file. Settings come as JSON in
SLUICE_PARALLEL; paths in SLUICE_INPUT_<name> / SLUICE_OUTPUT_<name>.

    python3 parallel-driver.py ENTRY_SCRIPT [ARGUMENTS...]
"""
import importlib.util
import json
import os
import re
import sys
import traceback

settings = json.loads(os.environ.get("SLUICE_PARALLEL", "{}"))
entry = sys.argv[1]
# The entry script sees its own arguments, as under Azure ML.
sys.argv = [entry] + sys.argv[2:]
sys.path.insert(0, os.path.dirname(os.path.abspath(entry)))
spec = importlib.util.spec_from_file_location("entry_script", entry)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)


def files_of(path):
    if os.path.isdir(path):
        found = []
        for root, dirs, names in os.walk(path):
            dirs.sort()
            found.extend(os.path.join(root, n) for n in sorted(names))
        return found
    return [path]


def batches(files, size):
    text = str(size or "10").strip().upper()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMG]?B)", text)
    if m:
        unit = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[m.group(2)]
        limit, batch, used = float(m.group(1)) * unit, [], 0
        for f in files:
            n = os.path.getsize(f)
            if batch and used + n > limit:
                yield batch
                batch, used = [], 0
            batch.append(f)
            used += n
        if batch:
            yield batch
    else:
        count = max(1, int(float(text)))
        for i in range(0, len(files), count):
            yield files[i:i + count]


items = []
for name in settings.get("split", []):
    path = os.environ.get(f"SLUICE_INPUT_{name}")
    if path:
        items.extend(files_of(path))
threshold = int(settings.get("error_threshold", -1) if settings.get("error_threshold") is not None else -1)
tries = max(1, int(settings.get("max_tries") or 3))
if hasattr(module, "init"):
    module.init()
rows, failed, done = [], 0, 0
for batch in batches(items, settings.get("mini_batch_size")):
    for attempt in range(tries):
        try:
            result = module.run(batch)
            break
        except Exception:
            traceback.print_exc()
            result = None
    else:
        failed += len(batch)
        print(f"mini-batch of {len(batch)} items failed {tries} times", file=sys.stderr)
        if threshold != -1 and failed > threshold:
            sys.exit(f"{failed} items failed, more than error_threshold {threshold}")
        continue
    done += len(batch)
    if result is None:
        continue
    if hasattr(result, "to_csv"):  # a pandas DataFrame
        rows.extend(result.to_csv(header=False, index=False).splitlines())
    elif isinstance(result, (list, tuple)):
        rows.extend(result)
    else:
        rows.append(result)
if hasattr(module, "shutdown"):
    module.shutdown()
output = settings.get("output")
if settings.get("output_action", "append_row") == "append_row" and output:
    out_dir = os.environ[f"SLUICE_OUTPUT_{output}"]
    os.makedirs(out_dir, exist_ok=True)
    name = settings.get("append_row_file_name") or "parallel_run_step.txt"
    with open(os.path.join(out_dir, name), "w") as f:
        for r in rows:
            f.write(f"{r}\n")
print(f"{done} items in mini-batches, {failed} failed, {len(rows)} rows")
