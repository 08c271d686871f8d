# Shared by the bench scripts: `time_runs RUNS LABEL CMD...` runs CMD RUNS times (hyperfine when
# installed) and prints the minimum and median wall time.
time_runs() {
    local runs=$1 label=$2
    shift 2
    if command -v hyperfine > /dev/null; then
        hyperfine --warmup 3 --runs "$runs" -N "$*"
        return
    fi
    local times=() start end
    for _ in $(seq "$runs"); do
        start=$(date +%s%N)
        "$@" > /dev/null
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    local sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    local min=${sorted[0]} median=${sorted[$(( runs / 2 ))]}
    printf '%d runs of %s: min %d.%03d ms, median %d.%03d ms\n' \
        "$runs" "$label" $((min / 1000)) $((min % 1000)) $((median / 1000)) $((median % 1000))
}
