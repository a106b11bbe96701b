#!/usr/bin/env bash
# Installs what the viewer's browser test (tests/http.rs) needs: Debian's chromium
# (/usr/bin/chromium; never a downloaded browser build) and playwright-core, pinned in
# tests/browser/package-lock.json, into tests/browser/node_modules (`npm ci`, npm registry only).
# Idempotent: skips apt when /usr/bin/chromium exists, and npm when node_modules was built from
# the same package-lock.json (stamp file).
#
# Usage: scripts/browser.sh           install / verify
#        scripts/browser.sh --check   exit 1 (with a message) if anything is missing; installs nothing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/tests/browser"
MODE="${1:-install}"

die() { echo "browser.sh: error: $*" >&2; exit 1; }
say() { echo "browser.sh: $*" >&2; }

# shellcheck source=scripts/npm-lib.sh
source "$ROOT/scripts/npm-lib.sh"

if [[ "$MODE" == --check ]]; then
  [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing: run make tools (or scripts/browser.sh)"
  command -v node >/dev/null || die "node is missing: run make tools (or scripts/browser.sh)"
  stamp_fresh || die "tests/browser/node_modules is missing or stale: run make tools"
  exit 0
fi

if [[ ! -x /usr/bin/chromium ]]; then
  [[ "$(id -u)" == 0 ]] || die "installing chromium needs root (apt-get install chromium)"
  say "installing Debian's chromium (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null \
    || die "apt-get install chromium failed"
fi
/usr/bin/chromium --version >/dev/null 2>&1 || die "/usr/bin/chromium does not run"

need_node
# No browser download: the test drives /usr/bin/chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm_ci_stamped "playwright-core"
