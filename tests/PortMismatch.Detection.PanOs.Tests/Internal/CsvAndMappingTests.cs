namespace PortMismatch.Detection.PanOs.Tests.Internal;

public sealed class CsvAndMappingTests
{
    [Theory]
    [InlineData(30)]
    [InlineData(46)]
    [InlineData(65)]
    [InlineData(75)]
    [InlineData(105)]
    [InlineData(115)]
    [InlineData(131)]
    public void Every_PAN_OS_generation_field_count_maps_the_same_fields(int fieldCount)
    {
        var line = new TrafficLine(fieldCount).With(app: "web-browsing", destPort: "8081");

        var record = Assert.Single(ReadResult.Of(line + "\n").Records);

        Assert.Equal("web-browsing", record.Apps);
        Assert.Equal("192.168.15.207", record.Source);
        Assert.Equal("203.0.113.152", record.Destination);
        Assert.Equal(55113, record.SourcePort);
        Assert.Equal(8081, record.DestinationPort);
        Assert.Equal(Transport.Tcp, record.Transport);
        Assert.Equal(fieldCount > 31 ? 7734 : null, record.Bytes);
        Assert.Equal(fieldCount > 34 ? 36 : null, record.Packets);
    }

    [Fact]
    public void Quoted_fields_with_commas_doubled_quotes_and_spaces_do_not_shift_later_columns()
    {
        var line = new TrafficLine(115)
            .Set(11, "rule, with \"quotes\" and commas")
            .Set(12, "corp\\alice")
            .Set(13, " ")
            .Set(37, "a,b")
            .Set(109, "used-by-malware,able-to-transfer-file,\"x\"");

        var result = ReadResult.Of(line + "\n");

        var record = Assert.Single(result.Records);
        Assert.Equal("ssl", record.Apps);
        Assert.Equal(443, record.DestinationPort);
        Assert.Equal(36, record.Packets);
    }

    [Fact]
    public void A_quoted_app_is_unquoted_and_unescaped()
    {
        var result = ReadResult.Of(new TrafficLine().Set(14, "odd,\"app\"") + "\n" + new TrafficLine().SetVerbatim(14, "\"dns\"") + "\n");

        Assert.Equal(["odd,\"app\"", "dns"], result.Records.Select(r => r.Apps));
    }

    [Fact]
    public void The_link_switches_brace_list_keeps_its_commas_inside_one_field()
    {
        // Field 69 holds "{a,b,c}" unquoted; a quoted field after it must still parse.
        var line = new TrafficLine(75).SetVerbatim(69, "{2018/11/30 16:09:07,ethernet1/1,\"x\"}").Set(73, "site \"one\"");

        var result = ReadResult.Of(line + "\n");

        Assert.Single(result.Records);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Empty_fields_are_absent_values()
    {
        var line = new TrafficLine().Set(7, "").Set(14, "").Set(24, "").Set(25, "").Set(29, "").Set(31, "").Set(22, "");

        var result = ReadResult.Of(line + "\n");

        var record = Assert.Single(result.Records);
        Assert.Equal("-", record.Source);
        Assert.Equal("", record.Apps);
        Assert.Null(record.SourcePort);
        Assert.Null(record.DestinationPort);
        Assert.Equal(Transport.Unknown, record.Transport);
        Assert.Null(record.Bytes);
        Assert.Null(result.Extras[0].SessionId);
    }

    [Theory]
    [InlineData("tcp", Transport.Tcp)]
    [InlineData("UDP", Transport.Udp)]
    [InlineData("icmp", Transport.Other)]
    [InlineData("ipv6-icmp", Transport.Other)]
    [InlineData("sctp", Transport.Other)]
    [InlineData("6", Transport.Tcp)]
    [InlineData("17", Transport.Udp)]
    [InlineData("47", Transport.Other)]
    public void Transport_names_and_numbers_map(string text, Transport expected)
        => Assert.Equal(expected, Assert.Single(ReadResult.Of(new TrafficLine().With(transport: text) + "\n").Records).Transport);

    [Theory]
    [InlineData("2018/11/30 16:09:07", 0, "2018-11-30T16:09:07Z")]
    [InlineData("2021-05-26T16:26:47.000000Z", 0, "2021-05-26T16:26:47Z")]
    [InlineData("2021-05-26T16:26:47.123456789Z", 0, "2021-05-26T16:26:47.123456Z")]
    [InlineData("2021-05-26T16:26:47.5+02:00", 0, "2021-05-26T14:26:47.5Z")]
    [InlineData("2021-05-26T16:26:47-0530", 0, "2021-05-26T21:56:47Z")]
    [InlineData("2021-05-26T16:26:47+01", 0, "2021-05-26T15:26:47Z")]
    [InlineData("2024/02/29 00:00:00", 0, "2024-02-29T00:00:00Z")]
    [InlineData("2018/11/30 16:09:07", 3, "2018-11-30T13:09:07Z")]
    [InlineData("2021-05-26T16:26:47Z", 3, "2021-05-26T16:26:47Z")]
    public void Generated_time_is_the_event_time(string text, int zoneHours, string expectedUtc)
    {
        var zone = zoneHours == 0 ? TimeZoneInfo.Utc : TimeZoneInfo.CreateCustomTimeZone("test", TimeSpan.FromHours(zoneHours), "test", "test");
        var options = PanOsReaderOptions.Default with { TimeZone = zone };

        var record = Assert.Single(ReadResult.Of(new TrafficLine().Set(6, text).Set(1, "garbage receive time") + "\n", options).Records);

        Assert.Equal(DateTimeOffset.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture), FlowTime.ToDateTimeOffset(record.Time));
    }

    [Fact]
    public void Local_times_follow_the_daylight_saving_rules_of_the_configured_zone()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var options = PanOsReaderOptions.Default with { TimeZone = zone };
        var text = new TrafficLine().Set(6, "2024/01/15 12:00:00") + "\n" + new TrafficLine().Set(6, "2024/07/15 12:00:00") + "\n";

        var records = ReadResult.Of(text, options).Records;

        Assert.Equal(new DateTimeOffset(2024, 1, 15, 11, 0, 0, TimeSpan.Zero), FlowTime.ToDateTimeOffset(records[0].Time));
        Assert.Equal(new DateTimeOffset(2024, 7, 15, 10, 0, 0, TimeSpan.Zero), FlowTime.ToDateTimeOffset(records[1].Time));
    }

    [Theory]
    [InlineData("2024/03/31 02:30:00")]
    [InlineData("2024/10/27 02:30:00")]
    public void Local_times_in_a_daylight_saving_gap_or_overlap_are_read_not_refused(string local)
    {
        var options = PanOsReaderOptions.Default with { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") };

        var record = Assert.Single(ReadResult.Of(new TrafficLine().Set(6, local) + "\n", options).Records);

        var utc = FlowTime.ToDateTimeOffset(record.Time);
        var wall = DateTime.ParseExact(local, "yyyy/MM/dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange((wall - utc.UtcDateTime).TotalHours, 1, 2);
    }

    [Fact]
    public void Non_traffic_logs_are_skipped_and_counted()
    {
        var text = new TrafficLine().With(type: "THREAT", subtype: "url") + "\n"
                   + "1,2018/11/30 16:09:07,012801096514,SYSTEM,general,0,2018/11/30 16:09:07\n"
                   + new TrafficLine().With(type: "traffic") + "\n";

        var result = ReadResult.Of(text);

        Assert.Single(result.Records);
        Assert.Equal(2, result.Counters.Skipped);
        Assert.Equal(2, result.Counters.SkippedByReason["not-a-traffic-log"]);
        Assert.All(result.Diagnostics, d => Assert.Equal(RecordOutcome.Skipped, d.Outcome));
        Assert.Equal([1L, 2], result.Diagnostics.Select(d => d.LineNumber));
    }

    [Fact]
    public void Every_subtype_is_an_event_unless_the_subtype_option_narrows_it()
    {
        var text = string.Concat(new[] { "start", "end", "drop", "deny", "", "test" }.Select(s => new TrafficLine().With(subtype: s) + "\n"));

        var all = ReadResult.Of(text);
        var endOnly = ReadResult.Of(text, PanOsReaderOptions.Default with { Subtypes = PanOsSubtypes.End });

        Assert.Equal(
            [PanOsTrafficSubtype.Start, PanOsTrafficSubtype.End, PanOsTrafficSubtype.Drop, PanOsTrafficSubtype.Deny, PanOsTrafficSubtype.Other, PanOsTrafficSubtype.Other],
            all.Extras.Select(e => e.Subtype));
        Assert.Equal("test", all.Extras[5].SubtypeText);
        Assert.Single(endOnly.Records);
        Assert.Equal(5, endOnly.Counters.SkippedByReason["subtype-not-selected"]);
    }

    [Fact]
    public void The_NAT_destination_option_uses_fields_10_and_27_when_there_is_destination_NAT()
    {
        var natted = new TrafficLine().Set(8, "198.51.100.7").Set(25, "8443").Set(10, "10.0.0.7").Set(27, "443");
        var notNatted = new TrafficLine().Set(8, "198.51.100.7").Set(25, "8443").Set(10, "0.0.0.0").Set(27, "0");
        var options = PanOsReaderOptions.Default with { UseNatDestination = true };

        var plain = ReadResult.Of(natted + "\n").Records[0];
        var nat = ReadResult.Of(natted + "\n" + notNatted + "\n", options).Records;

        Assert.Equal(("198.51.100.7", (int?)8443), (plain.Destination, plain.DestinationPort));
        Assert.Equal(("10.0.0.7", (int?)443), (nat[0].Destination, nat[0].DestinationPort));
        Assert.Equal(("198.51.100.7", (int?)8443), (nat[1].Destination, nat[1].DestinationPort));
    }

    [Fact]
    public void IPv6_addresses_are_read()
    {
        var record = Assert.Single(ReadResult.Of(new TrafficLine().Set(7, "2001:db8::1").Set(8, "2001:DB8:0:0:0:0:0:2") + "\n").Records);

        Assert.Equal(("2001:db8::1", "2001:db8::2"), (record.Source, record.Destination));
    }
}
