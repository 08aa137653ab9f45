using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PortMismatch.Detection.Tests.Output;

/// <summary>The table's columns sized to the rows, its reason column, and the offsets of times in a named zone.</summary>
public sealed class TableLayoutTests
{
    private static readonly DetectionRule Dns = RuleSet.Escu.Rules.Single(r => r.Apps.Contains("dns"));

    private static readonly DetectionRule Ssl = RuleSet.Escu.Rules.Single(r => r.Apps.Contains("ssl"));

    [Fact]
    public void Every_cell_starts_under_its_header_with_ipv6_addresses_and_long_app_ids()
    {
        var longApp = "paloalto-wildfire-cloud-upload-base";
        var rows = new[]
        {
            Row("10.0.0.1", "10.0.0.2", "dns", 5353, Dns, Transport.Udp),
            Row("2001:db8:1234:5678:9abc:def0:1234:5678", "fd00:aaaa:bbbb:cccc:dddd:eeee:ffff:1111", longApp, 8443, Ssl, Transport.Tcp),
            Row("192.0.2.1", "198.51.100.200", "ssl", 4444, Ssl, Transport.Tcp),
        };

        var lines = Table(rows, RowWriterOptions.Default);
        Assert.Equal(2 + rows.Length, lines.Length);
        string[] names = ["src_ip", "dest_ip", "app", "dest_port", "count", "firstTime", "lastTime", "rule", "reason"];
        var starts = names.Select(n => lines[0].IndexOf(n, StringComparison.Ordinal)).ToArray();
        Assert.All(starts, s => Assert.True(s >= 0));
        for (var r = 0; r < rows.Length; r++)
        {
            var row = rows[r];
            string[] cells =
            [
                row.SourceAddress.ToString(), row.DestinationAddress.ToString(), row.App,
                row.DestinationPort.ToString(CultureInfo.InvariantCulture), "1", "2023-11-14T22:13:20", "2023-11-14T22:13:20", row.Rule!.Id,
                $"{row.App} on {row.Transports[0].ToName()}/{row.DestinationPort}, expected {row.Rule.ExpectedPorts}",
            ];
            var line = lines[2 + r];
            for (var i = 0; i < names.Length; i++)
            {
                Assert.True(
                    string.CompareOrdinal(line, starts[i], cells[i], 0, cells[i].Length) == 0 && (i == 0 || line[starts[i] - 1] == ' '),
                    $"row {r}, column {names[i]}: expected '{cells[i]}' at {starts[i]} in '{line}'");
            }

            Assert.EndsWith(cells[^1], line, StringComparison.Ordinal);
        }

        // Sized to the content: the widest address and the column gap, not a fixed width.
        Assert.Equal(rows[1].SourceAddress.ToString().Length + 2, starts[1]);
    }

    [Fact]
    public void An_absurdly_long_app_value_is_cut_and_marked()
    {
        var app = new string('x', 4096);
        var lines = Table([Row("10.0.0.1", "10.0.0.2", app, 80, Ssl, Transport.Tcp)], RowWriterOptions.Default);
        var appStart = lines[0].IndexOf("app", StringComparison.Ordinal);
        var cell = lines[2][appStart..].Split("  ")[0];
        Assert.Equal(TableRowWriter.MaxCellWidth, cell.Length);
        Assert.Equal(new string('x', TableRowWriter.MaxCellWidth - 1) + "\u2026", cell);
        Assert.True(lines[2].Length < 400, $"a line of {lines[2].Length} characters");
        Assert.Contains($"\u2026 on tcp/80, expected {Ssl.ExpectedPorts}", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void A_row_without_a_rule_says_so()
    {
        var lines = Table([Row("10.0.0.1", "10.0.0.2", "http", 80, null, Transport.Tcp)], RowWriterOptions.Default);
        Assert.EndsWith("no rule claims this value", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Rows_flushed_later_widen_columns_but_never_narrow_them()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new TableRowWriter(buffer);
        writer.OnRow(Row("10.0.0.1", "10.0.0.2", "dns", 5353, Dns, Transport.Udp));
        writer.Flush();
        writer.OnRow(Row("2001:db8::1:2:3:4", "10.0.0.2", "dns", 5353, Dns, Transport.Udp));
        writer.Flush();
        writer.OnRow(Row("10.0.0.1", "10.0.0.2", "dns", 5353, Dns, Transport.Udp));
        writer.Flush();
        var lines = Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length); // one header
        var destination = new[] { lines[2], lines[3], lines[4] }.Select(l => l.IndexOf(" 10.0.0.2", StringComparison.Ordinal) + 1).ToArray();
        Assert.Equal(lines[0].IndexOf("dest_ip", StringComparison.Ordinal), destination[0]);
        Assert.True(destination[1] > destination[0]);
        Assert.Equal(destination[1], destination[2]);
    }

    [Fact]
    public void A_large_table_reaches_its_stream_in_chunks_not_whole()
    {
        using var stream = new LargestWriteStream();
        using (var writer = new TableRowWriter(stream, new RowWriterOptions { LeaveOpen = true }))
        {
            for (var i = 0; i < 20_000; i++)
            {
                writer.OnRow(Row("10.0.0.1", "10.0.0.2", "dns", 5353, Dns, Transport.Udp));
            }
        }

        Assert.True(stream.Length > 1_000_000, $"{stream.Length} bytes");
        Assert.InRange(stream.LargestWrite, 1, 64 * 1024);
    }

    [Theory]
    [InlineData("Europe/Berlin", 1_700_000_000L)] // November: +01:00
    [InlineData("Europe/Berlin", 1_690_000_000L)] // July: +02:00
    [InlineData("America/St_Johns", 1_700_000_000L)] // -03:30
    [InlineData("Asia/Kathmandu", 1_700_000_000L)] // +05:45
    public void Times_in_a_named_zone_carry_its_offset_in_every_format(string zoneId, long seconds)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var expected = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(seconds), zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        AssertTimes(zone, seconds, expected);
    }

    [Fact]
    public void Times_in_utc_named_are_marked_z_and_the_default_keeps_the_searchs_format()
    {
        AssertTimes(TimeZoneInfo.Utc, 1_700_000_000, "2023-11-14T22:13:20Z");
        AssertTimes(null, 1_700_000_000, "2023-11-14T22:13:20");
    }

    private static void AssertTimes(TimeZoneInfo? zone, long seconds, string expected)
    {
        var row = new MismatchRow(IPAddressValue.Parse("10.0.0.1"), IPAddressValue.Parse("10.0.0.2"), "dns", 5353, 1, seconds * 1_000_000, seconds * 1_000_000, Dns, [Transport.Udp])
        {
            WindowStartMicroseconds = seconds * 1_000_000,
            WindowEndMicroseconds = (seconds + 60) * 1_000_000,
        };
        var options = new RowWriterOptions { TimeZone = zone, IncludeWindow = true };

        var csv = Write(new ArrayBufferWriter<byte>(), b => new CsvRowWriter(b, options), row).Split('\n')[1].Split(',');
        Assert.Equal(expected, csv[5]);
        Assert.Equal(expected, csv[6]);
        Assert.Equal(expected, csv[7]);

        var shortCsv = Write(new ArrayBufferWriter<byte>(), b => new CsvRowWriter(b, options with { IncludeWindow = false }), row).Split('\n')[1].Split(',');
        Assert.Equal(expected, shortCsv[5]);

        using var json = JsonDocument.Parse(Write(new ArrayBufferWriter<byte>(), b => new JsonLinesRowWriter(b, options), row));
        Assert.Equal(expected, json.RootElement.GetProperty("firstTime").GetString());
        Assert.Equal(expected, json.RootElement.GetProperty("window_start").GetString());

        var table = Table([row], options)[2];
        Assert.Contains($"{expected}  {expected}  {Dns.Id}", table, StringComparison.Ordinal);
    }

    private static MismatchRow Row(string source, string destination, string app, int port, DetectionRule? rule, Transport transport)
        => new(IPAddressValue.Parse(source), IPAddressValue.Parse(destination), app, port, 1, 1_700_000_000_000_000, 1_700_000_000_000_000, rule, [transport]);

    private static string[] Table(MismatchRow[] rows, RowWriterOptions options)
    {
        var text = Write(new ArrayBufferWriter<byte>(), b => new TableRowWriter(b, options), rows);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string Write(ArrayBufferWriter<byte> buffer, Func<ArrayBufferWriter<byte>, RowWriter> create, params MismatchRow[] rows)
    {
        using (var writer = create(buffer))
        {
            foreach (var row in rows)
            {
                writer.OnRow(row);
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private sealed class LargestWriteStream : MemoryStream
    {
        public int LargestWrite { get; private set; }

        // MemoryStream's span overload of a derived type goes through the array one, so both are counted apart.
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            LargestWrite = Math.Max(LargestWrite, buffer.Length);
            base.Write(buffer.ToArray(), 0, buffer.Length);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            LargestWrite = Math.Max(LargestWrite, count);
            base.Write(buffer, offset, count);
        }
    }
}
