#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it: tools, fmt, clippy, tests (doc tests
# included). Every phase runs even when an earlier one failed, so one run shows every problem;
# the per-phase wall times and results are printed last, and the exit code is non-zero when
# any phase failed. Tests capture their output (handler and server logs included) and cargo
# shows it only for a failing test; each test binary's summary line stays in the log.
#
# Tests write their scratch files under a private TMPDIR (`<target dir>/test-tmp`), removed
# when the tests pass and kept (its path printed) when one fails, so nothing is left in /tmp.
#
# Usage: scripts/test.sh        Env: CARGO (default cargo), CARGO_TARGET_DIR
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CARGO="${CARGO:-cargo}"
declare -a NAMES=() SECONDS_TAKEN=() RESULTS=()
failed=0

phase() { # phase NAME COMMAND...
  local name="$1" start end rc
  shift
  echo "==> $name: $*" >&2
  start=$(date +%s)
  "$@"
  rc=$?
  end=$(date +%s)
  NAMES+=("$name")
  SECONDS_TAKEN+=("$((end - start))")
  if ((rc == 0)); then RESULTS+=("ok"); else RESULTS+=("FAILED (exit $rc)"); failed=1; fi
}

phase tools make --no-print-directory tools
phase fmt "$CARGO" fmt --check
phase clippy "$CARGO" clippy --all-targets -- -D warnings
TEST_TMP="$(realpath -m "${CARGO_TARGET_DIR:-target}")/test-tmp"
rm -rf "$TEST_TMP" && mkdir -p "$TEST_TMP"
TMPDIR="$TEST_TMP" phase tests "$CARGO" test --no-fail-fast
if [[ "${RESULTS[-1]}" == ok ]]; then
  rm -rf "$TEST_TMP"
else
  echo "make test: the failing tests' scratch files are kept in $TEST_TMP" >&2
fi

echo >&2
echo "make test: per-phase wall time" >&2
total=0
for i in "${!NAMES[@]}"; do
  printf '  %-8s %6ss  %s\n' "${NAMES[$i]}" "${SECONDS_TAKEN[$i]}" "${RESULTS[$i]}" >&2
  total=$((total + SECONDS_TAKEN[i]))
done
printf '  %-8s %6ss  %s\n' total "$total" "$( ((failed)) && echo FAILED || echo ok)" >&2
exit "$failed"
