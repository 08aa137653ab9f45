using System.Reflection;
using System.Text;

namespace PortMismatch.Detection.Tests.Rules;

[Collection(RulePacksCollection.Name)]
public sealed class BuiltInPackTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names() => [.. RuleSets.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_built_in_pack_round_trips_through_json(string name)
    {
        var set = RuleSets.Get(name);

        var json = RuleSetJson.ToJson(set);
        var again = RuleSetJson.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Equal(set.Count, again.Count);
        for (var i = 0; i < set.Count; i++)
        {
            var (expected, actual) = (set[i], again[i]);
            Assert.Equal(expected.Id, actual.Id);
            Assert.Equal(expected.Name, actual.Name);
            Assert.Equal(expected.Apps, actual.Apps);
            Assert.Equal(expected.ExpectedPorts, actual.ExpectedPorts);
            Assert.Equal(expected.Transport, actual.Transport);
            Assert.Equal(expected.Description, actual.Description);
            Assert.Equal(expected.Reference, actual.Reference);
            Assert.Equal(expected.RiskScore, actual.RiskScore);
            Assert.Equal(expected.Techniques, actual.Techniques);
        }

        Assert.Equal(json, RuleSetJson.ToJson(again));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_rule_of_every_built_in_pack_has_valid_expected_ports(string name)
    {
        foreach (var rule in RuleSets.Get(name))
        {
            Assert.False(rule.ExpectedPorts.IsEmpty, rule.Id);
            Assert.All(rule.ExpectedPorts.Ranges, range => Assert.InRange(range.First, 0, range.Last));
            Assert.All(rule.ExpectedPorts.Ranges.Zip(rule.ExpectedPorts.Ranges.Skip(1)), pair => Assert.True(pair.First.Last + 1 < pair.Second.First, rule.Id));
            Assert.DoesNotContain(0, rule.ExpectedPorts.Ranges.Select(r => (int)r.First));
        }
    }

    [Fact]
    public void The_panos_pack_loads_from_the_embedded_resource_with_one_rule_per_app_id_and_transport()
    {
        var pack = RuleSet.PanOsAppId;

        Assert.InRange(pack.Count, 2_200, 2_600);
        Assert.Equal(pack.Count, pack.Select(r => r.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.All(pack, rule =>
        {
            Assert.Matches(@"^panos:[^/]+/(tcp|udp)$", rule.Id);
            Assert.Equal(rule.Id[(rule.Id.IndexOf('/', StringComparison.Ordinal) + 1)..], rule.Transport!.Value.ToName());
            Assert.Single(rule.Apps);
            Assert.InRange(rule.RiskScore, 10, 50);
            Assert.StartsWith("PAN-OS App-ID default ports", rule.Reference, StringComparison.Ordinal);
        });
        Assert.InRange(pack.Select(r => r.Apps[0]).Distinct(StringComparer.OrdinalIgnoreCase).Count(), 2_000, 2_524);
        Assert.Equal("53, 5353", pack.Find("panos:dns/udp")!.ExpectedPorts.ToString());
        Assert.Equal("53", pack.Find("panos:dns/tcp")!.ExpectedPorts.ToString());
        Assert.Equal("80, 443, 1080, 3128, 8000, 8080", pack.Find("panos:http-proxy/tcp")!.ExpectedPorts.ToString());
        Assert.Equal("512, 514", pack.Find("panos:r-services/tcp")!.ExpectedPorts.ToString());
        Assert.Null(pack.Find("panos:fileswire/tcp")); // "tcp/dynamic": any port is the App-ID's own
    }

    [Fact]
    public void The_panos_pack_keeps_the_isc_notice_of_its_source()
    {
        using var stream = typeof(RuleSet).Assembly.GetManifestResourceStream("PortMismatch.Detection.Rules.Packs.panos-appid.json")!;
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();

        Assert.Contains("Copyright (c) 2014-2016, Palo Alto Networks Inc.", text, StringComparison.Ordinal);
        Assert.Contains("Permission to use, copy, modify, and/or distribute this software", text, StringComparison.Ordinal);
        Assert.Contains("tools/generate-panos-pack.py", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_panos_pack_judges_app_ids_on_their_default_ports_per_transport()
    {
        var evaluator = new MismatchEvaluator(RuleSet.PanOsAppId);

        Assert.False(evaluator.TryMatch("dns"u8, 5353, Transport.Udp, out _));
        Assert.True(evaluator.TryMatch("dns"u8, 5353, Transport.Tcp, out var rule));
        Assert.Equal("panos:dns/tcp", evaluator.Rules[rule].Id);
        Assert.False(evaluator.TryMatch("SSL"u8, 443, Transport.Tcp, out _));
        Assert.True(evaluator.TryMatch("ssl"u8, 8443, Transport.Tcp, out _));
        Assert.False(evaluator.TryMatch("ssl"u8, 8443, Transport.Udp, out _)); // no udp default: not judged on udp
        Assert.False(evaluator.TryMatch("fileswire"u8, 4444, Transport.Tcp, out _));
    }

    [Fact]
    public void The_compiled_panos_pack_fits_the_memory_budget()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var evaluator = new MismatchEvaluator(RuleSet.PanOsAppId);
        var compileAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var retained = BitmapBytes(evaluator);
        var escuRetained = BitmapBytes(new MismatchEvaluator(RuleSet.Escu));

        output.WriteLine($"panos-appid: {RuleSet.PanOsAppId.Count} rules, port bitmaps retained {retained / 1024.0 / 1024.0:F1} MiB, allocated while compiling {compileAllocated / 1024.0 / 1024.0:F1} MiB; escu bitmaps {escuRetained / 1024} KiB");
        Assert.InRange(retained, 1, 8L * 1024 * 1024);
    }

    private static long BitmapBytes(MismatchEvaluator evaluator)
    {
        var bitmaps = typeof(MismatchEvaluator).GetField("_bitmaps", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(evaluator)!;
        var words = (ulong[])bitmaps.GetType().GetField("_words", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(bitmaps)!;
        return words.LongLength * sizeof(ulong);
    }
}
