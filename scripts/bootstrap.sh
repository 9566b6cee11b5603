#!/usr/bin/env bash
# Create or update the project's virtualenv in .venv. `--test` adds what the tests need.
# Idempotent and quiet when nothing changed; pip's cache lives in ~/.cache/pip as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

extra=""
[ "${1:-}" = "--test" ] && extra="[test]"

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Moisson needs Python >= 3.11 (found: $("$python" --version 2>&1))" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    # Debian's python3 ships venv separately.
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    "$python" -m venv .venv
  fi
  .venv/bin/pip install -q --upgrade pip
fi

# Reinstall only when pyproject.toml changed since the last install.
stamp=".venv/.installed${extra}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q -e ".${extra}"
  touch "$stamp"
fi
# The web interface's browser libraries (htmx, Leaflet, Chart.js, axe-core) into
# webui/static/vendor, from webui/frontend/package-lock.json; quiet when up to date.
./scripts/build_frontend.sh
