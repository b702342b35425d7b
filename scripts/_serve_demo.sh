#!/usr/bin/env bash
# The quick start once .venv is set up (scripts/start runs this): migrate, load the San
# Francisco demo city, and serve. Its tests run it as it is, without the setup step.
set -euo pipefail
cd "$(dirname "$0")/.."

host="${HOST:-127.0.0.1}"
port="${PORT:-8080}"
# Links in emails must reach this server: build them from where it listens, unless the
# operator said where people reach it. A server listening on every interface is reached
# here at the loopback; from elsewhere, set CANVASS_PUBLIC_URL.
case "$host" in
    0.0.0.0 | "") link_host="127.0.0.1" ;;
    ::) link_host="[::1]" ;;
    *:*) link_host="[$host]" ;;
    *) link_host="$host" ;;
esac
export CANVASS_PUBLIC_URL="${CANVASS_PUBLIC_URL:-http://$link_host:$port}"
export CANVASS_TIME_ZONE="${CANVASS_TIME_ZONE:-America/Los_Angeles}"  # the demo city's zone

.venv/bin/flask --app wsgi db upgrade

# Demo data: San Francisco's address points, cameras and street basemap (idempotent).
data="${DEMO_DATA:-../shared/data}"
if [ -d "$data" ]; then
    data="$(cd "$data" && pwd)"
    if [ -f "$data/sf_basemap_protomaps_z0-14.pmtiles" ]; then
        export CANVASS_MAP_BASEMAP="${CANVASS_MAP_BASEMAP:-$data/sf_basemap_protomaps_z0-14.pmtiles}"
    fi
    .venv/bin/flask --app wsgi geocoder import "$data/sf_eas_addresses.csv"
    .venv/bin/flask --app wsgi demo load "$data"
else
    echo "No demo data at $data: starting with an empty registry."
fi

echo "Serving on http://$host:$port  (Ctrl+C to stop); emailed links point at $CANVASS_PUBLIC_URL"
# One process for the quick start: the web server also runs the scheduled jobs.
export CANVASS_RUN_SCHEDULER_IN_PROCESS="${CANVASS_RUN_SCHEDULER_IN_PROCESS:-true}"
exec .venv/bin/waitress-serve --host "$host" --port "$port" --threads 8 wsgi:app
