"""Splits the rentals into a training and a test set and derives two hour-of-day features.

Every `--test-every`-th row goes to the test set, so the split is the same on every run.
"""
import argparse
import csv
import json
import math
import os

parser = argparse.ArgumentParser()
parser.add_argument("--rentals", required=True, help="CSV file of hourly rentals")
parser.add_argument("--test-every", type=int, required=True)
parser.add_argument("--prepared", required=True, help="folder to write train.csv and test.csv to")
args = parser.parse_args()
if args.test_every < 2:
    parser.error("--test-every must be at least 2")

with open(args.rentals, newline="") as f:
    rows = list(csv.DictReader(f))

columns = ["hour_sin", "hour_cos", "temperature_c", "humidity", "wind_kmh", "holiday", "rentals"]


def features(row):
    angle = 2 * math.pi * float(row["hour"]) / 24
    return [
        math.sin(angle),
        math.cos(angle),
        float(row["temperature_c"]),
        float(row["humidity"]),
        float(row["wind_kmh"]),
        float(row["holiday"]),
        float(row["rentals"]),
    ]


os.makedirs(args.prepared, exist_ok=True)
parts = {"train.csv": [], "test.csv": []}
for i, row in enumerate(rows):
    parts["test.csv" if i % args.test_every == 0 else "train.csv"].append(features(row))
for name, part in parts.items():
    with open(os.path.join(args.prepared, name), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(part)
with open(os.path.join(args.prepared, "columns.json"), "w") as f:
    json.dump({"features": columns[:-1], "target": columns[-1]}, f, indent=2)
print(f"{len(parts['train.csv'])} training rows, {len(parts['test.csv'])} test rows")
