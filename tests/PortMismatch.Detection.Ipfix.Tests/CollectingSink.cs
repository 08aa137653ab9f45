using System.Text;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>A copy of one delivered record (the record itself is only valid during the sink call).</summary>
public sealed record FlowSnapshot(
    long Time,
    string Source,
    string Destination,
    int? SourcePort,
    int? DestinationPort,
    Transport Transport,
    string[] Apps,
    long? Bytes,
    long? Packets,
    IpfixRecordContext Context)
{
    public string? App => Apps.Length == 0 ? null : Apps[0];
}

/// <summary>Keeps a copy of every record; reads the decoder's context when one is attached.</summary>
public sealed class CollectingSink : IFlowRecordSink
{
    public List<FlowSnapshot> Records { get; } = [];

    public IpfixDecoder? Decoder { get; set; }

    public void OnRecord(in FlowRecord record)
    {
        var apps = new List<string>();
        foreach (var app in record.Apps)
        {
            apps.Add(Encoding.UTF8.GetString(app));
        }

        Records.Add(new FlowSnapshot(
            record.TimestampMicroseconds,
            record.SourceAddress.HasValue ? record.SourceAddress.ToString() : "-",
            record.DestinationAddress.HasValue ? record.DestinationAddress.ToString() : "-",
            record.SourcePort,
            record.DestinationPort,
            record.Transport,
            [.. apps],
            record.Bytes,
            record.Packets,
            Decoder?.Current ?? default));
    }
}
