using BenchmarkDotNet.Attributes;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>
/// Mismatching records into 100,000 existing groups (issue #3's target: 30 million records per second per core, 0 B).
/// Each operation builds a <see cref="FlowRecord"/>, evaluates it and counts it into its group. Keys come from 100,000
/// source/destination/app/port combinations, either uniformly (every record a random access into the 8 MB table: the
/// worst case, bound by memory latency) or Zipf-distributed with exponent 1 (how flow keys are distributed in practice:
/// a few talkers make most records).
/// </summary>
[MemoryDiagnoser]
public class AggregatorBenchmarks
{
    private const int Groups = 100_000;
    private const int Batch = 8192;

    private static readonly byte[][] Apps = ["ssl"u8.ToArray(), "dns"u8.ToArray(), "http"u8.ToArray(), "smtp"u8.ToArray()];

    private MismatchAggregator _aggregator = null!;

    [Params("uniform", "zipf")]
    public string Keys { get; set; } = "uniform";
    private Input[] _inputs = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        // Records as a reader would hand them over, one after the other; only the group they fall in is random.
        var random = new Random(42);
        _inputs = new Input[1 << 20];
        for (var i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = Create(i < Groups ? i : Keys == "zipf" ? Zipf(random) : random.Next(Groups), i);
        }

        _aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), new NullSink());
        for (var i = 0; i < Groups; i++)
        {
            Add(_inputs[i]);
        }

        _next = Groups;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Add (mismatching record, 100,000 groups)")]
    public void Add()
    {
        var inputs = _inputs;
        var next = _next;
        for (var i = 0; i < Batch; i++)
        {
            Add(inputs[next]);
            next = (next + 1) & (inputs.Length - 1);
        }

        _next = next;
    }

    private static double[]? _zipfCumulative;

    /// <summary>Draws a key with probability proportional to 1 / rank (keys are shuffled ranks, so hot keys are spread over the table).</summary>
    private static int Zipf(Random random)
    {
        if (_zipfCumulative is null)
        {
            var cumulative = new double[Groups];
            var sum = 0.0;
            for (var rank = 0; rank < Groups; rank++)
            {
                sum += 1.0 / (rank + 1);
                cumulative[rank] = sum;
            }

            for (var rank = 0; rank < Groups; rank++)
            {
                cumulative[rank] /= sum;
            }

            _zipfCumulative = cumulative;
        }

        var index = Array.BinarySearch(_zipfCumulative, random.NextDouble());
        var rankDrawn = index < 0 ? ~index : index;
        return (int)((rankDrawn * 48271L) % Groups);
    }

    private static Input Create(int key, long time) => new(
        time,
        IPAddressValue.FromIPv4(0x0A000000u + (uint)key),
        IPAddressValue.FromIPv4(0xC0000200u + (uint)(key % 251)),
        (ushort)(4444 + (key & 1)),
        (key >> 1) & 3);

    private void Add(in Input input)
    {
        var record = new FlowRecord
        {
            TimestampMicroseconds = input.Time,
            SourceAddress = input.Source,
            DestinationAddress = input.Destination,
            DestinationPort = input.Port,
            Transport = Transport.Tcp,
            Apps = AppValues.FromValue(Apps[input.App]),
        };
        _aggregator.Add(record);
    }

    private readonly record struct Input(long Time, IPAddressValue Source, IPAddressValue Destination, ushort Port, int App);

    private sealed class NullSink : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
        }
    }
}
