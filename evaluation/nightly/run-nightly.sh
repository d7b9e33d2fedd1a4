#!/usr/bin/env bash
# Nightly evaluation: score the labelled data into runs/nightly/YYYY-MM-DD and gate the
# result against the most recent earlier night that left a metrics.json.
#
# Exit status: 0 evaluated and no regression; 3 the regression gate failed; anything else
# an error (bad data, model, baseline). Reports are written even when the gate fails.
#
# Environment (all optional):
#   FACTCHECK_ROOT            project checkout (default: two folders above this script)
#   FACTCHECK_PYTHON          interpreter (default: $FACTCHECK_ROOT/.venv/bin/python)
#   FACTCHECK_NIGHTLY_DIR     where dated run folders go (default: $FACTCHECK_ROOT/runs/nightly)
#   FACTCHECK_NIGHTLY_DATE    run date, YYYY-MM-DD (default: today)
#   FACTCHECK_NIGHTLY_BASELINE  a metrics.json to gate against instead of the previous night
#   FACTCHECK_NIGHTLY_ARGS    extra arguments for `evaluate`, e.g.
#                             "--pairs evaluation/data/news_pairs.jsonl --pairs ../shared/data/nli/snli_dev.jsonl"
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${FACTCHECK_ROOT:-$(cd "$script_dir/../.." && pwd)}"
python="${FACTCHECK_PYTHON:-$root/.venv/bin/python}"
runs="${FACTCHECK_NIGHTLY_DIR:-$root/runs/nightly}"
today="${FACTCHECK_NIGHTLY_DATE:-$(date +%F)}"
tolerance="${FACTCHECK_NIGHTLY_TOLERANCE:-0.01}"

if [[ ! "$today" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
    echo "run-nightly: FACTCHECK_NIGHTLY_DATE must be YYYY-MM-DD, got '$today'" >&2
    exit 2
fi

out="$runs/$today"
mkdir -p "$out"

# The baseline: the latest dated folder before today that holds a metrics.json.
baseline="${FACTCHECK_NIGHTLY_BASELINE:-}"
if [[ -z "$baseline" ]]; then
    while IFS= read -r dir; do
        name="$(basename "$dir")"
        if [[ "$name" < "$today" && -f "$dir/metrics.json" ]]; then
            baseline="$dir/metrics.json"
            break
        fi
    done < <(find "$runs" -mindepth 1 -maxdepth 1 -type d \
        -name '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' | sort -r)
fi

args=(--out "$out" --tolerance "$tolerance" --no-progress)
if [[ -n "$baseline" ]]; then
    args+=(--baseline "$baseline")
fi
# Word-splitting of the extra arguments is intended.
# shellcheck disable=SC2206
extra=(${FACTCHECK_NIGHTLY_ARGS:-})

cd "$root"
echo "run-nightly: $today -> $out (baseline: ${baseline:-none})"
set +e
"$python" -m evaluation "${args[@]}" "${extra[@]}" 2>&1 | tee "$out/nightly.log"
status=${PIPESTATUS[0]}
set -e
case "$status" in
    0) echo "run-nightly: ok" ;;
    3) echo "run-nightly: REGRESSION (see $out/report.md)" >&2 ;;
    *) echo "run-nightly: evaluation failed with status $status (see $out/nightly.log)" >&2 ;;
esac
exit "$status"
