namespace PortMismatch.Detection;

/// <summary>
/// A row sink that looks each row's pair up in a <see cref="FirstSeenStore"/>, adds the row to the store, and passes the
/// row on with <see cref="MismatchRow.FirstSeenMicroseconds"/>, <see cref="MismatchRow.IsNew"/> and
/// <see cref="MismatchRow.EarlierDaysSeen"/> set; with <see cref="SuppressSeenOnDays"/> it removes, and counts, the rows whose
/// pair was seen on at least that many earlier days (a learned baseline). A <see cref="DetectionPipeline"/> puts one after
/// the allow-list when <see cref="DetectionPipelineOptions.FirstSeen"/> is set.
/// </summary>
public sealed class FirstSeenFilter : IMismatchRowSink
{
    private readonly IMismatchRowSink _next;

    /// <summary>Creates the filter.</summary>
    /// <param name="next">Where the rows go.</param>
    /// <param name="store">The store (saved by whoever owns it: <see cref="FirstSeenStore.Save"/>).</param>
    /// <param name="suppressSeenOnDays">Remove rows whose pair was seen on at least this many earlier UTC days; <see langword="null"/> to remove none.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="suppressSeenOnDays"/> is less than 1.</exception>
    public FirstSeenFilter(IMismatchRowSink next, FirstSeenStore store, int? suppressSeenOnDays = null)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(store);
        if (suppressSeenOnDays is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(suppressSeenOnDays), suppressSeenOnDays, "Suppress rows seen on at least 1 earlier day, or set none.");
        }

        _next = next;
        Store = store;
        SuppressSeenOnDays = suppressSeenOnDays;
    }

    /// <summary>Gets the store.</summary>
    public FirstSeenStore Store { get; }

    /// <summary>Gets the number of earlier days that suppresses a row, or <see langword="null"/> for none.</summary>
    public int? SuppressSeenOnDays { get; }

    /// <summary>Gets the number of rows passed on.</summary>
    public long RowsKept { get; private set; }

    /// <summary>Gets the number of rows removed as baseline (their pair seen on at least <see cref="SuppressSeenOnDays"/> earlier days).</summary>
    public long RowsSuppressed { get; private set; }

    /// <inheritdoc/>
    public void OnRow(MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var observation = Store.Observe(row);
        if (observation.EarlierDays >= SuppressSeenOnDays)
        {
            RowsSuppressed++;
            return;
        }

        RowsKept++;
        _next.OnRow(row.WithFirstSeen(observation));
    }

    /// <summary>Passes the end of the run on.</summary>
    /// <param name="counters">The run's final counters.</param>
    /// <returns>The next sink's completion.</returns>
    public ValueTask OnCompletedAsync(DetectionCounters counters) => _next.OnCompletedAsync(counters);
}
