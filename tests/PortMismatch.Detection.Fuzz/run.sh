#!/usr/bin/env bash
# Coverage-guided fuzzing of one target with AFL++ and SharpFuzz (issue #9).
#   tests/PortMismatch.Detection.Fuzz/run.sh <target> <seconds>
# Targets: zeek-tsv zeek-json panos ipfix netflow9 pcap rules-json allowlist-json zeek-stream gzip suricata.
# Installs afl++ (apt) and the sharpfuzz tool (local manifest) when missing, builds the harness in Release into
# artifacts/fuzz/bin, instruments the library assemblies (not the harness), writes generated seeds and runs afl-fuzz
# under nice for <seconds> or 10 million executions, whichever comes first. Findings: artifacts/fuzz/<target>/out.
# Replay them with: dotnet artifacts/fuzz/bin/PortMismatch.Detection.Fuzz.dll replay <target> <dir>
# FUZZ_SKIP_BUILD=1 reuses the last build; FUZZ_RESUME=1 continues the target's last run instead of starting from seeds.
set -euo pipefail

target=${1:?usage: run.sh <target> <seconds>}
seconds=${2:?usage: run.sh <target> <seconds>}
case "$target" in
  zeek-tsv|zeek-json|panos|ipfix|netflow9|pcap|rules-json|allowlist-json|zeek-stream|gzip|suricata) ;;
  *) echo "unknown target '$target'" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v afl-fuzz >/dev/null; then
  apt-get install -y afl++ || { apt-get update && apt-get install -y afl++; }
fi
dotnet tool restore >/dev/null

bin="$root/artifacts/fuzz/bin"          # plain build: seeds and replay (instrumented code only runs under afl-fuzz)
afl="$root/artifacts/fuzz/bin-afl"      # the same build with the library assemblies instrumented in place
work="$root/artifacts/fuzz/$target"
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ] || [ ! -d "$afl" ]; then # FUZZ_SKIP_BUILD=1 reuses the last build (runs in a row)
  rm -rf "$bin" "$afl"
  dotnet build tests/PortMismatch.Detection.Fuzz -c Release -o "$bin" --nologo -v q -clp:NoSummary
  cp -r "$bin" "$afl"
  for dll in "$afl"/PortMismatch.Detection*.dll; do
    case "$(basename "$dll")" in
      PortMismatch.Detection.Fuzz.dll) ;; # the harness itself is not instrumented
      *) dotnet sharpfuzz "$dll" >/dev/null ;;
    esac
  done
fi

if [ "${FUZZ_RESUME:-0}" = 1 ] && [ -f "$work/out/default/fuzzer_stats" ]; then
  # FUZZ_RESUME=1 continues the last run of the target from its queue; the stats of the run so far are kept aside.
  cp "$work/out/default/fuzzer_stats" "$work/fuzzer_stats.$(date -u +%Y%m%dT%H%M%S)"
  export AFL_AUTORESUME=1
else
  if [ -d "$work" ]; then
    mv "$work" "$work.$(date -u +%Y%m%dT%H%M%S)" # keep the findings of earlier runs
  fi
  mkdir -p "$work"
  dotnet "$bin/PortMismatch.Detection.Fuzz.dll" seeds "$target" "$work/in"
fi

export AFL_SKIP_BIN_CHECK=1                      # dotnet is not an AFL-instrumented binary; SharpFuzz reports coverage
export AFL_SKIP_CPUFREQ=1                        # no control over the CPU governor here
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1   # core_pattern may pipe to a handler we may not change
export AFL_NO_AFFINITY=1                         # the machine is shared: let the scheduler place us
export AFL_NO_UI=1                               # plain status lines, fit for logs
export AFL_FORKSRV_INIT_TMOUT=30000              # the runtime starts slowly under load
nice -n 19 afl-fuzz -i "$work/in" -o "$work/out" -t 5000 -m none -V "$seconds" -E 10000000 \
  -- dotnet "$afl/PortMismatch.Detection.Fuzz.dll" fuzz "$target" >> "$work/afl.log" 2>&1 || {
  echo "afl-fuzz failed; the end of its log:" >&2
  tail -n 30 "$work/afl.log" >&2
  exit 1
}

stats="$work/out/default/fuzzer_stats"
value() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(find "$work/out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
hangs=$(find "$work/out/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
echo "target=$target execs=$(value execs_done) run_time=$(value run_time)s execs_per_sec=$(value execs_per_sec) paths=$(value corpus_count) crashes=$crashes hangs=$hangs"
