#!/usr/bin/env bash
# Wall time of the two test entry points: `make test` (SQLite) and `.ci/run` (SQLite, then
# PostgreSQL + Redis side by side). Run from the project folder; prints one line per figure.
set -euo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
t0=$(date +%s%N); make test >"$logs/make-test.log" 2>&1; t1=$(date +%s%N)
bash .ci/run >"$logs/ci.log" 2>&1; t2=$(date +%s%N)
summary() { grep -E '[0-9]+ (passed|failed)' "$1" | tr -d '=' | sed 's/^ *//; s/ *$//' | paste -sd ';'; }
printf 'make test  %5d.%01d s   %s\n' $(((t1 - t0) / 1000000000)) $(((t1 - t0) / 100000000 % 10)) "$(summary "$logs/make-test.log")"
printf '.ci/run    %5d.%01d s   %s\n' $(((t2 - t1) / 1000000000)) $(((t2 - t1) / 100000000 % 10)) "$(summary "$logs/ci.log")"
echo "logs: $logs"
