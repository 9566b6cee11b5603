#!/usr/bin/env bash
# The demo: install, harvest the bundled sample sources, serve search + UI on 127.0.0.1.
# Uses samples/moisson.toml unless MOISSON_CONFIG names another file. An admin token is
# made up for this run (or taken from MOISSON_API__ADMIN_TOKEN) and printed, so the admin
# endpoints can be tried at once; it is valid only while this demo runs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
.venv/bin/moisson harvest
MOISSON_API__ADMIN_TOKEN=${MOISSON_API__ADMIN_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')}
export MOISSON_API__ADMIN_TOKEN
url="http://${MOISSON_API__HOST:-127.0.0.1}:${MOISSON_API__PORT:-8080}"
echo "Serving on $url/  (Ctrl-C to stop)"
echo "Admin token for this demo: $MOISSON_API__ADMIN_TOKEN"
echo "  e.g. curl -H \"Authorization: Bearer \$TOKEN\" $url/api/admin/runs"
exec .venv/bin/moisson serve
