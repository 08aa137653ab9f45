using BenchmarkDotNet.Attributes;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>
/// Insert past the bound (issue #16): an aggregator holding <see cref="AggregatorOptions.MaxGroups"/> groups gets a
/// record of a new group every time, as a flood of distinct flows gives it; each evicts the oldest group, which is
/// emitted as a partial row (the row and its strings are the allocation), and takes its place.
/// </summary>
[MemoryDiagnoser]
public class AggregatorBoundBenchmarks
{
    private const int Batch = 8192;
    private const int Keys = 1 << 20;

    private static readonly byte[] Ssl = "ssl"u8.ToArray();

    private MismatchAggregator _aggregator = null!;
    private int _next;

    /// <summary>Gets or sets the group bound; every key of the cycle of 2^20 is gone again by the time it comes back.</summary>
    [Params(10_000, 100_000)]
    public int MaxGroups { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), new NullSink(), AggregatorOptions.Default with { MaxGroups = MaxGroups });
        for (var i = 0; i < MaxGroups; i++)
        {
            Add(i);
        }

        _next = MaxGroups;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Add (a new group past the bound: evict the oldest)")]
    public void NewGroupPastTheBound()
    {
        var next = _next;
        for (var i = 0; i < Batch; i++)
        {
            Add(next);
            next = (next + 1) & (Keys - 1);
        }

        _next = next;
    }

    private void Add(int key)
    {
        var record = new FlowRecord
        {
            TimestampMicroseconds = key,
            SourceAddress = IPAddressValue.FromIPv4(0x0A000000u + (uint)key),
            DestinationAddress = IPAddressValue.FromIPv4(0xC0000201u),
            DestinationPort = 4444,
            Transport = Transport.Tcp,
            Apps = AppValues.FromValue(Ssl),
        };
        _aggregator.Add(record);
    }

    private sealed class NullSink : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
        }
    }
}
