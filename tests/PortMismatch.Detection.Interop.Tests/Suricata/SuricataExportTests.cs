using System.Globalization;
using PortMismatch.Detection.Interop.Suricata;
using PortMismatch.Detection.Interop.Tests.Support;

namespace PortMismatch.Detection.Interop.Tests.Suricata;

public sealed class SuricataExportTests
{
    public static TheoryData<string> Cases() => ExportCases.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_export_parses_with_the_options_the_export_uses_and_nothing_else(string name)
    {
        var (rules, allow) = ExportCases.Get(name);

        var result = RuleExport.Export(RuleExportFormat.Suricata, rules, allow);
        var parsed = SuricataRuleParser.Parse(result.Text);

        Assert.Equal(RuleExportFormat.Suricata, result.Format);
        Assert.EndsWith("\n", result.Text, StringComparison.Ordinal);
        Assert.NotEmpty(parsed);
        foreach (var rule in parsed.Where(r => r.Action == "alert"))
        {
            Assert.Equal("final", rule.AppMode);
            Assert.Equal(SuricataExport.ClassType, rule.ClassType);
            Assert.True(rule.DestinationPorts.Negated, $"sid {rule.Sid}: the expected ports are negated");
            Assert.Contains("to_server", rule.Flow);
            Assert.Equal(rule.Protocol == "tcp", rule.Flow.Contains("established"));
            Assert.Contains(rule.Metadata, m => m.Key == "portmismatch_rule");
            Assert.StartsWith("PortMismatch ", rule.Message, StringComparison.Ordinal);
        }

        // Every omission is named in the text too.
        foreach (var omission in result.Omissions)
        {
            Assert.Contains("# left out: " + AppText.OneLine(omission.ToString()), result.Text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sids_are_unique_consecutive_and_in_the_local_range(string name)
    {
        var (rules, allow) = ExportCases.Get(name);

        var parsed = SuricataRuleParser.Parse(RuleExport.Export(RuleExportFormat.Suricata, rules, allow).Text);
        var sids = parsed.Select(r => r.Sid).ToList();

        Assert.Equal(sids.Count, sids.Distinct().Count());
        Assert.Equal(Enumerable.Range(1_571_000, sids.Count).Select(s => (long)s), sids);
        Assert.All(sids, s => Assert.InRange(s, 1_000_000, 1_999_999));
        Assert.All(parsed, r => Assert.Equal(1, r.Rev));
    }

    [Fact]
    public void The_first_sid_is_an_option_and_a_sid_beyond_32_bits_is_refused()
    {
        var parsed = SuricataRuleParser.Parse(RuleExport.Export(RuleExportFormat.Suricata, RuleSet.Escu, null, new RuleExportOptions { SuricataFirstSid = 3_000_000 }).Text);
        Assert.Equal(3_000_000, parsed[0].Sid);

        Assert.Throws<ArgumentOutOfRangeException>(() => RuleExport.Export(RuleExportFormat.Suricata, RuleSet.Escu, null, new RuleExportOptions { SuricataFirstSid = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => RuleExport.Export(RuleExportFormat.Suricata, RuleSet.Escu, null, new RuleExportOptions { SuricataFirstSid = -5 }));
        var high = SuricataRuleParser.Parse(RuleExport.Export(RuleExportFormat.Suricata, RuleSet.Escu, null, new RuleExportOptions { SuricataFirstSid = int.MaxValue }).Text);
        Assert.Equal((long)int.MaxValue + high.Count - 1, high[^1].Sid);
    }

    [Fact]
    public void Escu_is_the_reviewed_golden_file() // reviewed against the Suricata 8.0 user guide (app-layer, meta, flow keywords)
        => ExportCases.AssertGolden("Suricata/Golden/escu.rules", RuleExport.Export(RuleExportFormat.Suricata, RuleSet.Escu, AllowLists.Benign).Text);

    [Fact]
    public void What_Suricata_cannot_express_is_named()
    {
        var result = RuleExport.Export(RuleExportFormat.Suricata, ExportCases.Custom, ExportCases.CustomAllow);
        var subjects = result.Omissions.Select(o => o.Subject).ToList();

        Assert.Contains("c-dns app 'Bogus-App'", subjects);
        Assert.Contains("c-other", subjects);
        Assert.Contains(subjects, s => s.StartsWith("c-tls upgrade-of", StringComparison.Ordinal));
        Assert.Contains(subjects, s => s.StartsWith("c-http-alt exemption 'the proxy'", StringComparison.Ordinal));
        Assert.Contains("the transport condition of allow-list entries 4", subjects);
        Assert.DoesNotContain(subjects, s => s.StartsWith("c-dns exemption", StringComparison.Ordinal) || s.StartsWith("c-ssh", StringComparison.Ordinal));
        Assert.Contains("expects every port", result.Text, StringComparison.Ordinal);

        var extended = RuleExport.Export(RuleExportFormat.Suricata, RuleSet.Extended);
        Assert.Contains(extended.Omissions, o => o.Subject.StartsWith("ext-tls upgrade-of", StringComparison.Ordinal));
        Assert.Contains(extended.Omissions, o => o.Subject == "ext-dot app 'dns-over-tls'");
        Assert.Empty(RuleExport.Export(RuleExportFormat.Suricata, RuleSet.Escu).Omissions);
    }

    [Fact]
    public void Exemptions_go_into_the_header_where_one_condition_says_it_and_into_pass_rules_otherwise()
    {
        var parsed = SuricataRuleParser.Parse(RuleExport.Export(RuleExportFormat.Suricata, ExportCases.Custom).Text);

        var dns = Assert.Single(parsed, r => r.Action == "alert" && r.Metadata.Contains(("portmismatch_rule", "c-dns")));
        Assert.Equal("udp", dns.Protocol);
        Assert.Equal("dns", dns.AppProtocol);
        Assert.Equal([new PortRange(53), new PortRange(5353, 5355), new PortRange(8053)], dns.DestinationPorts.Ranges);
        Assert.True(dns.Source.Negated);
        Assert.Equal([IPNetworkValue.Parse("10.0.0.0/8")], dns.Source.Networks);
        Assert.Equal([IPNetworkValue.Parse("2001:db8::/32")], dns.Destination.Networks);
        Assert.Contains(("mitre_technique_id", "T1071.004"), dns.Metadata);

        var pass = Assert.Single(parsed, r => r.Action == "pass" && r.Metadata.Contains(("portmismatch_rule", "c-dns")));
        Assert.Equal([IPNetworkValue.Parse("192.168.1.0/24")], pass.Source.Networks);
        Assert.False(pass.Source.Negated);
        Assert.True(pass.Destination.Any);
        Assert.Equal([new PortRange(1000, 2000)], pass.DestinationPorts.Ranges);

        // A rule for any transport is one alert per transport; ssl and TLS are one Suricata protocol.
        var tls = parsed.Where(r => r.Action == "alert" && r.Metadata.Contains(("portmismatch_rule", "c-tls"))).ToList();
        Assert.Equal(["tcp", "udp"], tls.Select(r => r.Protocol));
        Assert.All(tls, r => Assert.Equal("tls", r.AppProtocol));
        Assert.All(tls, r => Assert.Equal([new PortRange(443), new PortRange(1024, 2000), new PortRange(8443)], r.DestinationPorts.Ranges));
    }

    [Fact]
    public void Hostile_names_cannot_end_the_message_or_start_a_rule()
    {
        var rules = new RuleSet([new DetectionRule("x\"; sid:1; )\nalert ip any any -> any any (msg:\"owned", "a \\ b; c\r\npass ip any any -> any any (sid:2;)", ["dns"], PortSet.Of(53))
        {
            Exemptions = [new RuleExemption("why\nalert ip any any -> any any (sid:3;)") { SourceNetwork = IPNetworkValue.Parse("10.0.0.0/8"), DestinationPorts = PortSet.Of(1) }],
            Techniques = ["T1571, evil; x"],
        }]);

        var text = RuleExport.Export(RuleExportFormat.Suricata, rules).Text;
        var parsed = SuricataRuleParser.Parse(text);

        Assert.Equal(4, parsed.Count); // tcp and udp alerts, a pass for each
        Assert.All(parsed, r => Assert.InRange(r.Sid, 1_571_000, 1_571_003));
        Assert.Contains("x\"", parsed[0].Message, StringComparison.Ordinal);
        Assert.Contains(("portmismatch_rule", "x___sid_1____alert_ip_any_any_-__any_any__msg__owned"), parsed[0].Metadata);
    }

    [Fact]
    public void Every_mapped_name_is_a_Suricata_protocol_name_and_the_readme_lists_it()
    {
        var readme = File.ReadAllText(Repository.PathOf("src", "PortMismatch.Detection.Interop", "README.md"));
        foreach (var (app, protocol) in SuricataProtocols.All)
        {
            Assert.Matches("^[a-z0-9][a-z0-9-]*$", protocol);
            Assert.Contains($"`{app}`", readme, StringComparison.Ordinal);
            Assert.Contains($"`{protocol}`", readme, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Suricata's meaning of the exported rules, evaluated on generated flows: a flow has one app-layer protocol (EVE's
    /// app_proto, the final one), an alert fires when its header (protocol, addresses, destination port) and its
    /// app-layer-protocol match the to-server direction, and any matching pass rule silences every alert (pass runs first in
    /// the default action order). The verdict must be the library's (the evaluator's mask with the allow-list applied per
    /// record) on every record Suricata can represent: two addresses, a port, TCP or UDP, exactly one app value that is
    /// non-empty; an app value that is the name of no Suricata protocol counts only when no rule claims it (a rule app with
    /// no protocol is an omission); and a value whose protocol the rule set reaches through other names (escu's ssl is
    /// Suricata's tls, but escu says nothing about a value "tls") counts only when every rule claims it exactly as it
    /// claims the other names of that protocol, and no allow-list entry names the protocol by another name.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Suricata_semantics_of_the_export_give_the_library_verdict(string name)
    {
        const int seed = 2207;
        var (rules, allow) = ExportCases.Get(name);
        var result = RuleExport.Export(RuleExportFormat.Suricata, rules, allow);
        var parsed = SuricataRuleParser.Parse(result.Text);
        var records = TrafficSample.Generate(rules, allow, TestSeed.Random(seed), 40_000);
        var masks = TrafficSample.LibraryMasks(rules, records);
        var omittedExemptions = rules.SelectMany(r => r.Exemptions.Select(e => (Rule: r, Exemption: e)))
            .Where(x => result.Omissions.Any(o => o.Subject.StartsWith($"{x.Rule.Id} exemption '{x.Exemption.Comment}'", StringComparison.Ordinal))).ToList();

        int compared = 0, flagged = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (record is not { Source: { } source, Destination: { } destination, Port: { } port, Apps: [{ Length: > 0 } app] }
                || record.Transport is not (Transport.Tcp or Transport.Udp))
            {
                continue;
            }

            var protocol = SuricataProtocols.Map(app);
            if (!Representable(rules, allow, record, app, protocol)
                || omittedExemptions.Any(x => ExportCases.Claims(x.Rule, app) && x.Exemption.Matches(ExportCases.Address(source), ExportCases.Address(destination), port)))
            {
                continue;
            }

            var library = (masks[i] & 1) != 0 && !allow.Any(e => ExportCases.Allows(e, record, app));
            var suricata = protocol is not null && Alerts(parsed, record.TransportName!, source, destination, port, protocol);
            Assert.True(library == suricata, $"seed {seed}, record {i}: {record}: library {library}, Suricata {suricata}");
            compared++;
            flagged += library ? 1 : 0;
        }

        TestContext.Current.TestOutputHelper?.WriteLine(FormattableString.Invariant($"{compared} records compared, {flagged} flagged"));
        Assert.True(compared > 1_000, $"only {compared} records compared");
        Assert.True(flagged > 20, $"only {flagged} records flagged");
    }

    private static bool Representable(RuleSet rules, AllowList allow, SampleRecord record, string app, string? protocol)
    {
        if (protocol is null)
        {
            return !rules.Any(r => ExportCases.Claims(r, app));
        }

        foreach (var rule in rules)
        {
            if (ExportCases.Claims(rule, app) != rule.Apps.Any(a => SuricataProtocols.Map(a) == protocol))
            {
                return false;
            }
        }

        // An entry naming the protocol by another name passes flows the library's entry does not drop.
        return !allow.Any(e => e.App is { } other && !ExportCases.AsciiEquals(other, app) && SuricataProtocols.Map(other) == protocol
            && ExportCases.Allows(new AllowListEntry(e.Comment) { DestinationPorts = e.DestinationPorts, SourceNetwork = e.SourceNetwork, DestinationNetwork = e.DestinationNetwork, Transport = e.Transport, App = app }, record, app));
    }

    private static bool Alerts(List<SuricataRule> rules, string transport, string source, string destination, int port, string protocol)
    {
        var src = IPAddressValue.Parse(source);
        var dst = IPAddressValue.Parse(destination);
        bool Matches(SuricataRule r) => r.Protocol == transport && r.Source.Matches(src) && r.SourcePorts.Any && r.Destination.Matches(dst)
            && r.DestinationPorts.Matches(port) && r.AppProtocol == protocol && r.AppMode == "final" && r.Flow.Contains("to_server");
        return rules.Any(r => r.Action == "alert" && Matches(r)) && !rules.Any(r => r.Action == "pass" && Matches(r));
    }
}
