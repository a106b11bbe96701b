# Sourced by scripts/node-tools.sh, scripts/browser.sh and scripts/graph-tools.sh: node and npm from apt, and `npm ci`
# into a tests/ folder, redone only when its package-lock.json changed (a stamp file in
# node_modules holds the lock's sha256). The caller sets DIR (the folder with package-lock.json)
# and defines die() and say().

STAMP="$DIR/node_modules/.pipec-stamp"

lock_sum() { sha256sum "$DIR/package-lock.json" | cut -d' ' -f1; }

# Whether node_modules was built from the current package-lock.json.
stamp_fresh() { [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(lock_sum)" ]]; }

# Installs Debian's node and npm when either is missing (root only).
need_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    [[ "$(id -u)" == 0 ]] || die "node and npm are missing (apt-get install nodejs npm)"
    say "installing node and npm (apt-get) ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq nodejs npm >/dev/null || die "apt-get install nodejs npm failed"
  fi
}

# `npm ci ARGS...` in $DIR under a lock, unless the stamp is fresh; WHAT names the packages.
npm_ci_stamped() {
  local what="$1"
  shift
  exec 9>"$DIR/.lock"
  command -v flock >/dev/null && flock -w 300 9
  if ! stamp_fresh; then
    say "installing $what (npm ci in ${DIR#"$ROOT"/}) ..."
    (cd "$DIR" && npm ci "$@" --no-audit --no-fund --loglevel=error >/dev/null) \
      || die "npm ci failed in ${DIR#"$ROOT"/} (is the npm registry reachable?)"
    lock_sum >"$STAMP"
  fi
}
