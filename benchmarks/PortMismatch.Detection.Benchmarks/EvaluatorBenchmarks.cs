using System.Text;
using BenchmarkDotNet.Attributes;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>
/// The evaluator on a realistic mix: mostly protocols on their own ports, some with no app, multi-valued Zeek services,
/// PAN-OS App-IDs that no ESCU rule claims, and a few percent of mismatches. Each invocation evaluates
/// <see cref="RecordCount"/> records, building each <see cref="FlowRecord"/> from the columns as a reader would.
/// </summary>
[MemoryDiagnoser]
public class EvaluatorBenchmarks
{
    private const int RecordCount = 4096;

    private readonly MismatchEvaluator _evaluator = new(RuleSet.Escu);
    private byte[] _apps = [];
    private int[] _appStart = [];
    private int[] _appLength = [];
    private ushort[] _ports = [];
    private Transport[] _transports = [];
    private IPAddressValue _source;
    private IPAddressValue _destination;

    [GlobalSetup]
    public void Setup()
    {
        (string App, int Port, Transport Transport, int Weight)[] mix =
        [
            ("dns", 53, Transport.Udp, 30), ("ssl", 443, Transport.Tcp, 25), ("http", 80, Transport.Tcp, 10),
            ("", 0, Transport.Tcp, 10), ("ssl,http", 443, Transport.Tcp, 3), ("web-browsing", 8080, Transport.Tcp, 4),
            ("dns-base", 53, Transport.Udp, 4), ("incomplete", 443, Transport.Tcp, 3), ("smtp", 25, Transport.Tcp, 2),
            ("quic,ssl", 443, Transport.Udp, 3), ("ssh", 22, Transport.Tcp, 2), ("dns", 5353, Transport.Udp, 2),
            ("ssl", 4444, Transport.Tcp, 1), ("http", 8081, Transport.Tcp, 1),
        ];
        var pool = mix.SelectMany(m => Enumerable.Repeat(m, m.Weight)).ToArray();
        var random = new Random(42);
        var text = new List<byte>();
        _appStart = new int[RecordCount];
        _appLength = new int[RecordCount];
        _ports = new ushort[RecordCount];
        _transports = new Transport[RecordCount];
        for (var i = 0; i < RecordCount; i++)
        {
            var (app, port, transport, _) = pool[random.Next(pool.Length)];
            _appStart[i] = text.Count;
            text.AddRange(Encoding.UTF8.GetBytes(app));
            _appLength[i] = text.Count - _appStart[i];
            _ports[i] = (ushort)port;
            _transports[i] = transport;
        }

        _apps = [.. text];
        _source = IPAddressValue.Parse("10.1.0.13");
        _destination = IPAddressValue.Parse("192.0.2.66");
    }

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "IsMismatch (ESCU, mixed records)")]
    public int IsMismatch()
    {
        var selected = 0;
        var apps = _apps.AsSpan();
        for (var i = 0; i < RecordCount; i++)
        {
            var record = new FlowRecord
            {
                TimestampMicroseconds = i,
                SourceAddress = _source,
                DestinationAddress = _destination,
                DestinationPort = _ports[i],
                Transport = _transports[i],
                Apps = AppValues.Split(apps.Slice(_appStart[i], _appLength[i]), (byte)','),
            };
            if (_evaluator.IsMismatch(record))
            {
                selected++;
            }
        }

        return selected;
    }

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "Evaluate (ESCU, mixed records)")]
    public int Evaluate()
    {
        var selected = 0;
        var apps = _apps.AsSpan();
        for (var i = 0; i < RecordCount; i++)
        {
            var record = new FlowRecord
            {
                TimestampMicroseconds = i,
                SourceAddress = _source,
                DestinationAddress = _destination,
                DestinationPort = _ports[i],
                Transport = _transports[i],
                Apps = AppValues.Split(apps.Slice(_appStart[i], _appLength[i]), (byte)','),
            };
            selected += _evaluator.Evaluate(record).MismatchCount;
        }

        return selected;
    }
}
