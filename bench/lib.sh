# Shared by the bench scripts: `time_runs RUNS LABEL CMD...` runs CMD RUNS times (hyperfine when
# installed) and prints the minimum and median wall time. CMD's exit status is not looked at:
# call `corpus_report_is_known` first.
time_runs() {
    local runs=$1 label=$2
    shift 2
    if command -v hyperfine > /dev/null; then
        hyperfine --warmup 3 --runs "$runs" -N -i "$*"
        return
    fi
    local times=() start end
    for _ in $(seq "$runs"); do
        start=$(date +%s%N)
        "$@" > /dev/null 2>&1 || true
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    local sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    local min=${sorted[0]} median=${sorted[$(( runs / 2 ))]}
    printf '%d runs of %s: min %d.%03d ms, median %d.%03d ms\n' \
        "$runs" "$label" $((min / 1000)) $((min % 1000)) $((median / 1000)) $((median % 1000))
}

# `corpus_report_is_known CMD...` runs CMD (a `sluice check` of the corpus, given
# `--format json`) once and fails unless its only error is the corpus's own mistake that sluice
# reports on purpose: `default_datestore`, a misspelt `default_datastore` setting (an error since
# a setting within edit distance 2 of a known one is one; azure-ai-ml ignores it).
corpus_report_is_known() {
    local out status=0
    out=$("$@" --format json 2>/dev/null) || status=$?
    printf '%s' "$out" | python3 -c '
import json, sys
known = ["cli/jobs/pipelines-with-components/basics/3a_basic_pipeline/pipeline.yml:8 unknown-key"]
report = json.load(sys.stdin)
errors = ["%s:%s %s" % (d["file"], d["line"], d["code"]) for d in report["diagnostics"] if d["severity"] == "error"]
if errors != known:
    sys.exit("error: unexpected errors in the corpus: " + ", ".join(errors))
' || return 1
    [ "$status" -eq 1 ] || { echo "error: expected exit 1 (the known error), got $status" >&2; return 1; }
}
