"""Scores two models on the test set and keeps the better one."""
import argparse
import csv
import json
import math
import os
import shutil

parser = argparse.ArgumentParser()
parser.add_argument("--prepared", required=True, help="folder with test.csv")
parser.add_argument("--model-a", required=True)
parser.add_argument("--model-b", required=True)
parser.add_argument("--report", required=True, help="folder for report.json and the best model")
args = parser.parse_args()

with open(os.path.join(args.prepared, "test.csv"), newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    rows = [[float(v) for v in row] for row in reader]


def rmse(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        m = json.load(f)
    idx = [header.index(n) for n in m["features"]]
    errors = []
    for row in rows:
        z = [(row[i] - mu) / sd for i, mu, sd in zip(idx, m["mean"], m["std"])]
        pred = sum(w * v for w, v in zip(m["weights"], z)) + m["bias"]
        errors.append((pred - row[-1]) ** 2)
    return math.sqrt(sum(errors) / len(errors)), m


scores = {name: rmse(path) for name, path in [("a", args.model_a), ("b", args.model_b)]}
best = min(scores, key=lambda k: scores[k][0])
os.makedirs(args.report, exist_ok=True)
shutil.copytree(args.model_a if best == "a" else args.model_b, os.path.join(args.report, "best_model"), dirs_exist_ok=True)
report = {name: {"test_rmse": s, "l2": m["l2"], "features": m["features"]} for name, (s, m) in scores.items()}
report["best"] = best
with open(os.path.join(args.report, "report.json"), "w") as f:
    json.dump(report, f, indent=2)
print(f"model a: {scores['a'][0]:.2f}, model b: {scores['b'][0]:.2f}; keeping model {best}")
