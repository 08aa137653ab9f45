using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Suricata;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Nats;

/// <summary>What <see cref="NatsFlowSource"/> reads and how.</summary>
public sealed record NatsFlowSourceOptions
{
    /// <summary>Gets the default options: every partition of <c>FLOWS</c> from its start, until cancelled.</summary>
    public static NatsFlowSourceOptions Default { get; } = new();

    /// <summary>Gets the stream (default <c>FLOWS</c>).</summary>
    public string Stream { get; init; } = NatsFlowStreams.DefaultName;

    /// <summary>Gets the subject prefix (default <c>flows</c>).</summary>
    public string SubjectPrefix { get; init; } = NatsFlowStreams.DefaultSubjectPrefix;

    /// <summary>Gets the number of partitions P of the stream (default 8).</summary>
    public int Partitions { get; init; } = 8;

    /// <summary>Gets the partitions to read (each 0 .. P - 1), or <see langword="null"/> for all (default).</summary>
    public IReadOnlyList<int>? ReadPartitions { get; init; }

    /// <summary>Gets the stream sequence to start from (default 0: the stream's first message).</summary>
    public ulong StartSequence { get; init; }

    /// <summary>Gets whether reading stops once every partition is caught up (default <see langword="false"/>: reads until cancelled).</summary>
    public bool StopAtEnd { get; init; }

    /// <summary>Gets the most messages fetched at once per partition (default 1,000): what a partition holds in memory, however far behind it is.</summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>Gets how Zeek JSON lines are read (default <see cref="ZeekReaderOptions.Default"/>).</summary>
    public ZeekReaderOptions ZeekOptions { get; init; } = ZeekReaderOptions.Default;

    /// <summary>Gets how Suricata EVE lines are read (default <see cref="SuricataReaderOptions.Default"/>).</summary>
    public SuricataReaderOptions SuricataOptions { get; init; } = SuricataReaderOptions.Default;

    /// <summary>Gets how PAN-OS syslog lines are read, with the firewalls' time zone (default <see cref="PanOsReaderOptions.Default"/>, UTC).</summary>
    public PanOsReaderOptions PanOsOptions { get; init; } = PanOsReaderOptions.Default;

    /// <summary>Gets how IPFIX messages are read (default <see cref="IpfixReaderOptions.Default"/>).</summary>
    public IpfixReaderOptions IpfixOptions { get; init; } = IpfixReaderOptions.Default;

    internal IReadOnlyList<int> Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Stream, nameof(Stream));
        NatsFlowStreams.CheckToken(SubjectPrefix, nameof(SubjectPrefix));
        ArgumentOutOfRangeException.ThrowIfLessThan(Partitions, 1, nameof(Partitions));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentNullException.ThrowIfNull(ZeekOptions, nameof(ZeekOptions));
        ArgumentNullException.ThrowIfNull(SuricataOptions, nameof(SuricataOptions));
        ArgumentNullException.ThrowIfNull(PanOsOptions, nameof(PanOsOptions));
        ArgumentNullException.ThrowIfNull(IpfixOptions, nameof(IpfixOptions));
        if (ReadPartitions is null)
        {
            return Enumerable.Range(0, Partitions).ToArray();
        }

        var read = new SortedSet<int>();
        foreach (var partition in ReadPartitions)
        {
            if ((uint)partition >= (uint)Partitions)
            {
                throw new ArgumentOutOfRangeException(nameof(ReadPartitions), partition, $"A partition is 0 .. {Partitions - 1} (Partitions is {Partitions}).");
            }

            read.Add(partition);
        }

        return read.Count > 0 ? [.. read] : throw new ArgumentException("ReadPartitions is empty: give at least one partition, or null for all.", nameof(ReadPartitions));
    }
}
