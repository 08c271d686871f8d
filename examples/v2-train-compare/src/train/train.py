"""Fits a ridge regression (least squares with an L2 penalty) by solving its normal equations.

Features are standardised with the training set's mean and deviation, which are kept in the
model so that it can score new rows the same way.
"""
import argparse
import csv
import json
import math
import os

parser = argparse.ArgumentParser()
parser.add_argument("--prepared", required=True, help="folder with train.csv")
parser.add_argument("--l2", type=float, required=True, help="strength of the L2 penalty")
parser.add_argument("--features", help="comma-separated features to use (default: all)")
parser.add_argument("--model", required=True, help="folder to write model.json to")
parser.add_argument("--metrics", required=True, help="JSON file to write training metrics to")
args = parser.parse_args()

with open(os.path.join(args.prepared, "train.csv"), newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    data = [[float(v) for v in row] for row in reader]
names = header[:-1]
chosen = [n.strip() for n in args.features.split(",")] if args.features else names
unknown = sorted(set(chosen) - set(names))
if unknown:
    parser.error(f"unknown features {unknown}; the data has {names}")
idx = [names.index(n) for n in chosen]
xs = [[row[i] for i in idx] for row in data]
ys = [row[-1] for row in data]
n, d = len(xs), len(chosen)

mean = [sum(x[j] for x in xs) / n for j in range(d)]
std = [math.sqrt(sum((x[j] - mean[j]) ** 2 for x in xs) / n) or 1.0 for j in range(d)]
z = [[(x[j] - mean[j]) / std[j] for j in range(d)] + [1.0] for x in xs]

# Normal equations (Z^T Z + l2 I) w = Z^T y; the intercept (last column) is not penalised.
k = d + 1
a = [[sum(r[i] * r[j] for r in z) + (args.l2 if i == j and i < d else 0.0) for j in range(k)] for i in range(k)]
rhs = [sum(r[i] * y for r, y in zip(z, ys)) for i in range(k)]
for col in range(k):
    pivot = max(range(col, k), key=lambda r: abs(a[r][col]))
    a[col], a[pivot] = a[pivot], a[col]
    rhs[col], rhs[pivot] = rhs[pivot], rhs[col]
    for r in range(k):
        if r != col and a[col][col]:
            factor = a[r][col] / a[col][col]
            a[r] = [vr - factor * vc for vr, vc in zip(a[r], a[col])]
            rhs[r] -= factor * rhs[col]
w = [rhs[i] / a[i][i] for i in range(k)]

pred = [sum(wi * zi for wi, zi in zip(w, r)) for r in z]
rmse = math.sqrt(sum((p - y) ** 2 for p, y in zip(pred, ys)) / n)
os.makedirs(args.model, exist_ok=True)
with open(os.path.join(args.model, "model.json"), "w") as f:
    json.dump({"features": chosen, "mean": mean, "std": std, "weights": w[:d], "bias": w[d], "l2": args.l2}, f, indent=2)
os.makedirs(os.path.dirname(os.path.abspath(args.metrics)), exist_ok=True)
with open(args.metrics, "w") as f:
    json.dump({"train_rmse": rmse, "rows": n, "l2": args.l2}, f, indent=2)
print(f"l2={args.l2}: training RMSE {rmse:.2f} rentals over {n} rows")
