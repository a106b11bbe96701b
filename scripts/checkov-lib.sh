# Sourced by scripts/check-cfn.sh and scripts/check-tf.sh: one offline checkov run, and the
# guard against "clean because nothing was parsed" (checkov itself reports a file it could not
# parse, or zero resources scanned, as a clean pass). Needs TOOLS_DIR.

# checkov_clean NAME FRAMEWORK WHERE ARGS...
#   Runs checkov --framework FRAMEWORK ARGS... (findings on stdout); prints "checkov: clean", or
#   each failure on stderr as "NAME: ..." (WHERE, e.g. "on DIR", says what was checked).
#   Returns 1 on any finding, parsing error or empty scan.
checkov_clean() {
  local name="$1" framework="$2" where="$3"
  shift 3
  local json rc failed=0
  json="$(mktemp)"
  set +e
  BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=true LOG_LEVEL=ERROR \
    "$TOOLS_DIR/checkov/bin/checkov" --skip-download --quiet --compact --framework "$framework" \
    -o cli -o json --output-file-path "console,$json" "$@"
  rc=$?
  set -e
  if [[ $rc -ne 0 ]]; then
    echo "$name: checkov FAILED${where:+ $where} (exit $rc)" >&2
    failed=1
  fi
  if ! "$TOOLS_DIR/py/bin/python" - "$json" "$name" "$framework" <<'PY'
import json, sys
path, name, framework = sys.argv[1:4]
raw = open(path).read().strip()
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
    bad.append("checkov scanned no resources (nothing it could read as %s)" % framework)
for b in bad:
    print(name + ": " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
  then
    failed=1
  elif [[ $rc -eq 0 ]]; then
    echo "checkov: clean"
  fi
  rm -f "$json"
  return $failed
}
