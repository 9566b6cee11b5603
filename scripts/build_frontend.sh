#!/usr/bin/env bash
# Build the web interface's browser libraries: `npm ci` in webui/frontend (versions pinned by
# its package-lock.json, from the npm registry) and copy the distribution files the pages load
# into webui/static/vendor/ (git-ignored). Nothing is fetched at run time: the pages are served
# under CSP `default-src 'self'`. Idempotent: does nothing when the lockfile has not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
front=webui/frontend
vendor=webui/static/vendor
stamp="$vendor/.built"
if [ -f "$stamp" ] && [ ! "$front/package-lock.json" -nt "$stamp" ] \
  && [ ! "$0" -nt "$stamp" ] && [ ! "$front/world-outline.mjs" -nt "$stamp" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  else
    echo "npm is needed to build the web interface (webui/frontend); install Node.js" >&2
    exit 2
  fi
fi
(cd "$front" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
modules="$front/node_modules"
rm -rf "$vendor"
mkdir -p "$vendor/leaflet/images"
cp "$modules/htmx.org/dist/htmx.min.js" "$vendor/htmx.min.js"
cp "$modules/leaflet/dist/leaflet.js" "$modules/leaflet/dist/leaflet.css" "$vendor/leaflet/"
cp "$modules/leaflet/dist/images/"*.png "$vendor/leaflet/images/"
cp "$modules/chart.js/dist/chart.umd.min.js" "$vendor/chart.umd.min.js"
cp "$modules/axe-core/axe.min.js" "$vendor/axe.min.js"
# The map's world outline (Natural Earth, public domain) as GeoJSON.
node "$front/world-outline.mjs" "$vendor/world-110m.geojson"
for package in htmx.org leaflet chart.js axe-core world-atlas; do
  licence=$(ls "$modules/$package"/LICENSE* | head -n 1)
  cp "$licence" "$vendor/LICENSE.$package"
done
touch "$stamp"
