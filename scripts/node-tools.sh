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
MODE="${1:-install}"

die() { echo "node-tools.sh: error: $*" >&2; exit 1; }
say() { echo "node-tools.sh: $*" >&2; }

# shellcheck source=scripts/npm-lib.sh
source "$ROOT/scripts/npm-lib.sh"

if [[ "$MODE" == --check ]]; then
  command -v node >/dev/null || die "node is missing: run make tools (or scripts/node-tools.sh)"
  stamp_fresh \
    || die "tests/kinesis/node_modules is missing or stale: run make tools (or scripts/node-tools.sh)"
  exit 0
fi

need_node
npm_ci_stamped "kinesalite and @aws-sdk/client-kinesis" --omit=optional
