using System.Globalization;
using System.Text;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection.Tests.Rules;

/// <summary>
/// Loading and compiling rules is linear in the size of the rule file: doubling a list doubles the counted steps
/// (<see cref="RuleWork"/>: app-name comparisons and hashes, name-table probes, port-range comparisons and merges).
/// One rule with 40,000 apps took 33 s when every app was compared with every earlier one.
/// </summary>
public sealed class RuleLoadScalingTests
{
    public static TheoryData<string> Shapes => ["short-apps", "long-apps", "single-ports", "port-ranges", "many-rules"];

    /// <summary>A rule file of one of the shapes with <paramref name="n"/> items.</summary>
    private static string RuleFile(string shape, int n)
    {
        var json = new StringBuilder("{\"rules\":[");
        if (shape == "many-rules")
        {
            // n rules that all claim "dns" (each also has an app of its own), with 64 different port sets among them.
            for (var i = 0; i < n; i++)
            {
                json.Append(CultureInfo.InvariantCulture, $"{(i > 0 ? "," : string.Empty)}{{\"id\":\"r{i}\",\"name\":\"n\",\"apps\":[\"dns\",\"app{i}\"],\"ports\":[{i % 64}]}}");
            }

            return json.Append("]}").ToString();
        }

        json.Append("{\"id\":\"big\",\"name\":\"big\",\"apps\":[");
        var apps = shape switch
        {
            // Long names that differ only between their first and last eight bytes.
            "long-apps" => Enumerable.Range(0, n).Select(i => string.Create(CultureInfo.InvariantCulture, $"\"custom-app-{i:D6}-internal\"")),
            "short-apps" => Enumerable.Range(0, n).Select(i => string.Create(CultureInfo.InvariantCulture, $"\"App{i}\"")),
            _ => ["\"dns\""],
        };
        json.AppendJoin(',', apps).Append("],\"ports\":[");
        var ports = shape switch
        {
            "single-ports" => Enumerable.Range(0, n).Select(i => ((i * 7919L) % 65536).ToString(CultureInfo.InvariantCulture)),
            "port-ranges" => Enumerable.Range(0, n).Select(i => ((i * 104729L) % 60000) is var first ? string.Create(CultureInfo.InvariantCulture, $"\"{first}-{first + (i % 50)}\"") : null!),
            _ => ["53"],
        };
        json.AppendJoin(',', ports).Append("]}]}");
        return json.ToString();
    }

    private static long StepsToLoadAndCompile(string json)
    {
        var before = RuleWork.Steps;
        var rules = RuleSetJson.Parse(Encoding.UTF8.GetBytes(json));
        _ = new MismatchEvaluator(rules);
        return RuleWork.Steps - before;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Doubling_a_rule_file_at_most_doubles_the_work_of_loading_and_compiling_it(string shape)
    {
        // Linear: a constant number of steps per item (plus one sweep of the 65,536 ports); a quadratic step makes the
        // first count about 40,000 times the item count, and the second four times the first.
        var steps40 = StepsToLoadAndCompile(RuleFile(shape, 40_000));
        Assert.True(steps40 <= 32 * 40_000, $"{shape}: {steps40:N0} steps for 40,000 items");

        var steps80 = StepsToLoadAndCompile(RuleFile(shape, 80_000));
        Assert.True(steps80 <= (2 * steps40) + 70_000, $"{shape}: {steps40:N0} steps for 40,000 items, {steps80:N0} for 80,000");
    }

    [Theory]
    [InlineData(8)] // few names share a key: looked up by their first and last eight bytes, as before
    [InlineData(9)] // more: every long name's key mixes in its middle bytes
    [InlineData(1000)]
    public void Long_app_names_that_differ_only_in_the_middle_stay_distinct_and_match_ignoring_ascii_case(int count)
    {
        var apps = Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"custom-app-{i:D6}-internal")).Append("another-long-app-name").ToArray();
        var evaluator = new MismatchEvaluator(new RuleSet([new DetectionRule("r", "n", apps, PortSet.Of(443))]));

        foreach (var app in apps)
        {
            Assert.True(evaluator.TryMatch(Encoding.UTF8.GetBytes(app.ToUpperInvariant()), 80, Transport.Tcp, out var rule), app);
            Assert.Equal(0, rule);
            Assert.False(evaluator.TryMatch(Encoding.UTF8.GetBytes(app), 443, Transport.Tcp, out _));
        }

        Assert.False(evaluator.TryMatch(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"custom-app-{count:D6}-internal")), 80, Transport.Tcp, out _));
        Assert.False(evaluator.TryMatch("custom-app-000001-internalx"u8, 80, Transport.Tcp, out _));
    }

    [Fact]
    public void Port_sets_of_many_ranges_merge_as_a_port_by_port_oracle_does()
    {
        const int Seed = 20261216;
        var random = new Random(Seed);
        foreach (var count in new[] { 1, 2, 255, 256, 257, 3000 })
        {
            var ranges = new List<PortRange>();
            var oracle = new bool[65536];
            for (var i = 0; i < count; i++)
            {
                var first = random.Next(0, 65536);
                var last = Math.Min(65535, first + (random.Next(4) == 0 ? random.Next(0, 3000) : random.Next(0, 3)));
                ranges.Add(new PortRange(first, last));
                Array.Fill(oracle, true, first, last - first + 1);
            }

            var set = PortSet.FromRanges(ranges);

            var expected = new List<PortRange>();
            for (var port = 0; port < 65536; port++)
            {
                if (oracle[port] && (port == 0 || !oracle[port - 1]))
                {
                    var end = port;
                    while (end < 65535 && oracle[end + 1])
                    {
                        end++;
                    }

                    expected.Add(new PortRange(port, end));
                }
            }

            Assert.True(expected.SequenceEqual(set.Ranges), $"seed {Seed}, {count} ranges: {set}");
        }
    }
}
