#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine that has the .NET SDK:
# Debian packages (speech engines, Node, Chromium), npm packages (official clients, Silero model),
# NuGet restore. Never downloads anything from outside the package registries.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages=(pocketsphinx pocketsphinx-en-us libpocketsphinx3 libsphinxbase3 libespeak-ng1 espeak-ng-data nodejs npm openssl chromium haproxy curl)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node may come from another source than Debian's package; only install what is really absent.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -q
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# npm: official clients for the end-to-end tests and the Silero VAD model (from @ricky0123/vad-web).
if [ ! -d tests/node/node_modules ] || [ tests/node/package.json -nt tests/node/node_modules ]; then
  (cd tests/node && npm install --no-audit --no-fund --loglevel=error)
  touch tests/node/node_modules
fi

mkdir -p models
if [ ! -f models/silero_vad_v5.onnx ]; then
  src="tests/node/node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx"
  if [ -f "$src" ]; then cp "$src" models/silero_vad_v5.onnx; else echo "setup: warning: Silero model not found in @ricky0123/vad-web; energy VAD will be used" >&2; fi
fi

dotnet restore Realtime.Fast.sln --verbosity quiet
echo "setup: done"
