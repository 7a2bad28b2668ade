#!/usr/bin/env bash
# Runs N replicas of the server on loopback behind HAProxy, the arrangement the multi-replica test checks
# (tests/Realtime.EndToEnd.Tests/Cluster): clients use ws://127.0.0.1:PORT/v1/realtime, HAProxy's stats are on
# PORT+1 (/stats), replicas on PORT+2.. . Ctrl-C (or SIGTERM) drains and stops every replica, then HAProxy.
#   bash scripts/cluster.sh [--replicas N] [--port P] [-- extra server settings, e.g. --Realtime:ApiKeys:0=sk-...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
replicas=3
port=8080
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) replicas="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: scripts/cluster.sh [--replicas N] [--port P] [-- server settings]" >&2; exit 2 ;;
  esac
done
case "$replicas" in ''|*[!0-9]*|0) echo "cluster: --replicas must be a positive number" >&2; exit 2 ;; esac
case "$port" in ''|*[!0-9]*) echo "cluster: --port must be a number" >&2; exit 2 ;; esac

"$root/scripts/setup.sh" >/dev/null
cd "$root"
dotnet build src/Realtime.Host -c Release --nologo -v quiet >/dev/null
server="$root/src/Realtime.Host/bin/Release/net10.0/realtime-fast.dll"
run_dir="$(mktemp -d -t realtime-cluster-XXXXXX)"
# One signing key for all replicas, so a client secret minted on one is accepted by every one (in the environment,
# not on command lines that ps shows).
export Realtime__ClientSecrets__SigningKeys__0="${REALTIME_SIGNING_KEY:-$(openssl rand -base64 32)}"

pids=()
haproxy_pid=""
stop() {
  trap - INT TERM EXIT
  echo "cluster: stopping (replicas drain: sessions close with 1001 after their current response)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$haproxy_pid" ]; then kill -TERM "$haproxy_pid" 2>/dev/null || true; wait "$haproxy_pid" 2>/dev/null || true; fi
  rm -rf "$run_dir"
}
trap stop INT TERM EXIT

servers=""
for i in $(seq 1 "$replicas"); do
  replica_port=$((port + 1 + i))
  # Background jobs of a script ignore SIGINT: Ctrl-C reaches the trap, which drains them with SIGTERM.
  dotnet "$server" --urls "http://127.0.0.1:$replica_port" --Realtime:Limits:DrainDelaySeconds=2 \
    --Logging:LogLevel:Microsoft.AspNetCore=Warning "${extra[@]}" > "$run_dir/r$i.log" 2>&1 &
  pids+=("$!")
  servers+="    server r$i 127.0.0.1:$replica_port"$'\n'
done

for i in $(seq 1 "$replicas"); do
  replica_port=$((port + 1 + i))
  ready=""
  for _ in $(seq 1 600); do
    if curl -fs "http://127.0.0.1:$replica_port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "${pids[$((i - 1))]}" 2>/dev/null || { echo "cluster: replica r$i exited:"; cat "$run_dir/r$i.log"; exit 1; }
    sleep 0.1
  done
  [ -n "$ready" ] || { echo "cluster: replica r$i not ready after 60 s (/readyz):"; tail -20 "$run_dir/r$i.log"; exit 1; }
done

awk -v bind="127.0.0.1:$port" -v stats="127.0.0.1:$((port + 1))" -v servers="${servers%$'\n'}" '
  { gsub(/\{\{BIND\}\}/, bind); gsub(/\{\{STATS_BIND\}\}/, stats) }
  /^\{\{SERVERS\}\}$/ { print servers; next }
  { print }' deploy/haproxy/haproxy.cfg > "$run_dir/haproxy.cfg"
# Debian installs it in /usr/sbin, which a non-root PATH may lack.
haproxy_bin="$(command -v haproxy || echo /usr/sbin/haproxy)"
"$haproxy_bin" -c -q -f "$run_dir/haproxy.cfg"
"$haproxy_bin" -db -f "$run_dir/haproxy.cfg" &
haproxy_pid="$!"

echo "cluster: $replicas replicas behind HAProxy at ws://127.0.0.1:$port/v1/realtime (stats http://127.0.0.1:$((port + 1))/stats; logs in $run_dir). Ctrl-C stops."
wait "$haproxy_pid"
