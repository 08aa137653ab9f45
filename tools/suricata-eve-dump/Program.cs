// Reads one eve.json with the library's reader and prints, per accepted record, one JSON line of the fields the reader
// took (with the line they came from), then one line of the counters. .ci/conformance-suricata.sh compares them with
// what Python's json module reads from the same lines.
using System.Globalization;
using System.Text;
using System.Text.Json;
using PortMismatch.Detection;
using PortMismatch.Detection.Suricata;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: suricata-eve-dump <eve.json>");
    return 2;
}

var diagnostics = new List<InputDiagnostic>();
var state = new SuricataReaderState(SuricataReaderOptions.Default with { IncludeReplies = true }, args[0], diagnostics.Add);
var reader = new SuricataEveReader(File.ReadAllBytes(args[0]), state);
while (reader.TryRead(out var record))
{
    var apps = new List<string>();
    foreach (var app in record.Apps)
    {
        apps.Add(Encoding.UTF8.GetString(app));
    }

    var line = JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["line"] = state.LineNumber,
        ["time"] = record.Timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        ["src_ip"] = record.SourceAddress.ToString(),
        ["dest_ip"] = record.DestinationAddress.ToString(),
        ["src_port"] = record.SourcePort,
        ["dest_port"] = record.DestinationPort,
        ["transport"] = record.Transport.ToString().ToLowerInvariant(),
        ["apps"] = apps,
        ["bytes"] = record.Bytes,
        ["packets"] = record.Packets,
    });
    Console.Out.WriteLine(line);
}

foreach (var diagnostic in diagnostics)
{
    if (diagnostic.Outcome == RecordOutcome.Rejected)
    {
        Console.Error.WriteLine(diagnostic);
    }
}

var counters = state.Counters;
Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["read"] = counters.Read,
    ["accepted"] = counters.Accepted,
    ["rejected"] = counters.Rejected,
    ["skipped"] = counters.SkippedByReason,
}));
return 0;
