#!/usr/bin/env bash
# The demo: install, harvest the bundled sample sources, serve search + UI on 127.0.0.1.
# Uses samples/moisson.toml unless MOISSON_CONFIG names another file.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
.venv/bin/moisson harvest
echo "Serving on http://${MOISSON_API__HOST:-127.0.0.1}:${MOISSON_API__PORT:-8080}/  (Ctrl-C to stop)"
exec .venv/bin/moisson serve
