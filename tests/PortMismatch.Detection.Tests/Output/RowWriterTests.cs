using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PortMismatch.Detection.Tests.Output;

public sealed class RowWriterTests
{
    private static readonly DetectionRule Ssl = RuleSet.Escu[2];

    private static readonly MismatchRow[] Rows =
    [
        new(IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("192.0.2.66"), "ssl", 4444, 3, 1_700_000_000_000_000, 1_700_000_360_500_000, Ssl, [Transport.Tcp]),
        new(IPAddressValue.Parse("2001:db8::1"), IPAddressValue.Parse("2001:0db8:0:0:1:0:0:1"), "ssl", 0, 1, 0, 0, Ssl, [Transport.Udp, Transport.Tcp]),
        new(IPAddressValue.None, IPAddressValue.None, "dns", 0, 7, 1, 2, RuleSet.Escu[0], []),
        new(IPAddressValue.Parse("10.0.0.1"), IPAddressValue.Parse("10.0.0.2"), "ssl,http \"x\"\nline", 8081, 2, 5, 6, null, [Transport.Tcp]),
    ];

    /// <summary>An RFC 4180 reader written for the test, independent of the writer.</summary>
    private static List<List<string>> ReadCsv(string text)
    {
        var records = new List<List<string>>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                fields.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                records.Add(fields);
                fields = [];
            }
            else
            {
                field.Append(c);
            }
        }

        Assert.False(quoted);
        Assert.Equal(0, field.Length);
        return records;
    }

    [Fact]
    public void Csv_round_trips_through_an_rfc4180_reader()
    {
        using var stream = new MemoryStream();
        using (var writer = new CsvRowWriter(stream, new RowWriterOptions { LeaveOpen = true }))
        {
            foreach (var row in Rows)
            {
                writer.OnRow(row);
            }
        }

        var records = ReadCsv(Encoding.UTF8.GetString(stream.ToArray()));
        Assert.Equal(["src_ip", "dest_ip", "app", "dest_port", "count", "firstTime", "lastTime"], records[0]);
        Assert.Equal(["10.1.0.13", "192.0.2.66", "ssl", "4444", "3", "2023-11-14T22:13:20", "2023-11-14T22:19:20"], records[1]);
        Assert.Equal(["2001:db8::1", "2001:db8::1:0:0:1", "ssl", "0", "1", "1970-01-01T00:00:00", "1970-01-01T00:00:00"], records[2]);
        Assert.Equal(["null", "null", "dns", "0", "7", "1970-01-01T00:00:00", "1970-01-01T00:00:00"], records[3]);
        Assert.Equal("ssl,http \"x\"\nline", records[4][2]);
        Assert.Equal(5, records.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(300)]
    public void Csv_writes_app_names_whole_whatever_their_length_and_script(int length)
    {
        // Three UTF-8 bytes a character: the most a short row's app can take (rows up to 64 characters take one span).
        var app = new string('\u20AC', length - 1) + "x";
        var row = new MismatchRow(IPAddressValue.Parse("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"), IPAddressValue.Parse("255.255.255.255"), app, 65535, long.MaxValue, 253_402_300_799_999_999, 1_700_000_000_999_999, Ssl, [Transport.Tcp]);
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new CsvRowWriter(buffer);
        writer.OnRow(row);
        writer.Flush();

        var records = ReadCsv(Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(2, records.Count);
        Assert.Equal(
            ["2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", "255.255.255.255", app, "65535", long.MaxValue.ToString(CultureInfo.InvariantCulture),
                "9999-12-31T23:59:59",
                "2023-11-14T22:13:20"],
            records[1]);
    }

    [Fact]
    public void Parts_formatted_apart_without_their_headers_join_into_one_writers_output()
    {
        var whole = new ArrayBufferWriter<byte>();
        using (var writer = new CsvRowWriter(whole))
        {
            foreach (var row in Rows)
            {
                writer.OnRow(row);
            }
        }

        var parts = new StringBuilder();
        for (var part = 0; part < 2; part++)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new CsvRowWriter(buffer, new RowWriterOptions { IncludeHeader = part == 0 }))
            {
                foreach (var row in Rows.Skip(part * 2).Take(2))
                {
                    writer.OnRow(row);
                }
            }

            parts.Append(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }

        Assert.Equal(Encoding.UTF8.GetString(whole.WrittenSpan), parts.ToString());
        Assert.StartsWith(CsvRowWriter.Header + "\n", parts.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_its_header_a_writer_of_no_rows_writes_nothing()
    {
        var buffer = new ArrayBufferWriter<byte>();
        new CsvRowWriter(buffer, new RowWriterOptions { IncludeHeader = false }).Flush();
        new TableRowWriter(buffer, new RowWriterOptions { IncludeHeader = false }).Flush();
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Fact]
    public void Csv_with_no_rows_is_the_header_alone()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new CsvRowWriter(buffer);
        writer.Flush();
        Assert.Equal(CsvRowWriter.Header + "\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Json_lines_round_trip_through_a_json_reader()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new JsonLinesRowWriter(buffer);
        foreach (var row in Rows)
        {
            writer.OnRow(row);
        }

        writer.Flush();
        var lines = Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Rows.Length, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            var root = json.RootElement;
            var row = Rows[i];
            Assert.Equal(row.SourceAddress.HasValue ? row.SourceAddress.ToString() : "null", root.GetProperty("src_ip").GetString());
            Assert.Equal(row.DestinationAddress.HasValue ? row.DestinationAddress.ToString() : "null", root.GetProperty("dest_ip").GetString());
            Assert.Equal(row.App, root.GetProperty("app").GetString());
            Assert.Equal(row.DestinationPort, root.GetProperty("dest_port").GetInt32());
            Assert.Equal(row.Count, root.GetProperty("count").GetInt64());
            Assert.Equal(row.FirstTimeMicroseconds, root.GetProperty("first_time_us").GetInt64());
            Assert.Equal(RowTime.Format(row.LastTimeMicroseconds, null), root.GetProperty("lastTime").GetString());
            Assert.Equal(row.Rule?.Id, root.GetProperty("rule_id").GetString());
            Assert.Equal(row.RiskScore, root.GetProperty("risk_score").GetInt32());
            Assert.Equal(row.Message, root.GetProperty("message").GetString());
            Assert.Equal(row.Transports.Select(t => t.ToName()), root.GetProperty("transport").EnumerateArray().Select(e => e.GetString()));
        }
    }

    [Fact]
    public void The_table_escapes_control_characters_and_aligns_columns()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new TableRowWriter(buffer);
        foreach (var row in Rows)
        {
            writer.OnRow(row);
        }

        writer.Flush();
        var lines = Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2 + Rows.Length, lines.Length);
        Assert.StartsWith("src_ip ", lines[0], StringComparison.Ordinal);
        Assert.Contains("ssl,http \"x\"\\x0aline", lines[5], StringComparison.Ordinal);
        Assert.Equal(lines[0].IndexOf("dest_ip", StringComparison.Ordinal), lines[2].IndexOf("192.0.2.66", StringComparison.Ordinal));
    }

    [Fact]
    public void Stream_output_is_written_in_chunks_not_held_whole()
    {
        using var stream = new MemoryStream();
        var writer = new CsvRowWriter(stream, new RowWriterOptions { LeaveOpen = true });
        var row = Rows[0];
        for (var i = 0; i < 10_000; i++)
        {
            writer.OnRow(row);
        }

        Assert.True(stream.Length > 0, "rows should reach the stream before Flush");
        writer.Dispose();
        Assert.Equal(10_001, Encoding.UTF8.GetString(stream.ToArray()).Count(c => c == '\n'));
    }

    [Fact]
    public void Window_columns_are_written_when_asked()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new CsvRowWriter(buffer, new RowWriterOptions { IncludeWindow = true, NewLine = "\r\n" });
        writer.OnRow(new MismatchRow(IPAddressValue.None, IPAddressValue.None, "dns", 1, 1, 0, 0, null, ImmutableArray<Transport>.Empty)
        {
            WindowStartMicroseconds = 0,
            WindowEndMicroseconds = 3_600_000_000,
        });
        writer.Flush();
        Assert.Equal(
            "src_ip,dest_ip,app,dest_port,count,firstTime,lastTime,windowStart,windowEnd\r\nnull,null,dns,1,1,1970-01-01T00:00:00,1970-01-01T00:00:00,1970-01-01T00:00:00,1970-01-01T01:00:00\r\n",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
