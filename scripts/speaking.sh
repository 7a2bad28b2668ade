#!/usr/bin/env bash
# Issue #13's speaking goal: 50 real-time-paced speaking sessions for 30 s on instant LocalAI-protocol gRPC backends
# (MaxConcurrency raised), against the NativeAOT binary users run (published here) and the JIT build (`dotnet run`),
# alternated; each run appends speech_stopped → first audio and the gateway's own share of it to bench/results/load.md.
# Extra arguments go to every run (e.g. `--duration 20`). Takes ~3 minutes for the publish and ~1 minute per run.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Realtime.Host -c Release -v q -nologo
dotnet build bench/Realtime.Load -c Release -v q -nologo
dotnet publish src/Realtime.Host -c Release -r linux-x64 -o artifacts/aot -v q -nologo
load=bench/Realtime.Load/bin/Release/net10.0/Realtime.Load.dll
for round in 1 2; do
  for server in artifacts/aot/realtime-fast src/Realtime.Host/bin/Release/net10.0/realtime-fast.dll; do
    echo "round $round: $server"
    dotnet "$load" --target ours --backend instant --sessions 50 --duration 30 --idle none --server "$server" \
      --report bench/results/load.md "$@"
  done
done
echo "appended to bench/results/load.md"
