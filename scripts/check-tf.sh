#!/usr/bin/env bash
# Check Terraform directories the way the test suite does; exit non-zero on ANY finding.
#   1. every *.tf parses with python-hcl2 (an HCL parser independent of Terraform's)
#   2. checkov --framework terraform -d DIR, offline. Skips live in the HCL as
#      `#checkov:skip=CKV_...:reason` inside the resource block, never on this command line.
#      Zero resources scanned or a parsing error also fails.
# `terraform fmt -check` is not run here (the CLI is not from a registry); tests run it
# separately where the binary exists.
# Usage: scripts/check-tf.sh DIR...
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${PIPEC_TOOLS_DIR:-$ROOT/.tools}"
die() { echo "check-tf.sh: error: $*" >&2; exit 2; }
# shellcheck source=scripts/checkov-lib.sh
source "$ROOT/scripts/checkov-lib.sh"

[[ $# -ge 1 ]] || die "usage: scripts/check-tf.sh DIR..."
for d in "$@"; do [[ -d "$d" ]] || die "no such directory: $d"; done
"$ROOT/scripts/tools.sh" >&2 || die "validators missing and could not be installed: run scripts/tools.sh (see its error above)"

status=0

for dir in "$@"; do
  echo "== python-hcl2 $dir/*.tf"
  if "$TOOLS_DIR/py/bin/python" - "$dir" <<'PY'
import glob, os, sys
import hcl2
d = sys.argv[1]
files = sorted(glob.glob(os.path.join(d, "*.tf")))
if not files:
    print("check-tf.sh: no .tf files in %s" % d, file=sys.stderr)
    sys.exit(1)
bad = 0
for f in files:
    try:
        with open(f) as fh:
            hcl2.load(fh)
    except Exception as e:  # lark errors carry line/column in the message
        bad += 1
        print("%s: HCL parse error: %s: %s" % (f, type(e).__name__, e), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
  then
    echo "python-hcl2: clean"
  else
    echo "check-tf.sh: python-hcl2 FAILED on $dir" >&2
    status=1
  fi

  echo "== checkov --framework terraform -d $dir"
  checkov_clean check-tf.sh terraform "on $dir" -d "$dir" || status=1
done

exit $status
