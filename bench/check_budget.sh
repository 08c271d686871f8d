#!/usr/bin/env bash
# Measures `sluice check` against the budgets of DESIGN section 9 with the real binary: wall time
# and peak RSS (GNU time) of synthetic v1 pipelines of 1k, 10k and 100k steps, the 100k/10k
# ratio, and every example. Prints a table; asserts nothing.
#
#   bench/check_budget.sh [RUNS]      (default 5 runs each; the best wall time is reported)
#
# Pipelines are written by `sluice_compiler::synth` (example `gen_pipeline`) into a temp folder:
# dense style for 1k/10k/100k and block style, as people write it, for 1k/10k/100k (30 MB: the
# default 256 MiB input limit takes it). On a shared machine, pin it:
# `taskset -c 0 bench/check_budget.sh`.
set -euo pipefail
runs="${1:-5}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build -q --release -p sluice --bin sluice -p sluice-compiler --example gen_pipeline
target="${CARGO_TARGET_DIR:-$root/target}/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

declare -A best best_cpu_of
# measure KEY LABEL FILE...: best wall time (ms, by the shell's clock, so finer than GNU time's
# 10 ms), the smallest peak RSS (MB, GNU time) and the least CPU time (user + system, ms, GNU time:
# steadier than wall time on a shared machine) over $runs runs.
measure() {
  local key="$1" name="$2"; shift 2
  local best_ms="" best_rss="" best_cpu=""
  for _ in $(seq "$runs"); do
    local t0=$EPOCHREALTIME
    /usr/bin/time -f 'T %U %S %M' -o "$work/time" "$target/sluice" check "$@" >"$work/out" 2>&1 || {
      echo "sluice check failed on $name:" >&2; head -20 "$work/out" >&2; exit 1; }
    local t1=$EPOCHREALTIME
    local ms rss cpu
    ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
    rss=$(grep '^T ' "$work/time" | awk '{ print $4 }')
    cpu=$(grep '^T ' "$work/time" | awk '{ printf "%.0f", ($2 + $3) * 1000 }')
    if [ -z "$best_ms" ] || awk -v m="$ms" -v b="$best_ms" 'BEGIN { exit !(m < b) }'; then best_ms=$ms; fi
    if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
    if [ -z "$best_cpu" ] || [ "$cpu" -lt "$best_cpu" ]; then best_cpu=$cpu; fi
  done
  printf '%-32s %9.1f ms %8.1f MB %7d ms CPU\n' "$name" "$best_ms" "$(awk -v r="$best_rss" 'BEGIN { print r / 1024 }')" "$best_cpu"
  best[$key]=$best_ms
  best_cpu_of[$key]=$best_cpu
}

echo "sluice check, best of $runs runs (wall clock, peak RSS)"
for spec in dense:1000 dense:10000 dense:100000 block:1000 block:10000 block:100000; do
  style="${spec%%:*}" steps="${spec##*:}"
  "$target/examples/gen_pipeline" --steps "$steps" --style "$style" --out "$work/$style-$steps" >/dev/null
  file="$work/$style-$steps/pipeline.yml"
  measure "$style-$steps" "$style $steps steps ($(du -h "$file" | cut -f1))" "$file"
done
for ex in examples/*/; do
  measure "example" "example $(basename "$ex")" "$ex"
done
measure "examples" "all examples" examples
echo
for style in dense block; do
  awk -v s="$style" -v a="${best[$style-100000]}" -v b="${best[$style-10000]}" \
    -v ca="${best_cpu_of[$style-100000]}" -v cb="${best_cpu_of[$style-10000]}" \
    'BEGIN { if (b > 0 && cb > 0) printf "ratio %s 100k / 10k: %.1f wall, %.1f CPU (budget: at most 12)\n", s, a / b, ca / cb }'
done
