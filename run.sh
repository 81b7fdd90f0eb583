#!/usr/bin/env bash
# ./run.sh test   — install what the tests need (redis-server, node test peers), build with warnings as errors, run every test.
# ./run.sh demo   — the main job: the embedded ensemble on a simulated fleet, printing the comparison table.
set -euo pipefail
cd "$(dirname "$0")"

need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

prereqs() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "==> installing redis-server (Debian package)"
    need_root apt-get update -qq
    need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  if ! /usr/bin/python3 -c 'import zmq, msgpack' >/dev/null 2>&1; then
    echo "==> installing python3-zmq and python3-msgpack (Debian packages; the KV-events test publisher)"
    need_root apt-get update -qq
    need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-zmq python3-msgpack >/dev/null
  fi
  if [ -f tests/peers/package.json ] && command -v npm >/dev/null 2>&1; then
    echo "==> installing node test peers (npm ci)"
    (cd tests/peers && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

case "${1:-}" in
  test)
    prereqs
    echo "==> build (warnings as errors)"
    dotnet build InferenceMesh.sln -c Release -warnaserror -nologo -v:q
    echo "==> test"
    log=$(mktemp)
    set +e
    dotnet test InferenceMesh.sln -c Release --no-build -nologo -v:m 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    sum() { grep -oE "$1: +[0-9]+" "$log" | awk '{s += $2} END {print s + 0}'; }
    echo "tests: $(sum Passed) passed, $(sum Failed) failed, $(sum Skipped) skipped"
    rm -f "$log"
    exit "$rc"
    ;;
  demo)
    shift
    dotnet run --project tools/embedded -c Release -- "$@"
    ;;
  *)
    echo "usage: ./run.sh test | ./run.sh demo [options]" >&2
    exit 2
    ;;
esac
