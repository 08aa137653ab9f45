#!/usr/bin/env bash
# benchmarks/nats/run.sh: the numbers of issue #20 (benchmarks/RESULTS.md, "NATS JetStream"), measured end to end with
# real processes: nats-server (one node, or a three-node cluster on loopback with R3 streams) and the built CLI.
#
#   dotnet build samples/PortMismatch.Cli -c Release
#   benchmarks/nats/run.sh [--nodes 1|3] [--records 1000000] [--workers "1 2"] [--lines-per-message 1] [--pin]
#                          [--cli samples/PortMismatch.Cli/bin/Release/net10.0/portmismatch.dll | <native portmismatch>]
#
# --cli takes the JIT build's dll (run with dotnet exec) or a native binary: what `dotnet tool install` gives on linux-x64
# is the NativeAOT build (dotnet publish samples/PortMismatch.Cli -c Release -r linux-x64 -p:PublishAot=true -o DIR).
# --pin puts the nats-server(s) on CPU 0 and scan, publish and the workers on CPU 1 (taskset): the bus on a core of its
# own, as it would be on machines of its own, so the worker's records/s and scan's are each those of one core.
#
# Needs nats-server (Debian: apt-get install nats-server), python3 and ../shared/tools/gen_conn_log.py next to the
# repository (or $PM_SHARED/tools/gen_conn_log.py) (the issue's generator; the log is written once to $PM_BENCH_DIR, default /tmp/pm-nats-bench). Every server
# and worker runs under coreutils timeout and is stopped by the script (trap), so nothing outlives it.
#
# What it prints, one line each:
#   publish     records/s of `portmismatch publish` into FLOWS (8 files, so the partitions are used about evenly)
#   scan        records/s of `portmismatch scan --window 1m` over the same files (the baseline the worker is held to: 2x)
#   worker x1   records/s through one `portmismatch worker`, from its start to the last final row (the merger writes
#               them to --out; complete when they count every mismatching record scan counted)
#   worker x2   the same with two worker processes (fresh streams and buckets, the log published again)
#   delay       publish-to-final-row delay at window close: with the workers idle and caught up, one record in a new
#               window is published, then one in the window after (which closes the first); the time until its row is
#               in --out
#   checkpoint  the cost of a checkpoint write (compare-and-set in the checkpoint bucket), as the workers measure it
#               (request to reply; they print it when they stop), and its share of the run
#   cpu         CPU seconds (user + system, from /proc/<pid>/stat, so robust to other load on the machine) per million
#               records: scan (the whole process), and for each worker run the nats-server(s) while the workers read
#               (publish excluded) and each worker process
set -euo pipefail

nodes=1
records=1000000
workers_runs="1 2"
lines_per_message=1
pin=
repo=$(cd "$(dirname "$0")/../.." && pwd)
cli="$repo/samples/PortMismatch.Cli/bin/Release/net10.0/portmismatch.dll"
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --cli) cli=$2; shift 2 ;;
    --workers) workers_runs=$2; shift 2 ;;
    --lines-per-message) lines_per_message=$2; shift 2 ;;
    --pin) pin=1; shift ;;
    *) echo "usage: $0 [--nodes 1|3] [--records N] [--workers \"1 2\"] [--lines-per-message 1] [--cli portmismatch.dll]" >&2; exit 2 ;;
  esac
done
lpm_arg=(); [ "$lines_per_message" = 1 ] || lpm_arg=(--lines-per-message "$lines_per_message")
[ -f "$cli" ] || { echo "no CLI at $cli: dotnet build samples/PortMismatch.Cli -c Release" >&2; exit 2; }
command -v nats-server >/dev/null || { echo "nats-server is not installed" >&2; exit 2; }
replicas=$([ "$nodes" = 3 ] && echo 3 || echo 1)
work=${PM_BENCH_DIR:-/tmp/pm-nats-bench}
mkdir -p "$work"
if [[ "$cli" == *.dll ]]; then run_cli=(dotnet exec "$cli"); else run_cli=("$cli"); fi
client_cpu=(); server_cpu=()
[ -n "$pin" ] && client_cpu=(taskset -c 1) && server_cpu=(taskset -c 0)
pm() { ${client_cpu[@]+"${client_cpu[@]}"} "${run_cli[@]}" "$@"; }
now() { date +%s.%N; }
# CPU seconds (user + system) a live process has used so far; the child of a `timeout` wrapper when given the wrapper
cpu() { python3 -c 'import os,sys
t=0
for p in sys.argv[1:]:
    try:
        kids=open(f"/proc/{p}/task/{p}/children").read().split()
        q=kids[0] if kids else p
        f=open(f"/proc/{q}/stat").read().rsplit(")",1)[1].split()
        t+=int(f[11])+int(f[12])
    except OSError: pass
print(t/os.sysconf("SC_CLK_TCK"))' "$@"; }
per_m() { python3 -c "import sys; print(f'{(float(sys.argv[2])-float(sys.argv[1]))*1e6/int(sys.argv[3]):.2f}')" "$@"; }
rate() { python3 -c "import sys; print(f'{int(sys.argv[1])/(float(sys.argv[3])-float(sys.argv[2])):,.0f}')" "$@"; }

# --- the log: gen_conn_log.py's NDJSON, split into 8 files named so that each goes to its own partition (publish puts
#     a file on FNV-1a of its full path mod 8)
shared=${PM_SHARED:-$repo/../shared}
data="$work/conn_$records"
if [ ! -f "$data.ndjson" ]; then
  python3 "$shared/tools/gen_conn_log.py" --rows "$records" --seed 42 --out-prefix "$data" >&2
fi
if ! ls "$work"/part-"$records"-7-*.ndjson >/dev/null 2>&1; then
  python3 - "$data.ndjson" "$work" "$records" <<'PY'
import sys
src, work, records = sys.argv[1], sys.argv[2], sys.argv[3]
def fnv(path):
    h = 2166136261
    for b in path.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h
lines = open(src).readlines()
for i in range(8):
    k = 0
    while fnv(f"{work}/part-{records}-{i}-{k}.ndjson") % 8 != i:
        k += 1
    with open(f"{work}/part-{records}-{i}-{k}.ndjson", "w") as out:
        out.writelines(lines[i * len(lines) // 8:(i + 1) * len(lines) // 8])
PY
fi
parts=("$work"/part-"$records"-?-*.ndjson)

# --- servers
pids=()
cleanup() { for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_servers() {
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true
  pids=(); urls=""; routes=""; local cports=() ports=() mports=() i
  rm -rf "$work/servers"; mkdir -p "$work/servers"
  for i in $(seq 0 $((nodes - 1))); do ports+=("$(free_port)"); cports+=("$(free_port)"); mports+=("$(free_port)"); done
  for i in $(seq 0 $((nodes - 1))); do routes+="nats-route://127.0.0.1:${cports[$i]}, "; urls+="nats://127.0.0.1:${ports[$i]},"; done
  for i in $(seq 0 $((nodes - 1))); do
    mkdir -p "$work/servers/n$i"
    {
      echo "server_name: n$i"; echo "listen: 127.0.0.1:${ports[$i]}"; echo "http: 127.0.0.1:${mports[$i]}"
      echo "jetstream { store_dir: \"$work/servers/n$i\" }"
      [ "$nodes" = 3 ] && echo "cluster { name: bench, listen: 127.0.0.1:${cports[$i]}, routes: [${routes%, }] }"
    } > "$work/servers/n$i.conf"
    timeout 3600 ${server_cpu[@]+"${server_cpu[@]}"} nats-server -c "$work/servers/n$i.conf" > "$work/servers/n$i.log" 2>&1 &
    pids+=($!)
  done
  urls=${urls%,}
  monitor_ports=("${mports[@]}")
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:${mports[0]}/jsz" | grep -q '"leader": "n\|"config"'; then break; fi
    sleep 0.1
  done
  [ "$nodes" = 3 ] && for _ in $(seq 1 300); do curl -s "http://127.0.0.1:${mports[0]}/jsz" | grep -q '"leader": "n' && break; sleep 0.1; done
  return 0
}

# --- the baseline
t0=$(now); /usr/bin/time -f '%U %S' -o "$work/scan.time" ${client_cpu[@]+"${client_cpu[@]}"} "${run_cli[@]}" scan --window 1m --output jsonl --out "$work/scan.jsonl" "${parts[@]}" 2>/dev/null; t1=$(now)
expected=$(python3 -c 'import json,sys; print(sum(json.loads(l)["count"] for l in open(sys.argv[1])))' "$work/scan.jsonl")
echo "scan        $(rate "$records" "$t0" "$t1") records/s ($expected mismatching records in $(wc -l < "$work/scan.jsonl") rows)"
echo "cpu scan    $(per_m 0 "$(awk '{print $1+$2}' "$work/scan.time")" "$records") CPU s per 1M records"

publish() {
  local t0 t1
  t0=$(now); pm publish --nats "$urls" --replicas "$replicas" ${lpm_arg[@]+"${lpm_arg[@]}"} "${parts[@]}" 2>>"$work/publish.log"; t1=$(now)
  published_messages=0
  local f n
  for f in "${parts[@]}"; do n=$(wc -l < "$f"); published_messages=$(( published_messages + (n + lines_per_message - 1) / lines_per_message )); done
  echo "publish     $(rate "$records" "$t0" "$t1") records/s ($nodes node(s), R$replicas, $lines_per_message line(s) a message)"
}

# Runs $1 workers (more options in $2...) until --out of the merger counts every expected record; prints the rate.
run_workers() {
  local count=$1; shift
  local out="$work/final-$count.jsonl" t0 t1 w
  local wpids=()
  rm -f "$work"/final-*.jsonl
  local s0; s0=$(cpu "${pids[@]}")
  t0=$(now)
  for w in $(seq 1 "$count"); do
    timeout 3600 ${client_cpu[@]+"${client_cpu[@]}"} "${run_cli[@]}" worker --nats "$urls" --replicas "$replicas" --window 1m --idle-close 2s --id "w$w" \
      --output jsonl --out "$work/final-$count-w$w.jsonl" "$@" 2>"$work/worker-$count-w$w.log" &
    wpids+=($!); pids+=($!)
  done
  local t_read=
  while :; do
    # read: every message delivered to the partitions' consumers (the servers' monitoring, the largest count any node gives)
    if [ -z "$t_read" ]; then
      local delivered=0 d port
      for port in "${monitor_ports[@]}"; do
        d=$(curl -s "http://127.0.0.1:$port/jsz?consumers=true" | python3 -c 'import json,sys
d=json.load(sys.stdin)
print(sum(c["delivered"]["consumer_seq"] for a in d.get("account_details",[]) for s in a.get("stream_detail",[]) if s["name"]=="FLOWS" for c in s.get("consumer_detail",[])))' 2>/dev/null || echo 0)
        [ "${d:-0}" -gt "$delivered" ] && delivered=$d
      done
      [ "$delivered" -ge "$published_messages" ] && t_read=$(now)
    fi
    # only whole lines: the merger may be writing the last one
    got=$(python3 -c 'import glob,json,sys; print(sum(json.loads(l)["count"] for f in glob.glob(sys.argv[1]) for l in open(f) if l.endswith("\n") and l.strip()))' "$work/final-$count-w*.jsonl")
    [ "$got" -ge "$expected" ] && break
    for w in "${wpids[@]}"; do kill -0 "$w" 2>/dev/null || { echo "a worker exited: see $work/worker-$count-*.log" >&2; exit 1; }; done
    sleep 0.2
  done
  t1=$(now)
  local s1; s1=$(cpu "${pids[@]:0:$nodes}")
  echo "cpu x$count      server(s) $(per_m "$s0" "$s1" "$records"), worker(s) $(for w in "${wpids[@]}"; do echo -n "$(per_m 0 "$(cpu "$w")" "$records") "; done)CPU s per 1M records (start to last final row)"
  [ -n "$t_read" ] && echo "read x$count     $(rate "$records" "$t0" "$t_read") records/s (start to every message delivered: the reading, without the idle close)"
  echo "worker x$count   $(rate "$records" "$t0" "$t1") records/s ($got records in final rows; includes the 2 s idle close of the last window)"
  for w in "${wpids[@]}"; do
    grep VmHWM "/proc/$(cat /proc/"$w"/task/"$w"/children | cut -d' ' -f1)/status" 2>/dev/null | sed "s/^/worker x$count   peak /" || true
  done
  last_out="$work/final-$count-w1.jsonl"
  last_count=$count
  last_workers=("${wpids[@]}")
}

stop_workers() {
  for w in "${last_workers[@]}"; do kill -TERM "$w" 2>/dev/null || true; wait "$w" 2>/dev/null || true; done
  # "...; 123 checkpoint writes, 1.23 ms each." from each worker's last line
  python3 - "$work"/worker-"$last_count"-w*.log <<'PY'
import re, sys
writes = ms = 0.0
for path in sys.argv[1:]:
    for line in open(path):
        m = re.search(r"([\d,]+) checkpoint writes, ([\d.]+) ms each", line)
        if m:
            n = float(m.group(1).replace(",", "")); writes += n; ms += n * float(m.group(2))
if writes:
    print(f"checkpoint  {ms / writes:.2f} ms per write ({writes:,.0f} writes, {ms / 1000:.2f} s in all)")
PY
}

for n in $workers_runs; do [ "$n" = 1 ] || continue
start_servers; publish; run_workers 1
# delay: two records 1 and 2 windows after the log's last record time, published while the worker is caught up
last_ts=$(tail -n 1 "$data.ndjson" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["ts"])')
python3 - "$last_ts" "$work/delay.ndjson" <<'PY'
import json, sys
ts = (int(float(sys.argv[1])) // 60 + 2) * 60
rec = {"ts": ts + 1.0, "uid": "Cdelay", "id.orig_h": "10.99.0.1", "id.orig_p": 40000, "id.resp_h": "192.0.2.99",
       "id.resp_p": 5353, "proto": "udp", "service": "dns", "duration": 0.1, "orig_bytes": 1, "resp_bytes": 1, "conn_state": "SF"}
closer = dict(rec, ts=ts + 61.0, uid="Cclose", **{"id.resp_p": 53})
open(sys.argv[2], "w").write(json.dumps(rec) + "\n" + json.dumps(closer) + "\n")
PY
t0=$(now); pm publish --nats "$urls" --partitions 8 "$work/delay.ndjson" 2>>"$work/publish.log"
while ! grep -q '"10.99.0.1"' "$work"/final-1-w*.jsonl 2>/dev/null; do sleep 0.05; done; t1=$(now)
echo "delay       $(python3 -c "import sys; print(f'{(float(sys.argv[2])-float(sys.argv[1]))*1000:.0f}')" "$t0" "$t1") ms publish to final row at window close"
stop_workers

done
for n in $workers_runs; do [ "$n" = 1 ] && continue
start_servers; publish; run_workers "$n"; stop_workers
done

