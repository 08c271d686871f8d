#!/usr/bin/env bash
# Wall time of one `sluice compile --target azureml` of the 49 v2 corpus pipelines, in one
# process (azure-ai-ml takes about 9 s for them). Uses hyperfine when installed, else times RUNS
# runs itself and prints the minimum and median. Build first: cargo build --release.
# With ORACLE=1, also times the oracle (azure-ai-ml) on the same files, once.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bin="${SLUICE:-$PWD/target/release/sluice}"
corpus="$PWD/../shared/corpus/azureml-v2"
runs="${RUNS:-20}"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
[ -f "$corpus/pipelines.txt" ] || { echo "error: $corpus/pipelines.txt not found" >&2; exit 2; }
cd "$corpus"
mapfile -t files < pipelines.txt
corpus_report_is_known "$bin" check "${files[@]}"
# Every pipeline gets its body (the known error stops none of them; compile exits 1 for it).
bodies=$("$bin" compile --target azureml "${files[@]}" 2>/dev/null | wc -l) || true
[ "$bodies" -eq "${#files[@]}" ] || { echo "error: $bodies bodies for ${#files[@]} pipelines" >&2; exit 1; }
if [ "${ORACLE:-0}" = 1 ]; then
    python=$("$PWD/../../oracle/setup.sh")/bin/python
    start=$(date +%s%N)
    "$python" "$PWD/../../oracle/azureml_rest.py" "${files[@]}" > /dev/null
    end=$(date +%s%N)
    printf 'azure-ai-ml (oracle) on %d pipelines: %d ms\n' "${#files[@]}" $(( (end - start) / 1000000 ))
fi
time_runs "$runs" "sluice compile --target azureml on ${#files[@]} pipelines" "$bin" compile --target azureml "${files[@]}"
