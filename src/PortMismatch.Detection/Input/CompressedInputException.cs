namespace PortMismatch.Detection;

/// <summary>
/// Thrown by every reader of this library when gzip input is damaged (a bad header, a corrupt block, a CRC-32 or length
/// that does not match, a member cut short). The records decompressed before the damage have been read and counted.
/// </summary>
public sealed class CompressedInputException : InputFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="inputName">The input's name, or <see langword="null"/>.</param>
    /// <param name="byteOffset">The offset in the compressed input where the damage was found, or -1.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CompressedInputException(string message, string? inputName, long byteOffset, Exception? innerException = null)
        : base(message, inputName, lineNumber: 0, byteOffset, innerException)
    {
    }

    /// <summary>Gets <c>corrupt-compressed-input</c>.</summary>
    public override string ReasonCode => "corrupt-compressed-input";
}
