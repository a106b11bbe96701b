#!/usr/bin/env bash
# Installs the pinned Python validators used by pipec's tests into .tools/ (gitignored):
#   .tools/py       cfn-lint, moto[server], python-hcl2, boto3, ruff (one resolver world),
#                   awscli, cbor2 (Kinesis client tests)
#   .tools/checkov  checkov                                      (pins its own boto3 and
#                                                                 ships an `hcl2` fork that
#                                                                 shadows python-hcl2)
#   .tools/flink    apache-flink (PyFlink, its own world: pins numpy, pandas, protobuf; needs
#                                 Java 17 on PATH to run)
# Idempotent: each venv carries a stamp file holding the exact pin list it was built from;
# a second run with the same pins is a no-op (well under a second), a changed pin rebuilds
# that venv from scratch. Only PyPI (pip's default index) is needed.
#
# Usage: scripts/tools.sh            install / verify, quiet when already up to date
#        scripts/tools.sh --check    exit 1 (with a message) if anything is missing or stale;
#                                    installs nothing
#        scripts/tools.sh --force    rebuild every venv
# Env:   PIPEC_TOOLS_DIR  (default: <repo>/.tools)   PYTHON (default: python3, needs >= 3.10)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${PIPEC_TOOLS_DIR:-$ROOT/.tools}"
PYTHON="${PYTHON:-python3}"
MODE="${1:-install}"

die() { echo "tools.sh: error: $*" >&2; exit 1; }
say() { echo "tools.sh: $*" >&2; }

case "$MODE" in
  install | --install) MODE=install ;;
  --check) MODE=check ;;
  --force) MODE=force ;;
  -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument '$1' (expected --check, --force or nothing)" ;;
esac

# ---------------------------------------------------------------------------------------
# Pins. The first block of each list is what we choose; the rest is the resolved closure,
# frozen (pip freeze) so every machine gets the same bytes. To bump: edit the top pins,
# run `scripts/tools.sh --force` in a scratch PIPEC_TOOLS_DIR without the closure lines,
# `pip freeze` there and paste the result back here.
# ---------------------------------------------------------------------------------------
PY_PINS='# chosen
cfn-lint==1.58.0
moto[server]==5.2.5
python-hcl2==8.1.4
boto3==1.44.8
botocore==1.44.8
# lints and format-checks the generated Lambda Python (tests/python_style.rs); no dependencies
ruff==0.17.6
# the AWS CLI v1 release that pins botocore 1.44.8; cbor2 writes CBOR as the Java SDK does
awscli==1.46.3
cbor2==6.3.0
# resolved closure
annotated-types==0.8.0
antlr4-python3-runtime==4.13.2
attrs==26.1.0
aws-xray-sdk==2.15.0
blinker==1.9.0
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.3
click==8.5.1
colorama==0.4.6
cryptography==50.0.2
docker==7.2.0
docutils==0.19
Flask==3.1.3
flask-cors==6.0.5
graphql-core==3.3.2
idna==3.20
itsdangerous==2.2.0
Jinja2==3.1.6
jmespath==1.1.0
joserfc==1.8.0
jsonpatch==1.48
jsonpath-ng==1.16.0
jsonpointer==3.12
jsonschema==4.26.0
jsonschema-path==0.5.0
jsonschema-specifications==2025.9.1
lark==1.3.1
lazy-object-proxy==1.13.0
MarkupSafe==3.0.4
mpmath==1.3.0
networkx==3.6.1
openapi-schema-validator==0.9.0
openapi-spec-validator==0.9.0
pathable==0.6.0
py-partiql-parser==0.6.3
pyasn1==0.6.5
pycparser==3.12
pydantic==2.14.4
pydantic-settings==2.16.3
pydantic_core==2.50.5
pyparsing==3.3.3
python-dateutil==2.9.0.post0
python-dotenv==1.2.4
PyYAML==6.0.4
referencing==0.37.0
regex==2026.11.19
requests==2.34.2
responses==0.26.3
rfc3339-validator==0.1.4
rpds-py==2026.9.1
rsa==4.7.2
s3transfer==0.19.3
six==1.17.0
sympy==1.14.0
typing-inspection==0.4.5
typing_extensions==4.16.0
urllib3==2.8.0
Werkzeug==3.1.9
wrapt==2.5.2
xmltodict==1.0.4'

CHECKOV_PINS='# chosen
checkov==3.3.30
# resolved closure (checkov pins boto3/botocore itself; bc-python-hcl2 provides `hcl2`)
aiodns==3.6.1
aiohappyeyeballs==2.7.1
aiohttp==3.14.5
aiomultiprocess==0.9.1
aiosignal==1.4.0
annotated-types==0.8.0
argcomplete==3.7.2
asteval==1.0.6
attrs==26.1.0
bc-detect-secrets==1.5.52
bc-jsonpath-ng==1.6.1
bc-python-hcl2==0.4.3
beartype==0.23.1
beautifulsoup4==4.15.0
boolean.py==5.0
boto3==1.35.49
botocore==1.35.99
cached-property==2.0.1
cachetools==5.5.2
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.3
click==8.5.1
click-option-group==0.5.10
cloudsplaining==0.7.0
colorama==0.4.6
ConfigArgParse==1.9.0
contextlib2==21.6.0
cyclonedx-python-lib==7.6.2
decorator==5.3.1
defusedxml==0.7.1
docker==7.2.0
dockerfile-parse==2.0.1
dpath==2.1.3
ecdsa==0.19.2
frozenlist==1.8.0
gitdb==4.0.12
GitPython==3.2.1
idna==3.20
importlib_metadata==7.2.1
Jinja2==3.1.6
jmespath==1.1.0
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
junit-xml==1.9
lark==1.3.1
license-expression==30.4.4
Markdown==3.11.3
MarkupSafe==3.0.4
multidict==7.2.1
networkx==2.6.3
numpy==2.4.6
orjson==3.13.0
packageurl-python==0.13.4
packaging==23.2
platformdirs==4.14.8
ply==3.11
policy_sentry==0.13.2
prettytable==3.18.0
propcache==0.5.4
py-serializable==1.1.2
pycares==4.11.0
pycep-parser==0.5.1
pycparser==3.12
pydantic==2.14.4
pydantic_core==2.50.5
pyparsing==3.3.3
python-dateutil==2.9.0.post0
PyYAML==6.0.4
rdflib==7.6.0
referencing==0.37.0
regex==2026.11.19
requests==2.34.2
rpds-py==2026.9.1
rustworkx==0.18.1
s3transfer==0.10.4
schema==0.7.5
semantic-version==2.10.0
six==1.17.0
smmap==5.0.3
sortedcontainers==2.4.0
soupsieve==4.1.3
spdx-tools==0.8.5
tabulate==0.9.0
termcolor==2.3.0
tqdm==4.70.1
typing-inspection==0.4.5
typing_extensions==4.16.0
unidiff==1.0.1
uritools==6.1.5
urllib3==2.8.0
wcwidth==0.9.4
xmltodict==1.0.4
yarl==1.25.1
zipp==4.1.2'

FLINK_PINS='# chosen: PyFlink runs the generated Flink SQL on a local mini-cluster (tests/flink_engine.rs);
# it needs Java 17 (the machine image has it) and is about 830 MB installed
apache-flink==2.2.1
# resolved closure
apache-beam==2.61.0
apache-flink-libraries==2.2.1
attrs==26.1.0
avro==1.12.2
certifi==2026.10.19.post1
charset-normalizer==3.5.3
cloudpickle==2.2.1
crcmod==1.7
dill==0.3.1.1
dnspython==2.9.2
docopt==0.6.2
fastavro==1.13.1
fasteners==0.20
find_libpython==0.5.1
grpcio==1.65.5
hdfs==2.7.3
httplib2==0.22.0
idna==3.20
jsonpickle==3.4.2
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
numpy==2.1.3
objsize==0.7.1
orjson==3.13.0
packaging==26.4
pandas==2.2.3
pemja==0.5.7
proto-plus==1.28.2
protobuf==5.29.6
py4j==0.10.9.7
pyarrow==16.1.0
pyarrow-hotfix==0.7
pydot==1.4.2
PyJWT==2.15.1
pymongo==4.20.1
pyparsing==3.3.3
python-dateutil==2.9.0.post0
pytz==2026.6
PyYAML==6.0.4
redis==5.3.1
referencing==0.37.0
regex==2026.11.19
requests==2.34.2
rpds-py==2026.9.1
ruamel.yaml==0.19.1
six==1.17.0
sortedcontainers==2.4.0
typing_extensions==4.16.0
tzdata==2026.6
urllib3==2.8.0
zstandard==0.25.0'

# Smoke test run after install (and in --check): must exit 0.
PY_SMOKE='import cfnlint, moto, hcl2, boto3, ruff, awscli, cbor2; from moto.server import ThreadedMotoServer
assert hcl2.__name__ == "hcl2" and hasattr(hcl2, "loads"), "python-hcl2 not importable"'
CHECKOV_SMOKE='import checkov.main'
FLINK_SMOKE='import pyflink.table'

# ---------------------------------------------------------------------------------------
"$PYTHON" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null \
  || die "need $PYTHON >= 3.10 with the venv and ensurepip modules (Debian: apt-get install python3-venv); found: $("$PYTHON" --version 2>&1 || echo none)"
PYVER="$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"

stamp_text() { # $1 = pins
  printf 'python %s\n%s\n' "$PYVER" "$1"
}

venv_ok() { # $1 = dir, $2 = pins, $3 = smoke
  local dir="$1"
  [[ -x "$dir/bin/python" && -f "$dir/.pipec-stamp" ]] || return 1
  [[ "$(cat "$dir/.pipec-stamp")" == "$(stamp_text "$2")" ]] || return 1
  # The smoke import ($3) ran before the stamp was written; re-running it costs ~3 s, so a
  # stamped venv is trusted. Delete .tools/ (or use --force) if it was damaged by hand.
}

install_venv() { # $1 = name, $2 = pins, $3 = smoke
  local name="$1" pins="$2" smoke="$3" dir="$TOOLS_DIR/$1"
  local t0 req
  t0=$(date +%s)
  say "installing $name into $dir (fresh venv; ~30 s and ~300 MB each) ..."
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir" || die "could not create venv $dir with $PYTHON"
  req="$dir/.pipec-requirements.txt"
  printf '%s\n' "$pins" >"$req"
  if ! "$dir/bin/python" -m pip install --require-virtualenv --no-input --disable-pip-version-check \
        --quiet --progress-bar off -r "$req" >"$dir/.pipec-install.log" 2>&1; then
    tail -n 30 "$dir/.pipec-install.log" >&2
    die "pip install failed for $name (full log: $dir/.pipec-install.log). Is PyPI reachable (pip's default index)? Are the pins above still on PyPI?"
  fi
  if ! "$dir/bin/python" -m pip check >"$dir/.pipec-check.log" 2>&1; then
    cat "$dir/.pipec-check.log" >&2
    die "pip check found broken requirements in $name: fix the pins in scripts/tools.sh"
  fi
  if ! "$dir/bin/python" -c "$smoke" >"$dir/.pipec-smoke.log" 2>&1; then
    cat "$dir/.pipec-smoke.log" >&2
    die "smoke import failed in $name"
  fi
  stamp_text "$pins" >"$dir/.pipec-stamp.tmp" && mv "$dir/.pipec-stamp.tmp" "$dir/.pipec-stamp"
  say "$name ready in $(($(date +%s) - t0)) s, $(du -sh "$dir" | cut -f1)"
}

ensure() { # $1 = name, $2 = pins, $3 = smoke
  local dir="$TOOLS_DIR/$1"
  if [[ "$MODE" == check ]]; then
    venv_ok "$dir" "$2" "$3" || die "$dir is missing or out of date: run scripts/tools.sh"
    return 0
  fi
  if [[ "$MODE" == force ]] || ! venv_ok "$dir" "$2" "$3"; then
    install_venv "$1" "$2" "$3"
  fi
}

mkdir -p "$TOOLS_DIR"
# Tests may run in parallel and each may call this script: serialise on a lock file.
exec 9>"$TOOLS_DIR/.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 900 9 || die "timed out waiting for another scripts/tools.sh ($TOOLS_DIR/.lock)"
fi

ensure py "$PY_PINS" "$PY_SMOKE"
ensure checkov "$CHECKOV_PINS" "$CHECKOV_SMOKE"
ensure flink "$FLINK_PINS" "$FLINK_SMOKE"
