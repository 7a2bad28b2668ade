#!/usr/bin/env bash
# Load generator, standard set (issue #8): builds Release, then runs Realtime.Load, which starts each server itself
# on 127.0.0.1 and appends its markdown report to bench/results/load.md.
#   instant in-process gRPC backend, ours vs the baseline gateway: 100 then 500 paced speaking sessions, idle 1,000
#   and 10,000 sessions; built-in engines (pocketsphinx, echo, espeak-ng), ours only: 4 paced speaking sessions.
# Takes several minutes on 2 cores. Extra arguments go to the first (instant) run, e.g. `--duration 20`.
set -euo pipefail
cd "$(dirname "$0")/.."
# 10,000 idle sessions need ~10k descriptors in the tool and in the server; raise the soft limit as far as allowed.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
dotnet build src/Realtime.Host -c Release -v q -nologo
dotnet build bench/Realtime.Baseline -c Release -v q -nologo
dotnet build bench/Realtime.Load -c Release -v q -nologo
load=bench/Realtime.Load/bin/Release/net10.0/Realtime.Load.dll
dotnet "$load" --target ours,baseline --backend instant --sessions 100,500 --duration 35 --idle 1000,10000 \
  --report bench/results/load.md "$@"
dotnet "$load" --target ours --backend builtin --sessions 4 --duration 30 --idle none --report bench/results/load.md
echo "appended to bench/results/load.md"
