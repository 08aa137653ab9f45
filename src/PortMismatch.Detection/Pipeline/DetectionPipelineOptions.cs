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
}
