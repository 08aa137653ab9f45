using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Interop.Spl;

/// <summary>
/// Writes a rule set as the ESCU "Protocol or Port Mismatch" search generalised: <c>tstats</c> over the CIM
/// <c>Network_Traffic</c> data model with the rules, their transports, exemptions and upgrade-of relations as the where
/// clause, rows by <c>src_ip, dest_ip, app, dest_port</c> with <c>count</c>, <c>firstTime</c> and <c>lastTime</c>, and the
/// allow-list as the definition of the <c>protocol_or_port_mismatch_filter</c> macro (a <c>macros.conf</c> stanza).
/// </summary>
/// <remarks>
/// The facts the text relies on, from Splunk's documentation:
/// <list type="bullet">
/// <item><c>tstats</c> takes <c>WHERE &lt;search-query&gt; | &lt;field&gt; IN (&lt;value-list&gt;)</c>, the functions
/// <c>count(field)</c>, <c>min</c>, <c>max</c> and <c>values</c>, and <c>fillnull_value</c> for absent group-by fields
/// (Search Reference, tstats: docs.splunk.com/Documentation/Splunk/8.2.3/SearchReference/Tstats).</item>
/// <item>A search's <c>field=value</c> matches field values ignoring case; <c>NOT field=value</c> also selects events
/// without the field, unlike <c>field!=value</c> (Search Manual, "Use comparison operators" and "Boolean expressions");
/// NOT binds before OR, OR before the implied AND; <c>&lt; &lt;= &gt; &gt;=</c> compare numbers in the search command
/// (Search Manual, "Boolean expressions", "Comparison expressions").</item>
/// <item><c>field=10.0.0.0/8</c> in a search matches the addresses of the CIDR block, IPv4 and IPv6 (Search Reference,
/// search command: "CIDR matching"; also the <c>cidrmatch</c> eval function).</item>
/// <item>A multi-valued field matches a term when any value does; <c>by</c> a multi-valued field puts the event in one
/// group per value (ESCU's behaviour, ../shared/spec/DETECTION.md section 4).</item>
/// <item>Quoted values take <c>\"</c> and <c>\\</c> escapes; <c>*</c> stays a wildcard even in quotes.</item>
/// </list>
/// </remarks>
internal static class SplExport
{
    /// <summary>The ESCU filter macro, the user's hook to drop rows; the export defines it from the allow-list.</summary>
    internal const string MacroName = "protocol_or_port_mismatch_filter";

    private const string App = "All_Traffic.app";
    private const string Port = "All_Traffic.dest_port";
    private const string Transport = "All_Traffic.transport";
    private const string Source = "All_Traffic.src_ip";
    private const string Destination = "All_Traffic.dest_ip";

    internal static RuleExportResult Write(RuleSet rules, AllowList allowList, RuleExportOptions options)
    {
        _ = options; // no SPL options yet
        var omissions = new List<RuleExportOmission>();
        var where = WhereClause(rules, omissions);
        var (macro, needsTransport) = FilterMacro(allowList, omissions);

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Protocol or port mismatch, exported by PortMismatch.Detection.Interop for Splunk: {rules.Count} rule(s) over the CIM Network_Traffic data model,\n");
        text.Append(CultureInfo.InvariantCulture, $"# {allowList.Count} allow-list entr{(allowList.Count == 1 ? "y" : "ies")} as the `{MacroName}` macro. Install the macros.conf stanza at the end, then run or save the search.\n");
        if (omissions.Count == 0)
        {
            text.Append("# Left out: nothing; the search selects the rows the library selects.\n");
        }
        else
        {
            text.Append("# Left out (the search cannot express these exactly):\n");
            foreach (var omission in omissions)
            {
                text.Append("#   ").Append(AppText.OneLine(omission.ToString())).Append('\n');
            }
        }

        text.Append('\n');
        text.Append("| tstats summariesonly=false allow_old_summaries=true fillnull_value=null\n");
        text.Append("    count min(_time) as firstTime max(_time) as lastTime");
        if (needsTransport)
        {
            text.Append(CultureInfo.InvariantCulture, $" values({Transport}) as transport count({Transport}) as transport_count");
        }

        text.Append('\n');
        text.Append("  from datamodel=Network_Traffic\n");
        text.Append(where);
        text.Append(CultureInfo.InvariantCulture, $"  by {Source}, {Destination}, {App}, {Port}\n");
        text.Append("| convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(firstTime)\n");
        text.Append("| convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(lastTime)\n");
        text.Append("| rename \"All_Traffic.*\" as *\n");
        if (needsTransport)
        {
            // One transport per row, as the allow-list judges it (the set of the row's transports must be that one): "unknown"
            // when no record had one; "mixed" when some had none and some one; "other" when every record had one and none
            // is tcp, udp or an unknown name; else the one name, or "mixed" for several. values() leaves absent values
            // out and count(field) counts present ones, so the two counts tell rows with absent transports apart.
            text.Append("| eval transport=case(transport_count==0, \"unknown\", transport_count<count, \"mixed\", ");
            text.Append("isnull(mvfind(transport, \"(?i)^(tcp|udp|unknown|unknown_transport|-)$\")), \"other\", ");
            text.Append("mvcount(transport)>1, \"mixed\", lower(transport)==\"tcp\", \"tcp\", lower(transport)==\"udp\", \"udp\", true(), \"unknown\")\n");
            text.Append("| fields - transport_count\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"| `{MacroName}`\n");
        text.Append('\n');
        text.Append(macro);
        return new RuleExportResult(RuleExportFormat.Spl, text.ToString(), [.. omissions]);
    }

    // The where clause: one line per rule, "where (rule 1)\n     OR (rule 2)...", as ESCU lays it out. Rules whose
    // conditions other than the app are the same (a pack of thousands of App-IDs over a few port sets) share one line with
    // their apps in one list: (app in A and C) or (app in B and C) is (app in A or B and C), and the search stays small.
    private static string WhereClause(RuleSet rules, List<RuleExportOmission> omissions)
    {
        var lines = new List<(List<string> Apps, SplExpression Condition)>();
        var lineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (Rule(rule, rules, omissions) is not { } parts)
            {
                continue;
            }

            var key = parts.Condition.ToString();
            if (lineOf.TryGetValue(key, out var line))
            {
                foreach (var app in parts.Apps)
                {
                    if (!lines[line].Apps.Contains(app, StringComparer.Ordinal))
                    {
                        lines[line].Apps.Add(app);
                    }
                }
            }
            else
            {
                lineOf.Add(key, lines.Count);
                lines.Add((parts.Apps, parts.Condition));
            }
        }

        var text = new StringBuilder();
        foreach (var (apps, rest) in lines)
        {
            text.Append(text.Length == 0 ? "  where " : "     OR ");
            text.Append('(');
            SplExpression.And(SplTerms.AnyOf(App, apps), rest).Write(text);
            text.Append(")\n");
        }

        if (lines.Count == 0)
        {
            // Every app of every rule was left out: a where clause that selects nothing keeps the search valid.
            text.Append(CultureInfo.InvariantCulture, $"  where {App}=\"\" NOT {App}=\"\"\n");
        }

        return text.ToString();
    }

    // A record breaks the rule when a value is one of its apps, the rule judges the record's transport, the port is not
    // expected, no exemption covers the record, and no other value excuses it as a protocol it is an upgrade of.
    private static (List<string> Apps, SplExpression Condition)? Rule(DetectionRule rule, RuleSet rules, List<RuleExportOmission> omissions)
    {
        var apps = new List<string>();
        foreach (var app in rule.Apps)
        {
            if (SplTerms.Unwritable(app) is { } reason)
            {
                omissions.Add(new RuleExportOmission($"rule {rule.Id} app \"{InputText.Escape(app)}\"", $"{reason}; records with this app are not selected by the search"));
            }
            else
            {
                apps.Add(app);
            }
        }

        if (apps.Count == 0)
        {
            return null;
        }

        var parts = new List<SplExpression> { Judges(rule.Transport) };
        parts.Add(SplExpression.Not(SplTerms.Ports(Port, rule.ExpectedPorts)));
        foreach (var exemption in rule.Exemptions)
        {
            parts.Add(SplExpression.Not(Exemption(exemption)));
        }

        var excuses = new List<SplExpression>();
        foreach (var upgradeOf in rule.UpgradeOf)
        {
            if (Expected(upgradeOf, rules) is not { } expected)
            {
                continue; // no rule claims the app: it is never expected, so it excuses nothing (as the evaluator drops it)
            }

            if (SplTerms.Unwritable(upgradeOf) is { } reason)
            {
                omissions.Add(new RuleExportOmission($"rule {rule.Id} upgrade-of \"{InputText.Escape(upgradeOf)}\"", $"{reason}; the search does not excuse this rule's apps when it is present"));
                continue;
            }

            excuses.Add(SplExpression.And(SplTerms.Equal(App, upgradeOf), expected));
        }

        if (excuses.Count > 0)
        {
            parts.Add(SplExpression.Not(SplExpression.Or(excuses)));
        }

        return (apps, SplExpression.And(parts));
    }

    // The names the library reads as no transport (Transports.FromName), besides an absent field.
    private static readonly string[] UnknownTransports = ["unknown", "unknown_transport", "-"];

    // Whether the rule judges the record's transport: any rule judges a record without one (absent, or an unknown name).
    private static SplExpression Judges(Transport? transport) => transport switch
    {
        null => SplExpression.True,
        Detection.Transport.Tcp or Detection.Transport.Udp => SplExpression.Or(
            SplTerms.AnyOf(Transport, [transport.Value.ToName(), .. UnknownTransports]),
            SplExpression.Not(SplExpression.Term($"{Transport}=*"))),
        _ => SplExpression.Not(SplExpression.Or(SplTerms.Equal(Transport, "tcp"), SplTerms.Equal(Transport, "udp"))),
    };

    private static SplExpression Exemption(RuleExemption exemption)
    {
        var parts = new List<SplExpression>();
        if (exemption.SourceNetwork is { } source)
        {
            parts.Add(SplTerms.Equal(Source, source.ToString()));
        }

        if (exemption.DestinationNetwork is { } destination)
        {
            parts.Add(SplTerms.Equal(Destination, destination.ToString()));
        }

        if (exemption.DestinationPorts is { IsEmpty: false } ports)
        {
            parts.Add(SplTerms.Ports(Port, ports));
        }

        return SplExpression.And(parts);
    }

    // An app is expected on the record's port when some rule claiming it judges the record's transport and every such rule
    // expects the port (its ports and its exemptions without addresses, as the evaluator's bitmaps hold them); null when no
    // rule claims it.
    private static SplExpression? Expected(string app, RuleSet rules)
    {
        var claiming = rules.Where(r => r.Apps.Any(a => AppText.AsciiEquals(a, app))).ToList();
        if (claiming.Count == 0)
        {
            return null;
        }

        var judges = claiming.Select(r => Judges(r.Transport)).ToList();
        var expects = claiming.Select(r => SplTerms.Ports(Port, ExpectedWithPortExemptions(r))).ToList();
        if (judges.All(j => j.IsTrue))
        {
            return SplExpression.And(expects);
        }

        var breaks = new List<SplExpression>();
        for (var i = 0; i < claiming.Count; i++)
        {
            if (!expects[i].IsTrue)
            {
                breaks.Add(SplExpression.And(judges[i], SplExpression.Not(expects[i])));
            }
        }

        var anyJudges = SplExpression.Or(judges);
        return breaks.Count == 0 ? anyJudges : SplExpression.And(anyJudges, SplExpression.Not(SplExpression.Or(breaks)));
    }

    private static PortSet ExpectedWithPortExemptions(DetectionRule rule)
    {
        var ranges = new List<PortRange>(rule.ExpectedPorts.Ranges);
        foreach (var exemption in rule.Exemptions)
        {
            if (exemption.SourceNetwork is null && exemption.DestinationNetwork is null && exemption.DestinationPorts is { } ports)
            {
                ranges.AddRange(ports.Ranges);
            }
        }

        return PortSet.FromRanges(ranges);
    }

    // The macros.conf stanza: "search *" (ESCU's empty filter) or "search NOT (entry) NOT (entry) ...", one entry a line,
    // with the entries' comments numbered above the stanza (comment lines cannot sit inside a continued value).
    private static (string Stanza, bool NeedsTransport) FilterMacro(AllowList allowList, List<RuleExportOmission> omissions)
    {
        var entries = new List<(SplExpression Expression, AllowListEntry Entry)>();
        var needsTransport = false;
        for (var i = 0; i < allowList.Count; i++)
        {
            var entry = allowList[i];
            if (!entry.HasCondition)
            {
                continue; // matches no row in the library either
            }

            var subject = $"allow-list entry {i + 1} ({InputText.Escape(entry.Comment)})";
            var parts = new List<SplExpression>();
            if (entry.App is { } printed)
            {
                var app = RawApp(printed, out var notUtf8);
                var reason = notUtf8 ? "its app holds a byte that is not UTF-8 (\\xHH), which no Splunk field value holds" : SplTerms.Unwritable(app);
                if (reason is not null)
                {
                    omissions.Add(new RuleExportOmission(subject, $"{reason}; the filter keeps the rows this entry drops"));
                    continue;
                }

                parts.Add(SplTerms.Equal("app", app));
            }

            if (entry.DestinationPorts is { IsEmpty: false } ports)
            {
                parts.Add(SplTerms.Ports("dest_port", ports));
            }

            if (entry.SourceNetwork is { } source)
            {
                parts.Add(SplTerms.Equal("src_ip", source.ToString()));
            }

            if (entry.DestinationNetwork is { } destination)
            {
                parts.Add(SplTerms.Equal("dest_ip", destination.ToString()));
            }

            if (entry.Transport is { } transport)
            {
                needsTransport = true;
                parts.Add(SplTerms.Equal("transport", transport.ToName()));
            }

            var expression = SplExpression.And(parts);
            if (!expression.IsTrue)
            {
                entries.Add((expression, entry));
            }
        }

        var text = new StringBuilder();
        text.Append("# macros.conf (for example $SPLUNK_HOME/etc/apps/<app>/local/macros.conf):\n");
        if (entries.Count > 0)
        {
            text.Append("# the allow-list, one NOT (...) per entry, in this order:\n");
            for (var i = 0; i < entries.Count; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"#   {i + 1}. {AppText.OneLine(entries[i].Entry.Comment)}\n");
            }
        }

        text.Append('[').Append(MacroName).Append("]\n");
        if (entries.Count == 0)
        {
            text.Append("definition = search *\n");
        }
        else
        {
            text.Append("definition = search");
            foreach (var (expression, _) in entries)
            {
                text.Append(" \\\n    NOT ");
                expression.WriteOperand(text);
            }

            text.Append('\n');
        }

        text.Append("iseval = 0\n");
        return (text.ToString(), needsTransport);
    }

    // The allow-list holds an app as rows print it (a backslash as \x5c, a byte that is not UTF-8 as \xHH); Splunk holds the
    // raw value.
    private static string RawApp(string printed, out bool notUtf8)
    {
        notUtf8 = false;
        if (!printed.Contains("\\x", StringComparison.OrdinalIgnoreCase))
        {
            return printed;
        }

        var text = new StringBuilder(printed.Length);
        for (var i = 0; i < printed.Length; i++)
        {
            if (printed[i] == '\\' && i + 3 < printed.Length && (printed[i + 1] | 0x20) == 'x'
                && byte.TryParse(printed.AsSpan(i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                if (value == (byte)'\\')
                {
                    text.Append('\\');
                }
                else
                {
                    notUtf8 = true;
                    text.Append('?');
                }

                i += 3;
                continue;
            }

            text.Append(printed[i]);
        }

        return text.ToString();
    }
}
