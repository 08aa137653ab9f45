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
/// properties are errors. An <c>app</c> matches the app text of a row as it is printed (<see cref="MismatchRow.App"/>),
/// ignoring ASCII case: a backslash in a value is printed, and so written here, as <c>\x5c</c> (in JSON <c>"a\\x5cb"</c>),
/// a byte that is not UTF-8 as <c>\xHH</c>.
/// </summary>
public static class AllowListJson
{
    private const string Kind = "allow-list file";

    /// <summary>Reads an allow-list from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The JSON.</param>
    /// <returns>The allow-list.</returns>
    /// <exception cref="ConfigurationFormatException">The JSON is invalid or an entry is; the message has the JSON path.</exception>
    public static AllowList Parse(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            return Map(JsonSerializer.Deserialize(utf8Json, RuleJsonContext.Default.AllowListFileDto));
        }
        catch (JsonException e)
        {
            throw ConfigurationJson.FromJsonException(Kind, e);
        }
        catch (InvalidOperationException e)
        {
            throw ConfigurationJson.FromInvalidText(Kind, e);
        }
    }

    /// <summary>Reads an allow-list file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The allow-list.</returns>
    /// <exception cref="ConfigurationFormatException">The JSON is invalid or an entry is; the message has the file and JSON path.</exception>
    public static AllowList Load(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return Map(JsonSerializer.Deserialize(stream, RuleJsonContext.Default.AllowListFileDto));
        }
        catch (JsonException e)
        {
            var error = ConfigurationJson.FromJsonException(Kind, e);
            throw new ConfigurationFormatException($"{path}: {error.Message}", error.JsonPath, error.LineNumber, e);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationFormatException($"{path}: {ConfigurationJson.FromInvalidText(Kind, e).Message}", "$", null, e);
        }
        catch (ConfigurationFormatException e)
        {
            throw new ConfigurationFormatException($"{path}: {e.Message}", e.JsonPath, e.LineNumber, e.InnerException);
        }
    }

    private static AllowList Map(AllowListFileDto? file)
    {
        if (file?.Allow is null)
        {
            throw ConfigurationJson.Error(Kind, "$.allow", "an allow-list file is an object with an \"allow\" array");
        }

        var entries = new List<AllowListEntry>(file.Allow.Count);
        for (var i = 0; i < file.Allow.Count; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"$.allow[{i}]");
            var dto = file.Allow[i] ?? throw ConfigurationJson.Error(Kind, at, "an entry is an object, not null");
            if (string.IsNullOrWhiteSpace(dto.Comment))
            {
                throw ConfigurationJson.Error(Kind, $"{at}.comment", "every entry needs a \"comment\" that says why the traffic is accepted");
            }

            var owner = $"entry '{TextEscaper.Escape(dto.Comment)}'";
            if (dto.App is not null && string.IsNullOrWhiteSpace(dto.App))
            {
                throw ConfigurationJson.Error(Kind, $"{at}.app", $"{owner} has a blank app");
            }

            var entry = new AllowListEntry(dto.Comment)
            {
                App = dto.App,
                DestinationPorts = dto.Ports is null ? null : ConfigurationJson.ParsePorts(dto.Ports, $"{at}.ports", owner, Kind),
                SourceNetwork = Network(dto.Source, $"{at}.source", owner),
                DestinationNetwork = Network(dto.Destination, $"{at}.destination", owner),
                Transport = ConfigurationJson.ParseTransport(dto.Transport, $"{at}.transport", owner, Kind),
            };
            if (!entry.HasCondition)
            {
                throw ConfigurationJson.Error(Kind, at, $"{owner} sets no condition (app, ports, source, destination, transport) and would allow every row");
            }

            entries.Add(entry);
        }

        return new AllowList(entries);
    }

    private static IPNetworkValue? Network(string? text, string at, string owner)
    {
        if (text is null)
        {
            return null;
        }

        return IPNetworkValue.TryParse(text, out var network)
            ? network
            : throw ConfigurationJson.Error(Kind, at, $"{owner} has the network '{TextEscaper.Escape(text)}'; use an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32");
    }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class AllowListFileDto
{
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
