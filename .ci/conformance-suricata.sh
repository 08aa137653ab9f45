#!/usr/bin/env bash
# Conformance of the Suricata EVE reader on third-party samples in <corpus>/suricata: the real eve.json of
# StamusNetworks-suricata-analytics, and the flow and netflow events that suricata-verify's tests expect
# (OISF-suricata-verify/DERIVED-flow-netflow-checks.jsonl: the `match` of each check of a test.yaml, one file per test).
# Every flow and netflow event must be read with 0 rejected, every other event skipped as not-a-flow-event, and the
# fields the reader takes (time, addresses, ports, transport, app values, bytes, packets) must equal what Python's json
# module reads from the same line by the mapping the package README documents (a second implementation: no code shared).
# A suricata-verify check names only the fields its test asserts; the fields Suricata always writes and the check leaves
# out (timestamp, src_ip, dest_ip, proto) are filled with fixed values, and dotted names (flow.start) are nested again.
# Prints one line per file ("ok|FAIL  <events>  <file>  [what differs]") and last "N passed, N failed"; rc 1 when one failed.
# Usage: .ci/conformance-suricata.sh [corpus]   (default ../shared/corpus; the corpus is not ours, never in the repo).
set -uo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
if [ ! -d "$corpus/suricata" ]; then
  echo "conformance-suricata: no corpus at $corpus/suricata" >&2
  exit 2
fi

dump=tools/suricata-eve-dump/bin/Release/net10.0/suricata-eve-dump.dll
if [ ! -f "$dump" ]; then
  nice -n 19 dotnet build tools/suricata-eve-dump/suricata-eve-dump.csproj -c Release -v q >&2 || exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The inputs: the real eve.json as it is, and one eve.json per suricata-verify test made from its checks.
inputs=()
real="$corpus/suricata/StamusNetworks-suricata-analytics/02/eve.json"
[ -f "$real" ] && inputs+=("$real")
checks="$corpus/suricata/OISF-suricata-verify/DERIVED-flow-netflow-checks.jsonl"
if [ -f "$checks" ]; then
  python3 - "$checks" "$work" <<'PY'
import json, sys, os, re
checks, work = sys.argv[1], sys.argv[2]
fill = {"timestamp": "2020-01-01T00:00:00.000000+0000", "src_ip": "192.0.2.1", "dest_ip": "192.0.2.2", "proto": "TCP"}
by_test = {}
for line in open(checks, encoding="utf-8"):
    check = json.loads(line)
    if check.get("count") == 0:
        continue  # a check that no such event exists
    event = {}
    for key, value in check["match"].items():
        if "[" in key:
            continue  # array element checks (ether.src_macs[0]): fields the reader does not take
        node, parts = event, key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    for key, value in fill.items():
        event.setdefault(key, value)
    by_test.setdefault(check["test"], []).append(event)
for test, events in by_test.items():
    name = "verify-" + re.sub(r"[^A-Za-z0-9_.-]", "_", test.removeprefix("tests/")) + ".json"
    with open(os.path.join(work, name), "w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
PY
  for f in "$work"/verify-*.json; do inputs+=("$f"); done
fi

# Reads the dump on standard input and the eve.json itself; prints "ok|FAIL<tab><counts><tab><what differs>".
cat > "$work/check.py" <<'PY'
import json, sys, datetime
path, stderr = sys.argv[1], sys.argv[2]
lines = [json.loads(l) for l in sys.stdin if l.strip()]
records, counters = lines[:-1], lines[-1]
problems = []
if open(stderr, encoding="utf-8").read().strip():
    problems.append("rejected: " + open(stderr, encoding="utf-8").read().strip().splitlines()[0])

def utc(text):
    # Python's own ISO 8601 reading (3.11+ takes +0100 and +01:00); fractions beyond microseconds cut as documented.
    head, sep, rest = text.partition(".")
    if sep:
        digits = "".join(c for c in rest if c.isdigit())
        rest = digits[:6].ljust(6, "0") + rest[len(digits):]
        text = head + "." + rest
    return datetime.datetime.fromisoformat(text).astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

expected, flows, others = {}, 0, 0
for number, raw in enumerate(open(path, encoding="utf-8"), 1):
    if not raw.strip():
        continue
    event = json.loads(raw)
    kind = event.get("event_type")
    if kind not in ("flow", "netflow"):
        others += 1
        continue
    flows += 1
    inner = event.get(kind, {})
    apps = []
    # after a protocol change the record carries the original protocol and the one it changed to (#23: extended's
    # "upgrade of" relation judges them together), then the per-direction protocols
    for key in ("app_proto_orig", "app_proto", "app_proto_ts", "app_proto_tc"):
        value = event.get(key)
        if value and value not in ("failed", "unknown") and value not in apps:
            apps.append(value)
    if kind == "flow":
        count = lambda a, b: (inner[a] if a in inner else 0) + (inner[b] if b in inner else 0) if (a in inner or b in inner) else None
        octets, packets = count("bytes_toserver", "bytes_toclient"), count("pkts_toserver", "pkts_toclient")
    else:
        octets, packets = inner.get("bytes"), inner.get("pkts")
    proto = event.get("proto", "").lower()
    expected[number] = {
        "line": number,
        "time": utc(inner.get("start") or event["timestamp"]),
        "src_ip": event["src_ip"], "dest_ip": event["dest_ip"],
        "src_port": event.get("src_port"), "dest_port": event.get("dest_port"),
        "transport": proto if proto in ("tcp", "udp") else ("unknown" if proto in ("", "unknown") else "other"),
        "apps": apps, "bytes": octets, "packets": packets,
    }

import ipaddress
got = {r["line"]: r for r in records}
for number, want in expected.items():
    have = got.get(number)
    if have is None:
        problems.append(f"line {number}: not read")
        continue
    have = dict(have)
    for key in ("src_ip", "dest_ip"):
        have[key] = str(ipaddress.ip_address(have[key]))
        want[key] = str(ipaddress.ip_address(want[key]))
    for key in want:
        if want[key] != have.get(key):
            problems.append(f"line {number}: {key} {have.get(key)!r}, Python reads {want[key]!r}")
if counters["rejected"] != 0:
    problems.append(f"{counters['rejected']} rejected")
if counters["accepted"] != flows:
    problems.append(f"accepted {counters['accepted']}, {flows} flow/netflow events")
if counters["skipped"].get("not-a-flow-event", 0) != others:
    problems.append(f"skipped {counters['skipped']}, {others} other events")
print("ok" if not problems else "FAIL", f"{flows} flow/netflow + {others} other", "; ".join(problems[:3]), sep="\t")
PY

passed=0
failed=0
for input in "${inputs[@]}"; do
  out=$(dotnet "$dump" "$input" 2>"$work/stderr")
  verdict=$(printf '%s\n' "$out" | python3 "$work/check.py" "$input" "$work/stderr")
  name=${input#"$corpus/"}
  name=${name#"$work/"}
  IFS=$'\t' read -r status counts problems <<< "$verdict"
  printf '%-4s  %s  %s%s\n' "${status:-FAIL}" "${counts:-no dump}" "$name" "${problems:+  $problems}"
  if [ "$status" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done

# The tests' own eve.json lines (their generator, linked into the dump tool) against Suricata's EVE JSON Schema: what
# the tests feed the reader must be EVE as Suricata defines it, not as we read its docs.
schema="$corpus/suricata/OISF-suricata/etc/schema.json"
if [ -f "$schema" ]; then
  dotnet "$dump" --fixtures > "$work/fixtures.json"
  if verdict=$(dotnet "$dump" --validate "$schema" "$work/fixtures.json"); then
    printf 'ok    %s  test fixtures against %s\n' "$(printf '%s\n' "$verdict" | tail -n1)" "${schema#"$corpus/"}"
    passed=$((passed + 1))
  else
    printf 'FAIL  test fixtures against %s: %s\n' "${schema#"$corpus/"}" "$(printf '%s\n' "$verdict" | head -n3 | tr '\n' ' ')"
    failed=$((failed + 1))
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
