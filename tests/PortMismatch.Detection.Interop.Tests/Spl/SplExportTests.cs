using PortMismatch.Detection.Interop.Tests.Support;

namespace PortMismatch.Detection.Interop.Tests.Spl;

public sealed class SplExportTests
{
    // Names that would end a quote, close a group, start a pipe, a subsearch or a keyword if they were written carelessly.
    private static readonly string[] HostileApps =
    [
        "dns\" OR All_Traffic.app=\"ssl",
        "x) OR (All_Traffic.dest_port>0",
        "trailing\\",
        "\\\" NOT \\\"",
        "| delete",
        "[search index=_internal]",
        "a b=c",
        "OR",
        "by",
        "NOT",
        "-dash",
        "$token$",
        "'single'",
    ];

    [Fact]
    public void A_hostile_app_name_is_one_quoted_value_and_the_search_keeps_its_structure_and_meaning()
    {
        // different ports, so that each rule keeps its own line (rules differing only in apps share one)
        var rules = new RuleSet(HostileApps.Select((app, i) => new DetectionRule($"h{i}", $"hostile {i}", [app], PortSet.Of(443 + i))));
        var export = RuleExport.Export(RuleExportFormat.Spl, rules);
        var evaluator = SplEvaluator.FromExport(export.Text);

        // one where line per rule, every one of them the rule's app and port, nothing else
        var where = export.Text.Split('\n').Where(l => l.StartsWith("  where (", StringComparison.Ordinal) || l.StartsWith("     OR (", StringComparison.Ordinal)).ToList();
        Assert.Equal(HostileApps.Length, where.Count);
        for (var i = 0; i < where.Count; i++)
        {
            Assert.EndsWith($" NOT All_Traffic.dest_port={443 + i})", where[i], StringComparison.Ordinal);
        }
        Assert.Empty(export.Omissions);

        // and the search selects what the library selects on records carrying these exact names (and near misses)
        var records = TrafficSample.Generate(rules, AllowList.Empty, TestSeed.Random(301), 3000);
        SplEquivalenceTests.AssertRows(
            TrafficSample.LibraryRows(rules, AllowList.Empty, records, AppGrouping.AllValues),
            TrafficSample.Sorted(evaluator.Run(records).Select(r => r with { App = r.App.Replace("\\", "\\x5c", StringComparison.Ordinal) })),
            export.Text);
    }

    [Fact]
    public void A_hostile_app_in_the_allow_list_is_one_quoted_value_of_the_filter_macro()
    {
        var allow = new AllowList(HostileApps.Select((app, i) => new AllowListEntry($"entry {i}") { App = app.Replace("\\", "\\x5c", StringComparison.Ordinal), DestinationPorts = PortSet.Of(i + 1) }));
        var rules = new RuleSet(HostileApps.Select((app, i) => new DetectionRule($"h{i}", $"hostile {i}", [app], PortSet.Of(443))));
        var export = RuleExport.Export(RuleExportFormat.Spl, rules, allow);
        Assert.Empty(export.Omissions);
        var definition = export.Text[export.Text.IndexOf("definition = ", StringComparison.Ordinal)..];
        Assert.Equal(HostileApps.Length, definition.Split('\n').Count(l => l.StartsWith("    NOT (app=", StringComparison.Ordinal)));

        var records = TrafficSample.Generate(rules, allow, TestSeed.Random(302), 3000);
        records.AddRange(HostileApps.Select((app, i) => new SampleRecord("10.0.0.1", "10.0.0.2", [app], i + 1, Transport.Tcp, i)));
        SplEquivalenceTests.AssertRows(
            TrafficSample.LibraryRows(rules, allow, records, AppGrouping.AllValues),
            TrafficSample.Sorted(SplEvaluator.FromExport(export.Text).Run(records).Select(r => r with { App = r.App.Replace("\\", "\\x5c", StringComparison.Ordinal) })),
            export.Text);
    }

    [Fact]
    public void What_SPL_cannot_express_is_left_out_and_named_in_the_result_and_the_text()
    {
        var rules = new RuleSet(
        [
            new DetectionRule("wild", "wildcard app", ["ss*", "ssl"], PortSet.Of(443)),
            new DetectionRule("tick", "macro app", ["`x`"], PortSet.Of(22)),
            new DetectionRule("tls", "upgrade", ["tls"], PortSet.Of(443)) { UpgradeOf = ["sm*tp"] },
            new DetectionRule("smtp", "claims sm*tp", ["sm*tp"], PortSet.Of(25)),
        ]);
        var allow = new AllowList(
        [
            new AllowListEntry("a wildcard") { App = "a*" },
            new AllowListEntry("not UTF-8") { App = "a\\xffb" },
        ]);

        var export = RuleExport.Export(RuleExportFormat.Spl, rules, allow);

        var subjects = export.Omissions.Select(o => o.Subject).ToList();
        Assert.Contains("rule wild app \"ss*\"", subjects);
        Assert.Contains("rule tick app \"`x`\"", subjects);
        Assert.Contains("rule tls upgrade-of \"sm*tp\"", subjects);
        Assert.Contains("rule smtp app \"sm*tp\"", subjects);
        Assert.Contains(subjects, s => s.StartsWith("allow-list entry 1 (a wildcard)", StringComparison.Ordinal));
        Assert.Contains(subjects, s => s.StartsWith("allow-list entry 2 (not UTF-8)", StringComparison.Ordinal));
        Assert.Equal(6, export.Omissions.Length);
        foreach (var omission in export.Omissions)
        {
            Assert.Contains("#   " + omission, export.Text, StringComparison.Ordinal);
        }

        // nothing of what was left out reaches the search or the macro, and the rest is still there
        var body = string.Join('\n', export.Text.Split('\n').Where(l => !l.StartsWith('#')));
        Assert.DoesNotContain("ss*", body, StringComparison.Ordinal);
        Assert.DoesNotContain("`x`", body, StringComparison.Ordinal);
        Assert.DoesNotContain("a*", body, StringComparison.Ordinal);
        // (tls lost its only upgrade-of app, so it and wild's ssl share a line)
        Assert.Contains("((All_Traffic.app=ssl OR All_Traffic.app=tls) NOT All_Traffic.dest_port=443)", body, StringComparison.Ordinal);
    }

    [Fact]
    public void The_transport_column_is_added_only_when_an_allow_list_entry_needs_it()
    {
        var without = RuleExport.Export(RuleExportFormat.Spl, RuleSet.Escu, new AllowList([new AllowListEntry("x") { App = "dns", DestinationPorts = PortSet.Of(5353) }])).Text;
        Assert.DoesNotContain("transport", without, StringComparison.Ordinal);

        var with = RuleExport.Export(RuleExportFormat.Spl, RuleSet.Escu, new AllowList([new AllowListEntry("x") { App = "dns", Transport = Transport.Udp }])).Text;
        Assert.Contains("values(All_Traffic.transport) as transport count(All_Traffic.transport) as transport_count", with, StringComparison.Ordinal);
        Assert.Contains("NOT (app=dns transport=udp)", with, StringComparison.Ordinal);
    }

    public static TheoryData<Transport> EntryTransports => [Transport.Tcp, Transport.Udp, Transport.Other];

    [Theory]
    [MemberData(nameof(EntryTransports))]
    public void A_transport_entry_drops_a_row_only_when_every_record_of_it_had_that_transport_as_in_the_library(Transport transport)
    {
        var allow = new AllowList([new AllowListEntry("dns over one transport") { App = "dns", Transport = transport }]);
        var export = RuleExport.Export(RuleExportFormat.Spl, RuleSet.Escu, allow);
        Assert.Empty(export.Omissions);
        var name = transport == Transport.Other ? "icmp" : transport.ToName();
        var records = new List<SampleRecord>
        {
            new("10.0.0.1", "10.0.0.2", ["dns"], 99, transport, 1),
            new("10.0.0.1", "10.0.0.2", ["dns"], 99, transport, 2), // all of the transport: dropped
            new("10.0.0.1", "10.0.0.3", ["dns"], 99, transport, 3),
            new("10.0.0.1", "10.0.0.3", ["dns"], 99, transport == Transport.Tcp ? Transport.Udp : Transport.Tcp, 4), // and another: kept
            new("10.0.0.1", "10.0.0.4", ["dns"], 99, transport, 5),
            new("10.0.0.1", "10.0.0.4", ["dns"], 99, Transport.Unknown, 6), // and unknown: kept
            new("10.0.0.1", "10.0.0.5", ["dns"], 99, Transport.Unknown, 7), // unknown only: kept
            new("10.0.0.1", "10.0.0.6", ["dns"], 99, transport, 8) { TransportName = name.ToUpperInvariant() }, // case: dropped
            new("10.0.0.1", "10.0.0.7", ["dns"], 99, Transport.Unknown, 9) { TransportName = "unknown" }, // CIM's unknown: kept
            new("10.0.0.1", "10.0.0.8", ["dns"], 99, Transport.Other, 10),
            new("10.0.0.1", "10.0.0.8", ["dns"], 99, Transport.Other, 11) { TransportName = "gre" }, // two other names: other
        };
        var expected = TrafficSample.LibraryRows(RuleSet.Escu, allow, records, AppGrouping.AllValues);
        Assert.Equal(
            transport == Transport.Other ? ["10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.7"] : ["10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.7", "10.0.0.8"],
            expected.Select(r => r.Destination));
        SplEquivalenceTests.AssertRows(expected, SplEvaluator.FromExport(export.Text).Run(records), export.Text);
    }

    [Fact]
    public void Every_name_the_library_reads_as_no_transport_is_judged_by_every_rule_and_others_only_by_other_rules()
    {
        var rules = new RuleSet(
        [
            new DetectionRule("t", "tcp", ["a"], PortSet.Of(1)) { Transport = Transport.Tcp },
            new DetectionRule("u", "udp", ["b"], PortSet.Of(1)) { Transport = Transport.Udp },
            new DetectionRule("o", "other", ["c"], PortSet.Of(1)) { Transport = Transport.Other },
        ]);
        var export = RuleExport.Export(RuleExportFormat.Spl, rules);
        var names = new (Transport Transport, string? Name)[]
        {
            (Transport.Unknown, null), (Transport.Unknown, "unknown"), (Transport.Unknown, "unknown_transport"), (Transport.Unknown, "-"),
            (Transport.Tcp, "tcp"), (Transport.Tcp, "TCP"), (Transport.Udp, "udp"), (Transport.Udp, "Udp"), (Transport.Other, "icmp"), (Transport.Other, "gre"),
        };
        var records = new List<SampleRecord>();
        foreach (var (transport, name) in names)
        {
            foreach (var app in (string[])["a", "b", "c"])
            {
                records.Add(new SampleRecord("10.0.0.1", $"10.0.{records.Count}.1", [app], 2, transport, records.Count) { TransportName = name });
            }
        }

        var expected = TrafficSample.LibraryRows(rules, AllowList.Empty, records, AppGrouping.AllValues);
        Assert.Equal(4 * 3 + 2 + 2 + 2, expected.Count); // unknown: all three rules; tcp, udp, other: one each
        SplEquivalenceTests.AssertRows(expected, SplEvaluator.FromExport(export.Text).Run(records), export.Text);
    }

    [Fact]
    public void An_absent_port_is_0_and_an_absent_address_is_null_in_the_rows()
    {
        var export = RuleExport.Export(RuleExportFormat.Spl, RuleSet.Escu);
        var records = new List<SampleRecord> { new(null, "2001:db8::1", ["DNS", "ssl"], null, Transport.Unknown, 5) };
        var rows = SplEvaluator.FromExport(export.Text).Run(records);
        Assert.Equal(TrafficSample.LibraryRows(RuleSet.Escu, AllowList.Empty, records, AppGrouping.AllValues), rows);
        Assert.Equal(["null 2001:db8::1 DNS 0 count=1 5..5", "null 2001:db8::1 ssl 0 count=1 5..5"], rows.Select(r => r.ToString()));
    }

    [Fact]
    public void Export_needs_rules() => Assert.Throws<ArgumentNullException>(() => RuleExport.Export(RuleExportFormat.Spl, null!));
}
