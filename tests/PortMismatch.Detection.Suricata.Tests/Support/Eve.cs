using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Suricata.Tests.Support;

/// <summary>A heap copy of a <see cref="FlowRecord"/> for assertions; app values joined with '|'.</summary>
public sealed record Row(long Time, string Source, string Destination, int? SourcePort, int? DestinationPort, Transport Transport, string Apps, long? Bytes, long? Packets)
{
    public static Row From(in FlowRecord record)
    {
        var apps = new List<string>();
        foreach (var value in record.Apps)
        {
            apps.Add(Encoding.UTF8.GetString(value));
        }

        return new Row(
            record.TimestampMicroseconds,
            record.SourceAddress.ToString(),
            record.DestinationAddress.ToString(),
            record.SourcePort,
            record.DestinationPort,
            record.Transport,
            string.Join('|', apps),
            record.Bytes,
            record.Packets);
    }
}

/// <summary>Collects rows from the push APIs.</summary>
public sealed class CollectingSink : IFlowRecordSink
{
    public List<Row> Rows { get; } = [];

    public void OnRecord(in FlowRecord record) => Rows.Add(Row.From(record));
}

/// <summary>The outcome of reading one input with the synchronous reader.</summary>
public sealed record ReadOutcome(List<Row> Rows, InputCounters Counters, List<InputDiagnostic> Diagnostics);

/// <summary>EVE lines as Suricata writes them (key order and value forms of Suricata 7's output-json-flow.c), and reading them.</summary>
public static class Eve
{
    public static ReadOutcome Read(string text, SuricataReaderOptions? options = null)
    {
        var diagnostics = new List<InputDiagnostic>();
        var state = new SuricataReaderState(options, "eve.json", diagnostics.Add);
        var rows = new List<Row>();
        var reader = new SuricataEveReader(Encoding.UTF8.GetBytes(text), state);
        while (reader.TryRead(out var record))
        {
            rows.Add(Row.From(record));
        }

        return new ReadOutcome(rows, state.Counters, diagnostics);
    }

    /// <summary>A flow event; <paramref name="extra"/> is inserted after app_proto (app_proto_orig, app_proto_ts, ...).</summary>
    public static string Flow(
        string src = "10.0.0.1",
        int srcPort = 49152,
        string dest = "10.0.0.2",
        int destPort = 80,
        string proto = "TCP",
        string? app = "http",
        string extra = "",
        long flowId = 1_234_567_890_123_456,
        string start = "2024-11-26T08:06:23.123456+0100",
        string timestamp = "2024-11-26T08:06:30.000000+0100",
        long bytesToServer = 300,
        long bytesToClient = 700,
        long pktsToServer = 3,
        long pktsToClient = 4)
        => string.Create(
            CultureInfo.InvariantCulture,
            $$$"""{"timestamp":"{{{timestamp}}}","flow_id":{{{flowId}}},"in_iface":"eth0","event_type":"flow","src_ip":"{{{src}}}","src_port":{{{srcPort}}},"dest_ip":"{{{dest}}}","dest_port":{{{destPort}}},"proto":"{{{proto}}}"{{{(app is null ? "" : $",\"app_proto\":\"{app}\"")}}}{{{extra}}},"flow":{"pkts_toserver":{{{pktsToServer}}},"pkts_toclient":{{{pktsToClient}}},"bytes_toserver":{{{bytesToServer}}},"bytes_toclient":{{{bytesToClient}}},"start":"{{{start}}}","end":"2024-11-26T08:06:24.000000+0100","age":1,"state":"closed","reason":"timeout","alerted":false},"tcp":{"tcp_flags":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}}""");

    /// <summary>A netflow event (one direction).</summary>
    public static string Netflow(
        string src = "10.0.0.1",
        int srcPort = 49152,
        string dest = "10.0.0.2",
        int destPort = 80,
        string? app = "http",
        long flowId = 77,
        long bytes = 425,
        long pkts = 6,
        string start = "2016-05-27T06:56:11.304062+0000")
        => string.Create(
            CultureInfo.InvariantCulture,
            $$$"""{"timestamp":"2016-05-27T06:56:11.900923+0000","flow_id":{{{flowId}}},"event_type":"netflow","src_ip":"{{{src}}}","src_port":{{{srcPort}}},"dest_ip":"{{{dest}}}","dest_port":{{{destPort}}},"proto":"TCP"{{{(app is null ? "" : $",\"app_proto\":\"{app}\"")}}},"netflow":{"pkts":{{{pkts}}},"bytes":{{{bytes}}},"start":"{{{start}}}","end":"2016-05-27T06:56:11.900923+0000","age":0,"min_ttl":64,"max_ttl":64},"tcp":{"tcp_flags":"1b"}}""");

    /// <summary>An event of another type, as Suricata writes them between flows.</summary>
    public const string Dns = """{"timestamp":"2024-11-26T08:06:23.200000+0100","flow_id":5,"event_type":"dns","src_ip":"10.0.0.1","src_port":5353,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"version":2,"type":"query","id":1,"rrname":"example.com","rrtype":"A"}}""";

    /// <summary>Microseconds since the epoch of a time written as .NET reads ISO 8601 with an offset (an oracle apart from the reader's parser).</summary>
    public static long Micros(string iso)
    {
        var withColon = iso[^5] is '+' or '-' ? iso[..^2] + ":" + iso[^2..] : iso;
        return (DateTimeOffset.ParseExact(withColon, "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
    }
}
