using System.Collections.Immutable;
using System.Text;
using PortMismatch.Detection.Tests.Aggregation;

namespace PortMismatch.Detection.Tests.Filtering;

public sealed class AllowListTests
{
    private static MismatchRow Row(string source, string destination, string app, int port, params Transport[] transports)
        => new(IPAddressValue.Parse(source), IPAddressValue.Parse(destination), app, port, 1, 0, 0, null, [.. transports]);

    private static readonly AllowList List = AllowListJson.Parse("""
        { "allow": [
            // printers answer mDNS
            { "comment": "mDNS from the printer VLAN", "app": "dns", "ports": [5353], "source": "10.20.0.0/16", "transport": "udp" },
            { "comment": "the proxy", "destination": "192.0.2.10", "ports": ["3128-3130"] },
            { "comment": "IPv6 lab", "source": "2001:db8:1::/48" },
        ] }
        """u8);

    [Theory]
    [InlineData("10.20.1.1", "224.0.0.251", "DNS", 5353, Transport.Udp, 0)]
    [InlineData("10.20.1.1", "224.0.0.251", "dns", 5353, Transport.Tcp, -1)]
    [InlineData("10.21.1.1", "224.0.0.251", "dns", 5353, Transport.Udp, -1)]
    [InlineData("10.20.1.1", "224.0.0.251", "dns", 5354, Transport.Udp, -1)]
    [InlineData("10.0.0.1", "192.0.2.10", "http", 3129, Transport.Tcp, 1)]
    [InlineData("10.0.0.1", "192.0.2.11", "http", 3129, Transport.Tcp, -1)]
    [InlineData("2001:db8:1:ff::1", "2001:db8::2", "ssl", 4444, Transport.Tcp, 2)]
    [InlineData("2001:db8:2::1", "2001:db8::2", "ssl", 4444, Transport.Tcp, -1)]
    public void Every_condition_of_an_entry_must_hold(string source, string destination, string app, int port, Transport transport, int entry)
        => Assert.Equal(entry, List.IndexOfMatch(Row(source, destination, app, port, transport)));

    [Fact]
    public void An_app_entry_matches_the_rows_printed_text_so_a_backslash_is_written_x5c()
    {
        // As the README and AllowListJson say: the bytes ssl\x (a backslash inside) print as ssl\x5cx, and only an entry
        // written that way matches (in JSON the backslash of \x5c is itself escaped).
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), sink, AggregatorOptions.Default with { Grouping = AppGrouping.AllValues });
        var record = new FlowRecord
        {
            SourceAddress = IPAddressValue.Parse("10.0.0.1"),
            DestinationAddress = IPAddressValue.Parse("192.0.2.1"),
            DestinationPort = 4444,
            Transport = Transport.Tcp,
            Apps = AppValues.Split("ssl,ssl\\x"u8, (byte)','),
        };
        aggregator.Add(record);
        aggregator.Complete();
        var row = Assert.Single(sink.Rows, r => r.App != "ssl");
        Assert.Equal(@"ssl\x5cx", row.App);

        var escaped = AllowListJson.Parse("""{ "allow": [ { "comment": "escaped", "app": "SSL\\x5cx" } ] }"""u8);
        var raw = AllowListJson.Parse("""{ "allow": [ { "comment": "raw", "app": "ssl\\x" } ] }"""u8);
        Assert.Equal(0, escaped.IndexOfMatch(row));
        Assert.Equal(-1, raw.IndexOfMatch(row));
    }

    [Fact]
    public void Matching_rows_counts_no_rule_loading_work()
    {
        // RuleWork is a test counter of the rule loading and compiling paths; the allow-list runs per row and must not pay for it.
        // The static list is parsed on first use, which may be this test's; load it before taking the count.
        var list = List;
        var row = Row("10.20.1.1", "224.0.0.251", "DNS", 5353, Transport.Udp);
        var before = Internal.RuleWork.Steps;
        for (var i = 0; i < 1_000; i++)
        {
            Assert.Equal(0, list.IndexOfMatch(row));
        }

        Assert.Equal(before, Internal.RuleWork.Steps);
    }

    [Fact]
    public void A_transport_condition_needs_every_record_of_the_row_on_that_transport()
        => Assert.Equal(-1, List.IndexOfMatch(Row("10.20.1.1", "224.0.0.251", "dns", 5353, Transport.Udp, Transport.Tcp)));

    [Fact]
    public void The_filter_counts_what_each_entry_removed_and_passes_the_rest()
    {
        var sink = new ListSink();
        var filter = new RowFilter(sink, List, keep: row => row.App != "smtp");
        filter.OnRow(Row("10.20.1.1", "224.0.0.251", "dns", 5353, Transport.Udp));
        filter.OnRow(Row("10.20.1.2", "224.0.0.251", "dns", 5353, Transport.Udp));
        filter.OnRow(Row("10.0.0.1", "192.0.2.10", "http", 3128, Transport.Tcp));
        filter.OnRow(Row("10.0.0.1", "192.0.2.99", "smtp", 2525, Transport.Tcp));
        filter.OnRow(Row("10.0.0.1", "192.0.2.99", "ssl", 4444, Transport.Tcp));
        Assert.Equal((2L, 1L, 0L), (filter.RowsRemovedBy(0), filter.RowsRemovedBy(1), filter.RowsRemovedBy(2)));
        Assert.Equal(1, filter.RowsRemovedByPredicate);
        Assert.Equal(1, filter.RowsKept);
        Assert.Equal("ssl", Assert.Single(sink.Rows).App);
    }

    [Theory]
    [InlineData("""{"allow":[{"app":"dns"}]}""", "$.allow[0].comment")]
    [InlineData("""{"allow":[{"comment":" ","app":"dns"}]}""", "$.allow[0].comment")]
    [InlineData("""{"allow":[{"comment":"everything"}]}""", "$.allow[0]")]
    [InlineData("""{"allow":[{"comment":"c","source":"10.0.0.0/33"}]}""", "$.allow[0].source")]
    [InlineData("""{"allow":[{"comment":"c","destination":"example.com"}]}""", "$.allow[0].destination")]
    [InlineData("""{"allow":[{"comment":"c","ports":[1,"x"]}]}""", "$.allow[0].ports[1]")]
    [InlineData("""{"allow":[{"comment":"c","transport":"icmp"}]}""", "$.allow[0].transport")]
    [InlineData("""{"allow":[{"comment":"c","app":""}]}""", "$.allow[0].app")]
    [InlineData("""{"allow":[{"comment":"c","dest_port":80}]}""", "$.allow[0].dest_port")]
    [InlineData("""{"allow":[null]}""", "$.allow[0]")]
    [InlineData("""{"rules":[]}""", "$.rules")]
    [InlineData("""[]""", "$")]
    public void Bad_entries_fail_with_their_json_path(string json, string path)
    {
        var error = Assert.Throws<ConfigurationFormatException>(() => AllowListJson.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(path, error.JsonPath);
    }

    [Fact]
    public void Entries_without_a_condition_cannot_be_built_in_code_either()
        => Assert.Throws<ArgumentException>(() => new AllowList([new AllowListEntry("allow everything")]));

    [Fact]
    public void Entries_need_a_comment()
        => Assert.Throws<ArgumentException>(() => new AllowListEntry(" ") { App = "dns" });
}
