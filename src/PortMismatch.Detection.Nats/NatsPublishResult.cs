namespace PortMismatch.Detection.Nats;

/// <summary>What <see cref="NatsFlowPublisher.PublishFileAsync"/> did with one file.</summary>
public sealed class NatsPublishResult
{
    internal NatsPublishResult(string path, string format, int partition, string identity, long published, long duplicates)
    {
        Path = path;
        Format = format;
        Partition = partition;
        Identity = identity;
        Published = published;
        Duplicates = duplicates;
    }

    /// <summary>Gets the file's full path.</summary>
    public string Path { get; }

    /// <summary>Gets the format the file was published as (<see cref="NatsFlowFormats"/>).</summary>
    public string Format { get; }

    /// <summary>Gets the partition the file went to.</summary>
    public int Partition { get; }

    /// <summary>Gets the file's identity, the first part of each message's <c>Nats-Msg-Id</c>.</summary>
    public string Identity { get; }

    /// <summary>Gets the number of messages the stream stored.</summary>
    public long Published { get; }

    /// <summary>Gets the number of messages the stream dropped as duplicates (published before, within its duplicate window).</summary>
    public long Duplicates { get; }
}
