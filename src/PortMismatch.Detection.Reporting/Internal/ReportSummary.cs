namespace PortMismatch.Detection.Reporting.Internal;

/// <summary>What the charts show, counted in one pass over the rows: findings per rule and time bucket, and the top keys.</summary>
internal sealed class ReportSummary
{
    /// <summary>The timeline has at most this many bars; more buckets are merged into wider ones.</summary>
    public const int MaxBuckets = 120;

    public const int TopCount = 10;

    private const long MicrosecondsPerHour = 3_600_000_000L;

    private ReportSummary()
    {
    }

    /// <summary>Gets the rule ids in the order of the rule set (then those not in it, then rows without a rule as "(none)").</summary>
    public List<string> RuleIds { get; } = [];

    /// <summary>Gets the number of rows of each rule id.</summary>
    public Dictionary<string, long> RowsByRule { get; } = new(StringComparer.Ordinal);

    public long BucketWidthMicroseconds { get; private set; }

    public long FirstBucketMicroseconds { get; private set; }

    /// <summary>Gets, per bucket, the rows per rule index (a row counts in the bucket of its window's start, or of its first seen).</summary>
    public long[][] Buckets { get; private set; } = [];

    public bool ByWindow { get; private set; }

    public List<TopEntry> TopSources { get; private set; } = [];

    public List<TopEntry> TopDestinations { get; private set; } = [];

    public List<TopEntry> TopAppPorts { get; private set; } = [];

    public long Records { get; private set; }

    public static string RuleId(MismatchRow row) => row.Rule?.Id ?? "(none)";

    public static string AppPort(MismatchRow row) => $"{row.App} on {MismatchRowText.Port(row)}";

    public static ReportSummary Create(IReadOnlyList<MismatchRow> rows, RuleSet? rules, TimeSpan? window)
    {
        var summary = new ReportSummary();
        var ruleIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        if (rules is not null)
        {
            foreach (var rule in rules)
            {
                if (ruleIndex.TryAdd(rule.Id, ruleIndex.Count))
                {
                    summary.RuleIds.Add(rule.Id);
                }
            }
        }

        var sources = new Dictionary<string, TopEntry>(StringComparer.Ordinal);
        var destinations = new Dictionary<string, TopEntry>(StringComparer.Ordinal);
        var appPorts = new Dictionary<string, TopEntry>(StringComparer.Ordinal);
        long min = long.MaxValue, max = long.MinValue;
        var byWindow = window is { Ticks: > 0 };
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var id = RuleId(row);
            if (ruleIndex.TryAdd(id, ruleIndex.Count))
            {
                summary.RuleIds.Add(id);
            }

            summary.RowsByRule[id] = summary.RowsByRule.GetValueOrDefault(id) + 1;
            summary.Records += row.Count;
            var time = TimeOf(row, byWindow);
            min = Math.Min(min, time);
            max = Math.Max(max, time);
            Add(sources, MismatchRowText.Address(row.SourceAddress), row.Count);
            Add(destinations, MismatchRowText.Address(row.DestinationAddress), row.Count);
            Add(appPorts, AppPort(row), row.Count);
        }

        summary.ByWindow = byWindow;
        summary.TopSources = Top(sources);
        summary.TopDestinations = Top(destinations);
        summary.TopAppPorts = Top(appPorts);
        if (rows.Count == 0)
        {
            return summary;
        }

        // Buckets aligned to the epoch (whole hours or windows in UTC), widened by a whole factor to stay within MaxBuckets.
        var width = byWindow ? Math.Max(1, window!.Value.Ticks / 10) : MicrosecondsPerHour;
        var first = FloorDiv(min, width) * width;
        var count = (FloorDiv(max, width) * width - first) / width + 1;
        if (count > MaxBuckets)
        {
            var factor = (count + MaxBuckets - 1) / MaxBuckets;
            width *= factor;
            first = FloorDiv(min, width) * width;
            count = (FloorDiv(max, width) * width - first) / width + 1;
        }

        summary.BucketWidthMicroseconds = width;
        summary.FirstBucketMicroseconds = first;
        var buckets = new long[count][];
        for (var b = 0; b < buckets.Length; b++)
        {
            buckets[b] = new long[summary.RuleIds.Count];
        }

        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            buckets[(TimeOf(row, byWindow) - first) / width][ruleIndex[RuleId(row)]]++;
        }

        summary.Buckets = buckets;
        return summary;
    }

    private static long TimeOf(MismatchRow row, bool byWindow)
        => byWindow && row.WindowStartMicroseconds is { } start ? start : row.FirstTimeMicroseconds;

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static void Add(Dictionary<string, TopEntry> entries, string key, long records)
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            entry = new TopEntry(key);
            entries.Add(key, entry);
        }

        entry.Rows++;
        entry.Records += records;
    }

    /// <summary>The keys with the most findings (rows), then the most records, then by text (ordinal), so the order is stable.</summary>
    private static List<TopEntry> Top(Dictionary<string, TopEntry> entries)
    {
        var list = new List<TopEntry>(entries.Values);
        list.Sort(static (a, b) => a.Rows != b.Rows ? b.Rows.CompareTo(a.Rows) : a.Records != b.Records ? b.Records.CompareTo(a.Records) : string.CompareOrdinal(a.Key, b.Key));
        if (list.Count > TopCount)
        {
            list.RemoveRange(TopCount, list.Count - TopCount);
        }

        return list;
    }

    internal sealed class TopEntry(string key)
    {
        public string Key { get; } = key;

        public long Rows { get; set; }

        public long Records { get; set; }
    }
}
