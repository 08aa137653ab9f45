namespace PortMismatch.Detection;

/// <summary>Options of <see cref="MismatchAggregator"/>. Change with <c>with</c>; validated when the aggregator is created.</summary>
public sealed record AggregatorOptions
{
    /// <summary>Gets the options with every default.</summary>
    public static AggregatorOptions Default { get; } = new();

    /// <summary>Gets which app values of a selected record are grouped. Default <see cref="AppGrouping.MismatchingValues"/>.</summary>
    public AppGrouping Grouping { get; init; } = AppGrouping.MismatchingValues;

    /// <summary>
    /// Gets the most groups held at once, over all open windows (default 1,000,000). When a new group would pass it, the
    /// oldest group is emitted early as a partial row (<see cref="MismatchRow.IsPartial"/>): no count is lost. With windows
    /// it is the oldest group of the window farthest from event time that holds one.
    /// </summary>
    /// <remarks>
    /// Memory: without windows the groups live in one table of at most 91.25 bytes a group (about 91 MB for the default).
    /// With windows each open window has a table of its own, which doubles as it grows, so groups spread over windows can
    /// need up to twice that: all tables together take at most 2 x 91.25 bytes times this bound (about 183 MB for the
    /// default), plus the first 8 slots of each open window (see <see cref="MaxOpenWindows"/>). A table that would grow past
    /// that first takes the slots of the window farthest from event time, which is emitted early as partial rows
    /// (<see cref="MismatchAggregator.WindowEvictions"/>); a window whose groups have all been evicted is closed at once
    /// (a later record opens it again).
    /// </remarks>
    public int MaxGroups { get; init; } = 1_000_000;

    /// <summary>
    /// Gets the most distinct app values held at once (default 65,536). When a new value would pass it (or
    /// <see cref="MaxAppBytes"/>), every open group is emitted early as a partial row and the table starts again.
    /// </summary>
    public int MaxAppValues { get; init; } = 65_536;

    /// <summary>Gets the most bytes of distinct app values held at once (default 4 MiB); see <see cref="MaxAppValues"/>.</summary>
    public long MaxAppBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Gets the size of tumbling windows aligned to the Unix epoch, as a scheduled search over fixed intervals gives; or
    /// <see langword="null"/> (the default) for one aggregate over all input. Whole microseconds, at least one.
    /// </summary>
    public TimeSpan? Window { get; init; }

    /// <summary>
    /// Gets how far event time may run past a window's end before the window is emitted (default zero). A record for a window
    /// that was already emitted is a late record, counted in <see cref="MismatchAggregator.LateRecords"/>: it reopens that
    /// window as a late table, whose rows (<see cref="MismatchRow.IsLate"/>) are emitted when the next window closes.
    /// </summary>
    /// <remarks>
    /// Event time is the latest record time, except that a record more than a window plus this lateness ahead of it moves
    /// it only once a later record confirms the jump: one record with a wrong clock (the year 9999) cannot close the
    /// windows that the other records are still filling.
    /// </remarks>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Gets the most windows open at once, late tables included (default 10,000; an open window without groups takes
    /// about 1 KB). When a record would open one more, the open window farthest from event time is emitted early as
    /// partial rows (<see cref="MismatchAggregator.WindowEvictions"/>); when the record's own window is the farthest, its
    /// values become partial rows of their own. Records with wrong clocks, far ahead or far behind, thus lose their windows
    /// before the windows around event time do. Only with <see cref="Window"/>.
    /// </summary>
    public int MaxOpenWindows { get; init; } = 10_000;

    /// <summary>The largest count one group holds before it is emitted as a partial row and starts again (tests lower it).</summary>
    internal uint MaxCountPerGroup { get; init; } = uint.MaxValue;

    internal void Validate()
    {
        if (Grouping is not (AppGrouping.MismatchingValues or AppGrouping.AllValues))
        {
            throw new ArgumentException($"Grouping {Grouping} is not a known grouping.", nameof(Grouping));
        }

        if (MaxGroups < 1)
        {
            throw new ArgumentException($"MaxGroups is {MaxGroups}; it must be at least 1.", nameof(MaxGroups));
        }

        if (MaxOpenWindows < 1)
        {
            throw new ArgumentException($"MaxOpenWindows is {MaxOpenWindows}; it must be at least 1.", nameof(MaxOpenWindows));
        }

        if (MaxAppValues < 1)
        {
            throw new ArgumentException($"MaxAppValues is {MaxAppValues}; it must be at least 1.", nameof(MaxAppValues));
        }

        if (MaxAppBytes < 1)
        {
            throw new ArgumentException($"MaxAppBytes is {MaxAppBytes}; it must be at least 1.", nameof(MaxAppBytes));
        }

        if (Window is { } window && (window.Ticks < TimeSpan.TicksPerMicrosecond || window.Ticks % TimeSpan.TicksPerMicrosecond != 0))
        {
            throw new ArgumentException($"Window is {window}; it must be a positive whole number of microseconds.", nameof(Window));
        }

        if (AllowedLateness < TimeSpan.Zero)
        {
            throw new ArgumentException($"AllowedLateness is {AllowedLateness}; it cannot be negative.", nameof(AllowedLateness));
        }
    }
}
