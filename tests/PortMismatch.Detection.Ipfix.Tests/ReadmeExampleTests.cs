using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>The package README's file example, verbatim except for the path and the collector (which needs a socket).</summary>
public sealed class ReadmeExampleTests
{
    private sealed class MismatchSink(MismatchEvaluator evaluator) : IFlowRecordSink
    {
        public int Mismatches { get; private set; }

        public void OnRecord(in FlowRecord record)
        {
            if (evaluator.IsMismatch(record))
            {
                Mismatches++;
            }
        }
    }

    [Fact]
    public async Task The_readme_example_finds_dns_off_port_53_but_not_a_dns_reply()
    {
        var path = Path.Combine(Path.GetTempPath(), $"readme-{Guid.NewGuid():N}.ipfix");
        var fields = new Field[] { (8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (96, 8) };
        await File.WriteAllBytesAsync(path, new IpfixBuilder().Template(256, fields).Data(256, Cat(
            Ip("10.0.0.1"), Ip("10.0.0.53"), U16(50234), U16(53), U8(17), Text("dns", 8), // a query: no finding
            Ip("10.0.0.53"), Ip("10.0.0.1"), U16(53), U16(50234), U8(17), Text("dns", 8), // its reply: not evaluated
            Ip("10.0.0.1"), Ip("203.0.113.9"), U16(50300), U16(5353), U8(17), Text("dns", 8))).Build(), TestContext.Current.CancellationToken);
        try
        {
            var errors = new StringWriter();
            var sink = new MismatchSink(new MismatchEvaluator(RuleSet.Escu));
            InputCounters counters = await IpfixInput.ReadFileAsync(path, sink, IpfixReaderOptions.Default, diagnostic => errors.WriteLine(diagnostic), TestContext.Current.CancellationToken);

            Assert.Equal(1, sink.Mismatches);
            Assert.Equal("read 4 = accepted 2 + rejected 0 + skipped 2", counters.ToString());
            Assert.Contains("reply-flow", errors.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
