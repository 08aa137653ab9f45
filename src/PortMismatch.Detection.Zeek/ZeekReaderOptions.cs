namespace PortMismatch.Detection.Zeek;

/// <summary>
/// How the Zeek conn.log readers behave. Immutable; change with <c>with</c>. The defaults read what Zeek writes.
/// </summary>
public sealed record ZeekReaderOptions
{
    /// <summary>The smallest accepted <see cref="MaxLineLength"/>.</summary>
    public const int MinimumMaxLineLength = 64;

    /// <summary>The defaults.</summary>
    public static ZeekReaderOptions Default { get; } = new();

    /// <summary>
    /// Gets the longest line, in bytes without its line feed, that is parsed (default 65,536). A longer line is rejected
    /// with reason <c>line-too-long</c> and reading resumes after its end, so an input without line feeds cannot exhaust
    /// memory. At least <see cref="MinimumMaxLineLength"/>.
    /// </summary>
    public int MaxLineLength { get; init; } = 64 * 1024;

    /// <summary>
    /// Gets whether the values of <c>speculative_service</c> (protocols that a signature matched but no analyzer confirmed,
    /// Zeek's <c>policy/protocols/conn/speculative-service</c>) are app values too (default <see langword="false"/>:
    /// only the confirmed <c>service</c> counts, as in Splunk's mapping).
    /// </summary>
    public bool IncludeSpeculativeService { get; init; }

    /// <summary>
    /// Gets whether records are read whatever the log's path says (default <see langword="false"/>: only TSV blocks with
    /// <c>#path conn</c>, <c>conn_*</c> or <c>conn-*</c> (or no <c>#path</c>) and JSON objects without <c>_path</c> or with
    /// such a <c>_path</c> are read; records of other logs are skipped with reason <c>not-a-traffic-log</c>).
    /// </summary>
    public bool AcceptAnyPath { get; init; }

    /// <summary>
    /// Gets the column names of headerless TSV input (<c>zeek-cut</c> output without <c>-c</c>), in order, or
    /// <see langword="null"/> (the default) to require a <c>#fields</c> header. A <c>#fields</c> header in the input
    /// replaces this list.
    /// </summary>
    public IReadOnlyList<string>? FieldNames { get; init; }

    /// <summary>Gets the column separator of headerless TSV input given by <see cref="FieldNames"/> (default tab).</summary>
    public char FieldSeparator { get; init; } = '\t';
}
