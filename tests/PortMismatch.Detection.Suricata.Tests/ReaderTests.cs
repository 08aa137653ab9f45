using System.Text;
using PortMismatch.Detection.Suricata.Tests.Support;

namespace PortMismatch.Detection.Suricata.Tests;

public sealed class ReaderTests
{
    [Fact]
    public void A_flow_event_is_a_record_of_both_directions_at_the_flows_start()
    {
        var outcome = Eve.Read(Eve.Flow() + "\n");

        var row = Assert.Single(outcome.Rows);
        Assert.Equal(new Row(Eve.Micros("2024-11-26T08:06:23.123456+0100"), "10.0.0.1", "10.0.0.2", 49152, 80, Transport.Tcp, "http", 1000, 7), row);
        Assert.Equal("read 1 = accepted 1 + rejected 0 + skipped 0", outcome.Counters.ToString());
    }

    [Fact]
    public void A_netflow_event_is_a_record_of_its_own_direction()
    {
        var outcome = Eve.Read(Eve.Netflow(src: "fe80::20c:29ff:fef3:cf38", dest: "fe80::20c:29ff:faf2:ab42", srcPort: 58307) + "\n");

        var row = Assert.Single(outcome.Rows);
        Assert.Equal(new Row(Eve.Micros("2016-05-27T06:56:11.304062+0000"), "fe80::20c:29ff:fef3:cf38", "fe80::20c:29ff:faf2:ab42", 58307, 80, Transport.Tcp, "http", 425, 6), row);
    }

    [Theory]
    [InlineData("2024-11-26T08:06:23.123456+0100", "2024-11-26T07:06:23.123456+00:00")]
    [InlineData("2024-11-26T08:06:23.123456-0530", "2024-11-26T13:36:23.123456+00:00")]
    [InlineData("2024-11-26T08:06:23.123456+01:00", "2024-11-26T07:06:23.123456+00:00")]
    [InlineData("2024-02-29T23:59:59.999999Z", "2024-02-29T23:59:59.999999+00:00")]
    [InlineData("1999-12-03T07:49:57.290000+0000", "1999-12-03T07:49:57.290000+00:00")]
    [InlineData("2024-11-26T08:06:23.1234567+0000", "2024-11-26T08:06:23.123456+00:00")] // beyond microseconds: cut
    [InlineData("2024-11-26T08:06:23+0000", "2024-11-26T08:06:23.000000+00:00")]
    public void Timestamps_are_iso_8601_with_their_offset(string written, string utc)
    {
        var outcome = Eve.Read(Eve.Flow(start: written));

        Assert.Equal(Eve.Micros(utc), Assert.Single(outcome.Rows).Time);
    }

    [Fact]
    public void Without_flow_start_the_events_timestamp_is_the_time()
    {
        var line = Eve.Flow().Replace("\"start\":\"2024-11-26T08:06:23.123456+0100\",", string.Empty, StringComparison.Ordinal);

        var outcome = Eve.Read(line);

        Assert.Equal(Eve.Micros("2024-11-26T08:06:30.000000+0100"), Assert.Single(outcome.Rows).Time);
    }

    [Theory]
    [InlineData("failed", "")]
    [InlineData("unknown", "")]
    [InlineData(null, "")]
    [InlineData("dcerpc", "dcerpc")]
    [InlineData("tls", "tls")]
    public void App_proto_is_the_app_and_failed_or_unknown_is_none(string? app, string expected)
    {
        Assert.Equal(expected, Assert.Single(Eve.Read(Eve.Flow(app: app)).Rows).Apps);
    }

    [Fact]
    public void After_a_protocol_change_the_original_protocol_and_the_one_it_changed_to_are_apps()
    {
        // SMTP STARTTLS on 25: Suricata writes app_proto tls, app_proto_orig smtp; the rules' upgrade-of relation judges tls.
        var starttls = Eve.Read(Eve.Flow(destPort: 25, app: "tls", extra: ",\"app_proto_orig\":\"smtp\""));
        var connect = Eve.Read(Eve.Flow(destPort: 3128, app: "tls", extra: ",\"app_proto_orig\":\"http\""));
        var expectedFailed = Eve.Read(Eve.Flow(destPort: 25, app: "failed", extra: ",\"app_proto_orig\":\"smtp\",\"app_proto_expected\":\"tls\""));

        Assert.Equal("smtp|tls", Assert.Single(starttls.Rows).Apps);
        Assert.Equal("http|tls", Assert.Single(connect.Rows).Apps);
        Assert.Equal("smtp", Assert.Single(expectedFailed.Rows).Apps);
    }

    [Theory]
    [InlineData(25, "")]
    [InlineData(2525, "smtp,tls")]
    public void Tls_after_starttls_is_a_finding_only_where_smtp_is_off_its_port(int port, string flagged)
    {
        var evaluator = new MismatchEvaluator(RuleSet.Extended);
        var reader = new SuricataEveReader(Encoding.UTF8.GetBytes(Eve.Flow(destPort: port, app: "tls", extra: ",\"app_proto_orig\":\"smtp\"")), new SuricataReaderState());
        Assert.True(reader.TryRead(out var record));
        var evaluation = evaluator.Evaluate(record);
        var values = new List<string>();
        var index = 0;
        foreach (var value in record.Apps)
        {
            if ((evaluation.MismatchMask & (1UL << index++)) != 0)
            {
                values.Add(Encoding.UTF8.GetString(value));
            }
        }

        Assert.Equal(flagged, string.Join(",", values));
    }

    [Fact]
    public void Each_directions_protocol_is_an_app_when_they_differ()
    {
        var outcome = Eve.Read(Eve.Flow(destPort: 135, app: "dcerpc", extra: ",\"app_proto_ts\":\"dcerpc\",\"app_proto_tc\":\"http\""));

        Assert.Equal("dcerpc|http", Assert.Single(outcome.Rows).Apps);
    }

    [Theory]
    [InlineData("escu", 25, 0)]
    [InlineData("escu", 2525, 1)]
    [InlineData("extended", 25, 0)]
    [InlineData("extended", 587, 0)]
    [InlineData("extended", 2525, 1)]
    public void Tls_after_starttls_is_expected_on_smtps_port_and_neither_flags_it_nor_hides_smtp_off_it(string rules, int port, int mismatches)
    {
        var line = Eve.Flow(destPort: port, app: "tls", extra: ",\"app_proto_orig\":\"smtp\"");

        Assert.Equal(mismatches, Mismatches(line, rules));
    }

    [Theory]
    [InlineData(3128, 0)]
    [InlineData(4444, 1)]
    public void Tls_in_an_http_connect_tunnel_is_expected_on_the_proxys_port(int port, int mismatches)
    {
        var line = Eve.Flow(destPort: port, app: "tls", extra: ",\"app_proto_orig\":\"http\"");

        Assert.Equal(mismatches, Mismatches(line, "extended"));
    }

    [Fact]
    public void Tls_on_25_without_a_protocol_change_is_a_mismatch_under_extended()
    {
        Assert.Equal(1, Mismatches(Eve.Flow(destPort: 25, app: "tls"), "extended"));
    }

    [Theory]
    [InlineData("krb5", "UDP", 88, 0)]
    [InlineData("krb5", "TCP", 8888, 1)]
    [InlineData("pgsql", "TCP", 5432, 0)]
    [InlineData("pgsql", "TCP", 15432, 1)]
    [InlineData("http2", "TCP", 80, 0)]
    [InlineData("http2", "TCP", 4444, 1)]
    [InlineData("dcerpc", "TCP", 49667, 0)] // dynamic RPC ports: no rule
    public void Suricatas_app_names_are_aliases_in_the_extended_pack(string app, string proto, int port, int mismatches)
    {
        Assert.Equal(mismatches, Mismatches(Eve.Flow(proto: proto, destPort: port, app: app), "extended"));
    }

    private static int Mismatches(string line, string rules)
    {
        var evaluator = new MismatchEvaluator(RuleSets.Get(rules));
        var reader = new SuricataEveReader(Encoding.UTF8.GetBytes(line), new SuricataReaderState());
        var count = 0;
        while (reader.TryRead(out var record))
        {
            count += evaluator.IsMismatch(record) ? 1 : 0;
        }

        return count;
    }

    [Fact]
    public void Events_of_other_types_are_skipped_and_counted()
    {
        var outcome = Eve.Read(Eve.Dns + "\n" + Eve.Flow() + "\n" + """{"timestamp":"2024-11-26T08:06:23.000000+0100","event_type":"stats","stats":{"uptime":1}}""" + "\n");

        Assert.Single(outcome.Rows);
        Assert.Equal("read 3 = accepted 1 + rejected 0 + skipped 2", outcome.Counters.ToString());
        Assert.Equal(2, outcome.Counters.SkippedByReason["not-a-flow-event"]);
        Assert.Equal("a 'dns' event, not flow or netflow", outcome.Diagnostics[0].Message);
        Assert.Equal((1L, 0L), (outcome.Diagnostics[0].LineNumber, outcome.Diagnostics[0].ByteOffset));
        Assert.Equal((3L, (long)(Eve.Dns.Length + Eve.Flow().Length + 2)), (outcome.Diagnostics[1].LineNumber, outcome.Diagnostics[1].ByteOffset));
    }

    [Fact]
    public void The_reply_half_of_a_netflow_pair_is_skipped_unless_replies_are_asked_for()
    {
        var text = Eve.Netflow(flowId: 9) + "\n" + Eve.Netflow(flowId: 9, src: "10.0.0.2", srcPort: 80, dest: "10.0.0.1", destPort: 49152, bytes: 495, pkts: 4) + "\n"
            + Eve.Netflow(flowId: 10, srcPort: 50000) + "\n";

        var initiatorsOnly = Eve.Read(text);
        var both = Eve.Read(text, SuricataReaderOptions.Default with { IncludeReplies = true });

        Assert.Equal([80, 80], initiatorsOnly.Rows.Select(r => r.DestinationPort ?? -1));
        Assert.Equal("read 3 = accepted 2 + rejected 0 + skipped 1", initiatorsOnly.Counters.ToString());
        Assert.Equal(1, initiatorsOnly.Counters.SkippedByReason["reply-flow"]);
        Assert.Equal("the reply half of a netflow pair (flow_id 9, source port 80, destination port 49152)", Assert.Single(initiatorsOnly.Diagnostics).Message);
        Assert.Equal([80, 49152, 80], both.Rows.Select(r => r.DestinationPort ?? -1));
    }

    [Fact]
    public void A_netflow_event_with_the_same_flow_id_but_ports_not_swapped_is_no_reply()
    {
        var outcome = Eve.Read(Eve.Netflow(flowId: 9) + "\n" + Eve.Netflow(flowId: 9) + "\n");

        Assert.Equal(2, outcome.Rows.Count);
    }

    [Fact]
    public void Flow_events_are_never_replies()
    {
        var outcome = Eve.Read(Eve.Flow(flowId: 9) + "\n" + Eve.Flow(flowId: 9, src: "10.0.0.2", srcPort: 80, dest: "10.0.0.1", destPort: 49152) + "\n");

        Assert.Equal(2, outcome.Rows.Count);
    }

    public static TheoryData<string, string, string> Rejections => new()
    {
        { "{\"timestamp\":1", "invalid-json", "invalid JSON at byte" },
        { "[1,2]", "invalid-json", "the line is not a JSON object: '[1,2]'" },
        { Eve.Flow() + " {}", "invalid-json", "invalid JSON at byte 534: '{' is invalid after a single JSON value" },
        { "{\"src_ip\":\"10.0.0.1\"}", "missing-event-type", "the object has no event_type: not an EVE event" },
        { Eve.Flow(start: "yesterday"), "bad-timestamp", "flow.start is not an ISO 8601 time with its offset: 'yesterday'" },
        { Eve.Flow(start: "2024-02-30T00:00:00.000000+0000"), "bad-timestamp", "flow.start is not an ISO 8601 time with its offset: '2024-02-30T00:00:00.000000+0000'" },
        { Eve.Flow(start: "2024-11-26T08:06:23.123456"), "bad-timestamp", "flow.start is not an ISO 8601 time with its offset: '2024-11-26T08:06:23.123456'" },
        { """{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"TCP","flow":{"pkts_toserver":1}}""", "missing-timestamp", "the event has neither flow.start nor timestamp" },
        { """{"event_type":"netflow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"TCP","netflow":{"pkts":1}}""", "missing-timestamp", "the event has neither netflow.start nor timestamp" },
        { Eve.Flow(src: "10.0.0.256"), "bad-address", "src_ip is not an IP address: '10.0.0.256'" },
        { Eve.Flow(dest: "host.example"), "bad-address", "dest_ip is not an IP address: 'host.example'" },
        { Eve.Flow().Replace("\"dest_ip\":\"10.0.0.2\",", string.Empty, StringComparison.Ordinal), "missing-address", "the event has no dest_ip" },
        { Eve.Flow(destPort: 65536), "port-out-of-range", "dest_port is not in 0-65535: '65536'" },
        { Eve.Flow(srcPort: -1), "port-out-of-range", "src_port is not in 0-65535: '-1'" },
        { Eve.Flow().Replace("\"dest_port\":80", "\"dest_port\":\"http\"", StringComparison.Ordinal), "bad-port", "dest_port is not a port number: 'http'" },
        { Eve.Flow().Replace("\"dest_port\":80", "\"dest_port\":80.5", StringComparison.Ordinal), "bad-port", "dest_port is not a port number: '80.5'" },
        { Eve.Flow(bytesToServer: -5), "bad-number", "a byte or packet count of flow is not a count: '-5'" },
        { Eve.Flow().Replace("\"app_proto\":\"http\"", "\"app_proto\":7", StringComparison.Ordinal), "bad-app-proto", "app_proto is not a string: '7'" },
        { Eve.Flow(app: new string('h', 65)), "bad-app-proto", "app_proto is longer than 64 bytes, no Suricata protocol name: 'hhhh" },
        { "{\"event_type\":\"flow\",\"src_ip\":\"\\udd00\"}", "bad-address", "src_ip is not an IP address:" }, // an escaped lone surrogate is no text
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Every_bad_event_is_rejected_with_its_reason_and_position(string line, string reason, string message)
    {
        var text = Eve.Dns + "\n" + line + "\n" + Eve.Flow() + "\n";

        var outcome = Eve.Read(text);

        Assert.Single(outcome.Rows);
        Assert.Equal(1, outcome.Counters.RejectedByReason[reason]);
        Assert.True(outcome.Counters.IsBalanced);
        var diagnostic = outcome.Diagnostics.Single(d => d.Outcome == RecordOutcome.Rejected);
        Assert.Equal(reason, diagnostic.Reason);
        Assert.StartsWith(message, diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(("eve.json", 2L, (long)Eve.Dns.Length + 1), (diagnostic.InputName, diagnostic.LineNumber, diagnostic.ByteOffset));
    }

    [Fact]
    public void Invalid_utf8_is_rejected()
    {
        var bytes = Encoding.UTF8.GetBytes(Eve.Flow(app: "XX") + "\n");
        var at = Array.IndexOf(bytes, (byte)'X');
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        var state = new SuricataReaderState();
        var reader = new SuricataEveReader(bytes, state);

        Assert.False(reader.TryRead(out _));
        Assert.Equal(1, state.Counters.RejectedByReason["invalid-utf8"]);
    }

    [Fact]
    public void A_line_over_the_limit_is_rejected_and_reading_resumes_after_it_across_blocks()
    {
        var options = SuricataReaderOptions.Default with { MaxLineLength = 1000 };
        var longLine = Eve.Flow(extra: ",\"pad\":\"" + new string('x', 3000) + "\"");
        var bytes = Encoding.UTF8.GetBytes(Eve.Flow() + "\n" + longLine + "\n" + Eve.Flow() + "\n");
        var state = new SuricataReaderState(options, "eve.json");
        var count = 0;
        var offset = 0;
        foreach (var size in new[] { 700, 700, 700, 700, 700, 700, 700, 700 })
        {
            var end = Math.Min(bytes.Length, offset + size);
            var reader = new SuricataEveReader(bytes.AsSpan(offset, end - offset), state, isFinalBlock: false);
            while (reader.TryRead(out _))
            {
                count++;
            }

            offset += (int)reader.BytesConsumed;
        }

        var last = new SuricataEveReader(bytes.AsSpan(offset), state, isFinalBlock: true);
        while (last.TryRead(out _))
        {
            count++;
        }

        Assert.Equal(2, count);
        Assert.Equal("read 3 = accepted 2 + rejected 1 + skipped 0", state.Counters.ToString());
        Assert.Equal(1, state.Counters.RejectedByReason["line-too-long"]);
    }

    [Fact]
    public void Blank_lines_a_byte_order_mark_and_crlf_line_ends_are_read_as_suricata_and_jq_read_them()
    {
        var outcome = Eve.Read("\uFEFF" + Eve.Flow() + "\r\n\r\n   \n" + Eve.Netflow() + "\r\n");

        Assert.Equal(2, outcome.Rows.Count);
        Assert.Equal("read 2 = accepted 2 + rejected 0 + skipped 0", outcome.Counters.ToString());
    }

    [Fact]
    public void Escaped_keys_and_values_are_read_unescaped()
    {
        var line = Eve.Flow().Replace("\"event_type\":\"flow\"", "\"event\\u005ftype\":\"fl\\u006fw\"", StringComparison.Ordinal)
            .Replace("\"app_proto\":\"http\"", "\"app_proto\":\"htt\\u0070\"", StringComparison.Ordinal)
            .Replace("\"src_ip\":\"10.0.0.1\"", "\"src_ip\":\"10.0.0.\\u0031\"", StringComparison.Ordinal);

        var row = Assert.Single(Eve.Read(line).Rows);

        Assert.Equal(("10.0.0.1", "http"), (row.Source, row.Apps));
    }

    [Theory]
    [InlineData("UDP", Transport.Udp)]
    [InlineData("TCP", Transport.Tcp)]
    [InlineData("SCTP", Transport.Other)]
    [InlineData("ICMP", Transport.Other)]
    [InlineData("IPv6-ICMP", Transport.Other)]
    public void Proto_is_the_transport(string proto, Transport transport)
    {
        Assert.Equal(transport, Assert.Single(Eve.Read(Eve.Flow(proto: proto)).Rows).Transport);
    }

    [Fact]
    public void An_icmp_flow_has_no_ports()
    {
        var line = """{"timestamp":"2024-11-26T08:06:23.123456+0100","flow_id":3,"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"ICMP","icmp_type":8,"icmp_code":0,"flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":98,"bytes_toclient":98,"start":"2024-11-26T08:06:23.123456+0100"}}""";

        var row = Assert.Single(Eve.Read(line).Rows);

        Assert.Equal((null, null, 196L, 2L), (row.SourcePort, row.DestinationPort, row.Bytes, row.Packets));
    }

    [Fact]
    public void Options_below_the_minimum_are_refused_naming_the_option()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SuricataReaderState(SuricataReaderOptions.Default with { MaxLineLength = 10 }));

        Assert.Contains("MaxLineLength", e.Message, StringComparison.Ordinal);
    }
}
