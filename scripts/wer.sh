#!/usr/bin/env bash
# Word error rate of the built-in recognizer on every spoken fixture of ../shared/audio (issue #17): builds Release and
# runs bench/Realtime.Wer, which replays each fixture as a session does (paced at real time) and writes
# bench/results/wer.md. Extra arguments go to the tool (e.g. --fast, --speakers none, --ps-arg -lw 4).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f models/silero_vad_v5.onnx ] || bash scripts/setup.sh
dotnet build bench/Realtime.Wer -c Release -v q -nologo
dotnet bench/Realtime.Wer/bin/Release/net10.0/Realtime.Wer.dll "$@"
