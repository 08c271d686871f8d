#!/usr/bin/env bash
# Measures how `sluice check` renders many diagnostics, with the real binary: wall time, CPU time
# (user + system) and peak RSS (GNU time) of
#   - 10k and 40k errors (synthetic block-style pipelines of 10k and 40k steps, each step given an
#     unknown key `bogus: 1`), human output with the default summary and with
#     `--max-diagnostics 0` (all of them), and JSON;
#   - 1,000 errors in a 10 MB file (1k steps, each followed by 100 comment lines of 100 bytes);
#   - a valid 10k-step pipeline with 10k `unused-parameter` warnings (10k unused parameters);
#   - 1,000,000 errors in JSON and human output (one step with a million unknown keys, all on
#     one 9 MB line).
# Prints a table; asserts nothing.
#
#   bench/render_budget.sh [RUNS]      (default 3 runs each; the best of each figure is reported)
set -euo pipefail
runs="${1:-3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build -q --release -p sluice --bin sluice -p sluice-compiler --example gen_pipeline
target="${CARGO_TARGET_DIR:-$root/target}/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# make KIND STEPS OUT: a synthetic project of STEPS steps, changed as KIND says.
make() {
  local kind=$1 steps=$2 out=$3
  "$target/examples/gen_pipeline" --steps "$steps" --style block --out "$work/p$steps" >/dev/null
  python3 - "$kind" "$steps" "$work/p$steps/pipeline.yml" "$out" <<'EOF'
import sys
kind, n, src, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
text = open(src).read()
step = "      type: PythonScriptStep\n"
if kind == "errors":
    text = text.replace(step, step + "      bogus: 1\n")
elif kind == "padded":
    text = text.replace(step, step + "      bogus: 1\n" + ("# " + "x" * 98 + "\n") * 100)
elif kind == "warnings":
    params = "".join(f"    unused_{i}: {{type: int, default: 1}}\n" for i in range(n))
    text = text.replace("  parameters:\n", "  parameters:\n" + params, 1)
open(out, "w").write(text)
EOF
}

# measure LABEL ARGS...: best wall (ms), CPU (ms) and peak RSS (MB) over $runs runs, and the
# output's size.
measure() {
  local name=$1; shift
  local best_ms="" best_cpu="" best_rss=""
  for _ in $(seq "$runs"); do
    local t0=$EPOCHREALTIME
    /usr/bin/time -f 'T %U %S %M' -o "$work/time" "$target/sluice" check --color never "$@" >"$work/out" 2>&1 || true
    local t1=$EPOCHREALTIME
    local ms cpu rss
    ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
    cpu=$(grep '^T ' "$work/time" | awk '{ printf "%.0f", ($2 + $3) * 1000 }')
    rss=$(grep '^T ' "$work/time" | awk '{ print $4 }')
    if [ -z "$best_ms" ] || [ "$ms" -lt "$best_ms" ]; then best_ms=$ms; fi
    if [ -z "$best_cpu" ] || [ "$cpu" -lt "$best_cpu" ]; then best_cpu=$cpu; fi
    if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
  done
  printf '%-44s %8d ms %8d ms CPU %7.1f MB %10d bytes out\n' "$name" "$best_ms" "$best_cpu" \
    "$(awk -v r="$best_rss" 'BEGIN { print r / 1024 }')" "$(wc -c <"$work/out")"
}

make errors 10000 "$work/errors-10k.yml"
make errors 40000 "$work/errors-40k.yml"
make padded 1000 "$work/padded-10mb.yml"
make warnings 10000 "$work/warnings-10k.yml"
python3 - "$work/errors-1m.yml" <<'EOF'
import sys
# One flow mapping on one 9 MB line, so that the file also fits sluice's old 16 MiB limit.
with open(sys.argv[1], "w") as f:
    f.write("pipeline:\n  name: million\n  steps:\n    s: {type: DatabricksStep, notebook_path: /n, ")
    f.write(", ".join(f"k{i}: 1" for i in range(1_000_000)))
    f.write("}\n")
EOF

echo "sluice check, best of $runs runs (wall, CPU = user + system, peak RSS, output size)"
measure "10k errors, human" "$work/errors-10k.yml"
measure "10k errors, human, --max-diagnostics 0" --max-diagnostics 0 "$work/errors-10k.yml"
measure "10k errors, json" --format json "$work/errors-10k.yml"
measure "40k errors, human" "$work/errors-40k.yml"
measure "40k errors, human, --max-diagnostics 0" --max-diagnostics 0 "$work/errors-40k.yml"
measure "40k errors, json" --format json "$work/errors-40k.yml"
measure "1k errors in a 10 MB file, human" "$work/padded-10mb.yml"
measure "1k errors in a 10 MB file, all" --max-diagnostics 0 "$work/padded-10mb.yml"
measure "10k unused-parameter warnings, human" "$work/warnings-10k.yml"
measure "10k warnings, --max-diagnostics 0" --max-diagnostics 0 "$work/warnings-10k.yml"
measure "1M errors, json" --format json "$work/errors-1m.yml"
measure "1M errors, human" "$work/errors-1m.yml"
