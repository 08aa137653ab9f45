#!/usr/bin/env python3
"""Writes the bundled sample inputs of the console host (samples/data/), deterministically:

  conn.log          Zeek conn.log (TSV writer), a day of small-office traffic
  panos-traffic.log PAN-OS TRAFFIC logs as a syslog server receives them (RFC 5424 and BSD headers)
  ipfix-export.ipfix IPFIX messages (RFC 7011) as an exporter with application names (IE 96) sends them

Each has normal traffic and a few protocol/port mismatches: DNS tunnelled on 5353 and 8053, TLS to 4444,
HTTP on 8081, SMTP on 2525. Run: python3 samples/make_sample_data.py (no arguments, no dependencies). It also writes
tests/PortMismatch.Cli.Tests/Data/expected-rows.tsv: the rows the ESCU rules give on all three files, computed here
with its own rule table, for the console host's end-to-end test."""
import os
import random
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
EXPECTED_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "PortMismatch.Cli.Tests", "Data", "expected-rows.tsv")
ESCU = {"dns": {53}, "web-browsing": {80, 8080, 8000}, "http": {80, 8080, 8000}, "ssl": {443, 8443}, "smtp": {25}}
EXPECTED = {}  # (src, dst, app, port) -> count, over all three files, by the ESCU rules as written in DETECTION.md


def expect(src, dst, apps, port):
    for app in apps:
        allowed = ESCU.get(app.lower())
        if app and allowed is not None and port not in allowed:
            EXPECTED[(src, dst, app, port)] = EXPECTED.get((src, dst, app, port), 0) + 1
START = 1_732_608_000  # 2024-11-26T08:00:00Z
rng = random.Random(20261126)

CLIENTS = [f"10.1.0.{i}" for i in range(10, 40)]
NORMAL = [  # (service, transport, port, servers)
    ("dns", "udp", 53, ["10.1.0.2", "10.1.0.3"]),
    ("ssl", "tcp", 443, ["93.184.216.34", "151.101.1.69", "140.82.112.3"]),
    ("http", "tcp", 80, ["93.184.216.34", "198.51.100.20"]),
    ("smtp", "tcp", 25, ["10.1.0.5"]),
    ("ssh", "tcp", 22, ["10.1.0.8"]),
    ("-", "tcp", 445, ["10.1.0.6"]),
]
MISMATCHES = [  # (client, server, service, transport, port, count)
    ("10.1.0.13", "203.0.113.66", "ssl", "tcp", 4444, 6),
    ("10.1.0.21", "198.51.100.77", "dns", "udp", 8053, 4),
    ("10.1.0.17", "203.0.113.9", "http", "tcp", 8081, 3),
    ("10.1.0.30", "192.0.2.25", "smtp", "tcp", 2525, 2),
]


def events(count):
    """Normal flows plus the mismatches, sorted by time."""
    out = []
    for _ in range(count):
        service, transport, port, servers = rng.choice(NORMAL)
        out.append((START + rng.uniform(0, 36000), rng.choice(CLIENTS), rng.choice(servers), rng.randint(49152, 65535), port, transport, service))
    for client, server, service, transport, port, n in MISMATCHES:
        for _ in range(n):
            out.append((START + rng.uniform(0, 36000), client, server, rng.randint(49152, 65535), port, transport, service))
    out.sort()
    return out


def zeek():
    fields = "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents".split()
    types = "time string addr port addr port enum string interval count count string bool bool count string count count count count set[string]".split()
    lines = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn",
             "#open\t2024-11-26-08-00-00", "#fields\t" + "\t".join(fields), "#types\t" + "\t".join(types)]
    evs = events(180)
    # mDNS is labelled dns by Zeek: the ESCU rule flags it (see docs/DETECTION.md)
    evs.append((START + 1800.25, "10.1.0.44", "224.0.0.251", 5353, 5353, "udp", "dns"))
    # a multi-valued service and a removed analyzer
    evs.append((START + 2000.5, "10.1.0.12", "151.101.1.69", 50000, 443, "tcp", "ssl,http"))
    evs.append((START + 2100.5, "10.1.0.12", "10.1.0.9", 50001, 21, "tcp", "ftp,-ftp-data"))
    evs.sort()
    for i, (ts, src, dst, sport, dport, proto, service) in enumerate(evs):
        uid = "C" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(17))
        ob, rb = rng.randint(40, 9000), rng.randint(40, 90000)
        expect(src, dst, [v for v in service.split(",") if not v.startswith("-")], dport)
        lines.append("\t".join([f"{ts:.6f}", uid, src, str(sport), dst, str(dport), proto, service, f"{rng.uniform(0.001, 30):.6f}",
                                str(ob), str(rb), "SF", "T", "F", "0", "ShADadFf", "12", str(ob + 500), "14", str(rb + 600), "(empty)"]))
    lines.append("#close\t2024-11-26-18-00-00")
    with open(os.path.join(HERE, "conn.log"), "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def panos_time(ts):
    import time
    return time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(ts))


PANOS_APP = {"dns": "dns-base", "ssl": "ssl", "http": "web-browsing", "smtp": "smtp-base", "ssh": "ssh", "-": "incomplete"}


def panos():
    lines = []
    for i, (ts, src, dst, sport, dport, proto, service) in enumerate(events(120)):
        app = PANOS_APP[service]
        if (src, dport) in {(m[0], m[4]) for m in MISMATCHES}:
            app = {"ssl": "ssl", "dns": "dns", "http": "web-browsing", "smtp": "smtp"}[service]
        t = panos_time(ts)
        expect(src, dst, [app], dport)
        f = [""] * 115
        f[0], f[1], f[2], f[3], f[4], f[5], f[6] = "1", t, "013201001234", "TRAFFIC", "end", "2561", t
        f[7], f[8], f[9], f[10], f[11] = src, dst, "0.0.0.0", "0.0.0.0", "allow-outbound"
        f[14], f[15], f[16], f[17], f[18], f[19], f[20] = app, "vsys1", "trust", "untrust", "ethernet1/2", "ethernet1/1", "forward-to-siem"
        f[22], f[23], f[24], f[25], f[26], f[27], f[28] = str(100000 + i), "1", str(sport), str(dport), "0", "0", "0x400019"
        f[29], f[30] = proto, "allow"
        b = rng.randint(200, 90000)
        f[31], f[32], f[33], f[34], f[35], f[36] = str(b), str(b // 3), str(b - b // 3), str(rng.randint(2, 90)), t, str(rng.randint(0, 30))
        f[37] = "any"
        f[40] = "United States" if not dst.startswith("10.") else "10.0.0.0-10.255.255.255"
        f[41] = "10.0.0.0-10.255.255.255"
        f[46] = "tcp-fin" if proto == "tcp" else "aged-out"
        f[68] = "{}"
        csv = ",".join(f)
        if i % 2:
            lines.append(f"<14>1 {t.replace('/', '-').replace(' ', 'T')}Z fw01.example.net - - - - {csv}")
        else:
            lines.append(f"<14>Nov 26 {t[11:]} fw01.example.net {csv}")
    with open(os.path.join(HERE, "panos-traffic.log"), "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def ipfix():
    # Template 256: sourceIPv4Address(8) destinationIPv4Address(12) sourceTransportPort(7) destinationTransportPort(11)
    # protocolIdentifier(4) flowStartMilliseconds(152) octetDeltaCount(1) packetDeltaCount(2) applicationName(96, varlen)
    spec = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (152, 8), (1, 8), (2, 8), (96, 0xFFFF)]
    template = struct.pack("!HH", 256, len(spec)) + b"".join(struct.pack("!HH", ie, ln) for ie, ln in spec)
    template_set = struct.pack("!HH", 2, 4 + len(template)) + template
    names = {"dns": b"dns", "ssl": b"ssl", "http": b"http", "smtp": b"smtp", "ssh": b"ssh", "-": b""}
    out = bytearray()
    seq = 0
    evs = events(150)
    for chunk_start in range(0, len(evs), 20):
        chunk = evs[chunk_start:chunk_start + 20]
        records = bytearray()
        for ts, src, dst, sport, dport, proto, service in chunk:
            name = names[service]
            expect(src, dst, [name.decode()], dport)
            records += bytes(map(int, src.split("."))) + bytes(map(int, dst.split(".")))
            records += struct.pack("!HHBQQQ", sport, dport, 6 if proto == "tcp" else 17, int(ts * 1000), rng.randint(100, 90000), rng.randint(1, 90))
            records += bytes([len(name)]) + name
        data_set = struct.pack("!HH", 256, 4 + len(records)) + records
        body = (template_set if chunk_start == 0 else b"") + data_set
        export_time = int(chunk[-1][0]) + 1
        out += struct.pack("!HHIII", 10, 16 + len(body), export_time, seq, 1) + body
        seq += len(chunk)
    with open(os.path.join(HERE, "ipfix-export.ipfix"), "wb") as f:
        f.write(out)


if __name__ == "__main__":
    zeek()
    panos()
    ipfix()
    with open(EXPECTED_PATH, "w", newline="\n") as f:
        f.write("# src_ip dest_ip app dest_port count: what the ESCU rules find in all three files (written by samples/make_sample_data.py)\n")
        for key in sorted(EXPECTED):
            f.write("\t".join(map(str, key)) + f"\t{EXPECTED[key]}\n")
