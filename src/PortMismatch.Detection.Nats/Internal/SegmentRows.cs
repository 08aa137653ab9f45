namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// Collects the rows a segment's aggregator emits and sums them per (window, key), so that one segment gives one row per
/// (window, key), in an order that depends only on the rows: the same messages give the same rows with the same indices
/// (and so the same <c>Nats-Msg-Id</c>s) in any process.
/// </summary>
internal sealed class SegmentRows : IMismatchRowSink
{
    private readonly Dictionary<RowKey, Sums> _sums = [];

    public int Count => _sums.Count;

    public void OnRow(MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        Add(RowKey.Of(row), row);
    }

    public ValueTask OnCompletedAsync(DetectionCounters counters) => default;

    /// <summary>Adds a row's count, times and transports to its (window, key).</summary>
    public void Add(RowKey key, MismatchRow row)
    {
        if (_sums.TryGetValue(key, out var sums))
        {
            sums.Count += row.Count;
            sums.First = Math.Min(sums.First, row.FirstTimeMicroseconds);
            sums.Last = Math.Max(sums.Last, row.LastTimeMicroseconds);
            sums.Transports |= PartialRow.TransportBits(row.Transports);
        }
        else
        {
            _sums.Add(key, new Sums
            {
                Rule = row.Rule,
                Count = row.Count,
                First = row.FirstTimeMicroseconds,
                Last = row.LastTimeMicroseconds,
                Transports = PartialRow.TransportBits(row.Transports),
            });
        }
    }

    /// <summary>The summed rows in key order (window, then src, dest, app, port, rule), and empties the collection.</summary>
    public List<MismatchRow> TakeSorted()
    {
        var keys = new List<RowKey>(_sums.Keys);
        keys.Sort();
        var rows = new List<MismatchRow>(keys.Count);
        foreach (var key in keys)
        {
            var s = _sums[key];
            rows.Add(new MismatchRow(key.Source, key.Destination, key.App, key.Port, s.Count, s.First, s.Last, s.Rule, PartialRow.TransportList(s.Transports))
            {
                WindowStartMicroseconds = key.WindowStart,
                WindowEndMicroseconds = key.WindowEnd,
            });
        }

        _sums.Clear();
        return rows;
    }

    /// <summary>Removes and returns the summed rows of the windows that end at or before <paramref name="end"/>, in key order.</summary>
    public List<MismatchRow> TakeWindowsEndingBy(long end)
    {
        var taken = new SegmentRows();
        foreach (var (key, sums) in _sums)
        {
            if (key.WindowEnd <= end)
            {
                taken._sums.Add(key, sums);
            }
        }

        foreach (var key in taken._sums.Keys)
        {
            _sums.Remove(key);
        }

        return taken.TakeSorted();
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
