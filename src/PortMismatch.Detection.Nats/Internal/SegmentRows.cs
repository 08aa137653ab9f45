namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// Collects the rows a segment's aggregator emits and sums them per (window, key), so that one segment gives one row per
/// (window, key), in an order that depends only on the rows: the same messages give the same rows with the same indices
/// (and so the same <c>Nats-Msg-Id</c>s) in any process.
/// </summary>
internal sealed class SegmentRows : IMismatchRowSink
{
    /// <summary>The sums by window end, then key: making windows final takes whole windows, without a pass over the rest.</summary>
    private readonly Dictionary<long, Dictionary<RowKey, Sums>> _windows = [];

    /// <summary>Gets the number of (window, key) rows held.</summary>
    public int Count { get; private set; }

    /// <summary>Gets the number of windows held.</summary>
    public int Windows => _windows.Count;

    public void OnRow(MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        Add(RowKey.Of(row), row);
    }

    public ValueTask OnCompletedAsync(DetectionCounters counters) => default;

    /// <summary>Adds a row's count, times and transports to its (window, key).</summary>
    public void Add(RowKey key, MismatchRow row)
    {
        if (!_windows.TryGetValue(key.WindowEnd, out var window))
        {
            _windows.Add(key.WindowEnd, window = []);
        }

        if (window.TryGetValue(key, out var sums))
        {
            sums.Count += row.Count;
            sums.First = Math.Min(sums.First, row.FirstTimeMicroseconds);
            sums.Last = Math.Max(sums.Last, row.LastTimeMicroseconds);
            sums.Transports |= PartialRow.TransportBits(row.Transports);
        }
        else
        {
            window.Add(key, new Sums
            {
                Rule = row.Rule,
                Count = row.Count,
                First = row.FirstTimeMicroseconds,
                Last = row.LastTimeMicroseconds,
                Transports = PartialRow.TransportBits(row.Transports),
            });
            Count++;
        }
    }

    /// <summary>The summed rows in key order (window, then src, dest, app, port, rule), and empties the collection.</summary>
    public List<MismatchRow> TakeSorted() => TakeWindowsEndingBy(long.MaxValue);

    /// <summary>Removes and returns the summed rows of the windows that end at or before <paramref name="end"/>, in key order.</summary>
    public List<MismatchRow> TakeWindowsEndingBy(long end)
    {
        var taken = new List<KeyValuePair<RowKey, Sums>>();
        List<long>? ends = null;
        foreach (var (windowEnd, window) in _windows)
        {
            if (windowEnd <= end)
            {
                taken.AddRange(window);
                (ends ??= []).Add(windowEnd);
            }
        }

        if (ends is null)
        {
            return [];
        }

        foreach (var windowEnd in ends)
        {
            _windows.Remove(windowEnd);
        }

        Count -= taken.Count;
        taken.Sort((a, b) => a.Key.CompareTo(b.Key));
        var rows = new List<MismatchRow>(taken.Count);
        foreach (var (key, s) in taken)
        {
            rows.Add(new MismatchRow(key.Source, key.Destination, key.App, key.Port, s.Count, s.First, s.Last, s.Rule, PartialRow.TransportList(s.Transports))
            {
                WindowStartMicroseconds = key.WindowStart,
                WindowEndMicroseconds = key.WindowEnd,
            });
        }

        return rows;
    }

    private sealed class Sums
    {
        public DetectionRule? Rule;
        public long Count;
        public long First;
        public long Last;
        public int Transports;
    }
}

/// <summary>The (window, key) rows are summed by; the rule id is part of it, as in the finding id.</summary>
internal readonly record struct RowKey(long WindowStart, long WindowEnd, IPAddressValue Source, IPAddressValue Destination, string App, int Port, string? RuleId)
    : IComparable<RowKey>
{
    public static RowKey Of(MismatchRow row) => new(
        row.WindowStartMicroseconds ?? 0,
        row.WindowEndMicroseconds ?? 0,
        row.SourceAddress,
        row.DestinationAddress,
        row.App,
        row.DestinationPort,
        row.Rule?.Id);

    public int CompareTo(RowKey other)
    {
        var c = WindowStart.CompareTo(other.WindowStart);
        if (c == 0)
        {
            c = Source.CompareTo(other.Source);
        }

        if (c == 0)
        {
            c = Destination.CompareTo(other.Destination);
        }

        if (c == 0)
        {
            c = string.CompareOrdinal(App, other.App);
        }

        if (c == 0)
        {
            c = Port.CompareTo(other.Port);
        }

        if (c == 0)
        {
            c = string.CompareOrdinal(RuleId, other.RuleId);
        }

        return c;
    }
}
