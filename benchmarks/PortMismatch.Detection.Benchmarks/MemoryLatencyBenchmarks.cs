using BenchmarkDotNet.Attributes;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>
/// The machine's cost of one dependent random read from a table of the aggregator's size (8 MB for 100,000 groups):
/// a pointer chase, so no two reads overlap. This is the floor under "one record into one of 100,000 uniformly chosen groups".
/// </summary>
public class MemoryLatencyBenchmarks
{
    private const int Steps = 1 << 16;
    private int[] _next = [];
    private int _position;

    [Params(64 * 1024, 8 * 1024 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // One int per 64-byte line, visited in a single random cycle (Sattolo's algorithm).
        var lines = Bytes / 64;
        var order = Enumerable.Range(0, lines).ToArray();
        var random = new Random(42);
        for (var i = lines - 1; i > 0; i--)
        {
            var j = random.Next(i);
            (order[i], order[j]) = (order[j], order[i]);
        }

        _next = new int[lines * 16];
        for (var i = 0; i < lines; i++)
        {
            _next[order[i] * 16] = order[(i + 1) % lines] * 16;
        }
    }

    [Benchmark(OperationsPerInvoke = Steps, Description = "dependent random read")]
    public int Chase()
    {
        var next = _next;
        var position = _position;
        for (var i = 0; i < Steps; i++)
        {
            position = next[position];
        }

        _position = position;
        return position;
    }
}
