namespace PortMismatch.Detection.Nats;

/// <summary>
/// The flow-stream source registered by <c>AddNats</c> (a <see cref="NatsFlowSource"/> on its own connection), in types
/// configuration can bind. Every <see cref="NatsFlowSourceOptions"/> value that configuration can hold is here under the same name.
/// </summary>
public sealed class NatsSourceOptions
{
    /// <summary>Gets or sets the server URL, or several separated by commas (<c>nats://host:4222</c>); required.</summary>
    public string? Url { get; set; }

    /// <summary>Gets or sets the stream (default <c>FLOWS</c>).</summary>
    public string Stream { get; set; } = NatsFlowStreams.DefaultName;

    /// <summary>Gets or sets the subject prefix (default <c>flows</c>).</summary>
    public string SubjectPrefix { get; set; } = NatsFlowStreams.DefaultSubjectPrefix;

    /// <summary>Gets or sets the number of partitions P of the stream (default 8).</summary>
    public int Partitions { get; set; } = 8;

    /// <summary>Gets the partitions to read (each 0 .. P - 1); empty for all (default).</summary>
    public IList<int> ReadPartitions { get; } = [];

    /// <summary>Gets or sets the stream sequence to start from (default 0: the stream's first message).</summary>
    public ulong StartSequence { get; set; }

    /// <summary>Gets or sets whether reading stops once every partition is caught up (default <see langword="false"/>: until the host stops).</summary>
    public bool StopAtEnd { get; set; }

    /// <summary>Gets or sets the most messages fetched at once per partition (default 1,000).</summary>
    public int BatchSize { get; set; } = NatsFlowSourceOptions.Default.BatchSize;

    /// <summary>Gets or sets the time zone of the PAN-OS firewalls' local times (an IANA or Windows id; default UTC).</summary>
    public string PanOsTimeZone { get; set; } = "UTC";

    /// <summary>Gets or sets whether IPFIX and Suricata records of the reply direction are read too (default <see langword="false"/>).</summary>
    public bool IncludeReplies { get; set; }

    internal NatsFlowSourceOptions ToSourceOptions() => new()
    {
        Stream = Stream,
        SubjectPrefix = SubjectPrefix,
        Partitions = Partitions,
        ReadPartitions = ReadPartitions.Count == 0 ? null : [.. ReadPartitions],
        StartSequence = StartSequence,
        StopAtEnd = StopAtEnd,
        BatchSize = BatchSize,
        PanOsOptions = PanOs.PanOsReaderOptions.Default with { TimeZone = TimeZoneInfo.FindSystemTimeZoneById(PanOsTimeZone) },
        SuricataOptions = Suricata.SuricataReaderOptions.Default with { IncludeReplies = IncludeReplies },
        IpfixOptions = Ipfix.IpfixReaderOptions.Default with { IncludeReplies = IncludeReplies },
    };
}
