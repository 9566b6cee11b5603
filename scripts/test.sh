#!/usr/bin/env bash
# Install what the tests need, lint, and run every test. Extra arguments go to pytest.
# Under CI (CI=true) a missing fixture, server or service fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh --test
# PostgreSQL binaries for the store contract suite (the tests start their own throw-away
# cluster on 127.0.0.1, see testkit/postgres_cluster.py).
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
# PostGIS for the postgis source tests (tests/sources/), in the same throw-away cluster.
if ! compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null; then
  apt-get update -qq && apt-get install -y -qq postgresql-15-postgis-3 >/dev/null
fi
# Samba for the SMB share tests of the files source (a throw-away smbd on a loopback port).
if ! command -v smbd >/dev/null && [ ! -x /usr/sbin/smbd ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq samba >/dev/null
fi
# Azurite (the Azure Storage emulator, npm) for the Azure Blob tests of the files source.
if [ ! -x "$HOME/.cache/moisson/azurite/node_modules/.bin/azurite-blob" ] && command -v npm >/dev/null; then
  npm install --no-save --no-audit --no-fund --prefix "$HOME/.cache/moisson/azurite" azurite >/dev/null
fi
# QGIS (Debian 3.22, system python3) for the MetaSearch test of the CSW endpoint.
if ! /usr/bin/python3 -c "import qgis.core" 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qgis python3-qgis >/dev/null
fi
# Chromium for the browser tests (tests/browser/, driven by Playwright with Debian's build:
# no browser download) and xvfb-run for the tests that need a display (QGIS).
if ! command -v chromium >/dev/null || ! command -v xvfb-run >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium xvfb >/dev/null
fi
.venv/bin/ruff check .
# Strict types on the core and the plug-point Protocols ([tool.mypy] in pyproject.toml).
.venv/bin/mypy
# A real OpenSearch node for the search backend contract suite, stopped on exit. An already
# running one can be given with OPENSEARCH_TEST_URL.
if [ -z "${OPENSEARCH_TEST_URL:-}" ]; then
  trap './scripts/opensearch.sh stop' EXIT
  if ./scripts/opensearch.sh start; then
    OPENSEARCH_TEST_URL=$(./scripts/opensearch.sh url)
    export OPENSEARCH_TEST_URL
  else
    echo "OpenSearch did not start: its tests skip (and fail under CI)" >&2
  fi
fi
.venv/bin/pytest -q "$@"
