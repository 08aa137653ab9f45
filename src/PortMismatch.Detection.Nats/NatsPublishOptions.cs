namespace PortMismatch.Detection.Nats;

/// <summary>How <see cref="NatsFlowPublisher"/> publishes files.</summary>
public sealed record NatsPublishOptions
{
    /// <summary>Gets the default options.</summary>
    public static NatsPublishOptions Default { get; } = new();

    /// <summary>Gets the subject prefix: messages go to <c>&lt;prefix&gt;.&lt;partition&gt;.&lt;format&gt;</c> (default <c>flows</c>).</summary>
    public string SubjectPrefix { get; init; } = NatsFlowStreams.DefaultSubjectPrefix;

    /// <summary>Gets the number of partitions P; a file goes to one partition, a stable hash of its full path mod P (default 8).</summary>
    public int Partitions { get; init; } = 8;

    /// <summary>Gets how many publishes may wait for their acknowledgement at once (default 256; on a 2-core VM shared with the server, 256 published faster than 64 and than 1,024 to 8,192).</summary>
    public int MaxInFlight { get; init; } = 256;

    /// <summary>Gets the longest line published (default 1 MiB, NATS's default maximum payload); a longer line stops the file with an error.</summary>
    public int MaxLineLength { get; init; } = 1024 * 1024;

    /// <summary>
    /// Gets how many lines of a line format (Zeek JSON, Suricata EVE, PAN-OS syslog) go into one message, newline-separated
    /// (default 1). The server's and the client's cost is per message, so lines in batches are read several times cheaper
    /// (benchmarks/RESULTS.md); a message of n lines has the <c>Nats-Msg-Id</c> <c>&lt;file identity&gt;:&lt;first line&gt;-&lt;last
    /// line&gt;</c> (one line: <c>&lt;file identity&gt;:&lt;line&gt;</c>), so a publish run again must use the same value to add
    /// nothing twice. Readers take any number of lines a message. IPFIX files are published one message a message.
    /// </summary>
    public int LinesPerMessage { get; init; } = 1;

    internal void Validate()
    {
        NatsFlowStreams.CheckToken(SubjectPrefix, nameof(SubjectPrefix));
        ArgumentOutOfRangeException.ThrowIfLessThan(Partitions, 1, nameof(Partitions));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlight, 1, nameof(MaxInFlight));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLineLength, 64, nameof(MaxLineLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(LinesPerMessage, 1, nameof(LinesPerMessage));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(LinesPerMessage, 10_000, nameof(LinesPerMessage));
    }
}
