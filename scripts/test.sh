#!/usr/bin/env bash
# Sets everything up, builds, runs every test project and prints one summary line
# ("N passed, N failed, N skipped") that CI reads.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" || exit 1
cd "$root"
dotnet build Realtime.Fast.sln -c Release --nologo -v quiet || exit 1
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
dotnet test --solution Realtime.Fast.sln -c Release --no-build --results-directory "$results" --report-xunit-trx --timeout 12m 2>&1 | tee "$results/console.log"
status=${PIPESTATUS[0]}
passed=0; failed=0; skipped=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  c=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<< "$c"); passed=$((passed + ${p:-0}))
  x=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<< "$c"); failed=$((failed + ${x:-0}))
  s=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<< "$c"); skipped=$((skipped + ${s:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
