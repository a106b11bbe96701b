#!/usr/bin/env bash
# Benchmark of the local runtime against a straightforward Python pipeline, in one run.
#
#   scripts/bench-run.sh [N]        (default N = 1000000 events, ~260 bytes each)
#
# 1. Generates N seed-shaped events with pipec's own seeded generator (its archive, unzipped).
# 2. Runs `pipec run --local examples/transactions.yaml --input FILE` (durable log, rule,
#    SQLite, gzip-6 archive) and scripts/bench-baseline.py (json.loads + sqlite3 + gzip) on
#    the same file; prints events/s, the ratio, wall time and peak RSS (/usr/bin/time -v).
# 3. Peak RSS again at N/4, to show it is flat in N.
# 4. Latency event in → row in SQLite at 10,000 events/s (generator, 100,000 events): p50/p99.
# Set BENCH_DIR to keep the files (default: a temp dir, removed at the end).
set -euo pipefail
N=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-$(mktemp -d)}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
spec=$root/examples/transactions.yaml
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/pipec
py=${PYTHON:-python3}

field() { sed -n "s/^[[:space:]]*$1: //p" "$2" | head -1; }
seconds() { # h:mm:ss.ss or m:ss.ss -> seconds
  echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'
}

echo "== input: $N generated events"
rm -rf "$work/gen"
"$bin" run --local "$spec" --generate --max-events "$N" --seed 42 --data-dir "$work/gen" --quiet 2>/dev/null
find "$work/gen/archive" -name '*.gz' | sort | xargs cat | gzip -dc > "$work/input.ndjson"
bytes=$(wc -c < "$work/input.ndjson")
echo "   $(wc -l < "$work/input.ndjson") lines, $((bytes / N)) bytes per event"
tail -n "$((N / 4))" "$work/input.ndjson" > "$work/quarter.ndjson"

run_pipec() { # $1 input, $2 tag
  rm -rf "$work/pipec-$2"
  /usr/bin/time -v "$bin" run --local "$spec" --input "$1" --data-dir "$work/pipec-$2" --quiet \
    > /dev/null 2> "$work/pipec-$2.log"
}

echo "== pipec (release) on $N events"
sync
run_pipec "$work/input.ndjson" full
p_wall=$(seconds "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$work/pipec-full.log")")
p_rss=$(field 'Maximum resident set size (kbytes)' "$work/pipec-full.log")
p_cpu=$(awk -v u="$(field 'User time (seconds)' "$work/pipec-full.log")" \
            -v s="$(field 'System time (seconds)' "$work/pipec-full.log")" 'BEGIN { print u + s }')
grep -E '^pipec: done|flagged|archived|dead-lettered' "$work/pipec-full.log" | sed 's/^/   /'

echo "== python baseline on $N events"
rm -rf "$work/python"
sync
/usr/bin/time -v "$py" "$root/scripts/bench-baseline.py" "$work/input.ndjson" "$work/python" 2> "$work/python.log"
y_wall=$(seconds "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$work/python.log")")
y_rss=$(field 'Maximum resident set size (kbytes)' "$work/python.log")

echo "== pipec on $((N / 4)) events (RSS flat in N?)"
run_pipec "$work/quarter.ndjson" quarter
q_rss=$(field 'Maximum resident set size (kbytes)' "$work/pipec-quarter.log")

echo "== latency at 10,000 events/s (100,000 generated events)"
rm -rf "$work/latency"
"$bin" run --local "$spec" --generate 10000 --max-events 100000 --data-dir "$work/latency" --quiet \
  > /dev/null 2> "$work/latency.log"
latency=$(grep 'row stored' "$work/latency.log" | sed 's/^ *latency *//')

awk -v n="$N" -v pw="$p_wall" -v pc="$p_cpu" -v yw="$y_wall" -v pr="$p_rss" -v qr="$q_rss" -v yr="$y_rss" \
    -v lat="$latency" -v cores="$(nproc)" 'BEGIN {
  printf "\n%-28s %12s %10s %14s\n", "", "events/s", "wall s", "peak RSS MiB"
  printf "%-28s %12d %10.2f %14.1f\n", "pipec run --local", n / pw, pw, pr / 1024
  printf "%-28s %12d %10.2f %14.1f\n", "python baseline", n / yw, yw, yr / 1024
  printf "\nratio pipec / python: %.1fx   (pipec CPU %.2f s on %d cores)\n", yw / pw, pc, cores
  printf "peak RSS at N/4: %.1f MiB, at N: %.1f MiB\n", qr / 1024, pr / 1024
  printf "latency at 10k events/s: %s\n", lat
}'
