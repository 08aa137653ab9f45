namespace PortMismatch.Detection;

/// <summary>
/// A row sink that drops rows an <see cref="AllowList"/> entry or a caller's predicate rejects and passes the rest on.
/// Counts what it removed per entry, so that nothing is silently lost.
/// </summary>
public sealed class RowFilter : IMismatchRowSink
{
    private readonly IMismatchRowSink _next;
    private readonly AllowList _allowList;
    private readonly Func<MismatchRow, bool>? _keep;
    private readonly long[] _removedByEntry;

    /// <summary>Creates a filter.</summary>
    /// <param name="next">Where kept rows go.</param>
    /// <param name="allowList">The allow-list (entries are tried in order; the first match removes the row).</param>
    /// <param name="keep">An optional predicate applied after the allow-list: rows for which it returns false are removed.</param>
    public RowFilter(IMismatchRowSink next, AllowList allowList, Func<MismatchRow, bool>? keep = null)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(allowList);
        _next = next;
        _allowList = allowList;
        _keep = keep;
        _removedByEntry = new long[allowList.Count];
    }

    /// <summary>Gets the allow-list.</summary>
    public AllowList AllowList => _allowList;

    /// <summary>Gets the number of rows passed on.</summary>
    public long RowsKept { get; private set; }

    /// <summary>Gets the number of rows the predicate removed.</summary>
    public long RowsRemovedByPredicate { get; private set; }

    /// <summary>Gets the number of rows an entry removed.</summary>
    /// <param name="entryIndex">The entry's index in <see cref="AllowList"/>.</param>
    /// <returns>The count.</returns>
    public long RowsRemovedBy(int entryIndex) => _removedByEntry[entryIndex];

    /// <inheritdoc/>
    public void OnRow(MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var entry = _allowList.IndexOfMatch(row);
        if (entry >= 0)
        {
            _removedByEntry[entry]++;
            return;
        }

        if (_keep is not null && !_keep(row))
        {
            RowsRemovedByPredicate++;
            return;
        }

        RowsKept++;
        _next.OnRow(row);
    }

    /// <summary>Passes the end of the run on to the sink the kept rows go to.</summary>
    /// <param name="counters">The run's final counters.</param>
    /// <returns>The next sink's completion.</returns>
    public ValueTask OnCompletedAsync(DetectionCounters counters) => _next.OnCompletedAsync(counters);
}
