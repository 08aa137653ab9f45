using System.Globalization;
using System.Text;
using PortMismatch.Detection.Interop.Tests.Support;

namespace PortMismatch.Detection.Interop.Tests.Kql;

/// <summary>
/// The KQL export, run by <see cref="KqlEvaluator"/> over generated records as ASIM <c>_Im_NetworkSession</c> rows, gives
/// exactly the library's rows (grouping <see cref="AppGrouping.MismatchingValues"/>, allow-list applied).
/// </summary>
public sealed class KqlExportTests
{
    public static TheoryData<string, string, int, int> Cases() => new()
    {
        { "escu", "none", 101, 6000 },
        { "escu", "benign", 102, 6000 },
        { "extended", "benign", 103, 6000 },
        { "extended", "none", 104, 6000 },
        { "panos-appid", "none", 105, 2500 },
        { "extended,escu", "custom", 106, 5000 },
        { "custom", "none", 107, 8000 },
        { "custom", "custom", 108, 8000 },
        { "custom", "benign", 109, 5000 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rows_equal_the_library_rows(string ruleName, string allowName, int seed, int count)
    {
        var rules = InteropRuleFiles.Rules(ruleName);
        var allowList = InteropRuleFiles.AllowList(allowName);
        var records = TrafficSample.Generate(rules, allowList, TestSeed.Random(seed), count);
        var export = RuleExport.Export(RuleExportFormat.Kql, rules, allowList);
        Assert.Empty(export.Omissions);

        var expected = TrafficSample.LibraryRows(rules, allowList, records, AppGrouping.MismatchingValues);
        var actual = Run(export.Text, records);
        Assert.NotEmpty(expected);
        AssertRows(expected, actual, $"{ruleName} / {allowName}, seed {seed}");
    }

    [Fact]
    public void Dns_on_4444_matches_where_the_Sentinel_hunting_query_prefilters_ports()
    {
        // Azure-Sentinel "Mismatch between Destination App name and Destination Port" keeps DstPortNumber in (53, 80, 8080,
        // 8000, 443, 8443, 25) before it judges, so this record never reaches its test; the export has no such filter.
        var records = new List<SampleRecord>
        {
            new("10.1.0.13", "192.0.2.66", ["dns"], 4444, Transport.Udp, 1_700_000_000_000_000),
            new("10.1.0.13", "192.0.2.66", ["DNS"], 4444, Transport.Udp, 1_700_000_001_000_000),
            new("10.1.0.13", "192.0.2.66", ["dns"], 53, Transport.Udp, 1_700_000_002_000_000),
            new("10.1.0.14", "192.0.2.66", ["ssl"], null, Transport.Tcp, 1_700_000_003_000_000),
        };
        var export = RuleExport.Export(RuleExportFormat.Kql, RuleSet.Escu);
        var rows = Run(export.Text, records);
        Assert.Equal(
            [
                new SampleRow("10.1.0.13", "192.0.2.66", "DNS", 4444, 1, 1_700_000_001_000_000, 1_700_000_001_000_000),
                new SampleRow("10.1.0.13", "192.0.2.66", "dns", 4444, 1, 1_700_000_000_000_000, 1_700_000_000_000_000),
                new SampleRow("10.1.0.14", "192.0.2.66", "ssl", 0, 1, 1_700_000_003_000_000, 1_700_000_003_000_000),
            ],
            rows);
        Assert.Equal(TrafficSample.LibraryRows(RuleSet.Escu, AllowList.Empty, records, AppGrouping.MismatchingValues), rows);
    }

    internal static readonly string[] TransportNames =
        ["tcp", "TCP", "Tcp", "udp", "UDP", "icmp", "GRE", "", "-", "unknown", "UNKNOWN", "unknown_transport", "Unknown_Transport"];

    [Fact]
    public void Transport_names_are_read_as_the_library_reads_them()
    {
        // tcp and udp ignoring ASCII case; "", "-", "unknown", "unknown_transport" exactly are unknown; the rest other
        var rules = InteropRuleFiles.Rules("custom");
        var random = TestSeed.Random(301);
        var records = new List<SampleRecord>();
        var names = new List<string>();
        foreach (var record in TrafficSample.Generate(rules, AllowList.Empty, random, 6000))
        {
            var name = TransportNames[random.Next(TransportNames.Length)];
            names.Add(name);
            records.Add(record with { Transport = Transports.FromName(Encoding.UTF8.GetBytes(name)) });
        }

        var expected = TrafficSample.LibraryRows(rules, AllowList.Empty, records, AppGrouping.MismatchingValues);
        AssertRows(expected, Run(RuleExport.Export(RuleExportFormat.Kql, rules).Text, records, names), "transport names, seed 301");
    }

    [Fact]
    public void A_hostile_app_name_stays_one_string_and_cannot_change_the_query()
    {
        string[] hostile = ["x\") or true or (\"", "back\\slash\"", "tab\there", "line\nbreak | take 1", "qu'ote"];
        var rules = new RuleSet(
        [
            new DetectionRule("evil\n| take 1 //", "name\r\n| where true", hostile, PortSet.Parse("53")) { Description = "x\n| count" },
            new DetectionRule("dns", "dns", ["dns"], PortSet.Parse("53"))
            {
                Exemptions = [new RuleExemption("comment\n| where false\n") { SourceNetwork = IPNetworkValue.Parse("10.0.0.0/8") }],
            },
        ]);
        var allowList = new AllowList([new AllowListEntry("allow\n| where false") { App = "tab\\x09there", DestinationPorts = PortSet.Parse("80") }]);
        var export = RuleExport.Export(RuleExportFormat.Kql, rules, allowList);
        Assert.Empty(export.Omissions);

        var literals = KqlEvaluator.StringLiterals(export.Text);
        foreach (var app in hostile)
        {
            Assert.Contains(KqlExportLower(app), literals);
        }

        var records = TrafficSample.Generate(rules, allowList, TestSeed.Random(7), 4000);
        var expected = TrafficSample.LibraryRows(rules, allowList, records, AppGrouping.MismatchingValues);
        Assert.Contains(expected, r => r.App.StartsWith("X\") oR", StringComparison.OrdinalIgnoreCase));
        AssertRows(expected, Run(export.Text, records), "hostile, seed 7");
    }

    [Fact]
    public void What_a_query_cannot_hold_is_left_out_and_named()
    {
        var rules = new RuleSet(
        [
            new DetectionRule("comma", "comma", ["a,b", "dns"], PortSet.Parse("53")),
            new DetectionRule("control", "control", ["bell\u0007"], PortSet.Parse("53")),
        ]);
        var allowList = new AllowList([new AllowListEntry("not utf-8") { App = "\\xff" }]);
        var export = RuleExport.Export(RuleExportFormat.Kql, rules, allowList);
        Assert.Equal(3, export.Omissions.Length);
        Assert.Contains(export.Omissions, o => o.Subject.Contains("'a,b'", StringComparison.Ordinal));
        Assert.Contains(export.Omissions, o => o.Subject.Contains("rule control", StringComparison.Ordinal));
        Assert.Contains(export.Omissions, o => o.Subject.StartsWith("allow-list entry", StringComparison.Ordinal));
        Assert.Equal(3, export.Text.Split('\n').Count(l => l.StartsWith("// left out: ", StringComparison.Ordinal)));
        Assert.DoesNotContain("\u0007", export.Text, StringComparison.Ordinal);

        // the rest still works: dns off 53 is found
        var rows = Run(export.Text, [new SampleRecord("10.0.0.1", "10.0.0.2", ["dns"], 4444, Transport.Udp, 1)]);
        Assert.Single(rows);
    }

    [Fact]
    public void A_rule_set_whose_every_app_is_left_out_selects_nothing()
    {
        var export = RuleExport.Export(RuleExportFormat.Kql, new RuleSet([new DetectionRule("comma", "comma", ["dns,x"], PortSet.Parse("53"))]));
        Assert.Single(export.Omissions);
        Assert.Empty(Run(export.Text, [new SampleRecord("10.0.0.1", "10.0.0.2", ["dns", "x"], 4444, Transport.Udp, 1)]));
    }

    private static string KqlExportLower(string app) => new([.. app.Select(c => c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c)]);

    /// <summary>Runs a query over the records as ASIM rows: absent addresses and an unknown transport are empty strings, the port an int (null when absent); the protocol in upper case (as ASIM writes it) for every other record.</summary>
    internal static List<SampleRow> Run(string query, IReadOnlyList<SampleRecord> records, IReadOnlyList<string>? protocols = null)
    {
        var table = records.Select((r, i) => new Dictionary<string, object?>
        {
            ["TimeGenerated"] = r.TimeMicroseconds,
            ["SrcIpAddr"] = r.Source ?? string.Empty,
            ["DstIpAddr"] = r.Destination ?? string.Empty,
            ["DstAppName"] = string.Join(',', r.Apps),
            ["DstPortNumber"] = r.Port, // ASIM: int, null when absent
            ["NetworkProtocol"] = protocols?[i] ?? (i % 2 == 0 ? r.TransportName ?? string.Empty : r.TransportName?.ToUpperInvariant() ?? string.Empty),
        });
        var rows = KqlEvaluator.Run(query, "_Im_NetworkSession", table);
        return TrafficSample.Sorted(rows.Select(row => new SampleRow(
            Address((string)row["SrcIpAddr"]!),
            Address((string)row["DstIpAddr"]!),
            RowText((string)row["App"]!),
            (int)(long)row["DstPort"]!,
            (long)row["Count"]!,
            (long)row["FirstTime"]!,
            (long)row["LastTime"]!)));
    }

    private static string Address(string text) => text.Length == 0 ? "null" : text;

    // The library prints a value's backslash and control characters as \xHH; the query shows the value itself.
    private static string RowText(string app)
    {
        var text = new StringBuilder();
        foreach (var c in app)
        {
            _ = c is '\\' or < ' ' or '\u007f' ? text.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}") : text.Append(c);
        }

        return text.ToString();
    }

    private static void AssertRows(List<SampleRow> expected, List<SampleRow> actual, string what)
    {
        var missing = expected.Except(actual).Take(5).ToList();
        var extra = actual.Except(expected).Take(5).ToList();
        Assert.True(
            missing.Count == 0 && extra.Count == 0 && expected.Count == actual.Count,
            $"{what}: library {expected.Count} rows, query {actual.Count}; missing {string.Join("; ", missing)}; extra {string.Join("; ", extra)}");
    }
}
