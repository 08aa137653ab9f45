using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace PortMismatch.Detection.Siem.Tests.Ocsf;

/// <summary>
/// The generated OCSF 1.8.0 Detection Finding JSON Schema of the corpus (json-schema-generated/, without profiles: the
/// writer declares none, and the all-profiles schema requires <c>cloud</c> and <c>osint</c>, which a network finding has
/// not), and the writer's output as documents.
/// </summary>
internal static class OcsfSchema
{
    private static readonly Lazy<JsonSchema> DetectionFinding = new(() => JsonSchema.FromText(
        File.ReadAllText(Path.Combine(Repository.CorpusOrSkip("ocsf"), "json-schema-generated", "detection_finding.1.8.0.schema.json")),
        new BuildOptions { SchemaRegistry = new SchemaRegistry() }));

    /// <summary>Gets the schema, or skips the test when the corpus is absent.</summary>
    public static JsonSchema Schema
    {
        get
        {
            _ = Repository.CorpusOrSkip("ocsf");
            return DetectionFinding.Value;
        }
    }

    /// <summary>The schema's errors for a document, one line each (instance location: message); empty when valid.</summary>
    public static List<string> Errors(JsonNode document)
    {
        using var json = JsonDocument.Parse(document.ToJsonString());
        var result = Schema.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = new List<string>();
        if (result.IsValid)
        {
            return errors;
        }

        foreach (var detail in result.Details ?? [])
        {
            foreach (var (keyword, message) in detail.Errors ?? new Dictionary<string, string>())
            {
                errors.Add($"{detail.InstanceLocation} ({detail.EvaluationPath}) {keyword}: {message}");
            }
        }

        if (errors.Count == 0)
        {
            errors.Add("invalid (no detail)");
        }

        return errors;
    }

    /// <summary>Writes rows through an <see cref="OcsfFindingWriter"/> and returns the output's text.</summary>
    public static string Write(IEnumerable<MismatchRow> rows, OcsfWriterOptions? options = null)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new OcsfFindingWriter(buffer, options))
        {
            foreach (var row in rows)
            {
                writer.OnRow(row);
            }
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes rows and parses each line; one document per row, each line ending in <c>\n</c>.</summary>
    public static List<JsonObject> Documents(IReadOnlyList<MismatchRow> rows, OcsfWriterOptions? options = null)
    {
        var text = Write(rows, options);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var lines = text[..^1].Split('\n');
        Assert.Equal(rows.Count, lines.Length);
        return [.. lines.Select(line => JsonNode.Parse(line)!.AsObject())];
    }

    /// <summary>The one document of one row.</summary>
    public static JsonObject Document(MismatchRow row, OcsfWriterOptions? options = null) => Documents([row], options)[0];
}
