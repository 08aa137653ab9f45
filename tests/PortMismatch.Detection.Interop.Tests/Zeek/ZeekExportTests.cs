using PortMismatch.Detection.Interop.Tests.Suricata;
using PortMismatch.Detection.Interop.Tests.Support;

namespace PortMismatch.Detection.Interop.Tests.Zeek;

public sealed class ZeekExportTests
{
    private static readonly string[] Functions = ["in_ranges", "applies", "judges", "expects", "exempted", "expected", "excused", "broken_rule", "allows"];

    public static TheoryData<string> Cases() => ExportCases.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_export_is_a_script_of_the_constructs_the_export_uses(string name)
    {
        var (rules, allow) = ExportCases.Get(name);

        var result = RuleExport.Export(RuleExportFormat.Zeek, rules, allow);
        var script = ZeekScriptParser.Parse(result.Text);

        Assert.Equal(RuleExportFormat.Zeek, result.Format);
        Assert.Equal("PortMismatch", script.Module);
        Assert.Equal(["base/frameworks/notice", "base/protocols/conn"], script.Loads);
        Assert.Equal(["Protocol_Port_Mismatch"], script.NoticeTypes);
        Assert.Equal(
            ["rule_index", "app", "src", "dst", "ports", "proto", "comment"],
            script.RecordTypes["Condition"].Select(f => f.Name));
        Assert.Equal("table[count] of string", script.Constants["rule_id"].Type);
        Assert.Equal("table[count] of transport_proto", script.Constants["rule_proto"].Type);
        Assert.Equal("table[count] of vector of count", script.Constants["rule_ports"].Type);
        Assert.Equal("table[string] of vector of count", script.Constants["rules_by_app"].Type);
        Assert.Equal("table[count] of set[string]", script.Constants["upgrade_of"].Type);
        Assert.Equal("vector of Condition", script.Constants["exemptions"].Type);
        Assert.Equal("vector of Condition", script.Constants["allowed"].Type);
        Assert.Equal(Functions, script.Functions);
        Assert.Equal([("connection_state_remove", -3)], script.Events);
        Assert.Equal(rules.Count, Tables.Read(script).RuleIds.Count);
        foreach (var omission in result.Omissions)
        {
            Assert.Contains("# left out: " + omission, result.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Escu_is_the_reviewed_golden_file() // reviewed against Zeek's scripts at a13de64 (conn/main.zeek, notice/main.zeek, detect-protocols.zeek)
        => ExportCases.AssertGolden("Zeek/Golden/escu.zeek", RuleExport.Export(RuleExportFormat.Zeek, RuleSet.Escu, AllowLists.Benign).Text);

    [Fact]
    public void The_custom_rule_file_becomes_its_tables()
    {
        var tables = Tables.Read(ZeekScriptParser.Parse(RuleExport.Export(RuleExportFormat.Zeek, ExportCases.Custom, ExportCases.CustomAllow).Text));

        Assert.Equal("c-dns", tables.RuleIds[1]);
        Assert.Equal("udp", tables.RuleProto[1]);
        Assert.Equal("icmp", tables.RuleProto[4]);
        Assert.False(tables.RuleProto.ContainsKey(2));
        Assert.Equal([53UL, 53, 5353, 5355], tables.RulePorts[1]);
        Assert.Equal([5UL, 6], tables.RulesByApp["http"]);
        Assert.Equal([2UL], tables.RulesByApp["tls"]);
        Assert.Equal(["smtp", "http"], tables.UpgradeOf[2]);
        var jump = Assert.Single(tables.Exemptions, e => e.Comment == "jump host");
        Assert.Equal((3UL, IPNetworkValue.Parse("192.168.1.0/24"), IPNetworkValue.Parse("10.0.0.0/8")), (jump.Rule!.Value, jump.Source!.Value, jump.Destination!.Value));
        Assert.Contains(tables.Exemptions, e => e.Destination == IPNetworkValue.Parse("2001:db8::/32"));
        Assert.Contains(tables.Allowed, e => e.App == "smtp" && e.Proto == "tcp" && e.Ports!.SequenceEqual(new ulong[] { 2525, 2525 }));
    }

    [Fact]
    public void Hostile_names_are_Zeek_string_literals_and_inject_nothing()
    {
        const string id = "x\"; } event zeek_init() { print \"owned\"; } #";
        const string app = "Ev\\il\"\n@load exploit\u00e9\u0001";
        var rules = new RuleSet([new DetectionRule(id, "name\r\nredef Notice::x = 1;", [app, "dns"], PortSet.Of(53))
        {
            Exemptions = [new RuleExemption("why\" ; module Evil;") { SourceNetwork = IPNetworkValue.Parse("10.0.0.0/8") }],
        }]);

        var text = RuleExport.Export(RuleExportFormat.Zeek, rules, new AllowList([new AllowListEntry("a\\\"b") { App = "\"\\" }])).Text;
        var script = ZeekScriptParser.Parse(text);
        var tables = Tables.Read(script);

        Assert.Equal(Functions, script.Functions);
        Assert.Single(script.Events);
        Assert.Equal(["base/frameworks/notice", "base/protocols/conn"], script.Loads);
        Assert.Equal(id, tables.RuleIds[1]);
        Assert.Equal("name\r\nredef Notice::x = 1;", ((List<(object Key, object Value)>)script.Constants["rule_name"].Value)[0].Value);
        Assert.True(tables.RulesByApp.ContainsKey("ev\\il\"\n@load exploit\u00e9\u0001"), string.Join(" | ", tables.RulesByApp.Keys));
        Assert.Equal("why\" ; module Evil;", Assert.Single(tables.Exemptions).Comment);
        Assert.Equal("\"\\", Assert.Single(tables.Allowed).App);
        Assert.DoesNotContain("\n@load exploit", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// The generated tables, read back by the parser, evaluated with the fixed logic's meaning (the functions of the script,
    /// written again here) on generated connections must give the library's verdict, value by value: the evaluator's mask
    /// with the allow-list applied per record. Zeek's view of a connection: both addresses and a port (Zeek always has
    /// them), tcp, udp, icmp (the library's other) or unknown_transport, service values that are non-empty and distinct
    /// once lower-cased (c$service is a set of analyzer names).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_scripts_tables_with_its_logic_give_the_library_verdict(string name)
    {
        const int seed = 2208;
        var (rules, allow) = ExportCases.Get(name);
        var tables = Tables.Read(ZeekScriptParser.Parse(RuleExport.Export(RuleExportFormat.Zeek, rules, allow).Text));
        var records = TrafficSample.Generate(rules, allow, TestSeed.Random(seed), 30_000);
        var masks = TrafficSample.LibraryMasks(rules, records);

        int compared = 0, flagged = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var values = record.Apps.Select(ExportCases.AsciiLower).ToArray();
            if (record is not { Source: not null, Destination: not null, Port: { } port } || values.Length == 0
                || values.Any(v => v.Length == 0) || values.Distinct(StringComparer.Ordinal).Count() != values.Length)
            {
                continue;
            }

            var proto = record.Transport switch
            {
                Transport.Tcp => "tcp",
                Transport.Udp => "udp",
                Transport.Other => "icmp",
                _ => "unknown_transport",
            };
            var source = IPAddressValue.Parse(record.Source);
            var destination = IPAddressValue.Parse(record.Destination);
            for (var k = 0; k < values.Length; k++)
            {
                var library = (masks[i] & (1UL << k)) != 0 && !allow.Any(e => ExportCases.Allows(e, record, record.Apps[k]));
                var zeek = tables.BrokenRule(values, k, source, destination, (ulong)port, proto) != 0 && !tables.Allows(values[k], source, destination, (ulong)port, proto);
                Assert.True(library == zeek, $"seed {seed}, record {i}, value {k}: {record}: library {library}, Zeek {zeek}");
                compared++;
                flagged += library ? 1 : 0;
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(FormattableString.Invariant($"{compared} values compared, {flagged} flagged"));
        Assert.True(compared > 10_000, $"only {compared} values compared");
        Assert.True(flagged > 500, $"only {flagged} values flagged");
    }
}

/// <summary>The script's tables as read by <see cref="ZeekScriptParser"/>, and the script's functions over them.</summary>
internal sealed class Tables
{
    public Dictionary<ulong, string> RuleIds { get; } = [];

    public Dictionary<ulong, string> RuleProto { get; } = [];

    public Dictionary<ulong, List<ulong>> RulePorts { get; } = [];

    public Dictionary<string, List<ulong>> RulesByApp { get; } = new(StringComparer.Ordinal);

    public Dictionary<ulong, List<string>> UpgradeOf { get; } = [];

    public List<Condition> Exemptions { get; } = [];

    public List<Condition> Allowed { get; } = [];

    public static Tables Read(ZeekScript script)
    {
        var tables = new Tables();
        foreach (var (key, value) in Entries(script, "rule_id"))
        {
            tables.RuleIds.Add((ulong)key, (string)value);
        }

        foreach (var (key, value) in Entries(script, "rule_proto"))
        {
            tables.RuleProto.Add((ulong)key, ((ZeekEnum)value).Name);
        }

        foreach (var (key, value) in Entries(script, "rule_ports"))
        {
            tables.RulePorts.Add((ulong)key, [.. ((List<object>)value).Cast<ulong>()]);
        }

        foreach (var (key, value) in Entries(script, "rules_by_app"))
        {
            tables.RulesByApp.Add((string)key, [.. ((List<object>)value).Cast<ulong>()]);
        }

        foreach (var (key, value) in Entries(script, "upgrade_of"))
        {
            tables.UpgradeOf.Add((ulong)key, [.. ((List<object>)value).Cast<string>()]);
        }

        tables.Exemptions.AddRange(((List<object>)script.Constants["exemptions"].Value).Select(v => Condition.Of((Dictionary<string, object>)v)));
        tables.Allowed.AddRange(((List<object>)script.Constants["allowed"].Value).Select(v => Condition.Of((Dictionary<string, object>)v)));
        return tables;
    }

    public ulong BrokenRule(string[] values, int k, IPAddressValue source, IPAddressValue destination, ulong port, string proto)
    {
        if (!RulesByApp.TryGetValue(values[k], out var claiming))
        {
            return 0;
        }

        foreach (var r in claiming)
        {
            if (Judges(r, proto) && !Expects(r, port) && !Exemptions.Any(e => e.Rule == r && e.Applies(source, destination, port, proto)) && !Excused(r, values, k, port, proto))
            {
                return r;
            }
        }

        return 0;
    }

    public bool Allows(string app, IPAddressValue source, IPAddressValue destination, ulong port, string proto)
        => Allowed.Any(e => (e.App is null || e.App == app) && e.Applies(source, destination, port, proto));

    private bool Judges(ulong rule, string proto) => !RuleProto.TryGetValue(rule, out var judged) || proto == "unknown_transport" || judged == proto;

    private bool Expects(ulong rule, ulong port)
        => InRanges(RulePorts[rule], port) || Exemptions.Any(e => e.Rule == rule && e.Source is null && e.Destination is null && InRanges(e.Ports!, port));

    private bool Expected(string app, ulong port, string proto)
    {
        if (!RulesByApp.TryGetValue(app, out var claiming))
        {
            return false;
        }

        var judged = claiming.Where(r => Judges(r, proto)).ToList();
        return judged.Count > 0 && judged.All(r => Expects(r, port));
    }

    private bool Excused(ulong rule, string[] values, int k, ulong port, string proto)
        => UpgradeOf.TryGetValue(rule, out var apps) && values.Where((v, j) => j != k && apps.Contains(v) && Expected(v, port, proto)).Any();

    internal static bool InRanges(List<ulong> ranges, ulong port)
    {
        for (var i = 0; i < ranges.Count; i += 2)
        {
            if (ranges[i] <= port && port <= ranges[i + 1])
            {
                return true;
            }
        }

        return false;
    }

    private static List<(object Key, object Value)> Entries(ZeekScript script, string name) => (List<(object, object)>)script.Constants[name].Value;

    internal sealed record Condition(ulong? Rule, string? App, IPNetworkValue? Source, IPNetworkValue? Destination, List<ulong>? Ports, string? Proto, string Comment)
    {
        public static Condition Of(Dictionary<string, object> record)
        {
            Assert.Equal("Condition", record["$type"]);
            return new Condition(
                record.TryGetValue("rule_index", out var rule) ? (ulong)rule : null,
                record.TryGetValue("app", out var app) ? (string)app : null,
                record.TryGetValue("src", out var source) ? (IPNetworkValue)source : null,
                record.TryGetValue("dst", out var destination) ? (IPNetworkValue)destination : null,
                record.TryGetValue("ports", out var ports) ? [.. ((List<object>)ports).Cast<ulong>()] : null,
                record.TryGetValue("proto", out var proto) ? ((ZeekEnum)proto).Name : null,
                (string)record["comment"]);
        }

        public bool Applies(IPAddressValue source, IPAddressValue destination, ulong port, string proto)
            => (Source is not { } s || s.Contains(source))
                && (Destination is not { } d || d.Contains(destination))
                && (Ports is null || InRanges(Ports, port))
                && (Proto is null || Proto == proto);
    }
}
