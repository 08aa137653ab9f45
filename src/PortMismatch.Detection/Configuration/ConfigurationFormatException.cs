namespace PortMismatch.Detection;

/// <summary>
/// A rule file or allow-list file is not valid JSON, has a key or value its schema does not allow, or describes an invalid
/// entry. The message is one line with one position: <c>rules.json: line 7, column 5: unknown key "prots" in rule "dns";
/// valid keys: id, name, ...</c>; <see cref="JsonPath"/>, <see cref="LineNumber"/> and <see cref="ColumnNumber"/> say where.
/// </summary>
public sealed class ConfigurationFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, with the position.</param>
    /// <param name="jsonPath">The JSON path of the offending value (<c>$.rules[2].ports[0]</c>).</param>
    /// <param name="lineNumber">The 1-based line, when known.</param>
    /// <param name="columnNumber">The 1-based column (in characters), when known.</param>
    /// <param name="innerException">The underlying error.</param>
    public ConfigurationFormatException(string message, string jsonPath, long? lineNumber = null, long? columnNumber = null, Exception? innerException = null)
        : base(message, innerException)
    {
        JsonPath = jsonPath;
        LineNumber = lineNumber;
        ColumnNumber = columnNumber;
    }

    /// <summary>Gets the JSON path of the offending value.</summary>
    public string JsonPath { get; }

    /// <summary>Gets the 1-based line number, when known.</summary>
    public long? LineNumber { get; }

    /// <summary>Gets the 1-based column number, counted in characters, when known.</summary>
    public long? ColumnNumber { get; }

    /// <summary>Gets the file the JSON came from, when it came from a file.</summary>
    public string? SourceName { get; init; }
}
