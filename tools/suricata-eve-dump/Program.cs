// Reads one eve.json with the library's reader and prints, per accepted record, one JSON line of the fields the reader
// took (with the line they came from), then one line of the counters. .ci/conformance-suricata.sh compares them with
// what Python's json module reads from the same lines.
using System.Globalization;
using System.Text;
using System.Text.Json;
using PortMismatch.Detection;
using PortMismatch.Detection.Suricata;

// --fixtures: the eve.json lines the Suricata tests write (their generator, linked from the test project), so that
// .ci/conformance-suricata.sh can hold them against Suricata's own EVE JSON Schema.
// --validate <schema.json> <eve.json>: every line against the schema; prints the lines that fail, exit 1 when one does.
if (args is ["--fixtures"])
{
    Console.Out.Write(PortMismatch.Detection.Suricata.Tests.Support.EveLog.Generate(2_000, seed: 18));
    Console.Out.WriteLine(PortMismatch.Detection.Suricata.Tests.Support.Eve.Flow());
    Console.Out.WriteLine(PortMismatch.Detection.Suricata.Tests.Support.Eve.Netflow());
    Console.Out.WriteLine(PortMismatch.Detection.Suricata.Tests.Support.Eve.Dns);
    return 0;
}

if (args is ["--validate", var schemaPath, var evePath])
{
    // Suricata's schema annotates its nodes with a keyword of its own ("suricata": keywords, since which version) and
    // has typos of annotation keywords ("desription"); a draft 2020-12 validator refuses unknown keywords, so the schema
    // nodes keep only JSON Schema's keywords (names inside "properties" are fields and stay).
    var schemaNode = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(schemaPath))!;
    StripAnnotations(schemaNode, isSchema: true);
    var schema = Json.Schema.JsonSchema.FromText(schemaNode.ToJsonString());
    int number = 0, valid = 0, invalid = 0;
    foreach (var text in File.ReadLines(evePath))
    {
        number++;
        if (text.Length == 0)
        {
            continue;
        }

        using var document = JsonDocument.Parse(text);
        var result = schema.Evaluate(document.RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
        if (result.IsValid)
        {
            valid++;
            continue;
        }

        invalid++;
        if (invalid <= 5)
        {
            var errors = result.Details?.Where(d => d.Errors is { Count: > 0 }).Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)}") ?? [];
            Console.Out.WriteLine($"{evePath}:{number}: not valid EVE: {string.Join(" | ", errors.Take(3))}");
        }
    }

    Console.Out.WriteLine($"{valid} valid, {invalid} invalid");
    return invalid == 0 && valid > 0 ? 0 : 1;
}

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: suricata-eve-dump <eve.json> | --fixtures | --validate <schema.json> <eve.json>");
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

static void StripAnnotations(System.Text.Json.Nodes.JsonNode? node, bool isSchema)
{
    if (node is System.Text.Json.Nodes.JsonObject map)
    {
        if (isSchema)
        {
            foreach (var key in map.Select(p => p.Key).Where(k => !Keywords.Contains(k)).ToList())
            {
                map.Remove(key);
            }
        }

        foreach (var (key, child) in map.ToList())
        {
            // The values of these keywords are maps of names to schemas; every other object value of a schema is a schema.
            var isMapOfSchemas = isSchema && key is "properties" or "patternProperties" or "$defs" or "definitions";
            if (isMapOfSchemas && child is System.Text.Json.Nodes.JsonObject names)
            {
                foreach (var (_, schema) in names.ToList())
                {
                    StripAnnotations(schema, isSchema: true);
                }
            }
            else
            {
                StripAnnotations(child, isSchema);
            }
        }
    }
    else if (node is System.Text.Json.Nodes.JsonArray list)
    {
        foreach (var item in list)
        {
            StripAnnotations(item, isSchema);
        }
    }
}

internal static partial class Program
{
    private static readonly HashSet<string> Keywords =
    [
        "$schema", "$id", "$ref", "$defs", "$comment", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "definitions",
        "type", "enum", "const", "properties", "patternProperties", "additionalProperties", "required", "propertyNames",
        "minProperties", "maxProperties", "dependentRequired", "dependentSchemas", "unevaluatedProperties", "items",
        "prefixItems", "contains", "minContains", "maxContains", "minItems", "maxItems", "uniqueItems", "unevaluatedItems",
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "minLength", "maxLength", "pattern", "format", "title", "description", "default", "examples",
        "deprecated", "readOnly", "writeOnly", "contentMediaType", "contentEncoding", "contentSchema",
    ];
}
