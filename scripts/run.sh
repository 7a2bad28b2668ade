#!/usr/bin/env bash
# Sets everything up, then runs the server on the embedded default profile.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
cd "$root"
exec dotnet run --project src/Realtime.Host -c Release -- --urls "${REALTIME_URLS:-http://127.0.0.1:8080}" "$@"
