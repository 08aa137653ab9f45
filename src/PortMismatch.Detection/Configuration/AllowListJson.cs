using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// Reads allow-list files:
/// <code>
/// { "allow": [ { "comment": "the printers speak mDNS", "app": "dns", "ports": [5353], "transport": "udp",
///                "source": "10.20.0.0/16", "destination": "224.0.0.251" } ] }
/// </code>
/// Every entry needs a <c>comment</c> and at least one condition. Comments and trailing commas are allowed; unknown
/// keys are errors that list the valid keys. The file may start with <c>"$schema"</c> (read and ignored) so that editors
/// validate it against <c>docs/schemas/allowlist.schema.json</c>; see <see cref="SchemaUrl"/>. An <c>app</c> matches the app text of a row as it is printed (<see cref="MismatchRow.App"/>),
/// ignoring ASCII case: a backslash in a value is printed, and so written here, as <c>\x5c</c> (in JSON <c>"a\\x5cb"</c>),
/// a byte that is not UTF-8 as <c>\xHH</c>.
/// </summary>
public static class AllowListJson
{
    /// <summary>The published JSON Schema of allow-list files, for a file's <c>"$schema"</c>.</summary>
    public const string SchemaUrl = "https://raw.githubusercontent.com/portmismatch/PortMismatch.Detection/main/docs/schemas/allowlist.schema.json";

    /// <summary>Reads an allow-list from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The JSON.</param>
    /// <returns>The allow-list.</returns>
    /// <exception cref="ConfigurationFormatException">The JSON is invalid or an entry is; the message has the line and column, the exception the JSON path.</exception>
    public static AllowList Parse(ReadOnlySpan<byte> utf8Json) => Read(utf8Json, null);

    /// <summary>Reads an allow-list file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The allow-list.</returns>
    /// <exception cref="ConfigurationFormatException">The JSON is invalid or an entry is; the message starts with the file, line and column.</exception>
    public static AllowList Load(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>
    /// Writes an allow-list as an indented allow-list file, with <c>"$schema"</c> set to <see cref="SchemaUrl"/>, that
    /// <see cref="Parse"/> reads back to the same entries.
    /// </summary>
    /// <param name="allowList">The allow-list.</param>
    /// <param name="utf8Json">The destination.</param>
    public static void Write(AllowList allowList, Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(allowList);
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonSerializer.Serialize(utf8Json, ToDto(allowList), RuleJsonContext.Default.AllowListFileDto);
    }

    /// <summary>Returns an allow-list as the indented text of an allow-list file, as <see cref="Write"/> writes it.</summary>
    /// <param name="allowList">The allow-list.</param>
    /// <returns>The JSON.</returns>
    public static string ToJson(AllowList allowList)
    {
        ArgumentNullException.ThrowIfNull(allowList);
        return JsonSerializer.Serialize(ToDto(allowList), RuleJsonContext.Default.AllowListFileDto);
    }

    private static AllowListFileDto ToDto(AllowList allowList) => new()
    {
        Schema = SchemaUrl,
        Allow = allowList.Select(entry => (AllowListEntryDto?)new AllowListEntryDto
        {
            Comment = entry.Comment,
            App = entry.App,
            Ports = entry.DestinationPorts is null ? null : RuleSetJson.ToJsonPorts(entry.DestinationPorts),
            Source = entry.SourceNetwork?.ToString(),
            Destination = entry.DestinationNetwork?.ToString(),
            Transport = entry.Transport?.ToName(),
        }).ToList(),
    };

    private static AllowList Read(ReadOnlySpan<byte> utf8Json, string? source)
        => ConfigurationJson.Read(utf8Json, source, ConfigurationShape.AllowListFile, RuleJsonContext.Default.AllowListFileDto, Map);

    private static AllowList Map(AllowListFileDto? file)
    {
        if (file?.Allow is null)
        {
            throw ConfigurationJson.Error("$.allow", $"the allow-list file has no \"allow\"; expected {ConfigurationShape.AllowListFile.Form}");
        }

        var entries = new List<AllowListEntry>(file.Allow.Count);
        for (var i = 0; i < file.Allow.Count; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"$.allow[{i}]");
            var dto = file.Allow[i] ?? throw ConfigurationJson.Error(at, $"allow[{i}] is null; expected {ConfigurationShape.AllowEntry.Form}");
            if (string.IsNullOrWhiteSpace(dto.Comment))
            {
                throw ConfigurationJson.Error($"{at}.comment", $"\"comment\" of allow[{i}] is {(dto.Comment is null ? "missing" : "blank")}; every entry says why the traffic is accepted");
            }

            var owner = $"allow-list entry \"{TextEscaper.Escape(dto.Comment)}\"";
            if (dto.App is not null && string.IsNullOrWhiteSpace(dto.App))
            {
                throw ConfigurationJson.Error($"{at}.app", $"\"app\" of {owner} is blank; expected an app name as rows print it");
            }

            var entry = new AllowListEntry(dto.Comment)
            {
                App = dto.App,
                DestinationPorts = dto.Ports is null ? null : ConfigurationJson.ParsePorts(dto.Ports, $"{at}.ports", owner),
                SourceNetwork = ConfigurationJson.ParseNetwork(dto.Source, "source", $"{at}.source", owner),
                DestinationNetwork = ConfigurationJson.ParseNetwork(dto.Destination, "destination", $"{at}.destination", owner),
                Transport = ConfigurationJson.ParseTransport(dto.Transport, $"{at}.transport", owner),
            };
            if (!entry.HasCondition)
            {
                throw ConfigurationJson.Error(at, $"{owner} sets no condition (app, ports, source, destination, transport) and would allow every row");
            }

            entries.Add(entry);
        }

        return new AllowList(entries);
    }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class AllowListFileDto
{
    /// <summary>Gets or sets the schema an editor validates the file with; read and ignored.</summary>
    [JsonPropertyName("$schema")]
    public string? Schema { get; set; }

    public List<AllowListEntryDto?>? Allow { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class AllowListEntryDto
{
    public string? Comment { get; set; }

    public string? App { get; set; }

    public List<JsonElement>? Ports { get; set; }

    public string? Source { get; set; }

    public string? Destination { get; set; }

    public string? Transport { get; set; }
}
