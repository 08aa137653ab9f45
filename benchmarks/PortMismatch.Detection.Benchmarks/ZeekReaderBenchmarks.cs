using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>
/// The Zeek conn.log reader on generated, format-exact input held in memory (Zeek 6 columns, the record mix of
/// shared/tools/gen_conn_log.py: DNS, TLS, HTTP, QUIC, unset service, IPv6, ~3% mismatches). One invocation reads
/// <see cref="RecordCount"/> records, so each row is per record; divide the input's bytes per record (printed at setup)
/// by the mean to get throughput.
/// </summary>
[MemoryDiagnoser]
public class ZeekReaderBenchmarks
{
    private const int RecordCount = 20_000;

    private readonly MismatchEvaluator _evaluator = new(RuleSet.Escu);
    private readonly MismatchAggregator _aggregator;

    public ZeekReaderBenchmarks() => _aggregator = new MismatchAggregator(_evaluator, new NullSink());

    private byte[] _tsv = [];
    private byte[] _tsvBody = [];
    private byte[] _json = [];
    private ZeekReaderState _tsvState = null!;
    private ZeekReaderState _jsonState = null!;

    [GlobalSetup]
    public void Setup()
    {
        (string? Service, int Port, string Proto, int Weight)[] shapes =
        [
            ("dns", 53, "udp", 33), ("ssl", 443, "tcp", 26), (null, 443, "tcp", 16), ("http", 80, "tcp", 9), ("quic,ssl", 443, "udp", 4),
            ("ntp", 123, "udp", 3), ("ssh", 22, "tcp", 2), ("smtp", 25, "tcp", 1), ("gssapi,smb,krb", 445, "tcp", 1),
            ("dns", 5353, "udp", 1), ("ssl", 993, "tcp", 1), ("http", 8081, "tcp", 1), ("smtp,ssl", 587, "tcp", 1), ("ssl,http", 3128, "tcp", 1),
        ];
        var pool = shapes.SelectMany(s => Enumerable.Repeat(s, s.Weight)).ToArray();
        var random = new Random(42);
        var tsv = new StringBuilder();
        var json = new StringBuilder();
        for (var i = 0; i < RecordCount; i++)
        {
            var (service, port, proto, _) = pool[random.Next(pool.Length)];
            var v6 = random.Next(9) == 0;
            var origH = v6 ? $"2001:db8:10:{random.Next(0x100):x}::{random.Next(1, 0xffff):x}" : $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";
            var respH = v6 ? $"2001:db8:ff{random.Next(0x100):x2}::{random.Next(1, 0xffff):x}" : $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";
            var ts = string.Create(CultureInfo.InvariantCulture, $"{1_699_990_000 + random.Next(86_400)}.{random.Next(1_000_000):D6}");
            var origP = random.Next(1024, 65536);
            var duration = (random.NextDouble() * 100).ToString("F6", CultureInfo.InvariantCulture);
            long origBytes = random.Next(100_000), respBytes = random.Next(10_000_000);
            int origPkts = random.Next(1, 2000), respPkts = random.Next(0, 2000);
            tsv.Append(CultureInfo.InvariantCulture, $"{ts}\tC{random.Next():x8}{random.Next():x8}\t{origH}\t{origP}\t{respH}\t{port}\t{proto}\t{service ?? "-"}\t{duration}\t{origBytes}\t{respBytes}\tSF\tT\tF\t0\tShADadFf\t{origPkts}\t{origBytes + (40 * origPkts)}\t{respPkts}\t{respBytes + (40 * respPkts)}\t-\n");
            json.Append(CultureInfo.InvariantCulture, $"{{\"ts\":{ts},\"uid\":\"C{random.Next():x8}\",\"id.orig_h\":\"{origH}\",\"id.orig_p\":{origP},\"id.resp_h\":\"{respH}\",\"id.resp_p\":{port},\"proto\":\"{proto}\"");
            if (service is not null)
            {
                json.Append(CultureInfo.InvariantCulture, $",\"service\":\"{service}\"");
            }

            json.Append(CultureInfo.InvariantCulture, $",\"duration\":{duration},\"orig_bytes\":{origBytes},\"resp_bytes\":{respBytes},\"conn_state\":\"SF\",\"local_orig\":true,\"local_resp\":false,\"missed_bytes\":0,\"history\":\"ShADadFf\",\"orig_pkts\":{origPkts},\"orig_ip_bytes\":{origBytes + (40 * origPkts)},\"resp_pkts\":{respPkts},\"resp_ip_bytes\":{respBytes + (40 * respPkts)}}}\n");
        }

        const string header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2023-11-14-22-13-20\n"
            + "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n"
            + "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n";
        _tsvBody = Encoding.UTF8.GetBytes(tsv.ToString());
        _tsv = Encoding.UTF8.GetBytes(header + tsv);
        _json = Encoding.UTF8.GetBytes(json.ToString());

        // The states read the header once; every invocation then reads the records only (steady state).
        _tsvState = new ZeekReaderState();
        Drain(_tsv, _tsvState);
        _jsonState = new ZeekReaderState();
        Drain(_json, _jsonState);
        Console.WriteLine($"// TSV {_tsvBody.Length / (double)RecordCount:F1} bytes/record, NDJSON {_json.Length / (double)RecordCount:F1} bytes/record");
    }

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "TSV read")]
    public int TsvRead() => Drain(_tsvBody, _tsvState);

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "TSV read + evaluate")]
    public int TsvReadEvaluate() => DrainEvaluate(_tsvBody, _tsvState);

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "TSV read + evaluate + aggregate")]
    public long TsvReadAggregate() => DrainAggregate(_tsvBody, _tsvState);

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "NDJSON read")]
    public int JsonRead() => Drain(_json, _jsonState);

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "NDJSON read + evaluate")]
    public int JsonReadEvaluate() => DrainEvaluate(_json, _jsonState);

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "NDJSON read + evaluate + aggregate")]
    public long JsonReadAggregate() => DrainAggregate(_json, _jsonState);

    private long DrainAggregate(byte[] input, ZeekReaderState state)
    {
        var reader = new ZeekConnReader(input, state);
        while (reader.TryRead(out var record))
        {
            _aggregator.Add(record);
        }

        return _aggregator.RecordsSelected;
    }

    private sealed class NullSink : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
        }
    }

    private static int Drain(byte[] input, ZeekReaderState state)
    {
        var count = 0;
        var reader = new ZeekConnReader(input, state);
        while (reader.TryRead(out _))
        {
            count++;
        }

        return count;
    }

    private int DrainEvaluate(byte[] input, ZeekReaderState state)
    {
        var mismatches = 0;
        var reader = new ZeekConnReader(input, state);
        while (reader.TryRead(out var record))
        {
            if (_evaluator.IsMismatch(record))
            {
                mismatches++;
            }
        }

        return mismatches;
    }
}
