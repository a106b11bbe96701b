# Sourced by scripts/bench-run.sh and scripts/bench-replay.sh (after `set -euo pipefail`): sets
# root (the repository), work (BENCH_DIR, kept; else a temporary folder removed on exit), spec
# (the reference pipeline) and bin (PIPEC_BIN, else a release build without the AWS SDK: the
# runtime and replay do not use it, and the build is much sooner).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${BENCH_DIR:-$(mktemp -d)}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
spec=$root/examples/transactions.yaml
if [ -n "${PIPEC_BIN:-}" ]; then
  bin=$PIPEC_BIN
else
  (cd "$root" && cargo build --release --no-default-features --quiet)
  bin=${CARGO_TARGET_DIR:-$root/target}/release/pipec
fi
