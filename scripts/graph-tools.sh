#!/usr/bin/env bash
# Installs what the diagram tests (tests/graph.rs) check `pipec graph` with — test-time
# validators only, never needed to run pipec: Debian's graphviz (`dot`, parses the DOT output)
# and mermaid + playwright-core, pinned in tests/graph/package-lock.json, into
# tests/graph/node_modules (`npm ci`, npm registry only; Mermaid's parser runs in Debian's
# chromium, which scripts/browser.sh installs). Idempotent: skips apt when `dot` exists, and npm
# when node_modules was built from the same package-lock.json (stamp file).
#
# Usage: scripts/graph-tools.sh           install / verify
#        scripts/graph-tools.sh --check   exit 1 (with a message) if anything is missing; installs nothing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/tests/graph"
MODE="${1:-install}"

die() { echo "graph-tools.sh: error: $*" >&2; exit 1; }
say() { echo "graph-tools.sh: $*" >&2; }

# shellcheck source=scripts/npm-lib.sh
source "$ROOT/scripts/npm-lib.sh"

if [[ "$MODE" == --check ]]; then
  command -v dot >/dev/null || die "graphviz's dot is missing: run make tools (or scripts/graph-tools.sh)"
  command -v node >/dev/null || die "node is missing: run make tools (or scripts/graph-tools.sh)"
  stamp_fresh || die "tests/graph/node_modules is missing or stale: run make tools (or scripts/graph-tools.sh)"
  exit 0
fi

apt_install() {
  [[ "$(id -u)" == 0 ]] || die "$1 is missing (apt-get install $2)"
  say "installing $2 (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $2 >/dev/null || die "apt-get install $2 failed"
}
command -v dot >/dev/null || apt_install "graphviz's dot" graphviz
dot -V >/dev/null 2>&1 || die "dot does not run"
need_node
# No browser download: the diagrams are rendered by /usr/bin/chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm_ci_stamped "mermaid and playwright-core"
