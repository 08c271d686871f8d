"""Fits a linear model by batch gradient descent on the standardised training set."""
import argparse
import csv
import json
import math
import os

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--epochs", type=int, required=True)
parser.add_argument("--model", required=True)
args = parser.parse_args()

with open(os.path.join(args.data, "train.csv"), newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    data = [[float(v) for v in row] for row in reader]
xs = [row[:-1] for row in data]
ys = [row[-1] for row in data]
n, d = len(xs), len(xs[0])

w = [0.0] * d
b = 0.0
for epoch in range(args.epochs):
    gw = [0.0] * d
    gb = 0.0
    for x, y in zip(xs, ys):
        err = sum(wi * xi for wi, xi in zip(w, x)) + b - y
        for j in range(d):
            gw[j] += err * x[j]
        gb += err
    w = [wi - args.lr * g / n for wi, g in zip(w, gw)]
    b -= args.lr * gb / n

rmse = math.sqrt(sum((sum(wi * xi for wi, xi in zip(w, x)) + b - y) ** 2 for x, y in zip(xs, ys)) / n)
os.makedirs(args.model, exist_ok=True)
with open(os.path.join(args.model, "model.json"), "w") as f:
    json.dump({"features": header[:-1], "weights": w, "bias": b, "lr": args.lr, "epochs": args.epochs}, f, indent=2)

metrics = os.environ.get("SLUICE_METRICS")
if metrics:
    with open(metrics, "a") as f:
        f.write(json.dumps({"name": "train_rmse", "value": rmse}) + "\n")
print(f"lr={args.lr} epochs={args.epochs}: training RMSE {rmse:.4f} (standardised units)")
