namespace PortMismatch.Detection.Zeek;

/// <summary>
/// A Zeek input that cannot be read (further): not Zeek output, or a header the conn.log mapping cannot use (damaged gzip
/// is the core's <see cref="CompressedInputException"/>). Thrown once, at the offending line; malformed single records are never thrown but reported
/// as <see cref="InputDiagnostic"/>s.
/// </summary>
public sealed class ZeekFormatException : InputFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the input cannot be read.</param>
    /// <param name="message">What is wrong; quoted input must be escaped and length-capped.</param>
    /// <param name="inputName">The input's name, or <see langword="null"/>.</param>
    /// <param name="lineNumber">The 1-based line, or 0.</param>
    /// <param name="byteOffset">The byte offset of the line from the start of the input, or -1.</param>
    public ZeekFormatException(ZeekFormatError reason, string message, string? inputName, long lineNumber, long byteOffset)
        : base(message, inputName, lineNumber, byteOffset)
    {
        Reason = reason;
    }

    /// <summary>Gets why the input cannot be read.</summary>
    public ZeekFormatError Reason { get; }

    /// <inheritdoc/>
    public override string ReasonCode => Reason switch
    {
        ZeekFormatError.UnrecognizedFormat => "unrecognized-format",
        ZeekFormatError.MissingHeader => "missing-header",
        ZeekFormatError.MissingColumns => "missing-columns",
        ZeekFormatError.InvalidHeader => "invalid-header",
        _ => "unknown",
    };
}
