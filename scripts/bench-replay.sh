#!/usr/bin/env bash
# Benchmark of `pipec replay` against the local runtime on the same data, in one run.
#
#   scripts/bench-replay.sh [N]        (default N = 200000 events, ~260 bytes each)
#
# 1. Generates N seed-shaped events with pipec's own seeded generator (its archive, unzipped).
# 2. `pipec run --local examples/transactions.yaml --input FILE` (durable log, rule, SQLite,
#    gzip archive): events/s, wall time.
# 3. `pipec replay` of the archive that run wrote (gunzip, split, the same decisions):
#    records/s, wall time, peak RSS; the ratio replay/run; the flagged counts must agree.
# 4. Peak RSS of a replay over 4 copies of the object (4 x N records): flat in archive size.
# Set BENCH_DIR to keep the files (default: a temp dir, removed at the end); PIPEC_BIN = a
# pipec binary to measure instead of building one (release, without the AWS SDK).
set -euo pipefail
N=${1:-200000}
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
echo "== machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$work/gen" "$work/run" "$work/big"
"$bin" run --local "$spec" --generate --max-events "$N" --seed 42 --data-dir "$work/gen" --quiet >/dev/null 2>&1
find "$work/gen/archive" -name '*.gz' -print0 | sort -z | xargs -0 cat | gunzip > "$work/in.ndjson"

timed() { # label, command...: prints "label wall_s rss_kib"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/$label.out" 2>&1
  echo "$label $(cat "$work/time")"
}
read -r _ run_s _ < <(timed run "$bin" run --local "$spec" --input "$work/in.ndjson" --data-dir "$work/run" --quiet)
read -r _ replay_s replay_rss < <(timed replay "$bin" replay "$spec" --archive "$work/run" --format json)
run_flagged=$(sed -n 's/^ *flagged *\([0-9,]*\).*/\1/p' "$work/run.out" | tr -d ,)
replay_flagged=$(sed -n 's/.*"flagged":\([0-9]*\),"first_ms".*/\1/p' "$work/replay.out")
[ "$run_flagged" = "$replay_flagged" ] || { echo "flagged differ: run $run_flagged, replay $replay_flagged"; exit 1; }
mkdir -p "$work/big/raw"
for i in 1 2 3 4; do
  for f in $(find "$work/run/archive" -name '*.gz'); do cp "$f" "$work/big/raw/copy$i-$(basename "$f")"; done
done
read -r _ big_s big_rss < <(timed big "$bin" replay "$spec" --archive "$work/big" --format json)
awk -v n="$N" -v run="$run_s" -v rep="$replay_s" -v rss="$replay_rss" -v bs="$big_s" -v brss="$big_rss" -v f="$run_flagged" 'BEGIN {
  printf "run --local --input : %d events in %.2f s = %.0f events/s (flagged %d)\n", n, run, n / run, f
  printf "replay              : %d records in %.2f s = %.0f records/s, peak RSS %.1f MiB (flagged %d)\n", n, rep, n / rep, rss / 1024, f
  printf "ratio replay / run  : %.1fx\n", run / rep
  printf "replay of 4x        : %d records in %.2f s = %.0f records/s, peak RSS %.1f MiB\n", 4 * n, bs, 4 * n / bs, brss / 1024
}'
