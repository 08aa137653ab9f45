namespace PortMismatch.Detection.Reporting;

/// <summary>One input of a run as the report lists it: its name, the format it was read as, its counters and whether it failed.</summary>
public sealed class HtmlReportInput
{
    /// <summary>Creates an input line.</summary>
    /// <param name="name">The input's name (a path, a collector's address); shown as text, never interpreted.</param>
    /// <param name="format">The format it was read as (<c>zeek</c>, <c>suricata</c>, ...), or <see langword="null"/> when unknown.</param>
    /// <param name="counters">What it read: read = accepted + rejected + skipped, with the reasons.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="counters"/> is <see langword="null"/>.</exception>
    public HtmlReportInput(string name, string? format, InputCounters counters)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(counters);
        Name = name;
        Format = format;
        Counters = counters;
    }

    /// <summary>Gets the input's name.</summary>
    public string Name { get; }

    /// <summary>Gets the format it was read as, or <see langword="null"/>.</summary>
    public string? Format { get; }

    /// <summary>Gets its counters.</summary>
    public InputCounters Counters { get; }

    /// <summary>Gets whether the input failed (unreadable, or too many records rejected).</summary>
    public bool Failed { get; init; }
}
