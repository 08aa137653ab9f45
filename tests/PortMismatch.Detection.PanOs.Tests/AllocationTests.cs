using System.Text;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>Steady state allocates nothing per record: the reader, and the evaluator on its output.</summary>
[Collection(Measurements.Collection)]
public sealed class AllocationTests
{
    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    private static byte[] Input(int repeats)
    {
        var text = new StringBuilder();
        for (var i = 0; i < repeats; i++)
        {
            text.Append(new TrafficLine(105).With(app: "web-browsing", destPort: "8081")).Append('\n');
            text.Append("<14>Nov 30 16:09:08 PA-220 ").Append(new TrafficLine(65).With(app: "dns", destPort: "53", transport: "udp")).Append("\r\n");
            text.Append("<14>1 2021-05-26T16:26:47Z fw - - - [m a=\"b\"] ").Append(new TrafficLine(115).Set(6, "2021-05-26T16:26:47.123456789Z").Set(14, "x,\"y\"")).Append('\n');
            text.Append(new TrafficLine(65).With(type: "THREAT")).Append('\n');
            text.Append(new TrafficLine(65).Set(7, "bad")).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    [Theory]
    [InlineData(false, "UTC")]
    [InlineData(true, "UTC")]
    [InlineData(false, "Europe/Berlin")]
    public void Reading_and_evaluating_allocate_nothing_after_warm_up(bool segmented, string zone)
    {
        var input = Input(2000);
        var options = PanOsReaderOptions.Default with { TimeZone = TimeZoneInfo.FindSystemTimeZoneById(zone) };
        var sequence = Chunking.ToSequence(input, new Random(20261126), 1500);
        var state = new PanOsReaderState(options, "x");
        var reader = segmented ? new PanOsTrafficReader(sequence, state) : new PanOsTrafficReader(input, state);

        // Warm-up: scratch buffers, reason counters and the zone's rules come into being here, and every method the
        // measured loop calls runs often enough to be promoted to tier 1. The pause lets the tiering worker (which the
        // runtime may start from this thread, allocating its thread object here) install the tier-1 code first; a
        // second round then runs the promoted code once.
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 300 && reader.TryRead(out var warm); i++)
            {
                _ = Evaluator.IsMismatch(warm);
                Evaluator.Evaluate(warm);
            }

            Thread.Sleep(300); // a pause, not a poll: nothing signals that tier-1 code is installed; the measurement below checks it
        }

        // The reader is a ref struct, which a lambda cannot hold, so this is Measurements.LeastAllocatedBytes by hand: the
        // fewest bytes of up to five passes of 1,000 records each, then the rest of the input unmeasured.
        var mismatches = 0;
        var records = 0;
        var allocated = long.MaxValue;
        for (var pass = 0; pass < 5 && allocated != 0; pass++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000 && reader.TryRead(out var record); i++)
            {
                records++;
                if (Evaluator.IsMismatch(record))
                {
                    mismatches += Evaluator.Evaluate(record).MismatchCount;
                }
            }

            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, allocated);
        while (reader.TryRead(out var record))
        {
            records++;
            if (Evaluator.IsMismatch(record))
            {
                mismatches += Evaluator.Evaluate(record).MismatchCount;
            }
        }

        Assert.True(records > 5000, $"{records} records");
        Assert.True(mismatches > 1000, $"{mismatches} mismatches");
        Assert.True(state.Counters.IsBalanced);
        Assert.Equal(2000, state.Counters.SkippedByReason["not-a-traffic-log"]);
        Assert.Equal(2000, state.Counters.RejectedByReason["bad-address"]);
    }
}
