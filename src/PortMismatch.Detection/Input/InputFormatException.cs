namespace PortMismatch.Detection;

/// <summary>
/// Base of the exceptions that the adapter packages throw for input they cannot read at all (a header that is not a
/// Zeek conn.log header, a stream that is not IPFIX, ...). Malformed single records are not thrown: they are reported as
/// <see cref="InputDiagnostic"/>s and counted. Each adapter package derives one sealed type that adds its reason enum.
/// </summary>
public abstract class InputFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong; quoted input must be escaped and length-capped.</param>
    /// <param name="inputName">The input's name, or <see langword="null"/>.</param>
    /// <param name="lineNumber">The 1-based line, or 0.</param>
    /// <param name="byteOffset">The byte offset from the start of the input, or -1.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    protected InputFormatException(string message, string? inputName, long lineNumber, long byteOffset, Exception? innerException = null)
        : base(message, innerException)
    {
        InputName = inputName;
        LineNumber = lineNumber;
        ByteOffset = byteOffset;
    }

    /// <summary>Gets the input's name, if known.</summary>
    public string? InputName { get; }

    /// <summary>Gets the 1-based line number, or 0.</summary>
    public long LineNumber { get; }

    /// <summary>Gets the byte offset from the start of the input, or -1.</summary>
    public long ByteOffset { get; }

    /// <summary>Gets the reason as a stable code (the adapter's reason enum in kebab case).</summary>
    public abstract string ReasonCode { get; }
}
