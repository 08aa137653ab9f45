using System.Text;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>A flow record copied into plain data so tests can keep and compare it.</summary>
public sealed record Collected(long Time, string Source, string Destination, int? SourcePort, int? DestinationPort, Transport Transport, string Apps, long? Bytes, long? Packets)
{
    public static Collected From(in FlowRecord record)
    {
        var apps = new List<string>();
        foreach (var app in record.Apps)
        {
            apps.Add(Encoding.UTF8.GetString(app));
        }

        return new Collected(
            record.TimestampMicroseconds,
            record.SourceAddress.HasValue ? record.SourceAddress.ToString() : "-",
            record.DestinationAddress.HasValue ? record.DestinationAddress.ToString() : "-",
            record.SourcePort,
            record.DestinationPort,
            record.Transport,
            string.Join('|', apps),
            record.Bytes,
            record.Packets);
    }
}

/// <summary>A push-API sink that keeps copies of the records.</summary>
public sealed class CollectingSink : IFlowRecordSink
{
    public List<Collected> Records { get; } = [];

    public void OnRecord(in FlowRecord record) => Records.Add(Collected.From(record));
}

/// <summary>Runs the synchronous reader over a whole input and keeps everything it says.</summary>
public sealed class ReadResult
{
    public List<Collected> Records { get; } = [];

    public List<(PanOsTrafficSubtype Subtype, string SubtypeText, long? SessionId, string Host, string SyslogTime, long Line, long Offset)> Extras { get; } = [];

    public List<InputDiagnostic> Diagnostics { get; } = [];

    public InputCounters Counters { get; set; } = new();

    public static ReadResult Of(string text, PanOsReaderOptions? options = null) => Of(Encoding.UTF8.GetBytes(text), options);

    public static ReadResult Of(byte[] input, PanOsReaderOptions? options = null)
    {
        var result = new ReadResult();
        var reader = new PanOsTrafficReader(input, new PanOsReaderState(options, "test.log", result.Diagnostics.Add));
        while (reader.TryRead(out var record))
        {
            result.Records.Add(Collected.From(record));
            result.Extras.Add((reader.Subtype, Encoding.UTF8.GetString(reader.SubtypeText), reader.SessionId,
                Encoding.UTF8.GetString(reader.SyslogHostName), Encoding.UTF8.GetString(reader.SyslogTimestamp), reader.LineNumber, reader.ByteOffset));
        }

        result.Counters = reader.State.Counters;
        Assert.True(result.Counters.IsBalanced, result.Counters.ToString());
        return result;
    }
}
