using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

public sealed class JsonReaderTests
{
    private const string Ssl = """{"ts":1546981792.481978,"uid":"Cu00My2F0RlLbdpIhj","id.orig_h":"192.168.86.167","id.orig_p":55010,"id.resp_h":"17.248.128.151","id.resp_p":8443,"proto":"tcp","service":"ssl","duration":20.022134,"orig_bytes":6181,"resp_bytes":11658,"conn_state":"SF","local_orig":true,"missed_bytes":0,"history":"ShADadFf","orig_pkts":22,"orig_ip_bytes":7337,"resp_pkts":17,"resp_ip_bytes":12550,"tunnel_parents":[]}""";

    [Fact]
    public void A_flat_json_record_maps_to_the_CIM_fields()
    {
        var outcome = ZeekInput.Read(Ssl + "\n");

        Assert.Equal(new Row(1546981792481978, "192.168.86.167", "17.248.128.151", 55010, 8443, Transport.Tcp, "ssl", 6181 + 11658, 39), Assert.Single(outcome.Rows));
        Assert.Equal(ZeekLogFormat.Json, outcome.State.Format);
    }

    [Fact]
    public void A_nested_id_object_is_read_like_flat_keys()
    {
        var line = """{"_path":"conn","_write_ts":"2019-01-08T21:09:52.481978Z","ts":"2021-06-09T20:55:13.160328Z","id":{"orig_h":"10.0.2.15","orig_p":46408,"resp_h":"2001:db8::44","resp_p":80,"vlan":3},"proto":"tcp","service":"http,-ssl"}""";

        var row = Assert.Single(ZeekInput.Read(line).Rows);

        Assert.Equal(new Row(FlowTime.FromDateTimeOffset(new DateTimeOffset(2021, 6, 9, 20, 55, 13, TimeSpan.Zero)) + 160328, "10.0.2.15", "2001:db8::44", 46408, 80, Transport.Tcp, "http", null, null), row);
    }

    [Fact]
    public void Missing_optional_fields_are_absent_and_unknown_fields_of_any_shape_are_ignored()
    {
        var line = """{"ts":1551399000.57855,"id.orig_h":"192.0.2.205","id.orig_p":3,"id.resp_h":"198.51.100.249","id.resp_p":3,"proto":"icmp","extra":{"a":[1,2,{"b":null}]},"flag":false,"n":null,"tunnel_parents":["CabcD"]}""";

        var row = Assert.Single(ZeekInput.Read(line).Rows);

        Assert.Equal(new Row(1551399000578550, "192.0.2.205", "198.51.100.249", 3, 3, Transport.Other, "", null, null), row);
    }

    [Theory]
    [InlineData("1300475167", 1300475167000000)]
    [InlineData("1300475167096", 1300475167096000)] // JSON::TS_MILLIS
    [InlineData("1.300475167096535e9", 1300475167096535)]
    [InlineData("\"1300475167.5\"", 1300475167500000)]
    [InlineData("\"2011-03-18T19:06:07.096535+01:00\"", 1300471567096535)]
    public void Ts_is_read_as_a_number_or_a_string(string ts, long micros)
    {
        Assert.Equal(micros, Assert.Single(ZeekInput.Read($$"""{"ts":{{ts}},"service":"dns"}""").Rows).Time);
    }

    [Fact]
    public void Escaped_strings_and_array_services_are_read()
    {
        var line = """{"ts":1,"id.orig_h":"10.0.0.\u0031","id.resp_h":"10.0.0.2","id.resp_p":"5353","proto":"\u0075dp","service":["dns","-mdns","\u0064hcp"]}""";

        var row = Assert.Single(ZeekInput.Read(line).Rows);

        Assert.Equal(("10.0.0.1", 5353, Transport.Udp, "dns|dhcp"), (row.Source, row.DestinationPort ?? -1, row.Transport, row.Apps));
    }

    [Fact]
    public void Records_of_other_logs_in_one_stream_are_skipped()
    {
        var text = """{"_path":"dns","ts":1,"query":"example.com"}""" + "\n" + Ssl + "\n" + """{"ts":2,"_path":"conn_long","service":"dns"}""";

        var outcome = ZeekInput.Read(text);

        Assert.Equal(2, outcome.Rows.Count);
        Assert.Equal(1, outcome.Counters.SkippedByReason["not-a-traffic-log"]);
    }

    [Theory]
    [InlineData("""{"ts":1,"id.resp_p":53""", "invalid-json")]
    [InlineData("""{"ts":1}{"ts":2}""", "invalid-json")]
    [InlineData("""[1,2]""", "invalid-json")]
    [InlineData("""{"ts":1,,}""", "invalid-json")]
    [InlineData("""{"id.orig_h":"10.0.0.1"}""", "missing-timestamp")]
    [InlineData("""{"ts":"yesterday"}""", "bad-timestamp")]
    [InlineData("""{"ts":true}""", "bad-timestamp")]
    [InlineData("""{"ts":1,"id.orig_h":"10.0.0.300"}""", "bad-address")]
    [InlineData("""{"ts":1,"id.resp_h":{"v":4}}""", "bad-address")]
    [InlineData("""{"ts":1,"id.resp_p":70000}""", "port-out-of-range")]
    [InlineData("""{"ts":1,"id.resp_p":53.5}""", "bad-port")]
    [InlineData("""{"ts":1,"orig_bytes":"many"}""", "bad-number")]
    public void A_bad_line_is_rejected_with_its_reason_and_the_next_line_is_read(string bad, string reason)
    {
        var outcome = ZeekInput.Read(Ssl + "\n" + bad + "\n" + Ssl + "\n");

        Assert.Equal(2, outcome.Rows.Count);
        var diagnostic = Assert.Single(outcome.Diagnostics);
        Assert.Equal((reason, 2L, (long)Encoding.UTF8.GetByteCount(Ssl) + 1), (diagnostic.Reason, diagnostic.LineNumber, diagnostic.ByteOffset));
    }

    [Fact]
    public void The_last_line_without_a_newline_is_read_and_a_truncated_one_is_rejected()
    {
        Assert.Single(ZeekInput.Read(Ssl).Rows);

        var outcome = ZeekInput.Read(Ssl + "\n" + Ssl[..40]);

        Assert.Single(outcome.Rows);
        Assert.Equal("invalid-json", Assert.Single(outcome.Diagnostics).Reason);
    }

    [Fact]
    public void The_same_records_read_from_tsv_and_json_are_equal()
    {
        var tsv = ZeekInput.Read(ConnLog.GenerateTsv(500, seed: 7));
        var json = ZeekInput.Read(ConnLog.GenerateJson(500, seed: 7));

        Assert.Equal(500, tsv.Rows.Count);
        Assert.Equal(tsv.Rows.Select(r => r with { Packets = null }), json.Rows.Select(r => r with { Packets = null }));
    }
}
