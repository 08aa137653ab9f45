using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>What the rule file and the allow-list file share: the read (check, deserialize, map), port lists and messages.</summary>
internal static class ConfigurationJson
{
    public const string PortForm = "a number 0-65535 or a string range such as \"8000-8080\"";

    /// <summary>
    /// Checks the document against its shape (syntax, keys, value types, each with its line and column), deserializes it
    /// with the source-generated contract, and maps it; a mapper's <see cref="ConfigurationProblem"/> gets the position of
    /// its JSON path.
    /// </summary>
    public static TResult Read<TDto, TResult>(ReadOnlySpan<byte> json, string? source, ConfigurationShape shape, JsonTypeInfo<TDto> contract, Func<TDto?, TResult> map)
    {
        json = ConfigurationDocument.WithoutBom(json);
        ConfigurationDocument.Check(json, shape, source);
        TDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(json, contract);
        }
        catch (JsonException e)
        {
            throw ConfigurationDocument.NotJson(json, source, shape, e);
        }
        catch (InvalidOperationException e)
        {
            throw ConfigurationDocument.At(json, source, shape, new ConfigurationProblem("$", $"the {shape.Name} cannot be read: {e.Message}"));
        }

        try
        {
            return map(dto);
        }
        catch (ConfigurationProblem problem)
        {
            throw ConfigurationDocument.At(json, source, shape, problem);
        }
    }

    public static ConfigurationProblem Error(string path, string problem) => new(path, problem);

    /// <summary>Ports as JSON: numbers 0-65535 or strings <c>"8000-8080"</c>.</summary>
    public static PortSet ParsePorts(List<JsonElement>? items, string at, string owner)
    {
        if (items is null || items.Count == 0)
        {
            throw Error(at, $"\"ports\" of {owner} is {(items is null ? "missing" : "empty")}; expected at least one port, each {PortForm}");
        }

        var ranges = new List<PortRange>(items.Count);
        for (var p = 0; p < items.Count; p++)
        {
            var item = items[p];
            var range = default(PortRange);
            var ok = false;
            if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var port) && (uint)port <= ushort.MaxValue)
            {
                range = new PortRange(port);
                ok = true;
            }
            else if (item.ValueKind == JsonValueKind.String && TryGetString(item, out var text))
            {
                ok = PortSet.TryParseRange(text, out range);
            }

            if (!ok)
            {
                throw Error($"{at}[{p}]", $"item {p + 1} of \"ports\" of {owner} is {Quote(item)}; expected {PortForm}");
            }

            ranges.Add(range);
        }

        return PortSet.FromRanges(ranges);
    }

    /// <summary>A JSON string that is not valid UTF-8 cannot become a .NET string: that is a format error, not a crash.</summary>
    private static bool TryGetString(JsonElement item, out string? text)
    {
        try
        {
            text = item.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }

    private static string Quote(JsonElement item)
    {
        try
        {
            return TextEscaper.Escape(item.GetRawText());
        }
        catch (InvalidOperationException)
        {
            return "(text that is not valid UTF-8)";
        }
    }

    public static Transport? ParseTransport(string? name, string at, string owner) => name switch
    {
        null => null,
        "tcp" => Transport.Tcp,
        "udp" => Transport.Udp,
        "other" => Transport.Other,
        _ => throw Error(at, $"\"transport\" of {owner} is \"{TextEscaper.Escape(name)}\"; expected \"tcp\", \"udp\" or \"other\" (leave it out for any)"),
    };

    public static IPNetworkValue? ParseNetwork(string? text, string key, string at, string owner)
    {
        if (text is null)
        {
            return null;
        }

        return IPNetworkValue.TryParse(text, out var network)
            ? network
            : throw Error(at, $"\"{key}\" of {owner} is \"{TextEscaper.Escape(text)}\"; expected an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32");
    }
}
