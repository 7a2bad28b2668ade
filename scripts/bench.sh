#!/usr/bin/env bash
# Runs every BenchmarkDotNet suite (short job) and writes bench/results/summary.md with the machine description.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results
mkdir -p "$out"
dotnet run -c Release --project bench/Realtime.Benchmarks -- --filter '*' --job short --warmupCount 1 --iterationCount 3 \
  --exporters github --artifacts "$out/raw"
{
  echo "# Benchmark summary"
  echo
  echo "- nproc: $(nproc)"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
  echo "- Memory: $(free -h | awk '/Mem:/ {print $2}')"
  echo "- dotnet: $(dotnet --version)"
  echo
  for f in "$out"/raw/results/*-report-github.md; do
    echo "## $(basename "$f" -report-github.md)"
    echo
    cat "$f"
    echo
  done
} > "$out/summary.md"
echo "wrote $out/summary.md"
