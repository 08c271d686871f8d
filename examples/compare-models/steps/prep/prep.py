"""Splits the sales into training and validation sets and standardises the features."""
import argparse
import csv
import json
import os
import statistics

parser = argparse.ArgumentParser()
parser.add_argument("--raw", required=True)
parser.add_argument("--valid-fraction", type=float, required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

with open(args.raw, newline="") as f:
    reader = csv.DictReader(f)
    rows = [{k: float(v) for k, v in r.items()} for r in reader]

features = ["sqft", "rooms", "age_years", "distance_km"]
# A deterministic split: every k-th row goes to validation.
k = max(2, round(1 / args.valid_fraction))
train = [r for i, r in enumerate(rows) if i % k != 0]
valid = [r for i, r in enumerate(rows) if i % k == 0]

stats = {
    c: {"mean": statistics.fmean(r[c] for r in train), "std": statistics.pstdev(r[c] for r in train) or 1.0}
    for c in features + ["price"]
}


def scaled(r):
    return [(r[c] - stats[c]["mean"]) / stats[c]["std"] for c in features + ["price"]]


os.makedirs(args.out, exist_ok=True)
for name, part in [("train.csv", train), ("valid.csv", valid)]:
    with open(os.path.join(args.out, name), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(features + ["price"])
        w.writerows(scaled(r) for r in part)
with open(os.path.join(args.out, "stats.json"), "w") as f:
    json.dump({"features": features, "stats": stats}, f, indent=2)
print(f"{len(train)} training rows, {len(valid)} validation rows")
