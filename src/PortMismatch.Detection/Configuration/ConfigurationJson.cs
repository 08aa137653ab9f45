using System.Text.Json;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>What the rule file and the allow-list file share: port lists and error messages with JSON paths.</summary>
internal static class ConfigurationJson
{
    public static ConfigurationFormatException FromJsonException(string kind, JsonException e)
    {
        var path = e.Path ?? "$";
        var line = e.LineNumber + 1;
        return new ConfigurationFormatException($"Invalid {kind} at {path} (line {line}): {e.Message}", path, line, e);
    }

    public static ConfigurationFormatException Error(string kind, string path, string problem) => new($"Invalid {kind} at {path}: {problem}.", path);

    /// <summary>Ports as JSON: numbers 0-65535 or strings <c>"8000-8080"</c>.</summary>
    public static PortSet ParsePorts(List<JsonElement>? items, string at, string owner, string kind = "rule file")
    {
        if (items is null || items.Count == 0)
        {
            throw Error(kind, at, $"{owner} needs at least one port");
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
                throw Error(kind, $"{at}[{p}]", $"{owner} has the port {Quote(item)}; a port is a number 0-65535 or a string range such as \"8000-8080\"");
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

    /// <summary>The serializer's <see cref="InvalidOperationException"/> for a JSON string that is not valid UTF-8, as a format error.</summary>
    public static ConfigurationFormatException FromInvalidText(string kind, InvalidOperationException e)
        => new($"Invalid {kind} at $: {e.Message}", "$", null, e);

    public static Transport? ParseTransport(string? name, string at, string owner, string kind) => name switch
    {
        null => null,
        "tcp" => Transport.Tcp,
        "udp" => Transport.Udp,
        "other" => Transport.Other,
        _ => throw Error(kind, at, $"{owner} names the transport '{TextEscaper.Escape(name)}'; use \"tcp\", \"udp\", \"other\", or leave it out for any"),
    };
}
