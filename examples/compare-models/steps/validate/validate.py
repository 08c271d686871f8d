"""Checks that the raw sales file has the expected columns and only numbers in them."""
import argparse
import csv
import sys

COLUMNS = ["sqft", "rooms", "age_years", "distance_km", "price"]

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
args = parser.parse_args()

with open(args.data, newline="") as f:
    reader = csv.reader(f)
    header = next(reader, None)
    if header != COLUMNS:
        sys.exit(f"unexpected columns {header}; expected {COLUMNS}")
    rows = 0
    for line, row in enumerate(reader, start=2):
        if len(row) != len(COLUMNS):
            sys.exit(f"line {line}: {len(row)} fields, expected {len(COLUMNS)}")
        try:
            [float(v) for v in row]
        except ValueError:
            sys.exit(f"line {line}: not a number in {row}")
        rows += 1
if rows < 20:
    sys.exit(f"only {rows} rows; need at least 20")
print(f"{rows} rows, {len(COLUMNS)} columns: ok")
