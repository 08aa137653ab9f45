using System.Text;
using System.Text.RegularExpressions;
using PortMismatch.Detection.Interop.Tests.Support;

namespace PortMismatch.Detection.Interop.Tests.Spl;

/// <summary>
/// The SPL export run by an independent evaluator of Splunk's semantics over generated records selects exactly the rows
/// the library selects (tstats' literal <c>by</c>: <see cref="AppGrouping.AllValues"/>), allow-list applied.
/// </summary>
public sealed class SplEquivalenceTests
{
    /// <summary>The ESCU search of ../shared/spec/DETECTION.md section 1, with the filter macro called as ESCU calls it.</summary>
    internal const string EscuSearch = """
        | tstats summariesonly=false allow_old_summaries=true fillnull_value=null
            count min(_time) as firstTime max(_time) as lastTime
          from datamodel=Network_Traffic
          where (All_Traffic.app=dns NOT All_Traffic.dest_port=53)
             OR ((All_Traffic.app=web-browsing OR All_Traffic.app=http)
                  NOT (All_Traffic.dest_port=80 OR All_Traffic.dest_port=8080 OR All_Traffic.dest_port=8000))
             OR (All_Traffic.app=ssl NOT (All_Traffic.dest_port=443 OR All_Traffic.dest_port=8443))
             OR (All_Traffic.app=smtp NOT All_Traffic.dest_port=25)
          by All_Traffic.src_ip, All_Traffic.dest_ip, All_Traffic.app, All_Traffic.dest_port
        | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)
        | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)
        | rename "All_Traffic.*" as *
        | `protocol_or_port_mismatch_filter`
        """;

    /// <summary>A rule file with every construct: exemptions (networks, ports, both), ranges, transports, upgrade-of.</summary>
    internal const string CustomRules = """
        { "rules": [
          { "id": "c-dns", "name": "DNS", "apps": ["dns"], "ports": [53, "5300-5310"],
            "exemptions": [ { "comment": "our resolver answers on 5353", "source": "10.0.0.0/8", "ports": [5353] },
                            { "comment": "the lab", "destination": "2001:db8::/32" },
                            { "comment": "port-only", "ports": ["1-1023"] } ] },
          { "id": "c-dns-udp", "name": "DNS over udp", "apps": ["dns"], "ports": [53, 5353], "transport": "udp" },
          { "id": "c-tls", "name": "TLS", "apps": ["ssl", "tls", "my app=x", "quote\"d", "back\\slash"], "ports": [443, 8443, 993, 995, 465], "transport": "tcp",
            "upgradeOf": ["smtp", "imap", "nobody-claims-this"],
            "exemptions": [ { "comment": "the proxy", "source": "192.168.1.0/24", "destination": "10.0.0.0/8", "ports": ["8000-8999"] } ] },
          { "id": "c-smtp", "name": "SMTP", "apps": ["smtp"], "ports": [25, 587], "transport": "tcp" },
          { "id": "c-smtp-any", "name": "SMTP any", "apps": ["smtp"], "ports": [25, 465, 587, "2525-2530"] },
          { "id": "c-imap", "name": "IMAP", "apps": ["imap"], "ports": [143], "transport": "other",
            "exemptions": [ { "comment": "high ports", "ports": ["60000-65535"] } ] },
          { "id": "c-http", "name": "HTTP", "apps": ["http", "web-browsing", "http2", "by"], "ports": ["0-79", 80, 8080], "upgradeOf": ["ssl"] }
        ] }
        """;

    /// <summary>An allow-list with every condition: app, ports and ranges, source and destination networks, transports.</summary>
    internal const string CustomAllowList = """
        { "allow": [
          { "comment": "mDNS", "app": "DNS", "ports": [5353, "5300-5302"], "transport": "udp" },
          { "comment": "the proxy", "destination": "10.0.0.0/8", "ports": ["8000-8999"] },
          { "comment": "IPv6 lab", "source": "2001:db8::/32" },
          { "comment": "tcp only", "app": "smtp", "transport": "tcp" },
          { "comment": "ssl from the printers", "app": "ssl", "source": "192.168.1.0/24", "destination": "10.0.0.0/8" },
          { "comment": "odd name", "app": "my app=x", "ports": [1] },
          { "comment": "imap over other transports", "app": "imap", "transport": "other" }
        ] }
        """;

    public static TheoryData<string, string, int> Cases => new()
    {
        { "escu", "", 101 },
        { "escu", "benign", 102 },
        { "extended", "", 103 },
        { "extended", "benign", 104 },
        { "panos-appid", "", 105 },
        { "panos-appid", "benign", 106 },
        { "extended,escu", "benign", 107 },
        { "custom", "", 108 },
        { "custom", "custom", 109 },
        { "custom", "benign", 110 },
        { "escu", "custom", 111 },
        { "extended", "custom", 112 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_export_selects_exactly_the_librarys_rows(string rules, string allow, int seed)
    {
        var ruleSet = Rules(rules);
        var allowList = Allow(allow);
        var export = RuleExport.Export(RuleExportFormat.Spl, ruleSet, allowList);
        var evaluator = SplEvaluator.FromExport(export.Text);

        var records = TrafficSample.Generate(ruleSet, allowList, TestSeed.Random(seed), 4000);
        var expected = TrafficSample.LibraryRows(ruleSet, allowList, records, AppGrouping.AllValues);
        // The library prints a backslash in an app as \x5c (AllowListJson, MismatchRow.App); Splunk prints the raw value.
        var actual = TrafficSample.Sorted(evaluator.Run(records).Select(r => r with { App = r.App.Replace("\\", "\\x5c", StringComparison.Ordinal) }));

        Assert.True(expected.Count > 50, $"only {expected.Count} rows: the sample does not reach the rules");
        AssertRows(expected, actual, export.Text);

        // all of it can be expressed, and nothing is named as left out
        Assert.Empty(export.Omissions);
    }

    [Fact]
    public void The_allow_list_drops_rows_in_these_cases_so_that_the_filter_is_tested()
    {
        var ruleSet = Rules("custom");
        var allowList = Allow("custom");
        var records = TrafficSample.Generate(ruleSet, allowList, TestSeed.Random(109), 4000);
        var all = TrafficSample.LibraryRows(ruleSet, AllowList.Empty, records, AppGrouping.AllValues);
        var kept = TrafficSample.LibraryRows(ruleSet, allowList, records, AppGrouping.AllValues);
        Assert.True(all.Count - kept.Count > 50, $"{all.Count} rows, {kept.Count} kept");

        // and every entry drops something (each condition is exercised)
        foreach (var entry in allowList)
        {
            var one = TrafficSample.LibraryRows(ruleSet, new AllowList([entry]), records, AppGrouping.AllValues);
            Assert.True(one.Count < all.Count, $"entry {entry} drops nothing");
        }
    }

    [Fact]
    public void For_escu_without_an_allow_list_the_where_clause_is_ESCUs_text_and_the_search_selects_ESCUs_rows()
    {
        var export = RuleExport.Export(RuleExportFormat.Spl, RuleSet.Escu);
        var ours = SplEvaluator.FromExport(export.Text);
        var escu = SplEvaluator.FromSearch(EscuSearch, new Dictionary<string, string> { ["protocol_or_port_mismatch_filter"] = "search *" });

        // The text is ESCU's but for the order of HTTP's ports: a port set is kept sorted (80, 8000, 8080).
        var escuSorted = Collapse(EscuSearch).Replace("All_Traffic.dest_port=8080 OR All_Traffic.dest_port=8000", "All_Traffic.dest_port=8000 OR All_Traffic.dest_port=8080", StringComparison.Ordinal);
        Assert.Contains("All_Traffic.dest_port=8000 OR All_Traffic.dest_port=8080", escuSorted, StringComparison.Ordinal);
        Assert.Equal(escuSorted, Collapse(SearchOf(export.Text)));
        Assert.Empty(export.Omissions);
        Assert.Contains("[protocol_or_port_mismatch_filter]\ndefinition = search *\n", export.Text, StringComparison.Ordinal);

        var records = TrafficSample.Generate(RuleSet.Escu, AllowList.Empty, TestSeed.Random(201), 6000);
        var escuRows = escu.Run(records);
        AssertRows(escuRows, ours.Run(records), export.Text);
        AssertRows(TrafficSample.LibraryRows(RuleSet.Escu, AllowList.Empty, records, AppGrouping.AllValues), escuRows, EscuSearch);
    }

    [Fact]
    public void The_evaluator_follows_Splunks_precedence_NOT_then_OR_then_AND()
    {
        // "a b OR c" is "a AND (b OR c)" in Splunk: a dns record on 53 with no other value is not selected by
        // app=dns dest_port=54 OR dest_port=53 ... only if the AND binds loosest; the test pins the evaluator's reading.
        var search = "| tstats fillnull_value=null count min(_time) as firstTime max(_time) as lastTime from datamodel=Network_Traffic "
            + "where All_Traffic.app=ssl All_Traffic.dest_port=1 OR All_Traffic.dest_port=2 by All_Traffic.src_ip, All_Traffic.dest_ip, All_Traffic.app, All_Traffic.dest_port"
            + " | rename \"All_Traffic.*\" as *";
        var evaluator = SplEvaluator.FromSearch(search, new Dictionary<string, string>());
        var records = new List<SampleRecord>
        {
            new("10.0.0.1", "10.0.0.2", ["ssl"], 2, Transport.Tcp, 1),
            new("10.0.0.1", "10.0.0.2", ["dns"], 2, Transport.Tcp, 2),
            new("10.0.0.1", "10.0.0.2", ["SSL"], 3, Transport.Tcp, 3),
        };
        var rows = evaluator.Run(records);
        Assert.Equal(["ssl"], rows.Select(r => r.App));
    }

    internal static void AssertRows(List<SampleRow> expected, List<SampleRow> actual, string text)
    {
        if (expected.SequenceEqual(actual))
        {
            return;
        }

        var missing = expected.Except(actual).Take(5).ToList();
        var extra = actual.Except(expected).Take(5).ToList();
        Assert.Fail($"rows differ: {expected.Count} expected, {actual.Count} actual\nmissing: {string.Join("\n  ", missing)}\nextra: {string.Join("\n  ", extra)}\n{text}");
    }

    internal static RuleSet Rules(string name) => name == "custom"
        ? RuleSetJson.Parse(Encoding.UTF8.GetBytes(CustomRules))
        : RuleSets.Parse(name);

    internal static AllowList Allow(string name) => name switch
    {
        "" => AllowList.Empty,
        "custom" => AllowListJson.Parse(Encoding.UTF8.GetBytes(CustomAllowList)),
        _ => AllowLists.Parse(name),
    };

    private static string SearchOf(string text)
    {
        var start = text.IndexOf("| tstats", StringComparison.Ordinal);
        var end = text.IndexOf("\n\n", start, StringComparison.Ordinal);
        return text[start..end];
    }

    private static string Collapse(string text) => Regex.Replace(text, @"\s+", " ").Trim();
}
