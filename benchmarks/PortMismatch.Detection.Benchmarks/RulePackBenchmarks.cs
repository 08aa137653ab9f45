using System.Text;
using BenchmarkDotNet.Attributes;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>
/// The evaluator with each built-in rule set on the same records (issue 8: the PAN-OS App-ID pack within 1.5x of ESCU,
/// 0 B). The mix is <see cref="EvaluatorBenchmarks"/>'s plus, for 30% of the records, App-IDs drawn uniformly from the
/// PAN-OS pack on one of their default ports (some off it), so the larger sets see a realistic spread of names and bitmaps.
/// </summary>
[MemoryDiagnoser]
public class RulePackBenchmarks
{
    private const int RecordCount = 4096;

    private MismatchEvaluator _evaluator = null!;
    private byte[] _apps = [];
    private int[] _appStart = [];
    private int[] _appLength = [];
    private ushort[] _ports = [];
    private Transport[] _transports = [];
    private IPAddressValue _source;
    private IPAddressValue _destination;

    /// <summary>Gets or sets the rule selection, as <c>--rules</c> takes it.</summary>
    [Params("escu", "extended", "panos-appid")]
    public string Rules { get; set; } = "escu";

    [GlobalSetup]
    public void Setup()
    {
        _evaluator = new MismatchEvaluator(RuleSets.Parse(Rules));
        (string App, int Port, Transport Transport, int Weight)[] mix =
        [
            ("dns", 53, Transport.Udp, 30), ("ssl", 443, Transport.Tcp, 25), ("http", 80, Transport.Tcp, 10),
            ("", 0, Transport.Tcp, 10), ("ssl,http", 443, Transport.Tcp, 3), ("web-browsing", 8080, Transport.Tcp, 4),
            ("dns-base", 53, Transport.Udp, 4), ("incomplete", 443, Transport.Tcp, 3), ("smtp", 25, Transport.Tcp, 2),
            ("quic,ssl", 443, Transport.Udp, 3), ("ssh", 22, Transport.Tcp, 2), ("dns", 5353, Transport.Udp, 2),
            ("ssl", 4444, Transport.Tcp, 1), ("http", 8081, Transport.Tcp, 1),
        ];
        var pool = mix.SelectMany(m => Enumerable.Repeat(m, m.Weight)).ToArray();
        var appIds = RuleSet.PanOsAppId.Rules;
        var random = new Random(42);
        var text = new List<byte>();
        _appStart = new int[RecordCount];
        _appLength = new int[RecordCount];
        _ports = new ushort[RecordCount];
        _transports = new Transport[RecordCount];
        for (var i = 0; i < RecordCount; i++)
        {
            var (app, port, transport, _) = pool[random.Next(pool.Length)];
            if (random.Next(10) < 3)
            {
                var rule = appIds[random.Next(appIds.Length)];
                app = rule.Apps[0];
                transport = rule.Transport ?? Transport.Tcp;
                port = random.Next(10) == 0 ? random.Next(1024, 65536) : rule.ExpectedPorts.Ranges[0].First;
            }

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

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "IsMismatch")]
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

    [Benchmark(OperationsPerInvoke = RecordCount, Description = "Evaluate")]
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
