using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace PortMismatch.Detection.Interop.Tests.Sigma;

/// <summary>
/// A reading of the Sigma detection subset the export writes, from the specification and sharing no code with the exporter:
/// search identifiers as maps (AND of their items) or lists of maps (OR), a field's list of values (OR), string values
/// matched ignoring case with Sigma's escapes (<c>\\</c>, <c>\*</c>, <c>\?</c>; an unescaped wildcard is refused, the export
/// never writes one), <c>null</c> for an absent field, the modifiers <c>cased</c>, <c>cidr</c>, <c>gt</c>, <c>gte</c>,
/// <c>lt</c>, <c>lte</c>; conditions with <c>and</c>, <c>or</c>, <c>not</c>, parentheses, <c>1 of</c> / <c>all of</c> a pattern.
/// </summary>
internal sealed class SigmaEvaluator
{
    private readonly Dictionary<string, JsonNode?> _identifiers;
    private readonly Func<IReadOnlyDictionary<string, object?>, bool> _condition;

    public SigmaEvaluator(JsonObject rule)
    {
        var detection = (JsonObject)rule["detection"]!;
        _identifiers = detection.Where(p => p.Key != "condition").ToDictionary(p => p.Key, p => p.Value);
        var condition = (string)detection["condition"]!;
        var tokens = condition.Replace("(", " ( ", StringComparison.Ordinal).Replace(")", " ) ", StringComparison.Ordinal)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var at = 0;
        _condition = ParseOr(tokens, ref at);
        if (at != tokens.Count)
        {
            throw new FormatException($"Condition '{condition}' has '{tokens[at]}' left over.");
        }
    }

    /// <summary>Gets whether an event (field name to value; a missing or null value is an absent field) matches the rule.</summary>
    public bool Matches(IReadOnlyDictionary<string, object?> @event) => _condition(@event);

    private Func<IReadOnlyDictionary<string, object?>, bool> ParseOr(List<string> tokens, ref int at)
    {
        var left = ParseAnd(tokens, ref at);
        while (at < tokens.Count && tokens[at] == "or")
        {
            at++;
            var a = left;
            var b = ParseAnd(tokens, ref at);
            left = e => a(e) || b(e);
        }

        return left;
    }

    private Func<IReadOnlyDictionary<string, object?>, bool> ParseAnd(List<string> tokens, ref int at)
    {
        var left = ParseNot(tokens, ref at);
        while (at < tokens.Count && tokens[at] == "and")
        {
            at++;
            var a = left;
            var b = ParseNot(tokens, ref at);
            left = e => a(e) && b(e);
        }

        return left;
    }

    private Func<IReadOnlyDictionary<string, object?>, bool> ParseNot(List<string> tokens, ref int at)
    {
        if (tokens[at] == "not")
        {
            at++;
            var inner = ParseNot(tokens, ref at);
            return e => !inner(e);
        }

        if (tokens[at] == "(")
        {
            at++;
            var inner = ParseOr(tokens, ref at);
            if (tokens[at++] != ")")
            {
                throw new FormatException("Unclosed parenthesis.");
            }

            return inner;
        }

        if (tokens[at] is "1" or "all" && at + 2 < tokens.Count && tokens[at + 1] == "of")
        {
            var all = tokens[at] == "all";
            var pattern = tokens[at + 2];
            at += 3;
            var prefix = pattern.EndsWith('*') ? pattern[..^1] : null;
            var names = _identifiers.Keys.Where(k => prefix is null ? k == pattern : k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            return all ? e => names.All(n => Search(_identifiers[n], e)) : e => names.Any(n => Search(_identifiers[n], e));
        }

        var name = tokens[at++];
        if (!_identifiers.TryGetValue(name, out var identifier))
        {
            throw new FormatException($"The condition names '{name}', which the detection does not define.");
        }

        return e => Search(identifier, e);
    }

    private static bool Search(JsonNode? identifier, IReadOnlyDictionary<string, object?> @event) => identifier switch
    {
        JsonObject map => map.All(item => Field(item.Key, item.Value, @event)),
        JsonArray list when list.All(i => i is JsonObject) => list.Any(i => Search(i, @event)),
        _ => throw new FormatException("A search identifier here is a map or a list of maps."),
    };

    private static bool Field(string key, JsonNode? pattern, IReadOnlyDictionary<string, object?> @event)
    {
        var parts = key.Split('|');
        var value = @event.TryGetValue(parts[0], out var v) ? v : null;
        var modifier = parts.Length switch
        {
            1 => null,
            2 => parts[1],
            _ => throw new FormatException($"'{key}': one modifier at most here."),
        };
        return pattern is JsonArray values ? values.Any(p => One(modifier, p, value)) : One(modifier, pattern, value);
    }

    private static bool One(string? modifier, JsonNode? pattern, object? value)
    {
        if (pattern is null)
        {
            return modifier is null ? value is null : throw new FormatException("null takes no modifier.");
        }

        if (value is null)
        {
            return false;
        }

        var element = pattern.GetValueKind();
        switch (modifier)
        {
            case null when element == System.Text.Json.JsonValueKind.Number:
                return value is int or long && Convert.ToInt64(value, CultureInfo.InvariantCulture) == pattern.GetValue<long>();
            case null or "cased":
                return string.Equals(
                    Unescape(pattern.GetValue<string>()),
                    Convert.ToString(value, CultureInfo.InvariantCulture),
                    modifier is null ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
            case "gt" or "gte" or "lt" or "lte":
                if (value is not (int or long))
                {
                    return false;
                }

                var number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                var bound = pattern.GetValue<long>();
                return modifier switch { "gt" => number > bound, "gte" => number >= bound, "lt" => number < bound, _ => number <= bound };
            case "cidr":
                return InNetwork(Convert.ToString(value, CultureInfo.InvariantCulture)!, pattern.GetValue<string>());
            default:
                throw new FormatException($"Modifier '{modifier}' is not in the subset.");
        }
    }

    // Sigma's escapes: \\ is a backslash, \* and \? the plain characters, a backslash before anything else itself.
    public static string Unescape(string pattern)
    {
        var text = new System.Text.StringBuilder(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length && pattern[i + 1] is '\\' or '*' or '?')
            {
                text.Append(pattern[++i]);
            }
            else if (c is '*' or '?')
            {
                throw new FormatException($"'{pattern}' holds a wildcard; the export must escape it.");
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    // An address of the other family than the network is never in it.
    private static bool InNetwork(string address, string network)
    {
        var slash = network.IndexOf('/', StringComparison.Ordinal);
        if (!IPAddress.TryParse(address, out var a) || !IPAddress.TryParse(network[..slash], out var n) || a.AddressFamily != n.AddressFamily)
        {
            return false;
        }

        var prefix = int.Parse(network[(slash + 1)..], CultureInfo.InvariantCulture);
        var x = a.GetAddressBytes();
        var y = n.GetAddressBytes();
        for (var bit = 0; bit < prefix; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((x[bit / 8] & mask) != (y[bit / 8] & mask))
            {
                return false;
            }
        }

        return a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;
    }
}
