using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PortMismatch.Detection.Interop.Sigma;

/// <summary>
/// Writes one Sigma rule per rule, as YAML documents separated by <c>---</c>, for the log source
/// <c>category: network, service: connection</c> of the Sigma taxonomy ("network connections in general"): it names the
/// application protocol (<c>network.protocol</c>), the transport (<c>network.transport</c>), <c>source.ip</c>,
/// <c>destination.ip</c> and <c>destination.port</c>; the <c>firewall</c> category names no application field.
/// </summary>
/// <remarks>
/// A Sigma rule judges one event, with one <c>network.protocol</c>: a record with several app values is several events, one
/// per value. So an upgrade-of relation (which needs the record's other values) is left out, named per rule. The allow-list
/// becomes <c>filter_allow_*</c> selections of the rules whose apps it can match; an entry with a transport is applied per
/// event (the library drops a row only when every record of it used that transport), named as an omission; an entry whose
/// transport is <c>other</c> or <c>unknown</c> has no positive Sigma value and is left out.
/// </remarks>
internal static class SigmaExport
{
    // The namespace of the rules' UUID v5 ids (RFC 9562 5.5): fixed, so a rule id always gives the same Sigma id.
    private static readonly Guid IdNamespace = new("3b8f6a52-51c4-4f0e-9d0a-6c1f2e7b9a41");

    private const string Protocol = "network.protocol";
    private const string TransportField = "network.transport";
    private const string SourceIp = "source.ip";
    private const string DestinationIp = "destination.ip";
    private const string DestinationPort = "destination.port";

    // Transports.FromName: these exact names, and an absent field, are an unknown transport.
    private static readonly string[] UnknownTransportNames = ["", "-", "unknown", "unknown_transport"];

    internal static RuleExportResult Write(RuleSet rules, AllowList allowList, RuleExportOptions options)
    {
        _ = options;
        var omissions = ImmutableArray.CreateBuilder<RuleExportOmission>();
        var documents = new List<string>(rules.Count);
        var allow = AllowEntries(allowList, omissions);
        foreach (var rule in rules)
        {
            documents.Add(Document(rule, allow, omissions));
        }

        var text = new StringBuilder();
        text.Append("# Protocol/port mismatch (PortMismatch.Detection): ").Append(rules.Count.ToString(CultureInfo.InvariantCulture))
            .Append(" Sigma rules, one per rule; one event per app value.\n");
        foreach (var omission in omissions)
        {
            text.Append("# left out: ").Append(AppText.OneLine(omission.ToString())).Append('\n');
        }

        for (var i = 0; i < documents.Count; i++)
        {
            text.Append("---\n").Append(documents[i]);
        }

        return new RuleExportResult(RuleExportFormat.Sigma, text.ToString(), omissions.ToImmutable());
    }

    /// <summary>Gets the Sigma id of a rule: a UUID v5 of its id, the same in every run.</summary>
    internal static Guid RuleGuid(string ruleId)
    {
        var name = Encoding.UTF8.GetBytes(ruleId);
        var input = new byte[16 + name.Length];
        IdNamespace.TryWriteBytes(input, bigEndian: true, out _);
        name.CopyTo(input, 16);
#pragma warning disable CA5350 // UUID v5 is defined on SHA-1 (RFC 9562 5.5): a name-based id, no security use
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0f) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80); // RFC variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>Maps a risk score (0-100) to a Sigma level: below 20 informational, 20-39 low, 40-59 medium, 60-79 high, 80 and above critical.</summary>
    internal static string Level(int riskScore) => riskScore switch
    {
        < 20 => "informational",
        < 40 => "low",
        < 60 => "medium",
        < 80 => "high",
        _ => "critical",
    };

    // ATT&CK tactics of the techniques the built-in sets name (each technique's tactic on attack.mitre.org); a technique not
    // listed here gets its technique tag only, no guessed tactic.
    private static string? Tactic(string technique) => technique.Split('.')[0].ToUpperInvariant() switch
    {
        "T1571" or "T1071" or "T1572" or "T1573" or "T1090" or "T1095" or "T1105" => "command-and-control",
        "T1048" or "T1041" => "exfiltration",
        "T1021" => "lateral-movement",
        "T1087" or "T1046" => "discovery",
        "T1558" => "credential-access",
        "T1602" => "collection",
        _ => null,
    };

    private static string Document(DetectionRule rule, List<AllowEntry> allow, ImmutableArray<RuleExportOmission>.Builder omissions)
    {
        var yaml = new StringBuilder();
        var title = Truncate(rule.Name, 256);
        yaml.Append("title: ").Append(Quote(title)).Append('\n');
        yaml.Append("id: ").Append(RuleGuid(rule.Id).ToString("D", CultureInfo.InvariantCulture)).Append('\n');
        yaml.Append("status: experimental\n");
        var description = Description(rule);
        yaml.Append("description: ").Append(Quote(Truncate(description, 65535))).Append('\n');
        if (rule.Reference is { } reference)
        {
            yaml.Append("references:\n  - ").Append(Quote(reference)).Append('\n');
        }

        yaml.Append("author: PortMismatch.Detection rule export\n");
        // tactic tags first (in the order their techniques come), then the technique tags in the rule's order
        var tactics = new List<string>();
        var techniques = new List<string>();
        foreach (var technique in rule.Techniques)
        {
            var tag = "attack." + technique.ToLowerInvariant();
            if (!IsTag(tag))
            {
                omissions.Add(new RuleExportOmission($"rule {rule.Id}, technique '{technique}'", "is not a tag the Sigma schema allows (lower-case letters, digits, '.', '_' and '-')"));
                continue;
            }

            if (Tactic(technique) is { } tactic && !tactics.Contains("attack." + tactic))
            {
                tactics.Add("attack." + tactic);
            }

            if (!techniques.Contains(tag))
            {
                techniques.Add(tag);
            }
        }

        if (tactics.Count + techniques.Count > 0)
        {
            yaml.Append("tags:\n");
            foreach (var tag in tactics.Concat(techniques))
            {
                yaml.Append("  - ").Append(tag).Append('\n');
            }
        }

        yaml.Append("logsource:\n  category: network\n  service: connection\n");
        yaml.Append("detection:\n");
        yaml.Append("  selection:\n    ").Append(Protocol).Append(":\n");
        foreach (var app in rule.Apps)
        {
            yaml.Append("      - ").Append(Quote(SigmaValue(app))).Append('\n');
        }

        var condition = new StringBuilder("selection");
        switch (rule.Transport)
        {
            case Transport.Tcp or Transport.Udp:
                // the rule judges its own transport (ASCII case ignored) and an unknown one: the names Transports.FromName
                // reads as unknown, exactly (cased), or the field absent
                yaml.Append("  transport_judged:\n    ").Append(TransportField).Append(": ").Append(rule.Transport.Value.ToName()).Append('\n');
                yaml.Append("  transport_unknown:\n    ").Append(TransportField).Append("|cased:\n");
                foreach (var name in UnknownTransportNames)
                {
                    yaml.Append("      - ").Append(Quote(name)).Append('\n');
                }

                yaml.Append("  transport_absent:\n    ").Append(TransportField).Append(": null\n");
                condition.Append(" and 1 of transport_*");
                break;
            case Transport.Other:
                // every transport but tcp and udp: other ones and unknown ones
                yaml.Append("  known_transport:\n    ").Append(TransportField).Append(":\n      - tcp\n      - udp\n");
                condition.Append(" and not known_transport");
                break;
        }

        yaml.Append("  filter_expected:\n");
        AppendAlternatives(yaml, [], Ports(rule.ExpectedPorts));
        var number = 0;
        foreach (var exemption in rule.Exemptions)
        {
            yaml.Append("  filter_exemption_").Append((++number).ToString(CultureInfo.InvariantCulture)).Append(":\n");
            var networks = new List<string>(2);
            if (exemption.SourceNetwork is { } source)
            {
                networks.Add($"{SourceIp}|cidr: {Quote(Network(source))}");
            }

            if (exemption.DestinationNetwork is { } destination)
            {
                networks.Add($"{DestinationIp}|cidr: {Quote(Network(destination))}");
            }

            AppendAlternatives(yaml, networks, exemption.DestinationPorts is { } ports ? Ports(ports) : [[]]);
        }

        if (!rule.UpgradeOf.IsEmpty)
        {
            omissions.Add(new RuleExportOmission(
                $"rule {rule.Id}, upgrade-of {string.Join(", ", rule.UpgradeOf)}",
                "needs the record's other app values, and a Sigma rule sees one network.protocol per event: the rule flags the value as if the relation were not there"));
        }

        number = 0;
        foreach (var entry in allow)
        {
            if (entry.App is not null && !rule.Apps.Any(a => AppText.AsciiEquals(a, entry.App)))
            {
                continue; // cannot drop a row of this rule
            }

            yaml.Append("  filter_allow_").Append((++number).ToString(CultureInfo.InvariantCulture)).Append(":\n");
            var conditions = new List<string>(4);
            if (entry.App is { } app)
            {
                conditions.Add($"{Protocol}: {Quote(SigmaValue(app))}");
            }

            conditions.AddRange(entry.Conditions);
            AppendAlternatives(yaml, conditions, entry.Ports);
        }

        yaml.Append("  condition: ").Append(condition).Append(" and not 1 of filter_*\n");
        yaml.Append("fields:\n  - ").Append(SourceIp).Append("\n  - ").Append(DestinationIp).Append("\n  - ").Append(Protocol).Append("\n  - ").Append(DestinationPort).Append('\n');
        yaml.Append("falsepositives:\n  - ").Append(Quote("A service deliberately run on another port: add an exemption to the rule or an entry to the allow-list")).Append('\n');
        yaml.Append("level: ").Append(Level(rule.RiskScore)).Append('\n');
        return yaml.ToString();
    }

    // The schema's maxLength counts characters (code points): cut there, never inside a surrogate pair.
    private static string Truncate(string text, int maxLength)
    {
        var length = 0;
        for (var i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
        {
            if (++length > maxLength)
            {
                return text[..i];
            }
        }

        return text;
    }

    private static string Description(DetectionRule rule)
    {
        var text = new StringBuilder();
        text.Append(rule.Description ?? $"{string.Join(", ", rule.Apps)} on a destination port other than {rule.ExpectedPorts}")
            .Append(CultureInfo.InvariantCulture, $" (rule {rule.Id}")
            .Append(rule.Transport is { } transport ? $", {transport.ToName()} and unknown transports" : string.Empty)
            .Append(rule.Exemptions.IsEmpty ? string.Empty : $"; exemptions: {string.Join("; ", rule.Exemptions)}")
            .Append(").");
        return text.ToString();
    }

    // A selection that is "these conditions and one of these port alternatives": a list of maps, one per alternative (a
    // list of maps is their OR), each map the conditions and the alternative (a map is the AND of its items).
    private static void AppendAlternatives(StringBuilder yaml, List<string> conditions, List<List<string>> alternatives)
    {
        foreach (var alternative in alternatives)
        {
            var items = conditions.Concat(alternative).ToList();
            for (var i = 0; i < items.Count; i++)
            {
                yaml.Append(i == 0 ? "    - " : "      ").Append(items[i]).Append('\n');
            }
        }
    }

    // A port set as alternatives: the single ports as one list, each range as gte/lte, and an absent port (the library's 0)
    // as null when the set holds 0.
    private static List<List<string>> Ports(PortSet ports)
    {
        var alternatives = new List<List<string>>();
        var singles = ports.Ranges.Where(r => r.First == r.Last).Select(r => r.First.ToString(CultureInfo.InvariantCulture)).ToList();
        if (singles.Count > 0)
        {
            alternatives.Add([$"{DestinationPort}: [{string.Join(", ", singles)}]"]);
        }

        foreach (var range in ports.Ranges.Where(r => r.First != r.Last))
        {
            alternatives.Add([
                string.Create(CultureInfo.InvariantCulture, $"{DestinationPort}|gte: {range.First}"),
                string.Create(CultureInfo.InvariantCulture, $"{DestinationPort}|lte: {range.Last}")]);
        }

        if (ports.Contains(0))
        {
            alternatives.Add([$"{DestinationPort}: null"]);
        }

        return alternatives;
    }

    private static List<AllowEntry> AllowEntries(AllowList allowList, ImmutableArray<RuleExportOmission>.Builder omissions)
    {
        var entries = new List<AllowEntry>();
        foreach (var entry in allowList)
        {
            string? app = null;
            if (entry.App is { } escaped)
            {
                app = AppText.Raw(escaped);
                if (app is null)
                {
                    omissions.Add(new RuleExportOmission($"allow-list entry {entry}", "its app holds a byte that is not UTF-8, which a YAML string cannot"));
                    continue;
                }
            }

            var conditions = new List<string>(3);
            if (entry.SourceNetwork is { } source)
            {
                conditions.Add($"{SourceIp}|cidr: {Quote(Network(source))}");
            }

            if (entry.DestinationNetwork is { } destination)
            {
                conditions.Add($"{DestinationIp}|cidr: {Quote(Network(destination))}");
            }

            if (entry.Transport is { } transport)
            {
                if (transport is not (Transport.Tcp or Transport.Udp))
                {
                    omissions.Add(new RuleExportOmission($"allow-list entry {entry}", $"the transport {transport.ToName()} has no single Sigma value"));
                    continue;
                }

                conditions.Add($"{TransportField}: {transport.ToName()}");
                omissions.Add(new RuleExportOmission(
                    $"allow-list entry {entry}",
                    "applied per event: the library drops a row only when every record of it used the transport, Sigma drops each such event"));
            }

            entries.Add(new AllowEntry(app, conditions, entry.DestinationPorts is { } ports ? Ports(ports) : [[]]));
        }

        return entries;
    }

    private static string Network(IPNetworkValue network)
    {
        var bytes = network.Address.ToIPAddress()!.GetAddressBytes();
        for (var bit = network.PrefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{new System.Net.IPAddress(bytes)}/{network.PrefixLength}");
    }

    private static bool IsTag(string tag)
    {
        var dot = tag.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && dot < tag.Length - 1 && tag.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-');
    }

    // Sigma's escape character: a backslash escapes the wildcards * and ? and itself, so every one of them is written escaped
    // and a value never holds a wildcard.
    internal static string SigmaValue(string value)
    {
        var text = new StringBuilder(value.Length + 4);
        foreach (var c in value)
        {
            if (c is '\\' or '*' or '?')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        return text.ToString();
    }

    // A YAML double-quoted scalar: the quote and backslash escaped, and every control character (and the line separators
    // YAML breaks on) as an escape, so a value stays one scalar on one line.
    internal static string Quote(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case < ' ' or (>= '\u007f' and <= '\u009f') or '\u2028' or '\u2029' or '\ufeff':
                    text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    break;
                default: text.Append(c); break;
            }
        }

        return text.Append('"').ToString();
    }

    private sealed record AllowEntry(string? App, List<string> Conditions, List<List<string>> Ports);
}
