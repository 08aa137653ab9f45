using System.Globalization;
using System.Text;
using System.Text.Json;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Nats.Tests.Cluster;

/// <summary>
/// Rows summed by window and key (window, src_ip, dest_ip, app, dest_port) the way the monoid adds them: counts add,
/// first and last seen take min and max. Rows are read from the JSON core's <see cref="JsonLinesRowWriter"/> writes (a
/// final row on <c>findings.final</c> is exactly that), and the window is the one holding the row's first time, so that the
/// comparison does not depend on how window_start is formatted.
/// </summary>
internal sealed class RowTotals
{
    private readonly long _windowMicroseconds;
    private readonly Dictionary<(long Window, string Source, string Destination, string App, int Port), (long Count, long First, long Last)> _rows = [];

    public RowTotals(TimeSpan window) => _windowMicroseconds = (long)window.TotalMicroseconds;

    public int Keys => _rows.Count;

    public long Windows
    {
        get
        {
            var windows = new HashSet<long>();
            foreach (var key in _rows.Keys)
            {
                windows.Add(key.Window);
            }

            return windows.Count;
        }
    }

    public long Records { get; private set; }

    public long Rows { get; private set; }

    /// <summary>
    /// The expected result: the log's records through one <see cref="MismatchAggregator"/> (the ESCU rules, this window), as a
    /// single-process <c>portmismatch scan --window</c> reads them, written by <see cref="JsonLinesRowWriter"/> and summed.
    /// </summary>
    public static RowTotals Expected(FlowLog log, long records, TimeSpan window)
    {
        using var json = new MemoryStream();
        using (var writer = new JsonLinesRowWriter(json, new RowWriterOptions { IncludeWindow = true, LeaveOpen = true }))
        {
            var aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSets.Get(RuleSets.EscuName)), writer, new AggregatorOptions { Window = window });
            var state = new ZeekReaderState(ZeekReaderOptions.Default, $"generated (seed {log.Seed})");
            var buffer = new byte[FlowLog.MaxLineBytes * 4096];
            for (long first = 0; first < records; first += 4096)
            {
                var length = 0;
                for (var i = first; i < Math.Min(records, first + 4096); i++)
                {
                    length += log.Write(i, buffer.AsSpan(length));
                }

                var reader = new ZeekConnReader(buffer.AsSpan(0, length), state, isFinalBlock: true);
                while (reader.TryRead(out var record))
                {
                    aggregator.Add(record);
                }
            }

            aggregator.Complete();
            Assert.Equal(records, state.Counters.Accepted);
            Assert.Equal(0, aggregator.LateRecords);
        }

        var totals = new RowTotals(window);
        foreach (var line in Encoding.UTF8.GetString(json.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            totals.Add(line);
        }

        return totals;
    }

    /// <summary>Adds one row, the JSON object of one line or message.</summary>
    public void Add(string json)
    {
        using var document = JsonDocument.Parse(json);
        var row = document.RootElement;
        Assert.True(row.TryGetProperty("window_start", out _), $"a row without window_start: {json}");
        var first = row.GetProperty("first_time_us").GetInt64();
        var last = row.GetProperty("last_time_us").GetInt64();
        var count = row.GetProperty("count").GetInt64();
        var key = (
            Math.DivRem(first, _windowMicroseconds).Quotient,
            row.GetProperty("src_ip").GetString()!,
            row.GetProperty("dest_ip").GetString()!,
            row.GetProperty("app").GetString()!,
            row.GetProperty("dest_port").GetInt32());
        _rows[key] = _rows.TryGetValue(key, out var sum)
            ? (sum.Count + count, Math.Min(sum.First, first), Math.Max(sum.Last, last))
            : (count, first, last);
        Records += count;
        Rows++;
    }

    /// <summary>Describes how <paramref name="actual"/> differs from this (the expected): empty when they are equal.</summary>
    public string Difference(RowTotals actual)
    {
        var text = new StringBuilder();
        var shown = 0;
        foreach (var (key, expected) in _rows)
        {
            if (!actual._rows.TryGetValue(key, out var seen) || seen != expected)
            {
                if (shown++ < 10)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{key}: expected {expected}, final rows sum to {(actual._rows.ContainsKey(key) ? seen.ToString() : "nothing")}\n");
                }
            }
        }

        foreach (var (key, seen) in actual._rows)
        {
            if (!_rows.ContainsKey(key) && shown++ < 10)
            {
                text.Append(CultureInfo.InvariantCulture, $"{key}: not expected, final rows sum to {seen}\n");
            }
        }

        return shown == 0
            ? string.Empty
            : text.Append(CultureInfo.InvariantCulture, $"{shown} keys differ; expected {Keys} keys and {Records} records, final rows have {actual.Keys} keys, {actual.Records} records in {actual.Rows} rows").ToString();
    }
}
