namespace PortMismatch.Detection.Interop;

/// <summary>A file brought in from another engine (a Splunk lookup or macro, a Zeek valids table) is not what the import reads; the message names the source, line and column and the problem.</summary>
public sealed class RuleImportException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sourceName">The file or source name.</param>
    /// <param name="line">The 1-based line.</param>
    /// <param name="column">The 1-based column, or 0 when the problem is the whole line.</param>
    /// <param name="reason">What is wrong, and what is expected instead.</param>
    public RuleImportException(string sourceName, int line, int column, string reason)
        : base(column > 0 ? $"{sourceName}:{line}:{column}: {reason}" : $"{sourceName}:{line}: {reason}")
    {
        SourceName = sourceName;
        Line = line;
        Column = column;
        Reason = reason;
    }

    /// <summary>Gets the file or source name.</summary>
    public string SourceName { get; }

    /// <summary>Gets the 1-based line.</summary>
    public int Line { get; }

    /// <summary>Gets the 1-based column, or 0 when the problem is the whole line.</summary>
    public int Column { get; }

    /// <summary>Gets what is wrong.</summary>
    public string Reason { get; }
}
