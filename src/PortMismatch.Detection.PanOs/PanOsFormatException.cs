namespace PortMismatch.Detection.PanOs;

/// <summary>
/// A PAN-OS input that cannot be read (further), such as a damaged gzip file. Malformed single lines are never thrown: they are
/// reported as <see cref="InputDiagnostic"/>s and counted.
/// </summary>
public sealed class PanOsFormatException : InputFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the input cannot be read.</param>
    /// <param name="message">What is wrong; quoted input must be escaped and length-capped.</param>
    /// <param name="inputName">The input's name, or <see langword="null"/>.</param>
    /// <param name="lineNumber">The 1-based line, or 0.</param>
    /// <param name="byteOffset">The byte offset from the start of the input (for damaged gzip data: in the compressed input), or -1.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public PanOsFormatException(PanOsFormatError reason, string message, string? inputName, long lineNumber, long byteOffset, Exception? innerException = null)
        : base(message, inputName, lineNumber, byteOffset, innerException)
    {
        Reason = reason;
    }

    /// <summary>Gets why the input cannot be read.</summary>
    public PanOsFormatError Reason { get; }

    /// <inheritdoc/>
    public override string ReasonCode => Reason switch
    {
        PanOsFormatError.CorruptCompressedInput => "corrupt-compressed-input",
        _ => "unknown",
    };
}
