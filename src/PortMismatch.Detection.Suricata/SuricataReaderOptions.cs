namespace PortMismatch.Detection.Suricata;

/// <summary>
/// How the Suricata EVE reader behaves. Immutable; change with <c>with</c>:
/// <c>SuricataReaderOptions.Default with { IncludeReplies = true }</c>. The defaults read what Suricata writes.
/// </summary>
public sealed record SuricataReaderOptions
{
    /// <summary>The smallest accepted <see cref="MaxLineLength"/>.</summary>
    public const int MinimumMaxLineLength = 64;

    /// <summary>The defaults.</summary>
    public static SuricataReaderOptions Default { get; } = new();

    /// <summary>
    /// Gets the longest line, in bytes without its line feed, that is parsed (default 1 MiB: an eve.json holds alert,
    /// http and fileinfo events too, which can be far longer than a flow event, and a line that is too long cannot be told
    /// apart from a flow). A longer line is rejected with reason <c>line-too-long</c> and reading resumes after its end,
    /// so an input without line feeds cannot exhaust memory. At least <see cref="MinimumMaxLineLength"/>.
    /// </summary>
    public int MaxLineLength { get; init; } = 1024 * 1024;

    /// <summary>
    /// Gets whether the reply half of a flow logged as two <c>netflow</c> events is read too. Default
    /// <see langword="false"/>: Suricata writes the initiator's direction first and, when the responder sent packets, the
    /// reply with the addresses and ports swapped and the same <c>flow_id</c>; the reply is skipped with reason
    /// <c>reply-flow</c> (as the IPFIX adapter skips reply records), so that the reply of an HTTP flow (source port 80 to an
    /// ephemeral port) is not taken for HTTP on that ephemeral port. <c>flow</c> events hold both directions and are
    /// always read.
    /// </summary>
    public bool IncludeReplies { get; init; }
}
