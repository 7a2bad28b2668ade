#!/usr/bin/env bash
# Prints the failed tests of a run, name and message, from the TRX files in the directory given.
# It runs last so the names stay in view when only the end of a long log is kept.
set -uo pipefail
results="${1:?results directory}"
shopt -s nullglob
trx=("$results"/*.trx)
[ ${#trx[@]} -eq 0 ] && exit 0
if command -v python3 >/dev/null 2>&1; then
  python3 - "${trx[@]}" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for path in sys.argv[1:]:
    for r in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", ns):
        if r.get("outcome") != "Failed":
            continue
        message = r.findtext("t:Output/t:ErrorInfo/t:Message", "", ns).strip()
        stack = r.findtext("t:Output/t:ErrorInfo/t:StackTrace", "", ns).strip().splitlines()
        print(f"FAILED {r.get('testName')} ({r.get('duration')})")
        for line in message.splitlines()[:12]:
            print(f"    {line[:400]}")
        for line in [s for s in stack if "/tests/" in s][:4]:
            print(f"    {line.strip()[:300]}")
PY
else
  grep -ohE 'testName="[^"]*" outcome="Failed"' "${trx[@]}" | sed -E 's/testName="([^"]*)".*/FAILED \1/'
fi
