#!/usr/bin/env bash
# Peak memory (GNU time, max RSS) and disk use of steps with very large logs:
#   1. a step that writes SIZE bytes to stderr, with no line break, and fails (sluice shows the
#      end of its stderr);
#   2. a step that writes SIZE bytes of lines to stdout (what stays under .sluice/runs);
#   3. `sluice runs logs RUN STEP | head -1` of a SIZE-byte log (kept whole with
#      --max-log-size unlimited).
# Usage: bench/step-logs.sh [SIZE_MIB]   (default 1024; SLUICE=path/to/sluice, default
# target/release/sluice). Needs GNU time at /usr/bin/time and SIZE x 2 of free disk.
set -euo pipefail

size_mib=${1:-1024}
sluice=$(realpath "${SLUICE:-target/release/sluice}")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

bytes=$((size_mib * 1024 * 1024))
cat > pipeline.yml <<EOF
type: pipeline
settings: {default_compute: local}
inputs:
  which: fail
jobs:
  noisy:
    type: command
    environment: {image: python:3.12}
    inputs:
      which: \${{parent.inputs.which}}
    command: >-
      if [ \${{inputs.which}} = fail ];
      then head -c $bytes /dev/zero | tr '\\0' x >&2; exit 1;
      else yes 'a line of a noisy step, as long as many are' | head -c $bytes; fi
EOF

peak() { # peak LABEL CMD...: runs CMD under GNU time, prints its max RSS and wall time
    local label=$1
    shift
    /usr/bin/time -f "%M %e" -o "$dir/rss" "$@" > /dev/null 2>&1 || true
    read -r kb secs < <(tail -1 "$dir/rss")
    printf '%-58s %8s MB peak RSS %7s s\n' "$label" "$(( kb / 1024 ))" "$secs"
}

peak "run: failing step, $size_mib MiB of stderr, no line break" "$sluice" run pipeline.yml
du -sh .sluice/runs/1 | awk -v s="$size_mib" '{printf "%-58s %8s kept under .sluice/runs\n", "  (its logs)", $1}'
peak "run: $size_mib MiB of stdout lines (default log limit)" "$sluice" run pipeline.yml -p which=lines
du -sh .sluice/runs/2 | awk '{printf "%-58s %8s kept under .sluice/runs\n", "  (its logs)", $1}'
# A log kept whole, to read back (an older sluice has no --max-log-size and keeps all).
if "$sluice" run --help | grep -q max-log-size; then unlimited=(--max-log-size unlimited); else unlimited=(); fi
"$sluice" run pipeline.yml -p which=lines --regenerate-outputs "${unlimited[@]}" > /dev/null 2>&1
ls -l .sluice/runs/3/noisy/stdout | awk '{printf "%-58s %8d bytes\n", "  (log to read back)", $5}'
peak "runs logs 3 noisy | head -1 ($size_mib MiB log)" bash -c "'$sluice' runs logs 3 noisy | head -1"
peak "runs logs 3 noisy > /dev/null ($size_mib MiB log)" "$sluice" runs logs 3 noisy
