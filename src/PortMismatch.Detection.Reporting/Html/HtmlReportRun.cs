namespace PortMismatch.Detection.Reporting;

/// <summary>
/// What the report says about the run besides its rows: every property is optional, and a part of the report whose data is
/// missing is left out (a report of rows alone has the charts and the table).
/// </summary>
public sealed class HtmlReportRun
{
    /// <summary>Gets an empty description: the report shows the rows only.</summary>
    public static HtmlReportRun Empty { get; } = new();

    /// <summary>Gets the page's title and heading (default <c>Port mismatch report</c>).</summary>
    public string Title { get; init; } = "Port mismatch report";

    /// <summary>Gets when the run ended, shown in UTC; <see langword="null"/> leaves it out (and keeps the file byte-identical across runs).</summary>
    public DateTimeOffset? GeneratedAt { get; init; }

    /// <summary>Gets what wrote the report, such as <c>portmismatch 0.1.0</c>.</summary>
    public string? Generator { get; init; }

    /// <summary>Gets how long the run took.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Gets the inputs of the run, in the order to show them.</summary>
    public IReadOnlyList<HtmlReportInput> Inputs { get; init; } = [];

    /// <summary>
    /// Gets the run's final counters (records read, accepted, rejected and skipped with reasons, rows emitted and written,
    /// rows the allow-list removed per entry); <see cref="HtmlReportSink"/> fills them in from the pipeline when missing.
    /// </summary>
    public DetectionCounters? Counters { get; init; }

    /// <summary>Gets the rules the run evaluated; the report lists them with the number of rows each produced.</summary>
    public RuleSet? Rules { get; init; }

    /// <summary>Gets the name the rule set was chosen by (<c>escu</c>, <c>extended</c>, a rule file's path).</summary>
    public string? RuleSetName { get; init; }

    /// <summary>Gets the allow-list of the run; its entries are listed with the rows each removed (from <see cref="Counters"/>).</summary>
    public AllowList AllowList { get; init; } = AllowList.Empty;

    /// <summary>
    /// Gets the tumbling window of the run, or <see langword="null"/> for one aggregate over all input. The timeline has one
    /// bar per window (wider when there would be more than 120), else one per hour of the rows' first seen.
    /// </summary>
    public TimeSpan? Window { get; init; }
}
