using System.Buffers.Binary;
using System.Net;
using BenchmarkDotNet.Attributes;
using PortMismatch.Detection.Ipfix;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>
/// The IPFIX decoder on typical exports: a message of <see cref="RecordsPerMessage"/> IPv4 (or IPv6) data records after
/// warm-up (templates known), decoded through a struct sink, with and without the ESCU evaluator. Rows are per record.
/// </summary>
[MemoryDiagnoser]
public class IpfixReaderBenchmarks
{
    private const int RecordsPerMessage = 200;
    private const int Messages = 16;
    private const int Records = RecordsPerMessage * Messages;

    private readonly MismatchEvaluator _evaluator = new(RuleSet.Escu);
    private byte[][] _ipv4 = [];
    private byte[][] _ipv6 = [];
    private IpfixDecoder _decoder = null!;

    [GlobalSetup]
    public void Setup()
    {
        // A typical NBAR-style IPv4 template: addresses, ports, protocol, counters, start/end milliseconds, application name.
        _ipv4 = Build(v6: false);
        _ipv6 = Build(v6: true);
        _decoder = new IpfixDecoder(IpfixReaderOptions.Default with { IncludeReplies = true });
        var sink = new CountingSink();
        foreach (var m in _ipv4.Concat(_ipv6))
        {
            _decoder.Decode(m, IPAddressValue.None, ref sink);
        }
    }

    [Benchmark(OperationsPerInvoke = Records, Description = "decode IPv4 template")]
    public long DecodeIPv4() => Decode(_ipv4, evaluate: false);

    [Benchmark(OperationsPerInvoke = Records, Description = "decode + evaluate IPv4 template")]
    public long DecodeEvaluateIPv4() => Decode(_ipv4, evaluate: true);

    [Benchmark(OperationsPerInvoke = Records, Description = "decode + evaluate IPv6 template")]
    public long DecodeEvaluateIPv6() => Decode(_ipv6, evaluate: true);

    private long Decode(byte[][] messages, bool evaluate)
    {
        var sink = new CountingSink { Evaluator = evaluate ? _evaluator : null };
        foreach (var m in messages)
        {
            _decoder.Decode(m, IPAddressValue.None, ref sink);
        }

        return sink.Count;
    }

    private static byte[][] Build(bool v6)
    {
        var random = new Random(42);
        string[] apps = ["dns", "ssl", "http", "ssl", "dns", "smtp", "ntp", "ssl", "http", "unknown"];
        var addressLength = v6 ? 16 : 4;
        ushort templateId = v6 ? (ushort)257 : (ushort)256;
        (ushort Id, ushort Length)[] fields =
        [
            (v6 ? (ushort)27 : (ushort)8, (ushort)addressLength), (v6 ? (ushort)28 : (ushort)12, (ushort)addressLength),
            (7, 2), (11, 2), (4, 1), (6, 1), (1, 8), (2, 8), (152, 8), (153, 8), (96, 16),
        ];
        var recordLength = fields.Sum(f => f.Length);
        var messages = new byte[Messages][];
        for (var m = 0; m < Messages; m++)
        {
            var templateSet = 4 + 4 + (fields.Length * 4);
            var dataSet = 4 + (RecordsPerMessage * recordLength);
            var message = new byte[16 + templateSet + dataSet];
            var s = message.AsSpan();
            BinaryPrimitives.WriteUInt16BigEndian(s, 10);
            BinaryPrimitives.WriteUInt16BigEndian(s[2..], (ushort)message.Length);
            BinaryPrimitives.WriteUInt32BigEndian(s[4..], 1_700_000_000);
            BinaryPrimitives.WriteUInt32BigEndian(s[8..], (uint)(m * RecordsPerMessage));
            BinaryPrimitives.WriteUInt32BigEndian(s[12..], 1);
            var p = 16;
            BinaryPrimitives.WriteUInt16BigEndian(s[p..], 2);
            BinaryPrimitives.WriteUInt16BigEndian(s[(p + 2)..], (ushort)templateSet);
            BinaryPrimitives.WriteUInt16BigEndian(s[(p + 4)..], templateId);
            BinaryPrimitives.WriteUInt16BigEndian(s[(p + 6)..], (ushort)fields.Length);
            p += 8;
            foreach (var (id, length) in fields)
            {
                BinaryPrimitives.WriteUInt16BigEndian(s[p..], id);
                BinaryPrimitives.WriteUInt16BigEndian(s[(p + 2)..], length);
                p += 4;
            }

            BinaryPrimitives.WriteUInt16BigEndian(s[p..], templateId);
            BinaryPrimitives.WriteUInt16BigEndian(s[(p + 2)..], (ushort)dataSet);
            p += 4;
            var source = IPAddress.Parse(v6 ? "2001:db8::10" : "10.1.0.10").GetAddressBytes();
            var destination = IPAddress.Parse(v6 ? "2001:db8:1::20" : "192.0.2.20").GetAddressBytes();
            for (var r = 0; r < RecordsPerMessage; r++)
            {
                source.CopyTo(s[p..]);
                destination.CopyTo(s[(p + addressLength)..]);
                p += 2 * addressLength;
                var app = apps[random.Next(apps.Length)];
                BinaryPrimitives.WriteUInt16BigEndian(s[p..], (ushort)random.Next(49152, 65535));
                BinaryPrimitives.WriteUInt16BigEndian(s[(p + 2)..], (ushort)(random.Next(50) == 0 ? 8081 : app switch { "dns" => 53, "http" => 80, "smtp" => 25, "ntp" => 123, _ => 443 }));
                s[p + 4] = (byte)(app == "dns" ? 17 : 6);
                s[p + 5] = 0x18;
                BinaryPrimitives.WriteUInt64BigEndian(s[(p + 6)..], (ulong)random.Next(100, 100_000));
                BinaryPrimitives.WriteUInt64BigEndian(s[(p + 14)..], (ulong)random.Next(1, 100));
                BinaryPrimitives.WriteUInt64BigEndian(s[(p + 22)..], 1_700_000_000_000UL + (ulong)r);
                BinaryPrimitives.WriteUInt64BigEndian(s[(p + 30)..], 1_700_000_001_000UL + (ulong)r);
                System.Text.Encoding.ASCII.GetBytes(app).CopyTo(s[(p + 38)..]);
                p += 38 + 16;
            }

            messages[m] = message;
        }

        return messages;
    }

    private struct CountingSink : IFlowRecordSink
    {
        public MismatchEvaluator? Evaluator;
        public long Count;

        public void OnRecord(in FlowRecord record)
        {
            if (Evaluator is null || Evaluator.IsMismatch(record))
            {
                Count++;
            }
        }
    }
}
