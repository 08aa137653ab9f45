using System.Text;
using PortMismatch.Detection.Suricata.Tests.Support;

namespace PortMismatch.Detection.Suricata.Tests;

[Collection(Measurements.Collection)]
public sealed class AllocationTests
{
    [Fact]
    public void Reading_and_evaluating_records_allocates_nothing_in_steady_state()
    {
        // A warm-up through the same state first, so that buffer growth is behind us; the body ends with a rejection and
        // holds skipped events, which without a diagnostics callback allocate nothing either.
        var body = Encoding.UTF8.GetBytes(EveLog.Generate(10_000, seed: 5) + Eve.Flow(destPort: 99999) + "\n");
        var evaluator = new MismatchEvaluator(RuleSets.Get("extended"));
        var state = new SuricataReaderState();
        var mismatches = 0;
        var accepted = 0;

        void Run(byte[] input)
        {
            var reader = new SuricataEveReader(input, state);
            while (reader.TryRead(out var record))
            {
                accepted++;
                if (evaluator.IsMismatch(record))
                {
                    mismatches++;
                }
            }
        }

        Run(body);
        Run(body);
        var measuredFrom = accepted;
        var allocated = Measurements.LeastAllocatedBytes(() =>
        {
            measuredFrom = accepted;
            Run(body);
            Run(body);
        });

        Assert.Equal(0, allocated);
        Assert.Equal(20_000, accepted - measuredFrom);
        Assert.True(mismatches > 1000, $"{mismatches} mismatches");
        Assert.Equal(4, state.Counters.Rejected);
        Assert.Equal(8_000, state.Counters.Skipped);
        Assert.True(state.Counters.IsBalanced);
    }
}
