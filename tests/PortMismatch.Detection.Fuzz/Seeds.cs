using System.Text;
using PortMismatch.Detection.TestSupport;
using static PortMismatch.Detection.Fuzz.Wire;

namespace PortMismatch.Detection.Fuzz;

/// <summary>
/// Generates the seed inputs of each target: small valid inputs that reach the interesting paths (header blocks, escapes,
/// syslog header forms, templates with variable-length and enterprise fields, options records naming applications,
/// captures of several link types). Generated, not copied from any corpus.
/// </summary>
public static class Seeds
{
    /// <summary>The seeds of <paramref name="target"/>, each with a file name.</summary>
    /// <param name="target">One of <see cref="FuzzTargets.Names"/>.</param>
    /// <returns>The seeds.</returns>
    public static IReadOnlyList<(string Name, byte[] Bytes)> For(string target) => target switch
    {
        "zeek-tsv" => ZeekTsv(),
        "zeek-json" => ZeekJson(),
        "panos" => PanOs(),
        "ipfix" => Ipfix(),
        "netflow9" => NetFlow9(),
        "pcap" => Captures(),
        "rules-json" => RulesJson(),
        "allowlist-json" => AllowListJson(),
        "zeek-stream" => [.. ZeekTsv(), .. ZeekJson(), .. ZeekTsv().Select(seed => (seed.Item1 + ".gz", GzipCases.Member(seed.Item2)))],
        "gzip" => Gzip(),
        "suricata" => Suricata(),
        _ => throw new ArgumentException($"unknown target '{target}'", nameof(target)),
    };

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n", StringComparison.Ordinal));

    private const string ZeekHeader = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2026-11-26-12-00-00\n";

    private static List<(string, byte[])> ZeekTsv()
    {
        const string Fields = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n";
        var rows = "1764158400.000001\tC1\t10.0.0.1\t50000\t192.0.2.1\t8080\ttcp\thttp\t1.5\t10\t20\tSF\n"
            + "1764158401.5\tC2\t10.0.0.2\t5353\t224.0.0.251\t5353\tudp\tdns\t-\t-\t-\tS0\n"
            + "1764158402.25\tC3\t2001:db8::1\t50001\t2001:db8::2\t4444\ttcp\tssl,http\t0.1\t1\t2\tSF\n"
            + "1764158403\tC4\t10.0.0.3\t21\t10.0.0.4\t2121\ttcp\tftp,-ftp\t(empty)\t0\t0\tREJ\n"
            + "1764158404.9\tC5\t10.0.0.5\t1\t10.0.0.6\t25\ttcp\tsm\\x74p\t-\t-\t-\tSF\n";
        const string Reordered = "#fields\tid.resp_p\tproto\tservice\tts\tid.orig_h\tid.resp_h\tid.orig_p\t_write_ts\n#types\tport\tenum\tstring\ttime\taddr\taddr\tport\ttime\n";
        return
        [
            ("conn.log", Utf8(ZeekHeader + Fields + rows + "#close\t2026-11-26-13-00-00\n")),
            ("rotated.log", Utf8(ZeekHeader + Fields + rows[..60] + "\n" + ZeekHeader + Reordered + "443\ttcp\tssl\t1764158500.1\t10.1.1.1\t10.2.2.2\t40000\t1764158500.2\n")),
            ("comma.log", Utf8("#separator ,\n#set_separator,|\n#fields,ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,service\n1764158400,10.0.0.1,1,10.0.0.2,53,udp,dns|ssl\n")),
            ("minimal.log", Utf8(ZeekHeader + "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n1.0\t1.2.3.4\t5\t6.7.8.9\t10\ticmp\t-\n")),
        ];
    }

    private static List<(string, byte[])> ZeekJson() =>
    [
        ("flat.json", Utf8("{\"ts\":1764158400.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":50000,\"id.resp_h\":\"192.0.2.1\",\"id.resp_p\":4444,\"proto\":\"tcp\",\"service\":\"ssl,http\",\"orig_bytes\":10}\n")),
        ("nested.json", Utf8("{\"_path\":\"conn\",\"ts\":\"2026-11-26T12:00:00.123456Z\",\"id\":{\"orig_h\":\"2001:db8::1\",\"orig_p\":5353,\"resp_h\":\"ff02::fb\",\"resp_p\":5353},\"proto\":\"udp\",\"service\":\"dns\"}\n")),
        ("mixed.json", Utf8("{\"ts\":1764158401,\"id.orig_h\":\"10.0.0.2\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.3\",\"id.resp_p\":53,\"proto\":\"udp\",\"service\":\"-dns\",\"_write_ts\":\"2026-11-26T12:00:01Z\"}\n{\"ts\":1764158402.000001,\"id.orig_h\":\"10.0.0.4\",\"id.orig_p\":2,\"id.resp_h\":\"10.0.0.5\",\"id.resp_p\":25,\"proto\":\"tcp\",\"service\":\"sm\\u0074p\",\"failed_service\":\"http\"}\n{\"ts\":1764158403,\"id.orig_h\":\"10.0.0.6\",\"id.orig_p\":3,\"id.resp_h\":\"10.0.0.7\",\"id.resp_p\":80,\"proto\":\"tcp\"}\n")),
    ];

    private static List<(string, byte[])> Suricata() =>
    [
        ("flow.json", Utf8("{\"timestamp\":\"2026-11-26T12:00:01.000000+0100\",\"flow_id\":1,\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":50000,\"dest_ip\":\"192.0.2.1\",\"dest_port\":8081,\"proto\":\"TCP\",\"app_proto\":\"http\",\"flow\":{\"pkts_toserver\":3,\"pkts_toclient\":4,\"bytes_toserver\":300,\"bytes_toclient\":700,\"start\":\"2026-11-26T12:00:00.123456+0100\"}}\n{\"timestamp\":\"2026-11-26T12:00:02.5Z\",\"event_type\":\"flow\",\"src_ip\":\"2001:db8::1\",\"src_port\":5000,\"dest_ip\":\"2001:db8::2\",\"dest_port\":25,\"proto\":\"TCP\",\"app_proto\":\"tls\",\"app_proto_orig\":\"smtp\",\"app_proto_ts\":\"smtp\",\"app_proto_tc\":\"failed\",\"flow\":{}}\n")),
        ("netflow.json", Utf8("{\"timestamp\":\"2016-05-27T06:56:11.900923+0000\",\"flow_id\":9,\"event_type\":\"netflow\",\"src_ip\":\"10.16.1.11\",\"src_port\":46652,\"dest_ip\":\"82.165.177.154\",\"dest_port\":80,\"proto\":\"TCP\",\"app_proto\":\"http\",\"netflow\":{\"pkts\":6,\"bytes\":425,\"start\":\"2016-05-27T06:56:11.304062+0000\"}}\n{\"timestamp\":\"2016-05-27T06:56:11.900923+0000\",\"flow_id\":9,\"event_type\":\"netflow\",\"src_ip\":\"82.165.177.154\",\"src_port\":80,\"dest_ip\":\"10.16.1.11\",\"dest_port\":46652,\"proto\":\"TCP\",\"app_proto\":\"http\",\"netflow\":{\"pkts\":4,\"bytes\":495,\"start\":\"2016-05-27T06:56:11.304062+0000\"}}\n")),
        ("mixed.json", Utf8("\uFEFF{\"timestamp\":\"2026-11-26T12:00:00.000000+0100\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\",\"dns\":{\"rrname\":\"a\\u0062c\"}}\r\n\r\n{\"event\\u005ftype\":\"flow\",\"timestamp\":\"2026-11-26T12:00:00+0100\",\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.2\",\"proto\":\"ICMP\",\"icmp_type\":8}\n")),
    ];

    private static string PanOsCsv(string type, string subtype, string app, int sourcePort, int destinationPort, string protocol, string extra = "")
        => $"1,2026/11/26 12:00:00,013201001234,{type},{subtype},2561,2026/11/26 12:00:00,10.1.0.25,151.101.1.69,0.0.0.0,0.0.0.0,allow-out,,,{app},vsys1,trust,untrust,ethernet1/2,ethernet1/1,siem,,100000,1,{sourcePort},{destinationPort},0,0,0x400019,{protocol},allow,7798,2599,5199,70,2026/11/26 11:59:58,24,any,,,US,10.0.0.0-10.255.255.255,,,,,tcp-fin{extra}";

    private static List<(string, byte[])> PanOs() =>
    [
        ("bsd.log", Utf8("<14>Nov 26 12:00:00 fw01.example.net " + PanOsCsv("TRAFFIC", "end", "ssl", 52101, 8443, "tcp", ",,,,{a,b,c},,\"quoted, with comma\"") + "\n")),
        ("rfc5424.log", Utf8("<14>1 2026-11-26T12:00:00.123+01:00 fw01 - - - - " + PanOsCsv("TRAFFIC", "start", "dns-base", 55444, 5353, "udp") + "\n")),
        ("bare.log", Utf8(PanOsCsv("TRAFFIC", "deny", "web-browsing", 1025, 8080, "tcp") + "\r\n" + PanOsCsv("THREAT", "url", "web-browsing", 1, 80, "tcp") + "\n" + PanOsCsv("TRAFFIC", "drop", "\"smtp\"\"x\"", 2, 2525, "17") + "\n")),
    ];

    private static readonly Field[] V4Fields = [new(8, 4), new(12, 4), new(7, 2), new(11, 2), new(4, 1), new(152, 8), new(96, 65535)];

    private static byte[] V4Record(string source, string destination, int sourcePort, int destinationPort, int protocol, string app, bool longForm = false)
        => [.. Ip(source), .. Ip(destination), .. U16(sourcePort), .. U16(destinationPort), (byte)protocol, .. U64(1_764_158_400_000), .. VarText(app, longForm)];

    private static List<(string, byte[])> Ipfix()
    {
        var plain = IpfixMessage(1, 0,
            Set(2, TemplateRecord(256, null, V4Fields)),
            Set(256, V4Record("10.0.0.1", "192.0.2.1", 50000, 8080, 6, "http"), V4Record("10.0.0.2", "192.0.2.2", 53, 50123, 17, "dns", longForm: true), V4Record("10.0.0.3", "192.0.2.3", 50002, 5353, 17, "dns")));
        var options = IpfixMessage(2, 7,
            Set(3, TemplateRecord(400, 1, new(95, 4), new(96, 32))),
            Set(400, [13, 0, 0, 53, .. Text("dns", 32)], [13, 0, 0, 80, .. Text("http", 32)]),
            Set(2, TemplateRecord(300, null, new(27, 16), new(28, 16), new(7, 2), new(11, 2), new(4, 1), new(150, 4), new(95, 4), new(239, 1))),
            Set(300, [.. Ip("2001:db8::1"), .. Ip("2001:db8::2"), .. U16(50000), .. U16(8053), 17, .. U32(1_764_158_400), 13, 0, 0, 53, 1], [.. Ip("2001:db8::2"), .. Ip("2001:db8::1"), .. U16(8053), .. U16(50000), 17, .. U32(1_764_158_400), 3, 0, 0, 99, 2]));
        var enterprise = IpfixMessage(3, 0,
            Set(2, TemplateRecord(260, null, new(8, 4), new(12, 4), new(7, 2), new(11, 2), new(4, 1), new(154, 8), new(33, 2, 6871), new(14, 2, 6871), new(6, 1), new(6, 1, 29305))),
            Set(260, [.. Ip("10.0.0.9"), .. Ip("10.0.0.10"), .. U16(40000), .. U16(8443), 6, .. U64(1_764_158_400_000_000), .. U16(443), .. U16(0x12), 0x02, 0x12]),
            Set(2, TemplateRecord(261, null, new(8, 4), new(12, 4), new(7, 2), new(11, 2), new(4, 1), new(156, 8), new(118, 2, 35632), new(119, 65535, 35632), new(95, 5))),
            Set(261, [.. Ip("10.0.0.11"), .. Ip("10.0.0.12"), .. U16(40001), .. U16(2222), 6, .. U64(1_764_158_400_000_000_000), .. U16(92), .. VarText("SSH"), 22, 0, 0, 0, 7]));
        var pmacct = IpfixMessage(4, 0,
            Set(3, TemplateRecord(500, 1, new(144, 4), new(95, 5), new(96, 32))),
            Set(500, [.. U32(9), 22, 0, 0, 0, 7, .. Text("HTTP", 32)]),
            Set(2, TemplateRecord(501, null, new(8, 4), new(12, 4), new(7, 2), new(11, 2), new(4, 1), new(22, 4), new(160, 8), new(144, 4), new(95, 5), new(158, 4))),
            Set(501, [.. Ip("10.0.0.13"), .. Ip("10.0.0.14"), .. U16(40002), .. U16(8081), 6, .. U32(5000), .. U64(1_764_158_000_000), .. U32(9), 22, 0, 0, 0, 7, .. U32(10)]));
        var withdraw = IpfixMessage(1, 3, Set(2, TemplateRecord(256, null, V4Fields)), Set(2, [.. U16(256), 0, 0]), Set(256, V4Record("10.0.0.1", "192.0.2.1", 1, 2, 6, "x")));
        var dataFirst = IpfixMessage(5, 0, Set(256, V4Record("10.0.0.1", "192.0.2.1", 50000, 25, 6, "smtp"), [0, 0, 0]), Set(2, TemplateRecord(256, null, V4Fields)));
        return
        [
            ("plain.ipfix", plain),
            ("options.ipfix", options),
            ("enterprise.ipfix", enterprise),
            ("pmacct.ipfix", pmacct),
            ("withdraw.ipfix", withdraw),
            ("data-first.ipfix", dataFirst),
            ("file.ipfix", [.. plain, .. IpfixMessage(1, 3, Set(256, V4Record("10.0.0.4", "192.0.2.4", 50004, 443, 6, "ssl"))), .. options]),
        ];
    }

    private static List<(string, byte[])> NetFlow9()
    {
        Field[] fields = [new(8, 4), new(12, 4), new(7, 2), new(11, 2), new(4, 1), new(22, 4), new(56701, 32)];
        byte[] Record(string s, string d, int sp, int dp, int proto, string app) => [.. Ip(s), .. Ip(d), .. U16(sp), .. U16(dp), (byte)proto, .. U32(3_500_000), .. Text(app, 32)];
        var panos = V9Packet(1, 0, 3, V9FlowSet(0, V9TemplateRecord(256, fields)), V9FlowSet(256, Record("10.0.0.1", "192.0.2.1", 50000, 8080, 6, "web-browsing"), Record("10.0.0.2", "192.0.2.2", 50001, 53, 17, "dns")));
        var options = V9Packet(5, 9, 3,
            V9FlowSet(1, V9OptionsTemplateRecord(260, [new(1, 4)], [new(95, 4), new(96, 24)])),
            V9FlowSet(260, [.. U32(0), 13, 0, 0, 3, .. Text("smtp", 24)]),
            V9FlowSet(0, V9TemplateRecord(261, new(27, 16), new(28, 16), new(7, 2), new(11, 2), new(4, 1), new(22, 4), new(95, 4), new(57590, 2))),
            V9FlowSet(261, [.. Ip("2001:db8::1"), .. Ip("2001:db8::2"), .. U16(40000), .. U16(2525), 6, .. U32(3_400_000), 13, 0, 0, 3, .. U16(3)]));
        var nprobe = V9Packet(6, 1, 2,
            V9FlowSet(0, V9TemplateRecord(262, new(8, 4), new(12, 4), new(7, 2), new(11, 2), new(4, 1), new(21, 4), new(22, 4), new(57591, 16))),
            V9FlowSet(262, [.. Ip("10.0.0.20"), .. Ip("10.0.0.21"), .. U16(40010), .. U16(8443), 6, .. U32(3_600_000), .. U32(3_500_000), .. Text("TLS", 16)]));
        return [("panos.v9", panos), ("options.v9", options), ("nprobe.v9", nprobe), ("packets.v5", [.. NetFlow5Packet(2), .. NetFlow5Packet(30)])];
    }

    /// <summary>A NetFlow v5 packet (decoded through the same datagram path: its records are counted and skipped).</summary>
    private static byte[] NetFlow5Packet(int records)
    {
        byte[] header = [.. U16(5), .. U16(records), .. U32(3_600_000), .. U32(1_700_000_000), .. U32(0), .. U32(7), 0, 0, .. U16(0)];
        var packet = new List<byte>(header);
        for (var i = 0; i < records; i++)
        {
            packet.AddRange([.. Ip("10.0.0.1"), .. Ip("192.0.2.1"), .. new byte[4], .. U16(1), .. U16(2), .. U32(3), .. U32(180), .. U32(3_590_000), .. U32(3_595_000), .. U16(50000 + i), .. U16(53), 0, 0, 17, 0, .. new byte[8]]);
        }

        return [.. packet];
    }

    private static List<(string, byte[])> Captures()
    {
        var ipfix = Ipfix();
        var v9 = NetFlow9();
        var plain = ipfix[0].Item2;
        var options = ipfix[1].Item2;
        var panos = v9[0].Item2;
        return
        [
            ("ethernet.pcap", Pcap(1, false, EthernetIPv4Udp(plain, "192.0.2.9", "192.0.2.10", 4739), EthernetIPv4Udp(panos, "192.0.2.11", "192.0.2.10", 2055, vlan: true))),
            ("cooked-nano.pcap", Pcap(113, true, CookedIPv6Udp(options, "2001:db8::9", "2001:db8::10", 4739))),
            ("raw.pcap", Pcap(101, false, EthernetIPv4Udp(v9[1].Item2, "192.0.2.12", "192.0.2.10", 2055)[14..])),
            ("v5.pcap", Pcap(1, false, EthernetIPv4Udp(NetFlow5Packet(3), "192.0.2.13", "192.0.2.10", 2055))),
            ("ethernet.pcapng", PcapNg(1, EthernetIPv4Udp(plain, "192.0.2.9", "192.0.2.10", 4739), EthernetIPv4Udp(ipfix[2].Item2, "192.0.2.9", "192.0.2.10", 4739))),
        ];
    }

    // The seeds of the readers behind the gzip target, compressed in the shapes gzip writers make: one member, members
    // concatenated (cat a.gz b.gz) with an empty one, every optional header field, a sync flush inside, stored blocks.
    private static List<(string, byte[])> Gzip()
    {
        var seeds = new List<(string, byte[])>();
        foreach (var (name, content) in (List<(string, byte[])>)[ZeekTsv()[0], ZeekJson()[0], PanOs()[0], Ipfix()[0], Captures()[0]])
        {
            var half = content.Length / 2;
            seeds.Add((name + ".gz", GzipCases.Member(content)));
            seeds.Add((name + ".members.gz", GzipCases.Concat(GzipCases.Member(content[..half]), GzipCases.Member([]), GzipCases.Member(content[half..]))));
            seeds.Add((name + ".headers.gz", GzipCases.Member(content, extra: [(byte)'A', (byte)'p', 0, 0], fileName: "conn.log", comment: "c", headerCrc: true)));
            seeds.Add((name + ".flushed.gz", GzipCases.Member(content[..half], content[half..], fullFlush: false, out _)));
            seeds.Add((name + ".stored.gz", GzipCases.Member(content, level: System.IO.Compression.CompressionLevel.NoCompression)));
        }

        return seeds;
    }

    private static List<(string, byte[])> RulesJson() =>
    [
        ("escu-two.json", Utf8(RuleSetJson.ToJson(new RuleSet(RuleSet.Escu.Rules[..2])))),
        ("extended-some.json", Utf8(RuleSetJson.ToJson(new RuleSet([RuleSet.Extended[0], RuleSet.Extended[RuleSet.Extended.Count / 2], RuleSet.Extended[^1]])))),
    ];

    private static List<(string, byte[])> AllowListJson() =>
    [
        ("full.json", Utf8("""{ "allow": [ { "comment": "the printers speak mDNS", "app": "dns", "ports": [5353, "5000-5010"], "transport": "udp", "source": "10.0.0.0/8", "destination": "224.0.0.251" } ] }""")),
        ("several.json", Utf8("""{"allow":[{"comment":"lab","source":"2001:db8::/32"},{"comment":"proxy","app":"http","ports":["8080"]},{"comment":"x","transport":"tcp","destination":"192.0.2.1"}]}""")),
    ];
}
