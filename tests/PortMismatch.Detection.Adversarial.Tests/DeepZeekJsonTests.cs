using System.Text;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Adversarial.Tests;

/// <summary>A Zeek JSON line nested 10,000 deep is rejected at the JSON depth limit in bounded memory; the next line is read.</summary>
[Collection(Measurements.Collection)]
public sealed class DeepZeekJsonTests
{
    [Theory]
    [InlineData("service")]
    [InlineData("extra")]
    public void A_line_nested_10000_deep_is_rejected_and_the_next_line_is_read(string field)
    {
        var deep = new StringBuilder("{\"ts\":1.5,\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":4444,\"")
            .Append(field).Append("\":").Append('[', 10_000).Append('"', 2).Append(']', 10_000).Append("}\n")
            .Append("{\"ts\":2.5,\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":4444,\"proto\":\"tcp\",\"service\":\"dns\"}\n");
        var input = Encoding.UTF8.GetBytes(deep.ToString());
        _ = Read(input); // warm-up
        var before = GC.GetAllocatedBytesForCurrentThread();
        var (counters, records) = Read(input);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        TestContext.Current.TestOutputHelper?.WriteLine($"Zeek JSON nested 10,000 deep in '{field}': {counters}; {allocated:N0} bytes allocated for {input.Length:N0} bytes");
        Assert.Equal(1, counters.RejectedByReason["invalid-json"]);
        Assert.Equal(1, records);
        Assert.True(counters.IsBalanced, counters.ToString());
        Assert.InRange(allocated, 0, 256 * 1024);
    }

    private static (InputCounters Counters, int Records) Read(byte[] input)
    {
        var state = new ZeekReaderState(ZeekReaderOptions.Default, "deep");
        var reader = new ZeekConnReader(input, state);
        var records = 0;
        while (reader.TryRead(out _))
        {
            records++;
        }

        return (state.Counters, records);
    }
}
