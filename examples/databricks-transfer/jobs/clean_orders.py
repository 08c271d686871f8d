"""Cleans one day of orders: drops rows without a customer or under the minimum amount.

Runs on Databricks as a DatabricksStep, which passes the step's input and output as
`--orders PATH` and `--out PATH` and its `python_script_params` as they are; uses only the Python
standard library so it can also be run by hand on a CSV file.
"""
import argparse
import csv
import os

parser = argparse.ArgumentParser()
parser.add_argument("--orders", required=True, help="folder of CSV files with customer,amount,day")
parser.add_argument("--day", required=True)
parser.add_argument("--min-amount", type=float, default=0.0)
parser.add_argument("--out", required=True)
args = parser.parse_args()

kept = 0
dropped = 0
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, f"orders-{args.day}.csv"), "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["customer", "amount"])
    for name in sorted(os.listdir(args.orders)):
        if not name.endswith(".csv"):
            continue
        with open(os.path.join(args.orders, name), newline="") as f:
            for row in csv.DictReader(f):
                if row.get("day") != args.day or not row.get("customer"):
                    dropped += 1
                    continue
                amount = float(row.get("amount") or 0)
                if amount < args.min_amount:
                    dropped += 1
                    continue
                writer.writerow([row["customer"].strip(), f"{amount:.2f}"])
                kept += 1
print(f"kept {kept} orders, dropped {dropped}")
