namespace PortMismatch.Detection;

/// <summary>A rule file or allow-list file is not valid JSON or describes an invalid entry. <see cref="JsonPath"/> says where.</summary>
public sealed class ConfigurationFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, with the path.</param>
    /// <param name="jsonPath">The JSON path of the offending value (<c>$.rules[2].ports[0]</c>).</param>
    /// <param name="lineNumber">The 1-based line, when known.</param>
    /// <param name="innerException">The underlying error.</param>
    public ConfigurationFormatException(string message, string jsonPath, long? lineNumber = null, Exception? innerException = null)
        : base(message, innerException)
    {
        JsonPath = jsonPath;
        LineNumber = lineNumber;
    }

    /// <summary>Gets the JSON path of the offending value.</summary>
    public string JsonPath { get; }

    /// <summary>Gets the 1-based line number, when the JSON reader knew it.</summary>
    public long? LineNumber { get; }
}
