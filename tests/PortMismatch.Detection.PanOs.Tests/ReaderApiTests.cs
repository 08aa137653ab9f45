using System.Text;

namespace PortMismatch.Detection.PanOs.Tests;

public sealed class ReaderApiTests
{
    [Fact]
    public void The_README_example_finds_the_mismatch_and_balances_its_counters()
    {
        var input = Encoding.UTF8.GetBytes(
            "Nov 30 16:09:08 PA-220 " + new TrafficLine().With(app: "web-browsing", destPort: "80") + "\n"
            + "Nov 30 16:09:09 PA-220 " + new TrafficLine().With(app: "web-browsing", destPort: "443") + "\n"
            + "Nov 30 16:09:10 PA-220 " + new TrafficLine().With(type: "THREAT") + "\n");
        var diagnostics = new List<InputDiagnostic>();
        var evaluator = new MismatchEvaluator(RuleSet.Escu);
        var found = new List<(int Port, long? Session, string Host)>();

        var reader = new PanOsTrafficReader(input, new PanOsReaderState(PanOsReaderOptions.Default, "traffic.log", diagnostics.Add));
        while (reader.TryRead(out var record))
        {
            if (evaluator.IsMismatch(record))
            {
                found.Add((record.EffectiveDestinationPort, reader.SessionId, Encoding.UTF8.GetString(reader.SyslogHostName)));
            }
        }

        Assert.Equal([(443, (long?)22751, "PA-220")], found);
        Assert.Equal("read 3 = accepted 2 + rejected 0 + skipped 1", reader.State.Counters.ToString());
        var thirdLineOffset = Array.IndexOf(input, (byte)'\n', Array.IndexOf(input, (byte)'\n') + 1) + 1;
        Assert.Equal(
            $"traffic.log:3 (byte {thirdLineOffset}): skipped (not-a-traffic-log): log type (field 3) is not TRAFFIC: \"THREAT\"",
            Assert.Single(diagnostics).ToString());
    }

    [Fact]
    public void A_default_reader_reads_nothing()
    {
        var reader = default(PanOsTrafficReader);

        Assert.False(reader.TryRead(out _));
        Assert.Equal(0, reader.BytesConsumed);
    }

    [Fact]
    public void An_empty_input_reads_nothing()
    {
        var reader = new PanOsTrafficReader(ReadOnlySpan<byte>.Empty, new PanOsReaderState());

        Assert.False(reader.TryRead(out _));
        Assert.False(reader.TryRead(out _));
        Assert.Equal(0, reader.State.Counters.Read);
    }

    [Fact]
    public void A_bad_NAT_destination_is_rejected_only_when_the_NAT_option_is_on()
    {
        var line = new TrafficLine().Set(10, "not-an-ip") + "\n";

        var plain = ReadResult.Of(line);
        var nat = ReadResult.Of(line, PanOsReaderOptions.Default with { UseNatDestination = true });

        Assert.Single(plain.Records);
        Assert.Equal("bad-address", Assert.Single(nat.Diagnostics).Reason);
    }

    [Fact]
    public void Records_and_exposed_spans_are_those_of_the_current_line()
    {
        var text = "<14>Nov 30 16:09:08 fw-a " + new TrafficLine().With(subtype: "start", app: "dns") + "\n"
                   + "<14>1 2018-11-30T16:09:09Z fw-b - - - - " + new TrafficLine().With(subtype: "deny", app: "smtp") + "\n";

        var result = ReadResult.Of(text);

        Assert.Equal(["dns", "smtp"], result.Records.Select(r => r.Apps));
        Assert.Equal(["fw-a", "fw-b"], result.Extras.Select(e => e.Host));
        Assert.Equal(["start", "deny"], result.Extras.Select(e => e.SubtypeText));
        Assert.Equal([0L, Encoding.UTF8.GetByteCount(text.Split('\n')[0]) + 1L], result.Extras.Select(e => e.Offset));
    }
}
