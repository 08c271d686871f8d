"""Scores both models on the validation set and reports the better one."""
import argparse
import csv
import json
import math
import os

parser = argparse.ArgumentParser()
parser.add_argument("--model-a", required=True)
parser.add_argument("--model-b", required=True)
parser.add_argument("--data", required=True)
parser.add_argument("--report", required=True)
args = parser.parse_args()

with open(os.path.join(args.data, "valid.csv"), newline="") as f:
    reader = csv.reader(f)
    next(reader)
    rows = [[float(v) for v in row] for row in reader]
with open(os.path.join(args.data, "stats.json")) as f:
    price = json.load(f)["stats"]["price"]


def rmse(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        m = json.load(f)
    errs = [(sum(w * x for w, x in zip(m["weights"], row[:-1])) + m["bias"] - row[-1]) for row in rows]
    # Back to currency units.
    return math.sqrt(sum(e * e for e in errs) / len(errs)) * price["std"], m


scores = {}
for name, path in [("a", args.model_a), ("b", args.model_b)]:
    scores[name], model = rmse(path)
    print(f"model {name} (lr={model['lr']}): validation RMSE {scores[name]:,.0f}")
best = min(scores, key=scores.get)
os.makedirs(args.report, exist_ok=True)
with open(os.path.join(args.report, "report.json"), "w") as f:
    json.dump({"validation_rmse": scores, "best": best}, f, indent=2)
metrics = os.environ.get("SLUICE_METRICS")
if metrics:
    with open(metrics, "a") as f:
        for name, value in scores.items():
            f.write(json.dumps({"name": f"valid_rmse_{name}", "value": value}) + "\n")
print(f"best: model {best}")
