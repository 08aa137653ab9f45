#!/usr/bin/env bash
# Conformance of the SIEM outputs (#19), checked by tools that are not ours: `portmismatch scan --output ocsf|ecs` on
# the bundled samples, the corpus's Zeek, PAN-OS and Suricata logs and a generated conn.log (../shared/tools), every
# OCSF document validated by python-jsonschema against OCSF 1.8.0's generated Detection Finding schema, every ECS field
# checked against ECS 9.4.0's ecs_flat.yml by a Python reading of it, and `--hec-url` against a Python HTTP server that
# answers as Splunk's HEC does: every row arrives once, with the token in the Authorization header.
# Prints "ok|FAIL <check>" lines and last "N passed, N failed"; rc 1 when one failed.
# Usage: .ci/conformance-siem.sh [corpus]   (default ../shared/corpus; the tool in $PORTMISMATCH, else the Release build)
set -uo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
tools=$(dirname "$corpus")/tools
if [ -n "${PORTMISMATCH:-}" ]; then
  read -r -a cli <<< "$PORTMISMATCH"
else
  cli=(dotnet samples/PortMismatch.Cli/bin/Release/net10.0/portmismatch.dll)
fi

if ! python3 -c 'import jsonschema, yaml' 2> /dev/null; then
  echo "FAIL python3 with jsonschema and yaml (PyYAML) is needed to check the SIEM outputs with tools that are not ours"
  echo "0 passed, 1 failed"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inputs=(samples/data)
for input in "$corpus/zeek/btest-conn" "$corpus/zeek/elastic-beats" "$corpus/panos" "$corpus/suricata/StamusNetworks-suricata-analytics/02/eve.json"; do
  [ -e "$input" ] && inputs+=("$input")
done
if [ -f "$tools/gen_conn_log.py" ]; then
  python3 "$tools/gen_conn_log.py" --rows 20000 --seed 19 --mismatch-ratio 0.2 --out-prefix "$work/gen" > /dev/null && inputs+=("$work/gen.log" "$work/gen.ndjson")
fi

# Every input twice (the search's grouping and --group all with hourly windows), in both schemas; the CSV of the same
# scan counts the rows each output must have.
: > "$work/ocsf.jsonl"; : > "$work/ecs.jsonl"; : > "$work/counts"
for input in "${inputs[@]}"; do
  for mode in "" "--group all --window 1h"; do
    # shellcheck disable=SC2086
    rows=$("${cli[@]}" scan --quiet --output csv $mode "$input" 2> /dev/null | tail -n +2 | wc -l)
    # shellcheck disable=SC2086
    "${cli[@]}" scan --quiet --output ocsf $mode "$input" 2> /dev/null > "$work/one.ocsf"
    # shellcheck disable=SC2086
    "${cli[@]}" scan --quiet --output ecs $mode "$input" 2> /dev/null > "$work/one.ecs"
    echo "$input${mode:+ ($mode)} $rows $(wc -l < "$work/one.ocsf") $(wc -l < "$work/one.ecs")" >> "$work/counts"
    cat "$work/one.ocsf" >> "$work/ocsf.jsonl"
    cat "$work/one.ecs" >> "$work/ecs.jsonl"
  done
done

python3 - "$work" "$corpus" <<'PY'
import json, sys, yaml, jsonschema
work, corpus = sys.argv[1], sys.argv[2]
passed = failed = 0
def report(ok, what):
    global passed, failed
    if ok: passed += 1
    else: failed += 1
    print(("ok   " if ok else "FAIL ") + what)

for line in open(f"{work}/counts"):
    name, rows, ocsf, ecs = line.rsplit(" ", 3)
    report(int(rows) == int(ocsf) == int(ecs.strip()), f"{name}: {rows} CSV rows, {ocsf} OCSF and {ecs.strip()} ECS documents")

# OCSF: python-jsonschema, draft 2020-12, against the schema generated from OCSF 1.8.0.
schema = json.load(open(f"{corpus}/ocsf/json-schema-generated/detection_finding.1.8.0.schema.json"))
validator = jsonschema.Draft202012Validator(schema)
docs = [json.loads(l) for l in open(f"{work}/ocsf.jsonl")]
bad = [(i, e.message) for i, d in enumerate(docs) for e in list(validator.iter_errors(d))[:1]]
report(len(docs) > 0 and not bad, f"OCSF: {len(docs)} Detection Findings valid against detection_finding.1.8.0.schema.json"
       + (f"; first invalid #{bad[0][0]}: {bad[0][1][:200]}" if bad else ""))
uids = {}
for d in docs:
    uids.setdefault(d["finding_info"]["uid"], set()).add(d["finding_info"].get("analytic", {}).get("uid"))
report(all(len(v) == 1 for v in uids.values()), f"OCSF: {len(uids)} finding uids, each of one analytic")

# ECS: every field of every document is an ECS 9.4.0 field of a matching type, or under the documented custom prefix.
flat = yaml.safe_load(open(f"{corpus}/ecs/generated/ecs/ecs_flat.yml"))
def leaves(prefix, value, out):
    if isinstance(value, dict):
        for k, v in value.items(): leaves(f"{prefix}.{k}" if prefix else k, v, out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for v in value: leaves(prefix, v, out)
    else:
        out.append((prefix, value))
types = {"keyword": str, "constant_keyword": str, "wildcard": str, "match_only_text": str, "text": str, "ip": str, "date": str,
         "long": int, "integer": int, "short": int, "byte": int, "unsigned_long": int, "float": (int, float), "scaled_float": (int, float),
         "double": (int, float), "boolean": bool}
problems = []
ecs_docs = [json.loads(l) for l in open(f"{work}/ecs.jsonl")]
for i, d in enumerate(ecs_docs):
    fields = []
    leaves("", d, fields)
    for name, value in fields:
        if name == "portmismatch" or name.startswith("portmismatch."):
            continue
        spec = flat.get(name)
        if spec is None:
            problems.append(f"#{i} {name}: not an ECS field"); continue
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and "array" not in (spec.get("normalize") or []):
            problems.append(f"#{i} {name}: an array, ECS has no normalize: array")
        want = types.get(spec["type"])
        if want is None or not all(isinstance(v, want) and not (want is int and isinstance(v, bool)) for v in values):
            problems.append(f"#{i} {name}: {value!r} is not ECS type {spec['type']}")
        allowed = [a["name"] for a in spec.get("allowed_values") or []]
        if allowed and any(v not in allowed for v in values):
            problems.append(f"#{i} {name}: {value!r} not among {allowed}")
report(len(ecs_docs) > 0 and not problems, f"ECS: {len(ecs_docs)} alert documents, every field in ecs_flat.yml with its type and allowed values"
       + (f"; {len(problems)} problems, first: {problems[0]}" if problems else ""))
report("portmismatch" not in {k.split(".")[0] for k in flat}, "ECS: the custom prefix portmismatch is no ECS field set")
with open(f"{work}/py-totals", "w") as f: f.write(f"{passed} {failed}\n")
PY
read -r py_passed py_failed < "$work/py-totals" 2> /dev/null || { py_passed=0; py_failed=1; }

# Splunk HEC: a Python server on 127.0.0.1 that answers as HEC does and records each event; the scan sends to it.
hec_passed=0 hec_failed=0
python3 - "$work" <<'PY' &
import json, sys, http.server, threading
work = sys.argv[1]
events = []
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Authorization") != "Splunk conformance-token":
            self.send_response(401); self.end_headers(); self.wfile.write(b'{"text":"Invalid authorization","code":3}'); return
        decoder, text, pos = json.JSONDecoder(), body.decode(), 0
        while pos < len(text):
            obj, pos = decoder.raw_decode(text, pos)
            events.append(obj)
            while pos < len(text) and text[pos].isspace(): pos += 1
        with open(f"{work}/hec-events.jsonl", "w") as f:
            for e in events: f.write(json.dumps(e) + "\n")
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(b'{"text":"Success","code":0}')
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
open(f"{work}/hec-port", "w").write(str(server.server_address[1]))
threading.Timer(120, server.shutdown).start()  # bounded: the server stops itself
server.serve_forever()
PY
server=$!
for _ in $(seq 1 100); do [ -s "$work/hec-port" ] && break; sleep 0.1; done
port=$(cat "$work/hec-port" 2> /dev/null || echo 0)
hec_input="$work/gen.log"; [ -f "$hec_input" ] || hec_input=samples/data
expected=$("${cli[@]}" scan --quiet --output csv "$hec_input" 2> /dev/null | tail -n +2 | wc -l)
SPLUNK_HEC_TOKEN=conformance-token "${cli[@]}" scan --quiet "$hec_input" --hec-url "http://127.0.0.1:$port" 2> "$work/hec-stderr"
rc=$?
kill "$server" 2> /dev/null; wait "$server" 2> /dev/null
got=$(wc -l < "$work/hec-events.jsonl" 2> /dev/null || echo 0)
unique=$(python3 -c 'import json,sys; print(len({json.loads(l)["event"]["finding_id"] for l in open(sys.argv[1])}))' "$work/hec-events.jsonl" 2> /dev/null || echo 0)
if [ "$rc" -eq 0 ] && [ "$got" -eq "$expected" ] && [ "$unique" -eq "$expected" ] && [ "$expected" -gt 0 ]; then
  echo "ok   Splunk HEC: $got events for $expected rows of $hec_input, each finding once, exit 0"; hec_passed=1
else
  echo "FAIL Splunk HEC: $got events ($unique findings) for $expected rows of $hec_input, exit $rc: $(tr '\n' ' ' < "$work/hec-stderr" | cut -c1-300)"; hec_failed=1
fi

passed=$((py_passed + hec_passed)) failed=$((py_failed + hec_failed))
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
