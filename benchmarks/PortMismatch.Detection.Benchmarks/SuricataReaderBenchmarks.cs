using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using PortMismatch.Detection.Suricata;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>
/// The Suricata EVE reader on generated eve.json held in memory, beside <see cref="ZeekReaderBenchmarks"/>'s NDJSON
/// rows: flow events with the same record mix as the Zeek input (DNS, TLS, HTTP, QUIC, no app, IPv6, a few mismatches)
/// in the key order and value forms of Suricata 7's flow logger; and a mixed eve.json where one event in four is a flow
/// and the others are dns, tls and alert events that are skipped. One invocation reads <see cref="RecordCount"/> events,
/// so each row is per event; divide the input's bytes per event (printed at setup) by the mean to compare per byte with
/// the Zeek NDJSON reader (the target: as fast per byte).
/// </summary>
[MemoryDiagnoser]
public class SuricataReaderBenchmarks
{
    private const int RecordCount = 20_000;

    private readonly MismatchEvaluator _evaluator = new(RuleSet.Escu);

    private byte[] _flows = [];
    private byte[] _mixed = [];
    private SuricataReaderState _flowState = null!;
    private SuricataReaderState _mixedState = null!;

    [GlobalSetup]
    public void Setup()
    {
        (string? App, int Port, string Proto, int Weight)[] shapes =
        [
            ("dns", 53, "UDP", 33), ("tls", 443, "TCP", 26), (null, 443, "TCP", 12), ("failed", 443, "TCP", 4), ("http", 80, "TCP", 9),
            ("quic", 443, "UDP", 4), ("ntp", 123, "UDP", 3), ("ssh", 22, "TCP", 2), ("smtp", 25, "TCP", 1), ("smb", 445, "TCP", 1),
            ("dns", 5353, "UDP", 1), ("tls", 993, "TCP", 1), ("http", 8081, "TCP", 1), ("tls", 587, "TCP", 1), ("http", 3128, "TCP", 1),
        ];
        var pool = shapes.SelectMany(s => Enumerable.Repeat(s, s.Weight)).ToArray();
        var random = new Random(42);
        var flows = new StringBuilder();
        var mixed = new StringBuilder();
        for (var i = 0; i < RecordCount; i++)
        {
            var line = Flow(random, pool[random.Next(pool.Length)]);
            flows.Append(line);
            switch (i % 4)
            {
                case 0:
                    mixed.Append(line);
                    break;
                case 1:
                    mixed.Append(string.Create(CultureInfo.InvariantCulture, $$$"""{"timestamp":"2024-11-26T08:06:23.{{{random.Next(1_000_000):D6}}}+0100","flow_id":{{{random.NextInt64()}}},"in_iface":"eth0","event_type":"dns","src_ip":"10.0.0.{{{random.Next(1, 255)}}}","src_port":{{{random.Next(1024, 65536)}}},"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","pkt_src":"wire/pcap","dns":{"version":2,"type":"answer","id":{{{random.Next(65536)}}},"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rrname":"www.example.com","rrtype":"A","rcode":"NOERROR","answers":[{"rrname":"www.example.com","rrtype":"A","ttl":300,"rdata":"93.184.216.34"}]}}""")).Append('\n');
                    break;
                case 2:
                    mixed.Append(string.Create(CultureInfo.InvariantCulture, $$$"""{"timestamp":"2024-11-26T08:06:23.{{{random.Next(1_000_000):D6}}}+0100","flow_id":{{{random.NextInt64()}}},"in_iface":"eth0","event_type":"tls","src_ip":"10.0.0.{{{random.Next(1, 255)}}}","src_port":{{{random.Next(1024, 65536)}}},"dest_ip":"93.184.216.34","dest_port":443,"proto":"TCP","pkt_src":"wire/pcap","tls":{"subject":"CN=www.example.com","issuerdn":"C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1","serial":"0F:BE:08:B0:85:4D:05:73:8A:B0:CC:E1:C9:AF:EE:C9","fingerprint":"4d:a2:5a:6d:5e:f6:2c:5f:95:c7:bd:0a:73:ea:3c:17:7b:36:99:9d","sni":"www.example.com","version":"TLS 1.3","notbefore":"2024-01-30T00:00:00","notafter":"2025-03-01T23:59:59","ja3":{"hash":"e7d705a3286e19ea42f587b344ee6865","string":"771,4865-4866-4867,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,29-23-24,0"}}""")).Append("}\n");
                    break;
                default:
                    mixed.Append(string.Create(CultureInfo.InvariantCulture, $$$"""{"timestamp":"2024-11-26T08:06:23.{{{random.Next(1_000_000):D6}}}+0100","flow_id":{{{random.NextInt64()}}},"in_iface":"eth0","event_type":"alert","src_ip":"10.0.0.{{{random.Next(1, 255)}}}","src_port":{{{random.Next(1024, 65536)}}},"dest_ip":"198.51.100.7","dest_port":8080,"proto":"TCP","pkt_src":"wire/pcap","alert":{"action":"allowed","gid":1,"signature_id":2013028,"rev":7,"signature":"ET POLICY curl User-Agent Outbound","category":"Attempted Information Leak","severity":2,"metadata":{"created_at":["2011_06_14"],"updated_at":["2024_03_06"]}},"app_proto":"http","direction":"to_server","flow":{"pkts_toserver":4,"pkts_toclient":3,"bytes_toserver":372,"bytes_toclient":224,"start":"2024-11-26T08:06:22.000000+0100","src_ip":"10.0.0.1","dest_ip":"198.51.100.7","src_port":50000,"dest_port":8080}}""")).Append('\n');
                    break;
            }
        }

        _flows = Encoding.UTF8.GetBytes(flows.ToString());
        _mixed = Encoding.UTF8.GetBytes(mixed.ToString());
        _flowState = new SuricataReaderState();
        _mixedState = new SuricataReaderState();
        Drain(_flows, _flowState);
        Drain(_mixed, _mixedState);
        Console.WriteLine($"// flow events {_flows.Length / (double)RecordCount:F1} bytes/event, mixed eve.json {_mixed.Length / (double)RecordCount:F1} bytes/event");
    }

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "EVE flow read")]
    public int FlowRead() => Drain(_flows, _flowState);

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "EVE flow read + evaluate")]
    public int FlowReadEvaluate()
    {
        var mismatches = 0;
        var reader = new SuricataEveReader(_flows, _flowState);
        while (reader.TryRead(out var record))
        {
            mismatches += _evaluator.IsMismatch(record) ? 1 : 0;
        }

        return mismatches;
    }

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "eve.json, 1 in 4 a flow, read")]
    public int MixedRead() => Drain(_mixed, _mixedState);

    private static int Drain(byte[] input, SuricataReaderState state)
    {
        var count = 0;
        var reader = new SuricataEveReader(input, state);
        while (reader.TryRead(out _))
        {
            count++;
        }

        return count;
    }

    private static string Flow(Random random, (string? App, int Port, string Proto, int Weight) shape)
    {
        var v6 = random.Next(9) == 0;
        var src = v6 ? $"2001:db8:10:{random.Next(0x100):x}::{random.Next(1, 0xffff):x}" : $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";
        var dest = v6 ? $"2001:db8:ff{random.Next(0x100):x2}::{random.Next(1, 0xffff):x}" : $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";
        var start = $"2024-11-26T{random.Next(24):D2}:{random.Next(60):D2}:{random.Next(60):D2}.{random.Next(1_000_000):D6}+0100";
        var app = shape.App is null ? string.Empty : $",\"app_proto\":\"{shape.App}\"";
        var tcp = shape.Proto == "TCP" ? ",\"tcp\":{\"tcp_flags\":\"1b\",\"tcp_flags_ts\":\"1b\",\"tcp_flags_tc\":\"1b\",\"syn\":true,\"fin\":true,\"psh\":true,\"ack\":true,\"state\":\"closed\"}" : string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $$$"""{"timestamp":"{{{start}}}","flow_id":{{{random.NextInt64()}}},"in_iface":"eth0","event_type":"flow","src_ip":"{{{src}}}","src_port":{{{random.Next(1024, 65536)}}},"dest_ip":"{{{dest}}}","dest_port":{{{shape.Port}}},"proto":"{{{shape.Proto}}}"{{{app}}},"flow":{"pkts_toserver":{{{random.Next(1, 2000)}}},"pkts_toclient":{{{random.Next(0, 2000)}}},"bytes_toserver":{{{random.Next(100_000)}}},"bytes_toclient":{{{random.Next(10_000_000)}}},"start":"{{{start}}}","end":"{{{start}}}","age":{{{random.Next(100)}}},"state":"closed","reason":"timeout","alerted":false}{{{tcp}}}""") + "}\n";
    }
}
