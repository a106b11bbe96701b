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

[[ $# -ge 1 ]] || die "usage: scripts/check-tf.sh DIR..."
for d in "$@"; do [[ -d "$d" ]] || die "no such directory: $d"; done
"$ROOT/scripts/tools.sh" >&2 || die "validators missing and could not be installed: run scripts/tools.sh (see its error above)"

status=0
json="$(mktemp)"
trap 'rm -f "$json"' EXIT

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
  set +e
  BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=true LOG_LEVEL=ERROR \
    "$TOOLS_DIR/checkov/bin/checkov" --skip-download --quiet --compact --framework terraform \
    -o cli -o json --output-file-path "console,$json" -d "$dir"
  rc=$?
  set -e
  if [[ $rc -ne 0 ]]; then
    echo "check-tf.sh: checkov FAILED on $dir (exit $rc)" >&2
    status=1
  fi
  if ! "$TOOLS_DIR/py/bin/python" - "$json" <<'PY'
import json, sys
raw = open(sys.argv[1]).read().strip()
data = json.loads(raw) if raw else []
reports = data if isinstance(data, list) else [data]
bad = []
scanned = 0
for r in reports:
    s = r.get("summary", {})
    scanned += s.get("resource_count", 0)
    if s.get("parsing_errors", 0):
        bad.append("checkov could not parse %d file(s)" % s["parsing_errors"])
if not reports or scanned == 0:
    bad.append("checkov scanned no resources (unparseable HCL or empty directory?)")
for b in bad:
    print("check-tf.sh: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
  then
    status=1
  elif [[ $rc -eq 0 ]]; then
    echo "checkov: clean"
  fi
done

exit $status
