namespace PortMismatch.Detection.Ipfix;

/// <summary>Why an input could not be read at all.</summary>
public enum IpfixFormatError
{
    /// <summary>The input is neither IPFIX, NetFlow v9 or v5, pcap, pcapng nor gzip.</summary>
    UnknownFormat = 0,

    /// <summary>A pcap or pcapng file header is damaged or uses an unsupported link type.</summary>
    BadCapture = 1,

}

/// <summary>Thrown when an input cannot be read (further): an unknown format or a damaged capture header (damaged gzip is a <see cref="CompressedInputException"/>). Malformed messages, sets and records are never thrown: they are reported.</summary>
public sealed class IpfixFormatException : InputFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why.</param>
    /// <param name="message">The explanation; quoted input is escaped and capped.</param>
    /// <param name="inputName">The input's name, or <see langword="null"/>.</param>
    /// <param name="byteOffset">The offset, or -1.</param>
    public IpfixFormatException(IpfixFormatError reason, string message, string? inputName, long byteOffset)
        : base(message, inputName, 0, byteOffset) => Reason = reason;

    /// <summary>Gets why the input could not be read.</summary>
    public IpfixFormatError Reason { get; }

    /// <inheritdoc/>
    public override string ReasonCode => Reason switch
    {
        IpfixFormatError.BadCapture => "bad-capture",
        _ => "unknown-format",
    };
}
