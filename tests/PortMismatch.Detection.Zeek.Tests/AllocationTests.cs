using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

[Collection(Measurements.Collection)]
public sealed class AllocationTests
{
    [Theory]
    [InlineData("tsv")]
    [InlineData("json")]
    public void Reading_and_evaluating_records_allocates_nothing_in_steady_state(string format)
    {
        // The body is read through the same state after a warm-up, so header parsing and buffer growth are behind us.
        var tsv = format == "tsv";
        var text = tsv ? ConnLog.GenerateTsv(20_000, seed: 5) : ConnLog.GenerateJson(20_000, seed: 5);
        var bodyStart = tsv ? text.IndexOf("\n1", StringComparison.Ordinal) + 1 : 0;
        var warmUp = Encoding.UTF8.GetBytes(text);
        var body = Encoding.UTF8.GetBytes(text[bodyStart..].Replace(ConnLog.Close, string.Empty, StringComparison.Ordinal)
            + (tsv ? "1.0\t10.0.0.1\tbad\n" : "{\"ts\":1,\"id.resp_p\":99999}\n")); // a rejection without a callback allocates nothing either
        var evaluator = new MismatchEvaluator(RuleSet.Escu);
        var state = new ZeekReaderState();
        var mismatches = 0;
        var accepted = 0;

        void Run(byte[] input)
        {
            var reader = new ZeekConnReader(input, state);
            while (reader.TryRead(out var record))
            {
                accepted++;
                if (evaluator.IsMismatch(record))
                {
                    mismatches++;
                }
            }
        }

        Run(warmUp);
        Run(body);
        var measuredFrom = accepted;
        var allocated = Measurements.LeastAllocatedBytes(() =>
        {
            measuredFrom = accepted;
            Run(body);
            Run(body);
        });

        Assert.Equal(0, allocated);
        Assert.Equal(40_000, accepted - measuredFrom);
        Assert.True(mismatches > 1000, $"{mismatches} mismatches");
        Assert.Equal(3, state.Counters.Rejected);
        Assert.True(state.Counters.IsBalanced);
    }

    [Fact]
    public void Reading_a_multi_segment_sequence_allocates_nothing_in_steady_state()
    {
        var text = ConnLog.GenerateTsv(5_000, seed: 6);
        var body = Encoding.UTF8.GetBytes(text[(text.IndexOf("\n1", StringComparison.Ordinal) + 1)..].Replace(ConnLog.Close, string.Empty, StringComparison.Ordinal));
        var sequence = Sequences.Cut(body, Enumerable.Range(1, body.Length / 1000).Select(i => i * 1000 + (i % 7)));
        var state = new ZeekReaderState();
        var count = 0;

        void Run()
        {
            var reader = new ZeekConnReader(sequence, state);
            while (reader.TryRead(out _))
            {
                count++;
            }
        }

        var warmUp = Encoding.UTF8.GetBytes(text);
        var first = new ZeekConnReader(warmUp, state);
        while (first.TryRead(out _))
        {
        }

        Run();

        var allocated = Measurements.LeastAllocatedBytes(() =>
        {
            count = 0;
            Run();
        });
        Assert.Equal(5_000, count);

        Assert.Equal(0, allocated);
    }
}
