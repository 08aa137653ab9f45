using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Interop.Kql;

/// <summary>
/// Writes a rule set and allow-list as one Microsoft Sentinel query over the ASIM <c>_Im_NetworkSession</c> parser: no
/// pre-filter of ports (Sentinel's own hunting query keeps only 53, 80, 8080, 8000, 443, 8443 and 25, so DNS on 4444 never
/// matches there), a row per (source, destination, mismatching app value, port) as the library's default
/// <see cref="AppGrouping.MismatchingValues"/> makes them, the allow-list after the summarize.
/// </summary>
/// <remarks>
/// Choices that keep the query exact, each against a documented KQL behaviour:
/// <list type="bullet">
/// <item>App names are compared after lower-casing ASCII only, with <c>translate()</c>, then with case-sensitive <c>in</c>:
/// <c>=~</c> and <c>in~</c> are documented as case-insensitive "only for ASCII text", which leaves other text unspecified;
/// the library ignores ASCII case and nothing else.</item>
/// <item>An absent <c>DstPortNumber</c> (null) is port 0, by <c>coalesce</c> before any comparison: <c>null == 53</c> is
/// false but <c>null != 53</c> is true, and the library treats an absent port as 0.</item>
/// <item>An address test is <c>coalesce(ipv4_is_in_range(...), false)</c>: the function is null for a text that is not an
/// IPv4 address, and <c>not(null)</c> would drop the row; an IPv6 network also needs a <c>:</c> in the address, so an IPv4
/// address never falls into an IPv4-mapped IPv6 network (the library keeps the families apart).</item>
/// <item><c>DstAppName</c> holds one value, or several separated by commas (Zeek's <c>service</c> as it is written): split
/// and judged one by one; a rule app with a comma can never match and is left out.</item>
/// </list>
/// </remarks>
internal static class KqlExport
{
    internal const string Source = "_Im_NetworkSession";

    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";

    internal static RuleExportResult Write(RuleSet rules, AllowList allowList, RuleExportOptions options)
    {
        _ = options;
        var omissions = ImmutableArray.CreateBuilder<RuleExportOmission>();
        var groups = Group(rules, omissions);
        var upgradeApps = UpgradeApps(rules, groups);
        var allow = AllowConditions(allowList, omissions);

        var text = new StringBuilder();
        text.Append("// Protocol/port mismatch (PortMismatch.Detection): ").Append(rules.Count.ToString(CultureInfo.InvariantCulture))
            .Append(" rules, ").Append(allowList.Count.ToString(CultureInfo.InvariantCulture)).Append(" allow-list entries.\n");
        text.Append("// Rows: source, destination, each mismatching value of DstAppName (values separated by commas), port (0 when absent),\n");
        text.Append("// count, first and last TimeGenerated. App names match ignoring ASCII case only.\n");
        foreach (var omission in omissions)
        {
            text.Append("// left out: ").Append(AppText.OneLine(omission.ToString())).Append('\n');
        }

        text.Append(Source).Append('\n');
        text.Append("| where isnotempty(DstAppName)\n");
        // DstPortNumber is an int; a bare number in KQL is a long, and coalesce takes arguments of one type.
        text.Append("| extend DstPort = coalesce(tolong(DstPortNumber), 0)\n");
        text.Append("| extend Protocol = ").Append(LowerExpression("NetworkProtocol")).Append('\n');
        // as Transports.FromName reads a name: tcp and udp ignoring ASCII case, these exact names unknown, any other other
        text.Append("| extend Transport = case(Protocol == \"tcp\", \"tcp\", Protocol == \"udp\", \"udp\", NetworkProtocol in (\"\", \"-\", \"unknown\", \"unknown_transport\"), \"unknown\", \"other\")\n");
        if (upgradeApps.Count > 0)
        {
            // The values of the record that an upgrade-of relation may name and that are expected on this port and transport:
            // some rule claims the value there and none flags the port (expected ports and port-only exemptions).
            // split() again rather than a column: mv-apply removes a column it expands from the rows it returns.
            text.Append("| mv-apply Candidate = split(DstAppName, \",\") to typeof(string) on (\n");
            text.Append("    extend Candidate = ").Append(LowerExpression("Candidate")).Append('\n');
            text.Append("    | where Candidate in (").Append(StringList(upgradeApps)).Append(")\n");
            var claimers = groups.Where(g => g.Apps.Any(upgradeApps.Contains)).ToList();
            text.Append("    | where (").Append(string.Join(" or ", claimers.Select(g => Claims(g, "Candidate", upgradeApps)))).Append(")\n");
            text.Append("        and not(").Append(string.Join(" or ", claimers.Select(g => $"({Claims(g, "Candidate", upgradeApps)} and not({PortTest(g.Ports)}))"))).Append(")\n");
            text.Append("    | summarize Expected = make_set(Candidate))\n");
        }

        text.Append("| mv-expand App = split(DstAppName, \",\") to typeof(string)\n");
        text.Append("| extend Value = ").Append(LowerExpression("App")).Append('\n');
        if (groups.Count == 0)
        {
            text.Append("| where false\n");
        }
        else
        {
            text.Append("| where ");
            for (var i = 0; i < groups.Count; i++)
            {
                text.Append(i == 0 ? string.Empty : "\n    or ").Append(Mismatch(groups[i], upgradeApps));
            }

            text.Append('\n');
        }

        text.Append("| summarize Count = count(), FirstTime = min(TimeGenerated), LastTime = max(TimeGenerated), Transports = make_set(Transport) by SrcIpAddr, DstIpAddr, App, DstPort\n");
        foreach (var condition in allow)
        {
            text.Append("| where not(").Append(condition).Append('\n');
        }

        text.Append("| project SrcIpAddr, DstIpAddr, App, DstPort, Count, FirstTime, LastTime\n");
        return new RuleExportResult(RuleExportFormat.Kql, text.ToString(), omissions.ToImmutable());
    }

    // Rules that judge the same way (transport, expected and port-only exempted ports, address exemptions, upgrade-of) share
    // one clause over all their apps: a value breaks the set when it breaks any rule, so the clauses are OR-ed.
    private static List<RuleGroup> Group(RuleSet rules, ImmutableArray<RuleExportOmission>.Builder omissions)
    {
        var groups = new List<RuleGroup>();
        var byKey = new Dictionary<string, RuleGroup>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            var ports = new List<PortRange>(rule.ExpectedPorts.Ranges);
            var addressExemptions = new List<RuleExemption>();
            foreach (var exemption in rule.Exemptions)
            {
                if (exemption.SourceNetwork is null && exemption.DestinationNetwork is null)
                {
                    ports.AddRange(exemption.DestinationPorts?.Ranges ?? []);
                }
                else
                {
                    addressExemptions.Add(exemption);
                }
            }

            var portSet = PortSet.FromRanges(ports);
            var upgradeOf = rule.UpgradeOf.Select(AsciiLowerText).Where(a => Literal(a) is not null && !a.Contains(',', StringComparison.Ordinal))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var exemptionText = string.Join(" or ", addressExemptions.Select(Exemption));
            var key = string.Join('\n', rule.Transport?.ToName() ?? "any", portSet.ToString(), exemptionText, string.Join(',', upgradeOf));
            if (!byKey.TryGetValue(key, out var group))
            {
                group = new RuleGroup(rule.Transport, portSet, exemptionText, upgradeOf);
                byKey.Add(key, group);
                groups.Add(group);
            }

            group.RuleIds.Add(rule.Id);
            foreach (var app in rule.Apps)
            {
                if (app.Contains(',', StringComparison.Ordinal))
                {
                    omissions.Add(new RuleExportOmission($"rule {rule.Id}, app '{app}'", "a comma separates the values of DstAppName, so a value never holds one"));
                }
                else if (Literal(app) is null)
                {
                    omissions.Add(new RuleExportOmission($"rule {rule.Id}, app '{app}'", "holds a control character that a KQL string literal has no documented escape for"));
                }
                else if (!group.Apps.Contains(AsciiLowerText(app)))
                {
                    group.Apps.Add(AsciiLowerText(app));
                }
            }
        }

        groups.RemoveAll(g => g.Apps.Count == 0);
        return groups;
    }

    // The apps named by an upgrade-of relation that some rule claims (names no rule claims are never expected).
    private static HashSet<string> UpgradeApps(RuleSet rules, List<RuleGroup> groups)
    {
        var claimed = groups.SelectMany(g => g.Apps).ToHashSet(StringComparer.Ordinal);
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            foreach (var app in group.UpgradeOf)
            {
                if (claimed.Contains(app))
                {
                    result.Add(app);
                }
            }
        }

        return result;
    }

    private static string Mismatch(RuleGroup group, HashSet<string> upgradeApps)
    {
        var text = new StringBuilder();
        text.Append("(Value in (").Append(StringList(group.Apps)).Append(')');
        if (group.Transport is { } transport)
        {
            text.Append(" and Transport in (\"").Append(transport.ToName()).Append("\", \"unknown\")");
        }

        text.Append(" and not(").Append(PortTest(group.Ports)).Append(')');
        if (group.Exemptions.Length > 0)
        {
            text.Append(" and not(").Append(group.Exemptions).Append(')');
        }

        var excusedBy = group.UpgradeOf.Where(upgradeApps.Contains).ToList();
        if (excusedBy.Count > 0)
        {
            text.Append(" and array_length(set_intersect(Expected, dynamic([").Append(StringList(excusedBy)).Append("]))) == 0");
        }

        text.Append(") // ").Append(AppText.OneLine(string.Join(", ", group.RuleIds)));
        return text.ToString();
    }

    private static string Claims(RuleGroup group, string column, HashSet<string> only)
    {
        var text = new StringBuilder();
        text.Append('(').Append(column).Append(" in (").Append(StringList(group.Apps.Where(only.Contains))).Append(')');
        if (group.Transport is { } transport)
        {
            text.Append(" and Transport in (\"").Append(transport.ToName()).Append("\", \"unknown\")");
        }

        return text.Append(')').ToString();
    }

    private static string Exemption(RuleExemption exemption)
    {
        var parts = new List<string>(3);
        if (exemption.SourceNetwork is { } source)
        {
            parts.Add(InNetwork("SrcIpAddr", source));
        }

        if (exemption.DestinationNetwork is { } destination)
        {
            parts.Add(InNetwork("DstIpAddr", destination));
        }

        if (exemption.DestinationPorts is { } ports)
        {
            parts.Add(PortTest(ports));
        }

        return $"({string.Join(" and ", parts)})";
    }

    private static List<string> AllowConditions(AllowList allowList, ImmutableArray<RuleExportOmission>.Builder omissions)
    {
        var conditions = new List<string>();
        foreach (var entry in allowList)
        {
            var parts = new List<string>(5);
            if (entry.App is { } app)
            {
                var value = AppText.Raw(app);
                var literal = value is null ? null : Literal(AsciiLowerText(value));
                if (literal is null)
                {
                    omissions.Add(new RuleExportOmission($"allow-list entry {entry}", "its app is no text a KQL string literal can hold (a byte that is not UTF-8, or a control character without a documented escape)"));
                    continue;
                }

                parts.Add($"{LowerExpression("App")} == {literal}");
            }

            if (entry.DestinationPorts is { } ports)
            {
                parts.Add(PortTest(ports));
            }

            if (entry.SourceNetwork is { } source)
            {
                parts.Add(InNetwork("SrcIpAddr", source));
            }

            if (entry.DestinationNetwork is { } destination)
            {
                parts.Add(InNetwork("DstIpAddr", destination));
            }

            if (entry.Transport is { } transport)
            {
                // Every record of the row used it: the set of the row's transports is exactly this one.
                parts.Add($"(array_length(Transports) == 1 and tostring(Transports[0]) == \"{transport.ToName()}\")");
            }

            if (parts.Count > 0)
            {
                conditions.Add($"{string.Join(" and ", parts)}) // {AppText.OneLine(entry.Comment)}");
            }
        }

        return conditions;
    }

    private static string PortTest(PortSet ports)
    {
        var singles = ports.Ranges.Where(r => r.First == r.Last).Select(r => r.First.ToString(CultureInfo.InvariantCulture)).ToList();
        var parts = new List<string>();
        if (singles.Count > 0)
        {
            parts.Add($"DstPort in ({string.Join(", ", singles)})");
        }

        foreach (var range in ports.Ranges.Where(r => r.First != r.Last))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"DstPort between ({range.First} .. {range.Last})"));
        }

        return parts.Count == 0 ? "false" : string.Join(" or ", parts);
    }

    private static string InNetwork(string column, IPNetworkValue network)
    {
        var bytes = network.Address.ToIPAddress()!.GetAddressBytes();
        for (var bit = network.PrefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        var prefix = string.Create(CultureInfo.InvariantCulture, $"\"{new System.Net.IPAddress(bytes)}/{network.PrefixLength}\"");
        return network.Address.IsIPv4
            ? $"coalesce(ipv4_is_in_range({column}, {prefix}), false)"
            : $"({column} contains \":\" and coalesce(ipv6_is_in_range({column}, {prefix}), false))";
    }

    private static string LowerExpression(string column) => $"translate(\"{Upper}\", \"{Lower}\", {column})";

    internal static string AsciiLowerText(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] is >= 'A' and <= 'Z')
            {
                chars[i] = (char)(chars[i] | 0x20);
            }
        }

        return new string(chars);
    }

    private static string StringList(IEnumerable<string> values) => string.Join(", ", values.Order(StringComparer.Ordinal).Select(v => Literal(v)!));

    // A double-quoted KQL string literal: backslash escapes the quote, the backslash, tab and line feed (the escapes KQL
    // documents); null for text with another control character, which the caller leaves out.
    internal static string? Literal(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\t': text.Append("\\t"); break;
                case '\n': text.Append("\\n"); break;
                case < ' ' or '\u007f' or '\u0085' or '\u2028' or '\u2029': return null;
                default: text.Append(c); break;
            }
        }

        return text.Append('"').ToString();
    }

    private sealed class RuleGroup(Transport? transport, PortSet ports, string exemptions, List<string> upgradeOf)
    {
        public Transport? Transport { get; } = transport;

        public PortSet Ports { get; } = ports;

        public string Exemptions { get; } = exemptions;

        public List<string> UpgradeOf { get; } = upgradeOf;

        public List<string> Apps { get; } = [];

        public List<string> RuleIds { get; } = [];
    }
}
