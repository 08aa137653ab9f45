using System.Buffers;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using PortMismatch.Detection.PanOs;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>
/// The PAN-OS reader on a generated PAN-OS 10.x syslog file of <see cref="LineCount"/> lines (105 CSV fields, BSD syslog
/// header, a realistic App-ID/port mix with a few percent of mismatches) held in memory. Rows are per line: divide the
/// average line length (printed at setup) by the mean to get bytes per second.
/// </summary>
[MemoryDiagnoser]
public class PanOsReaderBenchmarks
{
    private const int LineCount = 1 << 20;

    private readonly MismatchEvaluator _evaluator = new(RuleSet.Escu);
    private readonly long[] _mismatchesByPort = new long[65536];
    private readonly MismatchAggregator _aggregator;

    public PanOsReaderBenchmarks() => _aggregator = new MismatchAggregator(_evaluator, new NullSink());
    private byte[] _input = [];

    [GlobalSetup]
    public void Setup()
    {
        _input = Generate(LineCount, seed: 42);
        var check = new PanOsTrafficReader(_input, new PanOsReaderState());
        while (check.TryRead(out _))
        {
        }

        if (check.State.Counters.Accepted != LineCount || !check.State.Counters.IsBalanced)
        {
            throw new InvalidOperationException($"the generated input does not read cleanly: {check.State.Counters}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// PAN-OS 10.x input: {LineCount} lines, {_input.Length} bytes, {(double)_input.Length / LineCount:F1} bytes per line"));
    }

    [Benchmark(OperationsPerInvoke = LineCount, Description = "PAN-OS 10.x: read")]
    public long Read()
    {
        var reader = new PanOsTrafficReader(_input, new PanOsReaderState());
        long ports = 0;
        while (reader.TryRead(out var record))
        {
            ports += record.EffectiveDestinationPort;
        }

        return ports;
    }

    [Benchmark(OperationsPerInvoke = LineCount, Description = "PAN-OS 10.x: read + evaluate + aggregate")]
    public long ReadAggregate()
    {
        var reader = new PanOsTrafficReader(_input, new PanOsReaderState());
        while (reader.TryRead(out var record))
        {
            _aggregator.Add(record);
        }

        return _aggregator.RecordsSelected;
    }

    [Benchmark(OperationsPerInvoke = LineCount, Description = "PAN-OS 10.x: read + evaluate + count by port")]
    public long ReadEvaluateAggregate()
    {
        var reader = new PanOsTrafficReader(_input, new PanOsReaderState());
        long selected = 0;
        while (reader.TryRead(out var record))
        {
            if (_evaluator.IsMismatch(record))
            {
                _mismatchesByPort[record.EffectiveDestinationPort]++;
                selected++;
            }
        }

        return selected;
    }

    /// <summary>Writes <paramref name="lines"/> PAN-OS 10.x TRAFFIC syslog lines (field order of the PAN-OS 10.1 documentation).</summary>
    public static byte[] Generate(int lines, int seed)
    {
        (string App, int Port, string Transport, int Weight)[] mix =
        [
            ("dns-base", 53, "udp", 20), ("dns", 53, "udp", 10), ("ssl", 443, "tcp", 25), ("web-browsing", 80, "tcp", 10),
            ("incomplete", 443, "tcp", 6), ("quic", 443, "udp", 6), ("smtp-base", 25, "tcp", 2), ("ms-office365", 443, "tcp", 5),
            ("insufficient-data", 8080, "tcp", 3), ("ping", 0, "icmp", 4), ("ssh", 22, "tcp", 2), ("web-browsing", 8080, "tcp", 3),
            ("ssl", 8443, "tcp", 1), ("ssl", 4443, "tcp", 1), ("web-browsing", 8081, "tcp", 1), ("dns", 5353, "udp", 1),
        ];
        var pool = mix.SelectMany(m => Enumerable.Repeat(m, m.Weight)).ToArray();
        var random = new Random(seed);
        var output = new ArrayBufferWriter<byte>(lines * 700);
        var text = new StringBuilder(1024);
        var start = new DateTime(2026, 11, 26, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < lines; i++)
        {
            var (app, port, transport, _) = pool[random.Next(pool.Length)];
            var time = start.AddMilliseconds(i * 3.0);
            var generated = time.ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture);
            var bytes = random.Next(60, 2_000_000);
            var packets = random.Next(1, 4000);
            text.Clear();
            text.Append(CultureInfo.InvariantCulture, $"<14>{time:MMM dd HH:mm:ss} PA-5220-01 1,{generated},013201001234,TRAFFIC,end,2561,{generated},");
            text.Append(CultureInfo.InvariantCulture, $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)},198.51.{random.Next(256)}.{random.Next(1, 255)},");
            text.Append(CultureInfo.InvariantCulture, $"203.0.113.9,198.51.100.20,allow-outbound,corp\\user{random.Next(5000)},,{app},vsys1,trust,untrust,ethernet1/2,ethernet1/1,");
            text.Append(CultureInfo.InvariantCulture, $"log-to-siem,,{random.Next(1, 4_000_000)},1,{random.Next(1024, 65536)},{port},{random.Next(1024, 65536)},{port},0x40001c,{transport},allow,");
            text.Append(CultureInfo.InvariantCulture, $"{bytes},{bytes / 3},{bytes - (bytes / 3)},{packets},{generated},{random.Next(0, 600)},computer-and-internet-info,,{7_000_000_000L + i},0x8000000000000000,");
            text.Append("10.0.0.0-10.255.255.255,United States,,");
            text.Append(CultureInfo.InvariantCulture, $"{packets / 2},{packets - (packets / 2)},tcp-fin,12,0,0,0,,PA-5220-01,from-policy,,,0,,0,,N/A,0,0,0,0,");
            text.Append(CultureInfo.InvariantCulture, $"b6a9c1f0-3c2e-4e6f-9b8a-1234567890ab,0,0,0,{{2026/11/26 00:00:00,ethernet1/1,ethernet1/3}},,,,,,");
            text.Append("\"\",,,,,,,,,,,,,,,,,,,,,,0,013201001234,,,,");
            text.Append(CultureInfo.InvariantCulture, $"{time:yyyy-MM-ddTHH:mm:ss.fffzzz},,");
            text.Append('\n');
            var span = output.GetSpan(text.Length * 3);
            output.Advance(Encoding.UTF8.GetBytes(text.ToString(), span));
        }

        return output.WrittenSpan.ToArray();
    }

    private sealed class NullSink : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
        }
    }
}
