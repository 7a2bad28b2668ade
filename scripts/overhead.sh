#!/usr/bin/env bash
# Issue #13: gateway overhead side by side, one command, one run. Builds Release, then runs the same workloads against
# a stock ASP.NET Core server of the same protocol subset (bench/Realtime.Stock), this server on its default profile,
# and this server with every stage on an instant gRPC backend, all three started at once and each workload's window
# run on them in turn for three rounds (the median round counts); prints the table with ratios against stock and
# appends it to bench/results/overhead.md. Extra arguments go to the load tool (e.g. --seconds 3 --rounds 5 --idle 1000).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
for project in src/Realtime.Host bench/Realtime.Stock bench/Realtime.Load; do
  dotnet build "$project" -c Release --nologo -v quiet >/dev/null
done
# 5,000 idle sessions need 5,000 descriptors in the tool and in the servers.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec dotnet bench/Realtime.Load/bin/Release/net10.0/Realtime.Load.dll --overhead \
  --target stock,ours,ours-instant --idle 1000,5000 --seconds 5 --report bench/results/overhead.md "$@"
