#!/usr/bin/env bash
# Redis, three `wsmig server --redis` instances and haproxy (haproxy.cfg beside this file) on this
# machine, in the foreground. Ctrl-C, or `wsmig migrate service stop` (which signals the whole
# process group), stops them all; if one of them dies, the others are stopped too.
#
#   WSMIG_PROXY_PORT      where clients connect (default 8080)
#   WSMIG_INSTANCE_PORTS  the three instances' ports (default "3001 3002 3003")
#   WSMIG_REDIS_PORT      Redis (default 6379); WSMIG_REDIS_DIR its data folder (default: a temporary one)
#   WSMIG_BIN             how to run wsmig (default: npx wsmig)
# Arguments are passed to every `wsmig server` (e.g. --flag true). Use it as the config's
# service.command: ["bash", "node_modules/wsmig/examples/cluster/start-local.sh"], with
# service.baseUrl http://127.0.0.1:8080 and service.metricsUrls the three instances' /metrics.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proxy_port="${WSMIG_PROXY_PORT:-8080}"
redis_port="${WSMIG_REDIS_PORT:-6379}"
read -r -a ports <<<"${WSMIG_INSTANCE_PORTS:-3001 3002 3003}"
read -r -a wsmig <<<"${WSMIG_BIN:-npx wsmig}"
if [ "${#ports[@]}" -ne 3 ]; then
  echo "start-local.sh: WSMIG_INSTANCE_PORTS must name three ports (haproxy.cfg balances three instances)" >&2
  exit 2
fi
for program in redis-server haproxy; do
  command -v "$program" >/dev/null || { echo "start-local.sh: $program is not installed (e.g. apt-get install $program)" >&2; exit 2; }
done
redis_dir="${WSMIG_REDIS_DIR:-$(mktemp -d)}"

# Stop everything this script started when it ends, however it ends.
trap 'trap - EXIT INT TERM; kill 0 2>/dev/null || true' EXIT INT TERM

redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" --save '' --appendonly yes --appendfsync always --logfile '' &
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
  sleep 0.1
done

export WSMIG_REDIS_URL="redis://127.0.0.1:$redis_port"
for port in "${ports[@]}"; do
  "${wsmig[@]}" server --port "$port" --ws-endpoint "ws://127.0.0.1:$proxy_port/ws" "$@" &
done

WSMIG_PROXY_BIND="127.0.0.1:$proxy_port" \
  WSMIG_INSTANCE_1="127.0.0.1:${ports[0]}" WSMIG_INSTANCE_2="127.0.0.1:${ports[1]}" WSMIG_INSTANCE_3="127.0.0.1:${ports[2]}" \
  haproxy -db -f "$here/haproxy.cfg" &

# The first to end (a crash, or the signal) ends the cluster.
wait -n
