using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using PortMismatch.Detection.Interop.Tests.Support;

namespace PortMismatch.Detection.Interop.Tests.Sigma;

/// <summary>
/// The Sigma export: every document valid against the specification's rule schema (Data/), and the detections, read by
/// <see cref="SigmaEvaluator"/> over one event per app value, select what the library's evaluator selects.
/// </summary>
public sealed class SigmaExportTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Sigma", "Data", "sigma-detection-rule-schema.json")),
        new BuildOptions { SchemaRegistry = new SchemaRegistry() }));

    public static TheoryData<string, string> Exports() => new()
    {
        { "escu", "none" },
        { "extended", "benign" },
        { "panos-appid", "none" },
        { "extended,escu", "custom" },
        { "custom", "custom" },
    };

    [Theory]
    [MemberData(nameof(Exports))]
    public void Every_rule_is_valid_against_the_Sigma_rule_schema(string ruleName, string allowName)
    {
        var rules = InteropRuleFiles.Rules(ruleName);
        var export = RuleExport.Export(RuleExportFormat.Sigma, rules, InteropRuleFiles.AllowList(allowName));
        var documents = SigmaDocuments.Parse(export.Text);
        Assert.Equal(rules.Count, documents.Count);
        var options = new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true };
        for (var i = 0; i < documents.Count; i++)
        {
            using var json = JsonDocument.Parse(documents[i].ToJsonString());
            var result = Schema.Value.Evaluate(json.RootElement, options);
            Assert.True(result.IsValid, $"{ruleName}: rule {rules[i].Id}: {string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")))}");
            Assert.Equal(SigmaIdOf(rules[i].Id), (string)documents[i]["id"]!);
        }
    }

    [Fact]
    public void The_schema_refuses_what_it_should()
    {
        // the copy of the schema is live: a document without a detection, a bad level or a bad tag fails
        var options = new EvaluationOptions { OutputFormat = OutputFormat.Flag, RequireFormatValidation = true };
        var good = SigmaDocuments.Parse(RuleExport.Export(RuleExportFormat.Sigma, RuleSet.Escu).Text)[0];
        bool Valid(JsonObject document)
        {
            using var json = JsonDocument.Parse(document.ToJsonString());
            return Schema.Value.Evaluate(json.RootElement, options).IsValid;
        }

        Assert.True(Valid(good));
        var noDetection = (JsonObject)good.DeepClone();
        noDetection.Remove("detection");
        Assert.False(Valid(noDetection));
        var badLevel = (JsonObject)good.DeepClone();
        badLevel["level"] = "severe";
        Assert.False(Valid(badLevel));
        var badTag = (JsonObject)good.DeepClone();
        badTag["tags"] = new JsonArray("attack.T1571");
        Assert.False(Valid(badTag));
        var badId = (JsonObject)good.DeepClone();
        badId["id"] = "escu-dns";
        Assert.False(Valid(badId));
    }

    public static TheoryData<string, int, int> MaskCases() => new()
    {
        { "escu", 201, 6000 },
        { "extended", 202, 6000 },
        { "panos-appid", 203, 1500 },
        { "extended,escu", 204, 4000 },
        { "custom", 205, 8000 },
    };

    [Theory]
    [MemberData(nameof(MaskCases))]
    public void Selections_equal_the_library_masks(string ruleName, int seed, int count)
    {
        var rules = InteropRuleFiles.Rules(ruleName);
        var records = TrafficSample.Generate(rules, AllowList.Empty, TestSeed.Random(seed), count);
        var masks = TrafficSample.LibraryMasks(rules, records);
        var sigma = Evaluators(RuleExport.Export(RuleExportFormat.Sigma, rules).Text);
        var evaluator = new MismatchEvaluator(rules);
        var hasUpgrades = rules.Any(r => !r.UpgradeOf.IsEmpty);
        int selected = 0, excusedMultiValued = 0;
        for (var n = 0; n < records.Count; n++)
        {
            var record = records[n];
            var values = record.Apps.Where(a => a.Length > 0).ToArray(); // empty values are no values (AppValues)
            for (var i = 0; i < values.Length; i++)
            {
                var verdict = sigma.Any(s => s.Matches(Event(record, values[i])));
                selected += verdict ? 1 : 0;
                var library = (masks[n] >> i & 1) == 1;
                if (values.Length == 1 || !hasUpgrades)
                {
                    Assert.True(library == verdict, $"{ruleName}, seed {seed}, record {n} {record}, value '{values[i]}': library {library}, Sigma {verdict}");
                }
                else
                {
                    // several values under upgrade-of: Sigma judges the value alone, as the evaluator does without the others
                    var alone = evaluator.TryMatch(Encoding.UTF8.GetBytes(values[i]), record.Port ?? 0, record.Transport, Address(record.Source), Address(record.Destination), out _);
                    Assert.True(alone == verdict, $"{ruleName}, seed {seed}, record {n} {record}, value '{values[i]}': value alone {alone}, Sigma {verdict}");
                    excusedMultiValued += alone != library ? 1 : 0;
                }
            }
        }

        Assert.True(selected > count / 10, $"only {selected} values selected");
        TestContext.Current.TestOutputHelper?.WriteLine($"{selected} values selected; {excusedMultiValued} excused by upgrade-of in the library only");
    }

    [Fact]
    public void Transport_names_are_read_as_the_library_reads_them()
    {
        var rules = InteropRuleFiles.Rules("custom");
        var random = TestSeed.Random(302);
        var records = new List<SampleRecord>();
        var names = new List<string>();
        foreach (var record in TrafficSample.Generate(rules, AllowList.Empty, random, 6000))
        {
            var name = Kql.KqlExportTests.TransportNames[random.Next(Kql.KqlExportTests.TransportNames.Length)];
            names.Add(name);
            records.Add(record with { Transport = Transports.FromName(Encoding.UTF8.GetBytes(name)) });
        }

        var masks = TrafficSample.LibraryMasks(rules, records);
        var sigma = Evaluators(RuleExport.Export(RuleExportFormat.Sigma, rules).Text);
        for (var n = 0; n < records.Count; n++)
        {
            var values = records[n].Apps.Where(a => a.Length > 0).ToArray();
            if (values.Length != 1)
            {
                continue; // the custom rules have upgrade-of relations: single values compare with the masks
            }

            var verdict = sigma.Any(s => s.Matches(Event(records[n], values[0], names[n])));
            Assert.True((masks[n] == 1) == verdict, $"seed 302, record {n} {records[n]} transport '{names[n]}': library {masks[n]}, Sigma {verdict}");
        }
    }

    [Theory]
    [InlineData("escu", 211)]
    [InlineData("panos-appid", 212)]
    public void Matching_events_make_the_library_rows_with_an_allow_list_without_transports(string ruleName, int seed)
    {
        var rules = InteropRuleFiles.Rules(ruleName);
        var allowList = new AllowList(InteropRuleFiles.AllowList("custom").Concat(AllowLists.Benign).Where(e => e.Transport is null));
        var records = TrafficSample.Generate(rules, allowList, TestSeed.Random(seed), 3000);
        var export = RuleExport.Export(RuleExportFormat.Sigma, rules, allowList);
        Assert.Empty(export.Omissions);
        var sigma = Evaluators(export.Text);
        var rows = new Dictionary<(string, string, string, int), SampleRow>();
        foreach (var record in records)
        {
            foreach (var value in record.Apps.Where(a => a.Length > 0))
            {
                if (!sigma.Any(s => s.Matches(Event(record, value))))
                {
                    continue;
                }

                var key = (record.Source ?? "null", record.Destination ?? "null", value, record.Port ?? 0);
                rows[key] = rows.TryGetValue(key, out var row)
                    ? row with { Count = row.Count + 1, First = Math.Min(row.First, record.TimeMicroseconds), Last = Math.Max(row.Last, record.TimeMicroseconds) }
                    : new SampleRow(key.Item1, key.Item2, value, key.Item4, 1, record.TimeMicroseconds, record.TimeMicroseconds);
            }
        }

        var expected = TrafficSample.LibraryRows(rules, allowList, records, AppGrouping.MismatchingValues);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, TrafficSample.Sorted(rows.Values));
    }

    [Fact]
    public void What_Sigma_cannot_express_is_named()
    {
        var export = RuleExport.Export(RuleExportFormat.Sigma, RuleSet.Extended, AllowLists.Benign);
        var upgrades = RuleSet.Extended.Where(r => !r.UpgradeOf.IsEmpty).ToList();
        Assert.NotEmpty(upgrades);
        foreach (var rule in upgrades)
        {
            Assert.Contains(export.Omissions, o => o.Subject.StartsWith($"rule {rule.Id}, upgrade-of", StringComparison.Ordinal));
        }

        Assert.Equal(AllowLists.Benign.Count(e => e.Transport is not null), export.Omissions.Count(o => o.Subject.StartsWith("allow-list entry", StringComparison.Ordinal)));
        Assert.Equal(export.Omissions.Length, export.Text.Split('\n').Count(l => l.StartsWith("# left out: ", StringComparison.Ordinal)));
        Assert.Empty(RuleExport.Export(RuleExportFormat.Sigma, RuleSet.Escu).Omissions);
    }

    [Fact]
    public void Ids_are_stable_uuid_v5_and_levels_and_tags_come_from_the_rule()
    {
        var rules = InteropRuleFiles.Rules("custom");
        var first = RuleExport.Export(RuleExportFormat.Sigma, rules).Text;
        Assert.Equal(first, RuleExport.Export(RuleExportFormat.Sigma, InteropRuleFiles.Rules("custom")).Text);
        var documents = SigmaDocuments.Parse(first);
        var ids = documents.Select(d => Guid.Parse((string)d["id"]!)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(5, id.Version));
        Assert.Equal("high", (string)documents[0]["level"]!);         // c-dns: risk 72
        Assert.Equal("critical", (string)documents[3]["level"]!);     // c-smtp: risk 90
        Assert.Equal("informational", (string)documents[4]["level"]!); // c-imap: risk 0
        Assert.Equal(
            ["attack.command-and-control", "attack.exfiltration", "attack.t1571", "attack.t1048.003"],
            documents[0]["tags"]!.AsArray().Select(t => (string)t!).ToArray());
        Assert.Equal("network", (string)documents[0]["logsource"]!["category"]!);
        Assert.Equal("connection", (string)documents[0]["logsource"]!["service"]!);
    }

    [Fact]
    public void A_hostile_app_name_is_one_literal_value()
    {
        string[] hostile = ["x*", "?", "back\\slash", "tri\\*ple", "quote\"s'", "line\nbreak: #x", "- item", "{a: b}"];
        var rules = new RuleSet([new DetectionRule("evil\n---\ntitle: x", "name\n---", hostile, PortSet.Parse("53")) { Reference = "a\nb" }]);
        var export = RuleExport.Export(RuleExportFormat.Sigma, rules);
        var documents = SigmaDocuments.Parse(export.Text);
        var document = Assert.Single(documents);
        var listed = document["detection"]!["selection"]!["network.protocol"]!.AsArray().Select(v => SigmaEvaluator.Unescape((string)v!)).ToArray();
        Assert.Equal(hostile, listed);
        var sigma = new SigmaEvaluator(document);
        foreach (var app in hostile)
        {
            Assert.True(sigma.Matches(Event(new SampleRecord("10.0.0.1", "10.0.0.2", [app], 4444, Transport.Tcp, 1), app)), app);
        }

        // the wildcards are literal: x* does not match xyz, ? does not match a
        Assert.False(sigma.Matches(Event(new SampleRecord("10.0.0.1", "10.0.0.2", ["xyz"], 4444, Transport.Tcp, 1), "xyz")));
        Assert.False(sigma.Matches(Event(new SampleRecord("10.0.0.1", "10.0.0.2", ["a"], 4444, Transport.Tcp, 1), "a")));
    }

    [Fact]
    public void A_long_name_is_cut_to_the_title_length_the_schema_allows()
    {
        var name = string.Concat(Enumerable.Repeat("\U0001F512x", 200)); // 400 characters, 600 UTF-16 units
        var export = RuleExport.Export(RuleExportFormat.Sigma, new RuleSet([new DetectionRule("long", name, ["dns"], PortSet.Parse("53"))]));
        var document = Assert.Single(SigmaDocuments.Parse(export.Text));
        var title = (string)document["title"]!;
        Assert.Equal(256, title.EnumerateRunes().Count());
        Assert.StartsWith(title, name, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(document.ToJsonString());
        Assert.True(Schema.Value.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Flag }).IsValid);
    }

    [Fact]
    public void Dns_on_4444_is_selected()
    {
        var sigma = Evaluators(RuleExport.Export(RuleExportFormat.Sigma, RuleSet.Escu).Text);
        Assert.Contains(sigma, s => s.Matches(Event(new SampleRecord("10.1.0.13", "192.0.2.66", ["DNS"], 4444, Transport.Udp, 1), "DNS")));
        Assert.DoesNotContain(sigma, s => s.Matches(Event(new SampleRecord("10.1.0.13", "192.0.2.66", ["DNS"], 53, Transport.Udp, 1), "DNS")));
    }

    private static List<SigmaEvaluator> Evaluators(string text) => [.. SigmaDocuments.Parse(text).Select(d => new SigmaEvaluator(d))];

    /// <summary>One event per app value, with the taxonomy's network/connection field names; absent fields are left out.</summary>
    private static Dictionary<string, object?> Event(SampleRecord record, string value, string? transportName = null)
    {
        var fields = new Dictionary<string, object?> { ["network.protocol"] = value };
        if ((transportName ?? record.TransportName) is { } transport)
        {
            fields["network.transport"] = transport;
        }

        if (record.Source is { } source)
        {
            fields["source.ip"] = source;
        }

        if (record.Destination is { } destination)
        {
            fields["destination.ip"] = destination;
        }

        if (record.Port is { } port)
        {
            fields["destination.port"] = port;
        }

        return fields;
    }

    private static IPAddressValue Address(string? text) => text is null ? IPAddressValue.None : IPAddressValue.Parse(text);

    // UUID v5 (RFC 9562) of the rule id in the export's namespace, computed here independently.
    private static string SigmaIdOf(string ruleId)
    {
        var space = Guid.Parse("3b8f6a52-51c4-4f0e-9d0a-6c1f2e7b9a41").ToByteArray(bigEndian: true);
        var hash = System.Security.Cryptography.SHA1.HashData([.. space, .. Encoding.UTF8.GetBytes(ruleId)]);
        hash[6] = (byte)(0x50 | (hash[6] & 0x0f));
        hash[8] = (byte)(0x80 | (hash[8] & 0x3f));
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
