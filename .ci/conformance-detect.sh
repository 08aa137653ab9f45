#!/usr/bin/env bash
# Conformance of format detection on real third-party samples: runs `portmismatch scan` WITHOUT --format on every file
# under <corpus>/panos, <corpus>/zeek and <corpus>/ipfix and checks the format the scan's summary reports against what
# each folder's README says the file is. Files that are no flow log (READMEs, licences, expected-output JSON, the App-ID
# CSV) must be recognised as nothing. NetFlow v5 payloads are IPFIX / NetFlow: read, their records counted and skipped
# (netflow-v5: v5 has no application field), the two with a bad record count rejected.
# Prints one line per file ("ok|FAIL  <expected>  <detected>  <file>") and last "N passed, N failed"; rc 1 when one failed.
# Usage: .ci/conformance-detect.sh [corpus]   (default ../shared/corpus; the CLI built by `dotnet build -c Release`,
# or the command in $PORTMISMATCH). Run from .ci/run when the corpus exists; the corpus is not ours, never in the repo.
set -uo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
if [ ! -d "$corpus" ]; then
  echo "conformance-detect: no corpus at $corpus" >&2
  exit 2
fi

if [ -n "${PORTMISMATCH:-}" ]; then
  read -r -a cli <<< "$PORTMISMATCH"
else
  dll=samples/PortMismatch.Cli/bin/Release/net10.0/portmismatch.dll
  if [ ! -f "$dll" ]; then
    echo "conformance-detect: $dll not built (dotnet build -c Release first, or set PORTMISMATCH)" >&2
    exit 2
  fi

  cli=(dotnet "$dll")
fi

# What a file is, by its place in the corpus (see each folder's README); "none" for files that are no flow log.
expected() {
  case "$1" in
    panos/elastic-beats/*.log) echo "PAN-OS" ;;
    # A line of plugin output before the header: the Zeek reader refuses it (its README: "refuse clearly"), so must detection.
    zeek/btest-conn/plugins.packet-protocol__output_raw) echo "none" ;;
    zeek/btest-conn/*) echo "Zeek" ;;
    zeek/elastic-beats/*.log) echo "Zeek" ;;
    ipfix/logstash-codec-netflow/dat/*.dat) echo "IPFIX" ;;
    ipfix/pmacct-tests/*/*.pcap) echo "capture" ;;
    *) echo "none" ;;
  esac
}

# The format the scan read the file as, from its summary line "portmismatch: 1 input (1 PAN-OS) in ..." ("none" when
# the input was not recognised: "1 input () ...").
detected() {
  local summary
  summary=$("${cli[@]}" scan --output csv "$1" 2>&1 >/dev/null | grep -E '^portmismatch: [0-9]+ inputs? \(' | head -n1)
  case "$summary" in
    *"("*Zeek*")"*) echo "Zeek" ;;
    *"("*PAN-OS*")"*) echo "PAN-OS" ;;
    *"("*IPFIX*")"*) echo "IPFIX" ;;
    *"("*capture*")"*) echo "capture" ;;
    "") echo "no-summary" ;;
    *) echo "none" ;;
  esac
}

passed=0
failed=0
declare -A tally_ok tally_all
while IFS= read -r -d '' file; do
  relative=${file#"$corpus"/}
  want=$(expected "$relative")
  got=$(detected "$file")
  tally_all[$want]=$(( ${tally_all[$want]:-0} + 1 ))
  if [ "$want" = "$got" ]; then
    passed=$((passed + 1))
    tally_ok[$want]=$(( ${tally_ok[$want]:-0} + 1 ))
    printf 'ok    %-8s %-10s %s\n' "$want" "$got" "$relative"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-8s %-10s %s\n' "$want" "$got" "$relative"
  fi
done < <(find "$corpus/panos" "$corpus/zeek" "$corpus/ipfix" -type f -print0 | sort -z)

for format in PAN-OS Zeek IPFIX capture none; do
  if [ -n "${tally_all[$format]:-}" ]; then
    printf '%s: %d/%d detected as expected\n' "$format" "${tally_ok[$format]:-0}" "${tally_all[$format]}"
  fi
done

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
