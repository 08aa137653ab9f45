using System.Text;
using PortMismatch.Detection.Suricata.Tests.Support;

namespace PortMismatch.Detection.Suricata.Tests;

public sealed class InputFormatTests
{
    [Theory]
    [InlineData("dns")]
    [InlineData("flow")]
    [InlineData("stats")]
    public void Eve_is_recognised_whatever_its_first_event(string first)
    {
        var head = first switch { "dns" => Eve.Dns, "flow" => Eve.Flow(), _ => """{"timestamp":"2024-11-26T08:06:23.000000+0100","event_type":"stats","stats":{"uptime":1}}""" } + "\n";

        Assert.True(SuricataEveInput.Format().IsMatch(Encoding.UTF8.GetBytes("\uFEFF\n" + head)));
        Assert.True(SuricataEveInput.Format().IsMatch(Encoding.UTF8.GetBytes(head[..(head.IndexOf("\"event_type\"", StringComparison.Ordinal) + 24)])), "a head cut inside the first line");
    }

    [Theory]
    [InlineData("""{"ts":1732604783.1,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp"}""")]
    [InlineData("""{"event_type":"flow"}""")]
    [InlineData("""{"timestamp":"2024-11-26T08:06:23.000000+0100","event_type":1}""")]
    [InlineData("#separator \\x09")]
    [InlineData("not json")]
    public void Other_content_is_not_eve_and_the_format_says_what_it_looked_for(string line)
    {
        var head = Encoding.UTF8.GetBytes(line + "\n");

        Assert.False(SuricataEveInput.Format().IsMatch(head));
        Assert.Equal("no JSON object with Suricata EVE's event_type and timestamp", SuricataEveInput.Format().ExplainMismatch(head));
    }

    [Fact]
    public async Task FlowInput_reads_eve_as_suricata()
    {
        var text = Eve.Dns + "\n" + Eve.Flow() + "\n";
        var source = FlowInput.StreamSource(new MemoryStream(Encoding.UTF8.GetBytes(text)), "eve.json", [SuricataEveInput.Format()]);
        var sink = new CollectingSink();

        await source.ReadAsync(sink, TestContext.Current.CancellationToken);

        Assert.Equal("suricata", source.Format?.Name);
        Assert.Single(sink.Rows);
        Assert.Equal("read 2 = accepted 1 + rejected 0 + skipped 1", source.Counters.ToString());
    }
}
