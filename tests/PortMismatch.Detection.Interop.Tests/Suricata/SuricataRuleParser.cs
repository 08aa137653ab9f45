using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Interop.Tests.Suricata;

/// <summary>An address part of a rule header: any, or a list of networks, negated or not.</summary>
internal sealed record SuricataAddresses(bool Any, bool Negated, IReadOnlyList<IPNetworkValue> Networks)
{
    public bool Matches(IPAddressValue address)
    {
        if (Any)
        {
            return true;
        }

        var inside = Networks.Any(n => n.Contains(address));
        return Negated ? !inside : inside;
    }
}

/// <summary>A port part of a rule header: any, or a list of ports and ranges, negated or not.</summary>
internal sealed record SuricataPorts(bool Any, bool Negated, IReadOnlyList<PortRange> Ranges)
{
    public bool Matches(int port)
    {
        if (Any)
        {
            return true;
        }

        var inside = Ranges.Any(r => r.Contains(port));
        return Negated ? !inside : inside;
    }
}

/// <summary>One parsed rule: header and the options the export uses.</summary>
internal sealed record SuricataRule(
    string Action,
    string Protocol,
    SuricataAddresses Source,
    SuricataPorts SourcePorts,
    SuricataAddresses Destination,
    SuricataPorts DestinationPorts,
    string Message,
    IReadOnlyList<string> Flow,
    string AppProtocol,
    string AppMode,
    long Sid,
    int Rev,
    string? ClassType,
    IReadOnlyList<(string Key, string Value)> Metadata);

/// <summary>
/// A parser of the subset of Suricata's rule language (Suricata 8 user guide, "Rules Format", "Meta Keywords", "Flow
/// Keywords", "Generic App Layer Keywords") that the export uses, rejecting everything else: actions alert and pass;
/// protocols tcp and udp; addresses any, an address or CIDR, a bracketed list, each negatable with '!'; ports any, a
/// number, a range a:b, a bracketed list, negatable; direction '->'; options msg (quoted, with \\ \" \; escapes), flow
/// (established, to_server), app-layer-protocol (a name and a mode), classtype, sid, rev, metadata. A rule is one line.
/// </summary>
internal static class SuricataRuleParser
{
    private static readonly HashSet<string> Modes = ["final", "original", "either", "direction", "to_server", "to_client"];

    public static List<SuricataRule> Parse(string text)
    {
        var rules = new List<SuricataRule>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            try
            {
                rules.Add(ParseRule(line));
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {number}: {e.Message}: {line}", e);
            }
        }

        return rules;
    }

    private static SuricataRule ParseRule(string line)
    {
        var open = line.IndexOf(" (", StringComparison.Ordinal);
        Require(open > 0 && line.EndsWith(";)", StringComparison.Ordinal), "a rule is 'header (options;)'");
        var header = line[..open].Split(' ');
        Require(header.Length == 7, $"the header has {header.Length} parts, not 7");
        Require(header[0] is "alert" or "pass", $"unknown action '{header[0]}'");
        Require(header[1] is "tcp" or "udp", $"unknown protocol '{header[1]}'");
        Require(header[4] == "->", $"direction '{header[4]}'");
        var options = ParseOptions(line[(open + 2)..^1]);

        string? message = null, appProtocol = null, appMode = null, classType = null;
        long? sid = null;
        int? rev = null;
        List<string>? flow = null;
        List<(string, string)>? metadata = null;
        foreach (var (key, value) in options)
        {
            switch (key)
            {
                case "msg":
                    Require(message is null, "msg twice");
                    message = Unquote(value);
                    break;
                case "flow":
                    Require(flow is null, "flow twice");
                    flow = [.. value.Split(',')];
                    Require(flow.All(f => f is "established" or "to_server"), $"flow '{value}'");
                    break;
                case "app-layer-protocol":
                    Require(appProtocol is null, "app-layer-protocol twice");
                    var parts = value.Split(',');
                    Require(parts.Length == 2 && Modes.Contains(parts[1]), $"app-layer-protocol '{value}' needs a name and a mode");
                    Require(parts[0].Length > 0 && parts[0].All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'), $"protocol name '{parts[0]}'");
                    (appProtocol, appMode) = (parts[0], parts[1]);
                    break;
                case "classtype":
                    classType = value;
                    Require(value.All(c => char.IsAsciiLetterLower(c) || c == '-'), $"classtype '{value}'");
                    break;
                case "sid":
                    Require(sid is null && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s is > 0 and <= uint.MaxValue, $"sid '{value}'");
                    sid = long.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "rev":
                    Require(rev is null && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _), $"rev '{value}'");
                    rev = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "metadata":
                    metadata = [];
                    foreach (var item in value.Split(", "))
                    {
                        var pair = item.Split(' ');
                        Require(pair.Length == 2 && pair.All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')), $"metadata item '{item}'");
                        metadata.Add((pair[0], pair[1]));
                    }

                    break;
                default:
                    throw new FormatException($"option '{key}' is not one the export uses");
            }
        }

        Require(message is not null && sid is not null && rev is not null && appProtocol is not null && flow is not null && metadata is not null, "msg, flow, app-layer-protocol, sid, rev and metadata are required");
        return new SuricataRule(
            header[0], header[1], ParseAddresses(header[2]), ParsePorts(header[3]), ParseAddresses(header[5]), ParsePorts(header[6]),
            message!, flow!, appProtocol!, appMode!, sid!.Value, rev!.Value, classType, metadata!);
    }

    // Options are 'key:value;' or 'key;' separated by '; '; a value ends at the first ';' not escaped by a backslash.
    private static List<(string Key, string Value)> ParseOptions(string text)
    {
        var options = new List<(string, string)>();
        var i = 0;
        while (i < text.Length)
        {
            var colon = text.IndexOf(':', i);
            Require(colon > i, "an option needs 'key:value'");
            var key = text[i..colon];
            Require(key.All(c => char.IsAsciiLetterLower(c) || c == '-'), $"option name '{key}'");
            var value = new StringBuilder();
            var j = colon + 1;
            for (; j < text.Length && text[j] != ';'; j++)
            {
                if (text[j] == '\\')
                {
                    Require(j + 1 < text.Length && text[j + 1] is '\\' or '"' or ';', "a backslash escapes only \\ \" ;");
                    value.Append(text[j]).Append(text[j + 1]);
                    j++;
                    continue;
                }

                value.Append(text[j]);
            }

            Require(j < text.Length, $"option '{key}' has no ';'");
            options.Add((key, value.ToString()));
            i = j + 1;
            if (i < text.Length)
            {
                Require(text[i] == ' ', "options are separated by '; '");
                i++;
            }
        }

        return options;
    }

    private static string Unquote(string value)
    {
        Require(value.Length >= 2 && value[0] == '"' && value[^1] == '"', "msg is a quoted string");
        var text = new StringBuilder();
        for (var i = 1; i < value.Length - 1; i++)
        {
            if (value[i] == '\\')
            {
                text.Append(value[++i]);
                continue;
            }

            Require(value[i] != '"' && !char.IsControl(value[i]), "msg has an unescaped quote or a control character");
            text.Append(value[i]);
        }

        return text.ToString();
    }

    private static SuricataAddresses ParseAddresses(string text)
    {
        if (text == "any")
        {
            return new SuricataAddresses(true, false, []);
        }

        var negated = text.StartsWith('!');
        var body = negated ? text[1..] : text;
        var items = body.StartsWith('[') ? Inner(body) : [body];
        var networks = new List<IPNetworkValue>();
        foreach (var item in items)
        {
            Require(IPNetworkValue.TryParse(item, out var network) && item.Contains('/', StringComparison.Ordinal), $"address '{item}' is no CIDR network");
            networks.Add(network);
        }

        return new SuricataAddresses(false, negated, networks);
    }

    private static SuricataPorts ParsePorts(string text)
    {
        if (text == "any")
        {
            return new SuricataPorts(true, false, []);
        }

        var negated = text.StartsWith('!');
        var body = negated ? text[1..] : text;
        var items = body.StartsWith('[') ? Inner(body) : [body];
        var ranges = new List<PortRange>();
        foreach (var item in items)
        {
            var bounds = item.Split(':');
            Require(bounds.Length is 1 or 2, $"port '{item}'");
            var first = Port(bounds[0]);
            var last = bounds.Length == 2 ? Port(bounds[1]) : first;
            Require(first < last || bounds.Length == 1, $"range '{item}' is empty or a single port");
            ranges.Add(new PortRange(first, last));
        }

        return new SuricataPorts(false, negated, ranges);
    }

    private static int Port(string text)
    {
        Require(int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535 && text == port.ToString(CultureInfo.InvariantCulture), $"port '{text}'");
        return port;
    }

    private static string[] Inner(string text)
    {
        Require(text.EndsWith(']') && text.Length > 2, $"list '{text}' is not closed");
        var items = text[1..^1].Split(',');
        Require(items.Length >= 2 && items.All(i => i.Length > 0), $"list '{text}' needs two or more items");
        return items;
    }

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new FormatException(problem);
        }
    }
}
