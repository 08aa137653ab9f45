using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

public sealed class TsvReaderTests
{
    [Fact]
    public void A_zeek_6_record_maps_to_the_CIM_fields()
    {
        var outcome = ZeekInput.Read(ConnLog.Header() + ConnLog.Line("1300475167.096535", "141.142.220.202", "5353", "224.0.0.251", "5353", "udp", "dns", "73", "0", "1", "0") + ConnLog.Close);

        var row = Assert.Single(outcome.Rows);
        Assert.Equal(new Row(1300475167096535, "141.142.220.202", "224.0.0.251", 5353, 5353, Transport.Udp, "dns", 73, 1), row);
        Assert.Equal(ZeekLogFormat.Tsv, outcome.State.Format);
        Assert.Equal("read 1 = accepted 1 + rejected 0 + skipped 0", outcome.Counters.ToString());
    }

    [Fact]
    public void Columns_are_found_by_name_whatever_their_order_and_extra_columns()
    {
        string[] fields = ["_write_ts", "service", "id.resp_p", "proto", "vlan", "id.resp_h", "failed_service", "id.orig_p", "id.orig_h", "ts", "orig_l2_addr"];
        var line = "1300475170.000000\tssl,http\t8443\ttcp\t10\t2001:db8::1\tftp\t50000\t10.0.0.1\t1300475167.5\t00:11:22:33:44:55\n";

        var row = Assert.Single(ZeekInput.Read(ConnLog.Header(fields) + line).Rows);

        Assert.Equal(new Row(1300475167500000, "10.0.0.1", "2001:db8::1", 50000, 8443, Transport.Tcp, "ssl|http", null, null), row);
    }

    [Fact]
    public void Unset_and_empty_values_are_absent()
    {
        var outcome = ZeekInput.Read(ConnLog.Header() + ConnLog.Line("1.0", "-", "-", "-", "-", "-", "(empty)", "-", "-", "-", "-"));

        var row = Assert.Single(outcome.Rows);
        Assert.Equal(new Row(1_000_000, "", "", null, null, Transport.Unknown, "", null, null), row);
    }

    [Theory]
    [InlineData("ftp,-ftp", "ftp")]
    [InlineData("-ftp", "")]
    [InlineData("ssl,http", "ssl|http")]
    [InlineData("krb,gssapi,ldap_tcp", "krb|gssapi|ldap_tcp")]
    [InlineData("ftp-data", "ftp-data")]
    [InlineData("-ssl,http,-smtp", "http")]
    [InlineData("ht\\x74p", "http")]
    [InlineData("a\\x2cb,dns", "a,b|dns")]
    [InlineData("\\x2d", "-")]
    [InlineData("dns\\", "dns\\")]
    public void Service_is_split_on_the_set_separator_without_removed_analyzers_and_with_escapes_decoded(string service, string expected)
    {
        var row = Assert.Single(ZeekInput.Read(ConnLog.Header() + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "2", "tcp", service)).Rows);

        Assert.Equal(expected, row.Apps);
    }

    [Fact]
    public void An_escaped_set_separator_inside_a_value_stays_one_value_for_the_evaluator()
    {
        var state = new ZeekReaderState();
        var reader = new ZeekConnReader(Encoding.UTF8.GetBytes(ConnLog.Header() + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "2", "tcp", "ssl\\x2chttp,ftp")), state);

        Assert.True(reader.TryRead(out var record));
        Assert.Equal(2, record.Apps.Count);
        Assert.False(new MismatchEvaluator(RuleSet.Escu).IsMismatch(record)); // "ssl,http" as one value is no rule's app
    }

    [Fact]
    public void Failed_service_is_not_an_app_value_and_speculative_service_is_one_only_when_asked()
    {
        string[] fields = ["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "failed_service", "speculative_service"];
        var text = ConnLog.Header(fields)
            + "1.0\t10.0.0.1\t1\t10.0.0.2\t5000\ttcp\t-\tftp\thttp\n"
            + "2.0\t10.0.0.1\t1\t10.0.0.2\t5000\ttcp\thttp\t(empty)\thttp,ssl\n";

        Assert.Equal(["", "http"], ZeekInput.Read(text).Rows.Select(r => r.Apps));
        Assert.Equal(["http", "http|ssl"], ZeekInput.Read(text, new ZeekReaderOptions { IncludeSpeculativeService = true }).Rows.Select(r => r.Apps));
    }

    [Fact]
    public void Separators_come_from_the_header()
    {
        var text = "#separator \\x2c\n#set_separator,|\n#empty_field,(empty)\n#unset_field,-\n#path,conn\n"
            + "#fields,ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,service\n#types,time,addr,port,addr,port,enum,string\n"
            + "1.5,10.0.0.1,1234,10.0.0.2,25,tcp,smtp|ssl\n";

        var row = Assert.Single(ZeekInput.Read(text).Rows);

        Assert.Equal("smtp|ssl", row.Apps);
        Assert.Equal(25, row.DestinationPort);
    }

    [Fact]
    public void Custom_unset_and_empty_markers_come_from_the_header()
    {
        var text = "#separator \\x09\n#set_separator\t,\n#empty_field\tEMPTY\n#unset_field\tNONE\n#path\tconn\n"
            + "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n"
            + "1.5\t10.0.0.1\tNONE\t10.0.0.2\t53\tudp\tEMPTY\n"
            + "1.5\t10.0.0.1\t-\t10.0.0.2\t53\tudp\tNONE\n";

        var outcome = ZeekInput.Read(text);

        Assert.Single(outcome.Rows); // "-" is not the unset marker here, so it is a bad port
        Assert.Equal(new Row(1_500_000, "10.0.0.1", "10.0.0.2", null, 53, Transport.Udp, "", null, null), outcome.Rows[0]);
        Assert.Equal("bad-port", Assert.Single(outcome.Diagnostics).Reason);
    }

    [Fact]
    public void A_new_header_block_resets_the_column_map()
    {
        var text = ConnLog.Header() + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "8080", "tcp", "http") + ConnLog.Close
            + ConnLog.Header(["id.resp_p", "service", "ts", "id.orig_h", "id.orig_p", "id.resp_h"]) + "53\tdns\t2.0\t10.0.0.3\t3\t10.0.0.4\n" + ConnLog.Close;

        var outcome = ZeekInput.Read(text);

        Assert.Equal([(8080, "http"), (53, "dns")], outcome.Rows.Select(r => (r.DestinationPort ?? -1, r.Apps)));
    }

    [Fact]
    public void Records_of_another_log_are_skipped_with_a_reason_and_the_conn_block_after_them_is_read()
    {
        var text = ConnLog.Header(["ts", "uid", "query"], path: "dns") + "1.0\tCabc\texample.com\n" + ConnLog.Close
            + ConnLog.Header() + ConnLog.Line("2.0", "10.0.0.1", "1", "10.0.0.2", "53", "udp", "dns");

        var outcome = ZeekInput.Read(text);

        Assert.Single(outcome.Rows);
        var skipped = Assert.Single(outcome.Diagnostics);
        Assert.Equal((RecordOutcome.Skipped, "not-a-traffic-log", 9L), (skipped.Outcome, skipped.Reason, skipped.LineNumber));
        Assert.Contains("'dns'", skipped.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("conn_long")]
    [InlineData("conn-internal")]
    public void Conn_log_variants_are_read(string path)
    {
        Assert.Single(ZeekInput.Read(ConnLog.Header(path: path) + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "53", "udp", "dns")).Rows);
    }

    [Fact]
    public void AcceptAnyPath_reads_records_whatever_the_path()
    {
        var text = ConnLog.Header(path: "conn_copy_by_other_name_x") + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "53", "udp", "dns");
        Assert.Single(ZeekInput.Read(text.Replace("conn_copy_by_other_name_x", "flows", StringComparison.Ordinal), new ZeekReaderOptions { AcceptAnyPath = true }).Rows);
        Assert.Empty(ZeekInput.Read(text.Replace("conn_copy_by_other_name_x", "flows", StringComparison.Ordinal)).Rows);
    }

    [Fact]
    public void A_header_without_the_needed_columns_is_refused_with_the_missing_names()
    {
        var text = ConnLog.Header(["ts", "uid", "src", "src_port", "dst", "dst_port", "proto", "service"]) + "1.0\tC\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\tdns\n";

        var error = Assert.Throws<ZeekFormatException>(() => ZeekInput.Read(text));

        Assert.Equal((ZeekFormatError.MissingColumns, "missing-columns", 7L, "test.log"), (error.Reason, error.ReasonCode, error.LineNumber, error.InputName));
        Assert.Contains("id.orig_h, id.orig_p, id.resp_h, id.resp_p", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tservice\n#close\tx\n")]
    public void Input_without_records_reads_nothing_and_counts_nothing(string text)
    {
        var outcome = ZeekInput.Read(text);

        Assert.Empty(outcome.Rows);
        Assert.Equal("read 0 = accepted 0 + rejected 0 + skipped 0", outcome.Counters.ToString());
    }

    [Fact]
    public void Input_that_is_not_zeek_output_is_refused()
    {
        var error = Assert.Throws<ZeekFormatException>(() => ZeekInput.Read("raw_layer_message (Message = 'x')\n" + ConnLog.Header()));

        Assert.Equal((ZeekFormatError.UnrecognizedFormat, 1L, 0L), (error.Reason, error.LineNumber, error.ByteOffset));
    }

    [Fact]
    public void Data_after_a_separator_line_but_before_fields_is_refused()
    {
        var error = Assert.Throws<ZeekFormatException>(() => ZeekInput.Read("#separator \\x09\n#path\tconn\n1.0\t10.0.0.1\n"));

        Assert.Equal((ZeekFormatError.MissingHeader, 3L), (error.Reason, error.LineNumber));
    }

    [Theory]
    [InlineData("#separator \\x09\\x09\n")]
    [InlineData("#separator \n")]
    [InlineData("#separator \\x09\n#set_separator\t\\x09\n")]
    [InlineData("#separator \\x09\n#fields\tts\tts\n")]
    public void Malformed_header_lines_are_refused(string header)
    {
        Assert.Equal(ZeekFormatError.InvalidHeader, Assert.Throws<ZeekFormatException>(() => ZeekInput.Read(header)).Reason);
    }

    [Fact]
    public void Headerless_zeek_cut_output_is_read_with_a_caller_supplied_field_list()
    {
        var options = new ZeekReaderOptions { FieldNames = ["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "service"] };

        var row = Assert.Single(ZeekInput.Read("1.0\t10.0.0.1\t1\t10.0.0.2\t22\thttp\n", options).Rows);

        Assert.Equal(("http", 22, Transport.Unknown), (row.Apps, row.DestinationPort ?? -1, row.Transport));
        Assert.Throws<ArgumentException>(() => new ZeekReaderState(new ZeekReaderOptions { FieldNames = ["ts", "service"] }));
    }

    [Fact]
    public void Headerless_input_without_a_field_list_is_refused()
    {
        var error = Assert.Throws<ZeekFormatException>(() => ZeekInput.Read("1.0\t10.0.0.1\t1\t10.0.0.2\t22\thttp\n"));

        // A library user is told the option to set; the position is given once, at the start (a host that has its own
        // option for it, as the console's --fields, tells this reason by Reason, not by the text).
        Assert.Equal(ZeekFormatError.UnrecognizedFormat, error.Reason);
        Assert.Contains("ZeekReaderOptions.FieldNames", error.Message, StringComparison.Ordinal);
        var position = $"{error.InputName ?? "input"}:1: ";
        Assert.StartsWith(position, error.Message, StringComparison.Ordinal);
        Assert.Equal(-1, error.Message.IndexOf(position, 1, StringComparison.Ordinal));
    }

    [Fact]
    public void Crlf_line_ends_a_byte_order_mark_blank_lines_and_a_last_line_without_newline_are_read()
    {
        var text = "\uFEFF" + (ConnLog.Header() + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "53", "udp", "dns")).Replace("\n", "\r\n", StringComparison.Ordinal)
            + "\n" + ConnLog.Line("2.0", "10.0.0.1", "1", "10.0.0.2", "54", "udp", "dns").TrimEnd('\n');

        var outcome = ZeekInput.Read(text);

        Assert.Equal([53, 54], outcome.Rows.Select(r => r.DestinationPort ?? -1));
        Assert.Equal(0, outcome.Counters.Rejected);
    }

    [Theory]
    [InlineData("1.0\t10.0.0.1\t1\t10.0.0.2\t53\tudp\n", "wrong-field-count")]
    [InlineData("ts-not-a-time\t10.0.0.1\t1\t10.0.0.2\t53\tudp\tdns\n", "bad-timestamp")]
    [InlineData("-\t10.0.0.1\t1\t10.0.0.2\t53\tudp\tdns\n", "bad-timestamp")]
    [InlineData("1.\t10.0.0.1\t1\t10.0.0.2\t53\tudp\tdns\n", "bad-timestamp")]
    [InlineData("1.0\t10.0.0.256\t1\t10.0.0.2\t53\tudp\tdns\n", "bad-address")]
    [InlineData("1.0\t10.0.0.1\t1\tfe80::1%eth0\t53\tudp\tdns\n", "bad-address")]
    [InlineData("1.0\t10.0.0.1\t1\t10.0.0.2\t65536\tudp\tdns\n", "port-out-of-range")]
    [InlineData("1.0\t10.0.0.1\t-5\t10.0.0.2\t53\tudp\tdns\n", "port-out-of-range")]
    [InlineData("1.0\t10.0.0.1\t1\t10.0.0.2\t53/udp\tudp\tdns\n", "bad-port")]
    [InlineData("1.0\t10.0.0.1\t1\t10.0.0.2\t\tudp\tdns\n", "bad-port")]
    public void A_malformed_record_is_rejected_with_its_reason_and_position_and_reading_goes_on(string bad, string reason)
    {
        var header = ConnLog.Header(["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service"]);
        var good = "2.0\t10.0.0.1\t1\t10.0.0.2\t5353\tudp\tdns\n";

        var outcome = ZeekInput.Read(header + good + bad + good);

        Assert.Equal(2, outcome.Rows.Count);
        var diagnostic = Assert.Single(outcome.Diagnostics);
        Assert.Equal((RecordOutcome.Rejected, reason, "test.log", 10L, (long)Encoding.UTF8.GetByteCount(header + good)),
            (diagnostic.Outcome, diagnostic.Reason, diagnostic.InputName, diagnostic.LineNumber, diagnostic.ByteOffset));
        Assert.Equal(1, outcome.Counters.RejectedByReason[reason]);
    }

    [Fact]
    public void Invalid_utf8_is_rejected()
    {
        var header = ConnLog.Header(["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service"]);
        var bytes = Encoding.UTF8.GetBytes(header + "1.0\t10.0.0.1\t1\t10.0.0.2\t53\tudp\tdn?\n");
        bytes[^3] = 0xC3; // a lead byte without its continuation

        var outcome = ZeekInput.Read(bytes);

        Assert.Equal("invalid-utf8", Assert.Single(outcome.Diagnostics).Reason);
    }

    [Fact]
    public void Diagnostic_messages_quote_input_escaped_and_capped()
    {
        var header = ConnLog.Header(["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service"]);
        var outcome = ZeekInput.Read(header + $"1.0\t10.0.0.1\x01\\{new string('9', 200)}\t1\t10.0.0.2\t53\tudp\tdns\n");

        var message = Assert.Single(outcome.Diagnostics).Message;
        Assert.Contains("\\x01\\\\999", message, StringComparison.Ordinal);
        Assert.True(message.Length < 150, message);
        Assert.DoesNotContain('\x01', message);
    }

    [Fact]
    public void A_block_ending_in_an_incomplete_line_leaves_it_unconsumed_for_the_next_block()
    {
        var header = ConnLog.Header(["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "service"]);
        var bytes = Encoding.UTF8.GetBytes(header + "1.0\t10.0.0.1\t1\t10.0.0.2\t53\tdns\n2.0\t10.0.0.1\t1\t10.0.0.2\t54\tdn");
        var state = new ZeekReaderState();

        var reader = new ZeekConnReader(bytes, state, isFinalBlock: false);
        Assert.True(reader.TryRead(out _));
        Assert.False(reader.TryRead(out _));

        Assert.Equal(bytes.Length - "2.0\t10.0.0.1\t1\t10.0.0.2\t54\tdn".Length, reader.BytesConsumed);
        Assert.Equal(default, reader.Position);
        Assert.Equal("read 1 = accepted 1 + rejected 0 + skipped 0", state.Counters.ToString());
        var rest = new ZeekConnReader(Encoding.UTF8.GetBytes("2.0\t10.0.0.1\t1\t10.0.0.2\t54\tdns\n"), state);
        Assert.True(rest.TryRead(out var record));
        Assert.Equal((ushort)54, record.DestinationPort);
        Assert.Equal(10, state.LineNumber);
    }

    [Fact]
    public void Timestamps_keep_microseconds_and_accept_iso_8601()
    {
        string[] fields = ["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "service"];
        var text = ConnLog.Header(fields)
            + "1300475167.0965359\t10.0.0.1\t1\t10.0.0.2\t53\tdns\n"
            + "1300475167\t10.0.0.1\t1\t10.0.0.2\t53\tdns\n"
            + "2012-02-21T08:52:55-0800\t10.0.0.1\t1\t10.0.0.2\t53\tdns\n"
            + "2021-06-09T20:55:13.160328Z\t10.0.0.1\t1\t10.0.0.2\t53\tdns\n";

        var times = ZeekInput.Read(text).Rows.Select(r => r.Time).ToArray();

        Assert.Equal(
            [
                1300475167096535,
                1300475167000000,
                FlowTime.FromDateTimeOffset(new DateTimeOffset(2012, 2, 21, 8, 52, 55, TimeSpan.FromHours(-8))),
                FlowTime.FromDateTimeOffset(new DateTimeOffset(2021, 6, 9, 20, 55, 13, TimeSpan.Zero)) + 160328,
            ],
            times);
    }
}
