namespace PortMismatch.Detection;

/// <summary>Options shared by the row writers.</summary>
public sealed record RowWriterOptions
{
    /// <summary>Gets the options with every default.</summary>
    public static RowWriterOptions Default { get; } = new();

    /// <summary>
    /// Gets the time zone of firstTime, lastTime and the window times; <see langword="null"/> (the default) for UTC in the
    /// search's format, with no offset. When set, each time carries its ISO 8601 offset: <c>Z</c> for UTC, otherwise
    /// <c>+01:00</c> and the like (the offset at that time, so it changes with daylight saving time).
    /// </summary>
    public TimeZoneInfo? TimeZone { get; init; }

    /// <summary>Gets whether CSV and table output add window start and end columns (JSON Lines writes them whenever a row has a window).</summary>
    public bool IncludeWindow { get; init; }

    /// <summary>Gets the line end: <c>"\n"</c> (the default) or <c>"\r\n"</c> (RFC 4180 to the letter).</summary>
    public string NewLine { get; init; } = "\n";

    /// <summary>
    /// Gets whether the CSV and table writers write their header line before the first row (or at the end when no row
    /// came). Default true; false to append rows to output that already has one, or to format parts of one output apart.
    /// </summary>
    public bool IncludeHeader { get; init; } = true;

    /// <summary>Gets whether disposing the writer leaves a stream it was given open. Default false.</summary>
    public bool LeaveOpen { get; init; }
}
