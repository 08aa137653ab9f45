namespace PortMismatch.Detection;

/// <summary>What a <see cref="DetectionPipeline"/> detects and how it groups and filters the findings.</summary>
public sealed record DetectionPipelineOptions
{
    /// <summary>Gets the default options: the ESCU rules, no allow-list, one group per key for the whole input.</summary>
    public static DetectionPipelineOptions Default { get; } = new();

    /// <summary>Gets the rules (default <see cref="RuleSet.Escu"/>; see <see cref="RuleSets.Parse"/> for sets by name).</summary>
    public RuleSet Rules { get; init; } = RuleSet.Escu;

    /// <summary>Gets the allow-list applied to result rows (the search's <c>protocol_or_port_mismatch_filter</c>).</summary>
    public AllowList AllowList { get; init; } = AllowList.Empty;

    /// <summary>Gets the aggregation options: windows, lateness, grouping, memory bounds.</summary>
    public AggregatorOptions Aggregation { get; init; } = AggregatorOptions.Default;

    /// <summary>
    /// Gets how many sources are read at once (default: the processor count). Each source has an aggregator of its own
    /// (without windows, with more sources than this, each of this many lanes has one that its sources share); their
    /// groups are merged at the end, so the rows are the same as with one. A live source (a socket) holds its slot until
    /// cancelled: set this to at least the number of live sources.
    /// </summary>
    public int? MaxDegreeOfParallelism { get; init; }

    /// <summary>
    /// Gets how long a window may go without a record (by the processing clock, not the records' times) before it is
    /// closed even though event time has not passed it, or <see langword="null"/> (the default) to close windows on event
    /// time only. For live sources with windows: a quiet network still gets its rows, and a replay of old records gives the
    /// rows a scan of them gives. Each record is then counted under its source's lock, which the idle clock takes to close
    /// windows: uncontended, entering and leaving it costs some 10 to 20 ns a record. No record reads a clock.
    /// A record that arrives after its window was closed this way opens it again, and its rows add to the earlier ones.
    /// </summary>
    public TimeSpan? IdleWindowClose { get; init; }

    /// <summary>
    /// Gets whether the output receives final rows (default <see langword="false"/>: each row as an aggregator emits it).
    /// When set, the rows the allow-list keeps are held until the run ends; then the rows that share a window, src_ip,
    /// dest_ip, app and dest_port (partial rows, late rows, the rows of different sources or parts of one file) are summed
    /// into one (the count of all, the earliest first and latest last time, every transport, the rule that comes first in
    /// <see cref="Rules"/>; such a sum is neither partial nor late), and the rows reach the output sorted by
    /// <see cref="MismatchRowComparer"/>, each key once. The allow-list and its counters see the rows before they are
    /// summed; <see cref="DetectionCounters.RowsWritten"/> counts the final rows. For runs that end (files, streams): a live
    /// source's rows reach the output only when its run is cancelled.
    /// </summary>
    public bool CombineRows { get; init; }

    /// <summary>
    /// Gets the first-seen store the rows are looked up in and added to after the allow-list (see <see cref="FirstSeenFilter"/>),
    /// or <see langword="null"/> (the default) for none: the rows are then exactly as without it. The pipeline saves the
    /// store when a run ends (unless the output failed); the caller opens and disposes it.
    /// </summary>
    public FirstSeenStore? FirstSeen { get; init; }

    /// <summary>
    /// Gets how many earlier distinct UTC days (by the records' time) a pair must have been seen on for its rows to be
    /// removed as baseline, or <see langword="null"/> (the default) to remove none; needs <see cref="FirstSeen"/>. Counted
    /// in <see cref="DetectionCounters.RowsSuppressedAsBaseline"/>.
    /// </summary>
    public int? SuppressSeenOnDays { get; init; }
}
