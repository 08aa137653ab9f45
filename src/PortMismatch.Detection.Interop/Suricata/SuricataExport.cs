using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Interop.Suricata;

/// <summary>
/// Writes a rule set and allow-list as Suricata 8 rules: per rule, Suricata protocol and transport one <c>alert</c> with
/// <c>app-layer-protocol:&lt;proto&gt;,final</c> (the protocol EVE writes as <c>app_proto</c>) and the expected ports negated
/// in the header; exemptions of ports alone and of one network alone are in the header too (negated), exemptions with
/// several conditions and allow-list entries are <c>pass</c> rules, which Suricata's default action order (pass, drop,
/// reject, alert) applies before any alert. What Suricata cannot express is left out and named (the README's Suricata
/// section says why, with sources).
/// </summary>
internal static class SuricataExport
{
    /// <summary>The classification of the alerts: Suricata's classification.config "Detection of a non-standard protocol or event" (priority 2).</summary>
    internal const string ClassType = "non-standard-protocol";

    private static readonly Transport[] TcpAndUdp = [Transport.Tcp, Transport.Udp];

    internal static RuleExportResult Write(RuleSet rules, AllowList allowList, RuleExportOptions options)
    {
        var omissions = new List<RuleExportOmission>();
        var notes = new List<string>();
        var alerts = new List<Alert>();
        var exemptionPasses = new List<(int Rule, RuleExemption Exemption)>();
        for (var r = 0; r < rules.Count; r++)
        {
            PlanRule(r, rules[r], alerts, exemptionPasses, omissions, notes);
        }

        var passes = new List<Pass>();
        foreach (var (r, exemption) in exemptionPasses)
        {
            PlanExemption(rules[r], r, exemption, alerts, passes, omissions);
        }

        var perFlow = new List<int>();
        for (var e = 0; e < allowList.Count; e++)
        {
            PlanAllowEntry(allowList[e], e, alerts, passes, notes);
            if (allowList[e].Transport is Transport.Tcp or Transport.Udp)
            {
                perFlow.Add(e + 1);
            }
        }

        if (perFlow.Count > 0)
        {
            omissions.Add(new(
                $"the transport condition of allow-list entries {string.Join(", ", perFlow)}",
                "is judged per flow here; the library judges it per row, and keeps a row whose records used several transports"));
        }

        var first = (long)options.SuricataFirstSid;
        var last = first + alerts.Count + passes.Count - 1;
        if (first < 1 || last > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), options.SuricataFirstSid, $"The Suricata sids {first}-{last} do not fit 1-{uint.MaxValue}; choose another SuricataFirstSid.");
        }

        var text = new StringBuilder();
        text.Append("# PortMismatch.Detection rules for Suricata 8.0 or later (app-layer-protocol with a mode needs 8.0).\n");
        text.Append(CultureInfo.InvariantCulture, $"# {rules.Count} rules, {allowList.Count} allow-list entries; sids {first}-{Math.Max(first, last)}.\n");
        text.Append("# An alert per rule, Suricata protocol and transport; pass rules (exemptions, allow-list) run before alerts in\n");
        text.Append("# Suricata's default action-order (pass, drop, reject, alert); a pass stops inspection for every rule loaded.\n");
        foreach (var omission in omissions)
        {
            text.Append("# left out: ").Append(AppText.OneLine(omission.ToString())).Append('\n');
        }

        foreach (var note in notes)
        {
            text.Append("# ").Append(AppText.OneLine(note)).Append('\n');
        }

        var sid = first;
        foreach (var alert in alerts)
        {
            WriteAlert(text, rules[alert.Rule], alert, sid++);
        }

        foreach (var pass in passes)
        {
            WritePass(text, pass, sid++);
        }

        return new RuleExportResult(RuleExportFormat.Suricata, text.ToString(), [.. omissions]);
    }

    private static void PlanRule(int r, DetectionRule rule, List<Alert> alerts, List<(int, RuleExemption)> exemptionPasses, List<RuleExportOmission> omissions, List<string> notes)
    {
        if (rule.Transport == Transport.Other)
        {
            omissions.Add(new(rule.Id, "the rule judges transports other than TCP and UDP, and Suricata detects app-layer protocols on TCP and UDP only"));
            return;
        }

        var protocols = new List<(string Protocol, List<string> Apps)>();
        foreach (var app in rule.Apps)
        {
            if (SuricataProtocols.Map(app) is not { } protocol)
            {
                omissions.Add(new($"{rule.Id} app '{app}'", "Suricata has no app-layer protocol of that name (README, Suricata: the mapping table)"));
                continue;
            }

            var group = protocols.Find(p => p.Protocol == protocol);
            if (group.Apps is null)
            {
                protocols.Add((protocol, [app]));
            }
            else
            {
                group.Apps.Add(app);
            }
        }

        if (!rule.UpgradeOf.IsEmpty)
        {
            omissions.Add(new(
                $"{rule.Id} upgrade-of ({string.Join(", ", rule.UpgradeOf)})",
                "Suricata's app-layer-protocol matches one protocol per keyword and mode; whether the original protocol (app_proto_orig) was expected on the port cannot be asked, so a flow that changed protocol on the original's own port alerts here where the library is silent"));
        }

        var ports = new List<PortRange>(rule.ExpectedPorts.Ranges);
        var sources = new List<IPNetworkValue>();
        var destinations = new List<IPNetworkValue>();
        foreach (var exemption in rule.Exemptions)
        {
            switch (exemption)
            {
                case { SourceNetwork: null, DestinationNetwork: null, DestinationPorts: { } only }:
                    ports.AddRange(only.Ranges);
                    break;
                case { SourceNetwork: { } source, DestinationNetwork: null, DestinationPorts: null }:
                    sources.Add(source);
                    break;
                case { SourceNetwork: null, DestinationNetwork: { } destination, DestinationPorts: null }:
                    destinations.Add(destination);
                    break;
                default:
                    exemptionPasses.Add((r, exemption));
                    break;
            }
        }

        var expected = PortSet.FromRanges(ports);
        if (expected.Ranges is [{ First: 0, Last: ushort.MaxValue }])
        {
            notes.Add($"{rule.Id}: expects every port (with its exemptions), so it can flag nothing and has no alert");
            return;
        }

        var transports = rule.Transport is { } judged ? [judged] : TcpAndUdp;
        foreach (var (protocol, apps) in protocols)
        {
            foreach (var transport in transports)
            {
                alerts.Add(new Alert(r, rule.Id, protocol, apps, transport, expected, sources, destinations));
            }
        }
    }

    // An exemption with several conditions cannot be negated in one header; a pass rule for the rule's protocol passes the
    // flows it covers. That is exact only when no other rule alerts on the same protocol and transport: the pass would
    // silence that rule too, which the library does not.
    private static void PlanExemption(DetectionRule rule, int r, RuleExemption exemption, List<Alert> alerts, List<Pass> passes, List<RuleExportOmission> omissions)
    {
        foreach (var alert in alerts)
        {
            if (alert.Rule != r)
            {
                continue;
            }

            var shared = alerts.Find(a => a.Rule != r && a.Protocol == alert.Protocol && a.Transport == alert.Transport);
            if (shared is not null)
            {
                omissions.Add(new(
                    $"{rule.Id} exemption '{exemption.Comment}' on {alert.Protocol}/{alert.Transport.ToName()}",
                    $"the rule '{shared.RuleId}' alerts on Suricata's {alert.Protocol} over {alert.Transport.ToName()} too, and a pass rule would silence it as well"));
                continue;
            }

            passes.Add(new Pass(
                alert.Protocol, alert.Transport, exemption.SourceNetwork, exemption.DestinationNetwork, exemption.DestinationPorts,
                $"PortMismatch {rule.Id} exemption: {exemption.Comment}", $"portmismatch_rule {MetadataValue(rule.Id)}"));
        }
    }

    private static void PlanAllowEntry(AllowListEntry entry, int index, List<Alert> alerts, List<Pass> passes, List<string> notes)
    {
        string? protocol = null;
        if (entry.App is { } app && (protocol = SuricataProtocols.Map(app)) is null)
        {
            notes.Add($"allow-list entry {index + 1} ({entry}): Suricata names no protocol '{app}', so no alert of this export carries it");
            return;
        }

        if (entry.Transport is Transport.Other or Transport.Unknown)
        {
            notes.Add($"allow-list entry {index + 1} ({entry}): no alert of this export is on that transport");
            return;
        }


        var targets = new List<(string Protocol, Transport Transport)>();
        foreach (var alert in alerts)
        {
            if ((protocol is null || alert.Protocol == protocol) && (entry.Transport is null || entry.Transport == alert.Transport)
                && !targets.Contains((alert.Protocol, alert.Transport)))
            {
                targets.Add((alert.Protocol, alert.Transport));
            }
        }

        if (targets.Count == 0)
        {
            notes.Add($"allow-list entry {index + 1} ({entry}): no alert of this export is on its protocol and transport");
        }

        foreach (var (target, transport) in targets)
        {
            passes.Add(new Pass(
                target, transport, entry.SourceNetwork, entry.DestinationNetwork, entry.DestinationPorts,
                $"PortMismatch allow-list: {entry.Comment}", string.Create(CultureInfo.InvariantCulture, $"portmismatch_allow {index + 1}")));
        }
    }

    private static void WriteAlert(StringBuilder text, DetectionRule rule, Alert alert, long sid)
    {
        text.Append("alert ").Append(alert.Transport.ToName()).Append(' ')
            .Append(Addresses(alert.Sources, negated: true)).Append(" any -> ")
            .Append(Addresses(alert.Destinations, negated: true)).Append(' ')
            .Append(Ports(alert.Expected, negated: true))
            .Append(" (msg:\"").Append(Escape($"PortMismatch {rule.Id}: {rule.Name} ({string.Join(", ", alert.Apps)})")).Append("\"; ")
            .Append(Flow(alert.Transport))
            .Append("app-layer-protocol:").Append(alert.Protocol).Append(",final; ")
            .Append("classtype:").Append(ClassType).Append("; ")
            .Append(CultureInfo.InvariantCulture, $"sid:{sid}; rev:1; ")
            .Append("metadata:portmismatch_rule ").Append(MetadataValue(rule.Id));
        foreach (var technique in rule.Techniques)
        {
            text.Append(", mitre_technique_id ").Append(MetadataValue(technique));
        }

        text.Append(";)\n");
    }

    private static void WritePass(StringBuilder text, Pass pass, long sid)
    {
        text.Append("pass ").Append(pass.Transport.ToName()).Append(' ')
            .Append(pass.Source is { } source ? source.ToString() : "any").Append(" any -> ")
            .Append(pass.Destination is { } destination ? destination.ToString() : "any").Append(' ')
            .Append(pass.Ports is { } ports ? Ports(ports, negated: false) : "any")
            .Append(" (msg:\"").Append(Escape(pass.Message)).Append("\"; ")
            .Append(Flow(pass.Transport))
            .Append("app-layer-protocol:").Append(pass.Protocol).Append(",final; ")
            .Append(CultureInfo.InvariantCulture, $"sid:{sid}; rev:1; ")
            .Append("metadata:").Append(pass.Metadata).Append(";)\n");
    }

    // to_server: the header's destination port is then the server's port on every packet the rule sees (on a reply it
    // would be the client's); established on TCP, where an app-layer protocol needs the handshake done anyway. On UDP
    // "established" means a reply was seen, which the library does not ask for.
    private static string Flow(Transport transport) => transport == Transport.Tcp ? "flow:established,to_server; " : "flow:to_server; ";

    private static string Addresses(List<IPNetworkValue> networks, bool negated) => networks.Count switch
    {
        0 => "any",
        1 => (negated ? "!" : string.Empty) + networks[0],
        _ => (negated ? "![" : "[") + string.Join(',', networks) + "]",
    };

    internal static string Ports(PortSet ports, bool negated)
    {
        var items = ports.Ranges.Select(r => r.First == r.Last
            ? r.First.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{r.First}:{r.Last}")).ToList();
        var list = items.Count == 1 ? items[0] : "[" + string.Join(',', items) + "]";
        return negated ? "!" + list : list;
    }

    // msg is a quoted string in which Suricata's rule parser ends the option at an unescaped ';' and the string at an
    // unescaped '"'; a line feed would end the rule. Those are escaped or replaced.
    internal static string Escape(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c is '\\' or '"' or ';')
            {
                text.Append('\\').Append(c);
            }
            else
            {
                text.Append(char.IsControl(c) ? ' ' : c);
            }
        }

        return text.ToString();
    }

    // A metadata value ends at ',' or ';' and holds no spaces: anything but letters, digits, '.', '_' and '-' becomes '_'.
    internal static string MetadataValue(string value)
    {
        var chars = value.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(chars[i]) || chars[i] is '.' or '_' or '-'))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    private sealed record Alert(int Rule, string RuleId, string Protocol, List<string> Apps, Transport Transport, PortSet Expected, List<IPNetworkValue> Sources, List<IPNetworkValue> Destinations);

    private sealed record Pass(string Protocol, Transport Transport, IPNetworkValue? Source, IPNetworkValue? Destination, PortSet? Ports, string Message, string Metadata);
}
