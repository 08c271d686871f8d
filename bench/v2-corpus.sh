#!/usr/bin/env bash
# Wall time of one `sluice check` of the 49 v2 corpus pipelines (DESIGN 9: under 100 ms).
# Uses hyperfine when installed (apt-get install hyperfine), else times RUNS runs itself and
# prints the minimum and median. Build first: cargo build --release.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bin="${SLUICE:-$PWD/target/release/sluice}"
corpus="$PWD/../shared/corpus/azureml-v2"
runs="${RUNS:-30}"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
[ -f "$corpus/pipelines.txt" ] || { echo "error: $corpus/pipelines.txt not found" >&2; exit 2; }
cd "$corpus"
mapfile -t files < pipelines.txt
corpus_report_is_known "$bin" check "${files[@]}"
time_runs "$runs" "sluice check on ${#files[@]} pipelines" "$bin" check --format json "${files[@]}"
