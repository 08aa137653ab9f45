using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace PortMismatch.Detection.Tests.Rules;

public sealed class RuleSetJsonTests
{
    private static ConfigurationFormatException Fails(string json)
        => Assert.Throws<ConfigurationFormatException>(() => RuleSetJson.Parse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void A_handwritten_rule_file_loads()
    {
        var set = RuleSetJson.Parse("""
            // our own rules
            { "rules": [
                { "id": "dns-udp", "name": "DNS off 53", "apps": ["dns", "DNS-base"], "ports": [53, "5300-5310"],
                  "transport": "udp", "riskScore": 40, "techniques": ["T1571"], },
            ] }
            """u8);
        var rule = Assert.Single(set);
        Assert.Equal("dns-udp", rule.Id);
        Assert.Equal(Transport.Udp, rule.Transport);
        Assert.Equal("53, 5300-5310", rule.ExpectedPorts.ToString());
        Assert.Equal(40, rule.RiskScore);
    }

    [Theory]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[70000]}]}""", "$.rules[0].ports[0]")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53,"9-8"]}]}""", "$.rules[0].ports[1]")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[true]}]}""", "$.rules[0].ports[0]")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[]}]}""", "$.rules[0].ports")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":[],"ports":[53]}]}""", "$.rules[0].apps")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns",""],"ports":[53]}]}""", "$.rules[0].apps[1]")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns","Dns"],"ports":[53]}]}""", "$.rules[0].apps[1]")]
    [InlineData("""{"rules":[{"id":"","name":"n","apps":["dns"],"ports":[53]}]}""", "$.rules[0].id")]
    [InlineData("""{"rules":[{"id":"x","apps":["dns"],"ports":[53]}]}""", "$.rules[0].name")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53]},{"id":"x","name":"n","apps":["ssl"],"ports":[443]}]}""", "$.rules[1].id")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"transport":"sctp"}]}""", "$.rules[0].transport")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"riskScore":-1}]}""", "$.rules[0].riskScore")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"techniques":[""]}]}""", "$.rules[0].techniques[0]")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns"],"port":[53]}]}""", "$.rules[0].port")]
    [InlineData("""{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"riskScore":"high"}]}""", "$.rules[0].riskScore")]
    [InlineData("""{"rules":[null]}""", "$.rules[0]")]
    [InlineData("""{"rules":[]}""", "$.rules")]
    [InlineData("""{}""", "$.rules")]
    [InlineData("""{"rules":[{"id":"x",""", "$.rules[0]")]
    public void Invalid_files_fail_with_the_json_path_of_the_problem(string json, string path)
    {
        var error = Fails(json);
        Assert.Equal(path, error.JsonPath);
        Assert.Equal(1, error.LineNumber);
        Assert.InRange(error.ColumnNumber!.Value, 1, json.Length + 1);
        Assert.StartsWith($"rule file: line 1, column {error.ColumnNumber}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Strings_that_are_not_utf8_are_format_errors_not_crashes()
    {
        // Found by the adversarial mutation test: a port string holding the byte 0xFF.
        var json = WithInvalidByte("{\"rules\":[{\"id\":\"x\",\"name\":\"n\",\"apps\":[\"dns\"],\"ports\":[\"5#\"]}]}");
        var error = Assert.Throws<ConfigurationFormatException>(() => RuleSetJson.Parse(json));
        Assert.StartsWith("$", error.JsonPath, StringComparison.Ordinal);
        var allow = WithInvalidByte("{\"allow\":[{\"comment\":\"c#\",\"app\":\"dns\"}]}");
        Assert.Throws<ConfigurationFormatException>(() => AllowListJson.Parse(allow));
    }

    private static byte[] WithInvalidByte(string json)
        => Encoding.ASCII.GetBytes(json).Select(b => b == (byte)'#' ? (byte)0xFF : b).ToArray();

    [Fact]
    public void Syntax_errors_carry_the_line()
    {
        var error = Fails("{\n \"rules\": [\n  {\"id\": \"x\" \"name\": \"n\"}\n ]\n}");
        Assert.Equal(3, error.LineNumber);
    }

    [Fact]
    public void Load_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rules-{Guid.NewGuid():N}.json");
        const string json = """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[-1]}]}""";
        File.WriteAllText(path, json);
        try
        {
            var error = Assert.Throws<ConfigurationFormatException>(() => RuleSetJson.Load(path));
            Assert.StartsWith($"{path}: line 1, column {json.IndexOf("-1", StringComparison.Ordinal) + 1}: ", error.Message, StringComparison.Ordinal);
            Assert.Equal(path, error.SourceName);
            Assert.Equal("$.rules[0].ports[0]", error.JsonPath);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static Arbitrary<RuleSet> RuleSets()
    {
        var name = Gen.Elements("dns", "http", "ssl", "smtp", "ssh", "web-browsing", "quic", "rdp", "a-long-vendor-application-name", "Caf\u00e9");
        var range = from first in Gen.Choose(0, 65535)
                    from width in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(0, 200)))
                    select new PortRange(first, Math.Min(65535, first + width));
        var rule = from apps in Gen.NonEmptyListOf(name)
                   from ranges in Gen.NonEmptyListOf(range)
                   from transport in Gen.Elements<Transport?>(null, Transport.Tcp, Transport.Udp, Transport.Other)
                   from risk in Gen.Choose(0, 100)
                   from description in Gen.Elements<string?>(null, "why \"quoted\"\n", "")
                   select (apps.Distinct(StringComparer.OrdinalIgnoreCase).ToArray(), ranges, transport, risk, description);
        var set = from rules in Gen.NonEmptyListOf(rule)
                  select new RuleSet(rules.Select((r, i) => new DetectionRule($"rule-{i}", $"Rule {i}", r.Item1, PortSet.FromRanges(r.ranges))
                  {
                      Transport = r.transport,
                      RiskScore = r.risk,
                      Description = r.description,
                      Techniques = i % 2 == 0 ? ["T1571"] : [],
                  }));
        return Arb.From(set);
    }

    [Property(MaxTest = 300, Replay = Generators.Replay, Arbitrary = [typeof(RuleSetJsonTests)])]
    public Property A_rule_set_survives_a_json_round_trip_and_evaluates_identically(RuleSet original)
    {
        var json = RuleSetJson.ToJson(original);
        var copy = RuleSetJson.Parse(Encoding.UTF8.GetBytes(json));
        var sameRules = copy.Count == original.Count && original.Zip(copy).All(pair =>
            pair.First.Id == pair.Second.Id && pair.First.Name == pair.Second.Name
            && pair.First.Apps.SequenceEqual(pair.Second.Apps) && pair.First.ExpectedPorts.Equals(pair.Second.ExpectedPorts)
            && pair.First.Transport == pair.Second.Transport && pair.First.RiskScore == pair.Second.RiskScore
            && pair.First.Description == pair.Second.Description && pair.First.Techniques.SequenceEqual(pair.Second.Techniques));

        var a = new MismatchEvaluator(original);
        var b = new MismatchEvaluator(copy);
        var random = new Random(original.Count);
        var sameVerdicts = true;
        foreach (var app in new[] { "dns", "HTTP", "ssl", "ssh", "quic", "nope", "A-LONG-VENDOR-APPLICATION-NAME", "caf\u00e9" })
        {
            var bytes = Encoding.UTF8.GetBytes(app);
            for (var i = 0; i < 200; i++)
            {
                var port = random.Next(0, 65536);
                var transport = (Transport)random.Next(0, 4);
                sameVerdicts &= a.TryMatch(bytes, port, transport, out var ra) == b.TryMatch(bytes, port, transport, out var rb) && ra == rb;
            }
        }

        return (sameRules && sameVerdicts).Label(json);
    }

    [Fact]
    public void Escu_round_trips_through_a_stream()
    {
        using var stream = new MemoryStream();
        RuleSetJson.Write(RuleSet.Escu, stream);
        stream.Position = 0;
        var copy = RuleSetJson.Read(stream);
        Assert.Equal(RuleSet.Escu.Select(r => r.ExpectedPorts), copy.Select(r => r.ExpectedPorts));
        Assert.Equal(RuleSet.Escu.Select(r => string.Join(",", r.Apps)), copy.Select(r => string.Join(",", r.Apps)));
    }
}
