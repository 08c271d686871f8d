#!/usr/bin/env bash
# Seeds the corpus of the `check` target with every example, fixture and shared corpus YAML file
# and a small generated pipeline. Run from anywhere; idempotent (files are named by content hash).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
corpus="$here/corpus/check"
mkdir -p "$corpus"
add() { cp "$1" "$corpus/seed-$(sha1sum "$1" | cut -c1-16)"; }
while IFS= read -r -d '' f; do add "$f"; done < <(
  find "$root/examples" "$root/tests/fixtures" "$root/../shared/corpus" \
    \( -name '*.yml' -o -name '*.yaml' \) -size -64k -print0 2>/dev/null || true)
# A generated pipeline with every v1 feature the generator writes (parameters, data references,
# fan-in, run_after, hash_paths, runconfig).
tmp="$(mktemp -d)"
(cd "$root" && cargo run -q --release -p sluice-compiler --example gen_pipeline -- \
  --steps 40 --style block --out "$tmp" >/dev/null)
add "$tmp/pipeline.yml"
add "$tmp/workspace.yaml"
rm -rf "$tmp"
echo "$(ls "$corpus" | wc -l) files in $corpus"
