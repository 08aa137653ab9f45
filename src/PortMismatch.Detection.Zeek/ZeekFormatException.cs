namespace PortMismatch.Detection.Zeek;

/// <summary>
/// A Zeek input that cannot be read (further): not Zeek output, a header the conn.log mapping cannot use, or damaged gzip
/// data. Thrown once, at the offending line (or compressed byte); malformed single records are never thrown but reported
/// as <see cref="InputDiagnostic"/>s.
/// </summary>
public sealed class ZeekFormatException : InputFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">Why the input cannot be read.</param>
    /// <param name="message">What is wrong; quoted input must be escaped and length-capped.</param>
    /// <param name="inputName">The input's name, or <see langword="null"/>.</param>
    /// <param name="lineNumber">The 1-based line, or 0.</param>
    /// <param name="byteOffset">The byte offset of the line from the start of the input (for damaged gzip data: in the compressed input, see <see cref="ZeekFormatError.CorruptCompressedInput"/>), or -1.</param>
    public ZeekFormatException(ZeekFormatError error, string message, string? inputName, long lineNumber, long byteOffset)
        : base(message, inputName, lineNumber, byteOffset)
    {
        Error = error;
    }

    /// <summary>Gets why the input cannot be read.</summary>
    public ZeekFormatError Error { get; }

    /// <inheritdoc/>
    public override string ReasonCode => Error switch
    {
        ZeekFormatError.UnrecognizedFormat => "unrecognized-format",
        ZeekFormatError.MissingHeader => "missing-header",
        ZeekFormatError.MissingColumns => "missing-columns",
        ZeekFormatError.InvalidHeader => "invalid-header",
        ZeekFormatError.CorruptCompressedInput => "corrupt-compressed-input",
        _ => "unknown",
    };
}
