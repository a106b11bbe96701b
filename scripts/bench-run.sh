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
# 5. Kinesis-endpoint ingest: scripts/bench-kinesis.py (boto3, PutRecords of 500, KCLIENTS
#    producer processes, default 4) against `pipec run --local --http-only`, and against
#    kinesalite 3.3.3 on the same records when `npm` is there (installed into the work dir);
#    then again with the calls built and signed by boto3 before the clock starts (--prebuilt),
#    since on 2 cores the producers' own CPU (~30-35 us per record in botocore) bounds the first
#    figure before the server does. Each prints the producers' and the server's CPU per record.
# The flagged sets of pipec and the Python pipeline are compared (must be equal).
# Set BENCH_DIR to keep the files (default: a temp dir, removed at the end); KN = records for
# the Kinesis part (default 200000); BOTO_PYTHON = a python with boto3 (default .tools/py);
# PIPEC_BIN = a pipec binary to measure instead of building one.
#
# Where the time goes (perf record -F 999 -g on the release binary, 200,000 generated events
# with `--input`, 2026-12-02, machine load ~9 from other builds). Before the changes below:
# user 1.53 s + sys 0.90 s = 12.2 µs of CPU per event: zlib-rs gzip-6 ~29 %, and ~35 % in the
# kernel, mostly ext4 directory lookups and inode creation for the e-mail outbox's one file
# (plus temp file and rename) per alert, 22,175 files. Now the outbox is one mbox per topic and
# the archive is compressed by libdeflate (level 6, ~3 % smaller objects): user 1.24 s + sys
# 0.11 s = 6.75 µs per event (~148k events per CPU-second). Top entries by self time now:
#   35.4 %  libdeflate deflate_compress_lazy }  gzip level 6: ~38 % of all CPU
#    2.5 %  libdeflate deflate_flush_block   }
#    2.7 %  core::str::from_utf8             }
#    2.4 %  serde_json parse_str             }  JSON parsing (hot path, once per record): ~9 %
#    2.2 %  serde_json skip_to_escape        }
#    3.1 %  memmove, 2.6 % memcmp, ~2.6 % kernel page clearing, ~2.8 % kernel copies
#   ~3.0 %  SipHash + IndexMap (field lookups in validate / evaluate)
#   ~4.0 %  SQLite (b-tree index moves, page cache, VDBE) for the ~11 % flagged rows
# So gzip-6 is still the largest single cost: on 2 idle cores the ceiling is about
# 2 x 148k = 300k events/s of CPU; the run's threads (log, hot, cold, notify) overlap on them.
#
# By thread (perf record -F 1999 -g, perf report --sort comm, same 200,000 events, load ~11):
# the hot path (pipec-hot) was 52 % of all samples and the critical path of the run, gzip
# workers 34 %, notifier 6 %. Inside the hot path: deciding (parse 8.7 %, validate 4.4 %,
# rules 1.5 %) ~20 %, the SQLite insert ~11 %, and *rendering the alert messages* of flagged
# records ~9 % (alert::record_message, format!). Changes: the hot path now hands the flagged
# item to the notifier, which renders the alerts on its own thread; validation pairs a record
# whose keys are the schema's, in order, with the schema without hashing each name. After:
#   38.2 %  pipec-hot     (1,288 samples, was 1,635: -21 %)
#   38.1 %  pipec-gzip    (deflate_compress_lazy 34.4 %, deflate_flush_block 2.5 %)
#   15.4 %  pipec-notify  (alert rendering + mbox writes, off the critical path)
#    4.2 %  pipec (source: read + frame append), 2.4 % cold consumer, 1.1 % archive writer
# Top symbols of the hot thread now: from_utf8 2.6 %, serde_json parse_str 2.3 %, memcmp
# 2.2 %, skip_to_escape 1.8 %, mimalloc ~3.5 %, SQLite b-tree ~3 % (of all samples). The hot
# path and the gzip workers now cost about the same, so neither alone bounds the run.
#
# Fourth session (perf record -F 999 -g, 300,000 events, load ~4): by thread pipec-gzip 42.0 %,
# pipec-hot 40.2 %, pipec-notify 9.7 % (was 12.4 %: alerts serialized from borrowed parts, no
# topic copy or fstat per e-mail), cold 4.0 %, source 3.3 %; top symbols deflate_compress_lazy
# 39.2 %, deflate_flush_block 3.0 %, kernel page clearing 2.9 %, from_utf8 2.9 %, memmove
# 2.6 %, serde_json parse_str 2.5 %, memcmp 2.3 %, SQLite b-tree 1.7 %. Peak RSS was 175-219
# MiB at 1M events: a transaction held a whole second of flagged items (33k at 300k/s) for its
# commit; it now also commits at 4,096 (hot.rs MAX_PENDING): 82-103 MiB, flat from 1M to 2M.
# The Kinesis endpoint under 4 boto3 producers: 10.7 % of the server's samples were
# shape::blob's char-by-char alphabet scan before a decode that checks the same, the blob was
# decoded twice, and paths, maps and padded sequence numbers were formatted per entry; now
# 9-13 us of server CPU per record, pipeline included (was 15.5).
set -euo pipefail
N=${1:-1000000}
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
py=${PYTHON:-python3}
boto=${BOTO_PYTHON:-$root/.tools/py/bin/python}
KN=${KN:-200000}
KCLIENTS=${KCLIENTS:-4}
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

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
y_cpu=$(awk -v u="$(field 'User time (seconds)' "$work/python.log")" \
            -v s="$(field 'System time (seconds)' "$work/python.log")" 'BEGIN { print u + s }')

echo "== pipec on $((N / 4)) events (RSS flat in N?)"
run_pipec "$work/quarter.ndjson" quarter
q_rss=$(field 'Maximum resident set size (kbytes)' "$work/pipec-quarter.log")

echo "== latency at 10,000 events/s (100,000 generated events)"
rm -rf "$work/latency"
"$bin" run --local "$spec" --generate 10000 --max-events 100000 --data-dir "$work/latency" --quiet \
  > /dev/null 2> "$work/latency.log"
latency=$(grep 'row stored' "$work/latency.log" | sed 's/^ *latency *//')

echo "== flagged sets"
flagged=$("$py" - "$work/pipec-full/store.sqlite" "$work/python/store.sqlite" <<'EOF'
import sqlite3, sys
a = set(sqlite3.connect(sys.argv[1]).execute('SELECT "transactionId", "createdAt" FROM "transactions-flagged"'))
b = set(sqlite3.connect(sys.argv[2]).execute('SELECT "transactionId", "createdAt" FROM flagged'))
print(f"pipec {len(a)}, python {len(b)}: {'equal' if a == b else 'DIFFERENT'}")
EOF
)
echo "   $flagged"

server_cpu() { # CPU time of a running process (user + system, from /proc) per Kinesis record
  awk -v n="$KN" -v hz="$(getconf CLK_TCK)" '{ printf "%.1f us/record", ($14 + $15) / hz / n * 1e6 }' "/proc/$1/stat"
}
kinesis_pipec() { # $1: "" (boto3 producers) or --prebuilt; a fresh pipec endpoint each time
  rm -rf "$work/kinesis" "$work/kinesis.log" # no earlier run's address may be read below
  "$bin" run --local "$spec" --http-only --listen 127.0.0.1:0 --data-dir "$work/kinesis" --quiet \
    > /dev/null 2> "$work/kinesis.log" &
  local pid=$! url="" out
  for _ in $(seq 100); do
    url=$(sed -n 's/^ *viewer *\(http[^ ]*\)\/ .*/\1/p' "$work/kinesis.log" 2> /dev/null | head -1)
    [ -n "$url" ] && break
    sleep 0.1
  done
  # shellcheck disable=SC2086 # $1 is one flag or nothing
  out=$("$boto" "$root/scripts/bench-kinesis.py" $1 "$url" transactions "$work/kinesis.ndjson" "$KCLIENTS")
  echo "$out, server's CPU $(server_cpu "$pid")"
  kill -TERM "$pid"
  wait "$pid" || true
}
kinesis_kinesalite() { # $1 as above; a fresh kinesalite each time
  local port kpid out
  port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  node "$work/kinesalite/node_modules/kinesalite/cli.js" --port "$port" > /dev/null 2>&1 &
  kpid=$!
  "$boto" - "http://127.0.0.1:$port" <<'EOF'
import sys, time, boto3
c = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="bench", aws_secret_access_key="bench")
for _ in range(100):
    try:
        c.create_stream(StreamName="transactions", ShardCount=1)
        break
    except Exception:
        time.sleep(0.1)
c.get_waiter("stream_exists").wait(StreamName="transactions", WaiterConfig={"Delay": 1})
EOF
  # shellcheck disable=SC2086
  out=$("$boto" "$root/scripts/bench-kinesis.py" $1 "http://127.0.0.1:$port" transactions "$work/kinesis.ndjson" \
    "$KCLIENTS")
  echo "$out, server's CPU $(server_cpu "$kpid")"
  kill -TERM "$kpid"
  wait "$kpid" || true
}
k_pipec="(not run: $boto has no boto3)"
k_pipec_pre=$k_pipec
k_kinesalite="(not run: npm not found)"
k_kinesalite_pre=$k_kinesalite
head -n "$KN" "$work/input.ndjson" > "$work/kinesis.ndjson"
if "$boto" -c 'import boto3' 2>/dev/null; then
  echo "== Kinesis endpoint: $KN records, PutRecords of 500 from $KCLIENTS processes (boto3, then prebuilt)"
  k_pipec=$(kinesis_pipec "")
  echo "   pipec, boto3:         $k_pipec"
  k_pipec_pre=$(kinesis_pipec --prebuilt)
  echo "   pipec, prebuilt:      $k_pipec_pre"
  if command -v npm > /dev/null; then
    mkdir -p "$work/kinesalite"
    (cd "$work/kinesalite" && npm i --silent --no-audit --no-fund kinesalite@3.3.3 > /dev/null 2>&1)
    k_kinesalite=$(kinesis_kinesalite "")
    echo "   kinesalite, boto3:    $k_kinesalite"
    k_kinesalite_pre=$(kinesis_kinesalite --prebuilt)
    echo "   kinesalite, prebuilt: $k_kinesalite_pre"
  fi
fi

awk -v n="$N" -v pw="$p_wall" -v pc="$p_cpu" -v yc="$y_cpu" -v yw="$y_wall" -v pr="$p_rss" -v qr="$q_rss" -v yr="$y_rss" \
    -v lat="$latency" -v cores="$(nproc)" 'BEGIN {
  printf "\n%-28s %12s %10s %14s\n", "", "events/s", "wall s", "peak RSS MiB"
  printf "%-28s %12d %10.2f %14.1f\n", "pipec run --local", n / pw, pw, pr / 1024
  printf "%-28s %12d %10.2f %14.1f\n", "python baseline", n / yw, yw, yr / 1024
  printf "\nratio pipec / python: %.1fx wall   (CPU: pipec %.2f s on %d cores, python %.2f s: %.1fx less CPU per event)\n", yw / pw, pc, cores, yc, yc / pc
  printf "events per CPU-second: pipec %d, python %d\n", n / pc, n / yc
  printf "peak RSS at N/4: %.1f MiB, at N: %.1f MiB\n", qr / 1024, pr / 1024
  printf "latency at 10k events/s: %s\n", lat
}'
echo "flagged sets: $flagged"
echo "Kinesis ingest (PutRecords x500, $KCLIENTS processes), boto3 producers:"
echo "   pipec      $k_pipec"
echo "   kinesalite $k_kinesalite"
echo "Kinesis ingest, the same calls built and signed by boto3 beforehand, then sent with http.client:"
echo "   pipec      $k_pipec_pre"
echo "   kinesalite $k_kinesalite_pre"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
