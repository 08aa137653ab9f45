using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary>App values keep their bytes from the log to the row: one JSON array element is one value, and values that
/// differ only in escaped bytes stay apart.</summary>
public sealed class AppValueTests
{
    private static List<byte[]> Values(in FlowRecord record)
    {
        var values = new List<byte[]>();
        foreach (var value in record.Apps)
        {
            values.Add(value.ToArray());
        }

        return values;
    }

    private static List<List<byte[]>> ReadValues(string text, ZeekReaderOptions? options = null)
    {
        var state = new ZeekReaderState(options);
        var reader = new ZeekConnReader(Encoding.UTF8.GetBytes(text), state);
        var records = new List<List<byte[]>>();
        while (reader.TryRead(out var record))
        {
            records.Add(Values(record));
        }

        Assert.Equal(0, state.Counters.Rejected);
        return records;
    }

    [Fact]
    public void An_array_element_holding_a_comma_is_one_value()
    {
        var line = """{"ts":1,"id.resp_p":5353,"proto":"udp","service":["a,b","dns","-x,y"],"speculative_service":["c,d","dns"]}""";

        var values = Assert.Single(ReadValues(line, new ZeekReaderOptions { IncludeSpeculativeService = true }));

        Assert.Equal(["a,b", "dns", "c,d"], values.Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public void Array_elements_with_escapes_and_json_nul_stay_whole()
    {
        // \\x2c is Zeek's escaped comma inside a JSON string; \u0000 unescapes to byte 0; \\xff is the byte that joins
        // array elements, so these are joined with another.
        var line = """{"ts":1,"service":["a\\x2cb","n\u0000l","\u00e9,\u00e8","x\\xffy"]}""";

        var values = Assert.Single(ReadValues(line));

        Assert.Equal([[.. "a,b"u8], [(byte)'n', 0, (byte)'l'], [.. "é,è"u8], [(byte)'x', 0xFF, (byte)'y']], values);
    }

    [Fact]
    public void A_string_service_is_still_split_on_its_commas()
    {
        var values = Assert.Single(ReadValues("""{"ts":1,"service":"ssl,http"}"""));

        Assert.Equal(["ssl", "http"], values.Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public void A_value_holding_every_byte_is_kept_whole_rather_than_rejected()
    {
        // No byte is left to join values with, but one value needs no joiner.
        var service = string.Concat(Enumerable.Range(0, 256).Select(b => $"\\x{b:x2}"));

        var values = Assert.Single(ReadValues(ConnLog.Header() + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "2", "tcp", service + ",-ftp," + service)));

        Assert.Equal(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), Assert.Single(values));
    }

    [Fact]
    public void Escaped_bytes_that_are_not_utf8_give_rows_of_their_own_printed_as_zeek_escapes_them()
    {
        // \xff and \xfe both printed U+FFFD and merged into one row; a literal backslash is Zeek's \x5c.
        var text = ConnLog.Header()
            + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "5353", "udp", "dns,\\xff")
            + ConnLog.Line("2.0", "10.0.0.1", "1", "10.0.0.2", "5353", "udp", "dns,\\xfe")
            + ConnLog.Line("3.0", "10.0.0.1", "1", "10.0.0.2", "5353", "udp", "dns,\\x5cxff")
            + ConnLog.Line("4.0", "10.0.0.1", "1", "10.0.0.2", "5353", "udp", "dns,\\xff");
        var rows = new List<MismatchRow>();
        var aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), new RowList(rows), AggregatorOptions.Default with { Grouping = AppGrouping.AllValues });
        var reader = new ZeekConnReader(Encoding.UTF8.GetBytes(text), new ZeekReaderState());
        while (reader.TryRead(out var record))
        {
            aggregator.Add(record);
        }

        aggregator.Complete();

        Assert.Equal(
            new Dictionary<string, long> { ["dns"] = 4, ["\\xff"] = 2, ["\\xfe"] = 1, ["\\x5cxff"] = 1 },
            rows.ToDictionary(r => r.App, r => r.Count));
    }

    private sealed class RowList(List<MismatchRow> rows) : IMismatchRowSink
    {
        public void OnRow(MismatchRow row) => rows.Add(row);
    }
}
