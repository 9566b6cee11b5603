#!/usr/bin/env bash
# Install what the tests need, lint, and run every test. Extra arguments go to pytest.
# Under CI (CI=true) a missing fixture, server or service fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh --test
.venv/bin/ruff check .
.venv/bin/pytest -q "$@"
