#!/usr/bin/env bash
# Lint CloudFormation templates the way the test suite does; exit non-zero on ANY finding.
#   1. cfn-lint --include-checks I  (exit code is bit flags: 2 error, 4 warning, 8 info;
#      anything but 0 fails, informational findings included)
#   2. checkov --framework cloudformation, offline. Skips live in the template
#      (Resource.Metadata.checkov.skip), never on this command line. A template checkov
#      cannot parse (parsing error, or zero resources scanned) also fails: checkov itself
#      would report that as a clean pass.
# Usage: scripts/check-cfn.sh TEMPLATE...
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${PIPEC_TOOLS_DIR:-$ROOT/.tools}"
die() { echo "check-cfn.sh: error: $*" >&2; exit 2; }
# shellcheck source=scripts/checkov-lib.sh
source "$ROOT/scripts/checkov-lib.sh"

[[ $# -ge 1 ]] || die "usage: scripts/check-cfn.sh TEMPLATE..."
for f in "$@"; do [[ -f "$f" ]] || die "no such template: $f"; done
"$ROOT/scripts/tools.sh" >&2 || die "validators missing and could not be installed: run scripts/tools.sh (see its error above)"

status=0

echo "== cfn-lint --include-checks I $*"
set +e
"$TOOLS_DIR/py/bin/cfn-lint" --include-checks I -- "$@"
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  flags=()
  (( rc & 2 )) && flags+=(error)
  (( rc & 4 )) && flags+=(warning)
  (( rc & 8 )) && flags+=(info)
  (( rc & 1 )) && flags+=("cfn-lint failure")
  echo "check-cfn.sh: cfn-lint FAILED (exit $rc: ${flags[*]:-unknown})" >&2
  status=1
else
  echo "cfn-lint: clean"
fi

echo "== checkov --framework cloudformation -f $*"
checkov_clean check-cfn.sh cloudformation "" -f "$@" || status=1

exit $status
