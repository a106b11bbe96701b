#!/usr/bin/env bash
# Installs what the Kinesis tests (tests/kinesis_*.rs) run under Node: kinesalite 3.3.3 (the
# reference for the conformance corpus) and the Node AWS SDK's Kinesis client, pinned in
# tests/kinesis/package-lock.json, into tests/kinesis/node_modules (`npm ci`, npm registry only).
# kinesalite's optional native LevelDB binding is left out (--omit=optional): the tests run it
# in memory. Idempotent: npm runs only when node_modules was not built from the same
# package-lock.json (stamp file).
#
# Usage: scripts/node-tools.sh           install / verify
#        scripts/node-tools.sh --check   exit 1 (with a message) if anything is missing; installs nothing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/tests/kinesis"
STAMP="$DIR/node_modules/.pipec-stamp"
MODE="${1:-install}"

die() { echo "node-tools.sh: error: $*" >&2; exit 1; }
say() { echo "node-tools.sh: $*" >&2; }

lock_sum() { sha256sum "$DIR/package-lock.json" | cut -d' ' -f1; }

if [[ "$MODE" == --check ]]; then
  command -v node >/dev/null || die "node is missing: run make tools (or scripts/node-tools.sh)"
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(lock_sum)" ]] \
    || die "tests/kinesis/node_modules is missing or stale: run make tools (or scripts/node-tools.sh)"
  exit 0
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  [[ "$(id -u)" == 0 ]] || die "node and npm are missing (apt-get install nodejs npm)"
  say "installing node and npm (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq nodejs npm >/dev/null || die "apt-get install nodejs npm failed"
fi

exec 9>"$DIR/.lock"
command -v flock >/dev/null && flock -w 300 9
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$(lock_sum)" ]]; then
  say "installing kinesalite and @aws-sdk/client-kinesis (npm ci in tests/kinesis) ..."
  (cd "$DIR" && npm ci --omit=optional --no-audit --no-fund --loglevel=error >/dev/null) \
    || die "npm ci failed in tests/kinesis (is the npm registry reachable?)"
  lock_sum >"$STAMP"
fi
