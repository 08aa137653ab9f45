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

    internal void Validate()
    {
        NatsFlowStreams.CheckToken(SubjectPrefix, nameof(SubjectPrefix));
        ArgumentOutOfRangeException.ThrowIfLessThan(Partitions, 1, nameof(Partitions));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlight, 1, nameof(MaxInFlight));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLineLength, 64, nameof(MaxLineLength));
    }
}
