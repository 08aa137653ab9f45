using System.Text;

namespace PortMismatch.Detection.Tests.Evaluation;

[Collection(Measurements.Collection)]
public sealed class EvaluatorTests
{
    private static MismatchEvaluator Compile(params DetectionRule[] rules) => new(new RuleSet(rules));

    [Fact]
    public void Evaluating_a_million_records_allocates_nothing()
    {
        var evaluator = new MismatchEvaluator(RuleSet.Escu);
        var apps = "ssl,http\u001Fdns\u001Fweb-browsing\u001Fkerberos-long-application-name"u8.ToArray();
        var source = IPAddressValue.Parse("10.1.0.13");
        var destination = IPAddressValue.Parse("2001:db8::66");
        var selected = 0;

        void Run(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var record = new FlowRecord
                {
                    TimestampMicroseconds = i,
                    SourceAddress = source,
                    DestinationAddress = destination,
                    DestinationPort = (ushort)(i & 0xFFFF),
                    Transport = (Transport)(i & 3),
                    Apps = AppValues.Split(apps, 0x1F),
                };
                if (evaluator.IsMismatch(record))
                {
                    selected++;
                }

                if (evaluator.Evaluate(record).IsMismatch)
                {
                    selected++;
                }

                if (evaluator.TryMatch("SSL"u8, i & 0xFFFF, Transport.Tcp, out _))
                {
                    selected++;
                }
            }
        }

        Run(1000);
        var allocated = Measurements.LeastAllocatedBytes(() => Run(1_000_000));

        Assert.Equal(0, allocated);
        Assert.True(selected > 0);
    }

    [Fact]
    public void One_evaluator_gives_the_same_verdicts_on_many_threads_at_once()
    {
        var evaluator = new MismatchEvaluator(RuleSet.Escu);
        string[] apps = ["dns", "SSL", "http", "web-browsing", "smtp", "tls", "dns-base"];
        bool Verdict(int i) => evaluator.TryMatch(Encoding.UTF8.GetBytes(apps[i % apps.Length]), i % 9000, (Transport)(i & 3), out _);
        var expected = Enumerable.Range(0, 50_000).Select(Verdict).ToArray();
        var actual = new bool[expected.Length];
        Parallel.For(0, expected.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => actual[i] = Verdict(i));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Two_rules_claiming_one_app_each_flag_ports_missing_from_their_own_set()
    {
        var evaluator = Compile(
            new DetectionRule("a", "http on 80", ["http"], PortSet.Of(80)),
            new DetectionRule("b", "http on 8080", ["HTTP"], PortSet.Of(8080)));

        Assert.True(evaluator.TryMatch("http"u8, 80, Transport.Tcp, out var rule));
        Assert.Equal(1, rule);
        Assert.True(evaluator.TryMatch("http"u8, 8080, Transport.Tcp, out rule));
        Assert.Equal(0, rule);
        Assert.True(evaluator.TryMatch("http"u8, 81, Transport.Tcp, out rule));
        Assert.Equal(0, rule);
    }

    [Theory]
    [InlineData(Transport.Udp, 5353, true)]
    [InlineData(Transport.Udp, 53, false)]
    [InlineData(Transport.Tcp, 5353, false)]    // the udp-only rule does not apply to tcp
    [InlineData(Transport.Other, 5353, false)]
    [InlineData(Transport.Unknown, 5353, true)] // unknown transport cannot rule the rule out
    public void A_transport_limited_rule_applies_to_its_transport_and_to_unknown(Transport transport, int port, bool expected)
    {
        var evaluator = Compile(new DetectionRule("dns-udp", "dns over udp", ["dns"], PortSet.Of(53)) { Transport = Transport.Udp });
        Assert.Equal(expected, evaluator.TryMatch("dns"u8, port, transport, out _));
    }

    [Fact]
    public void Port_ranges_are_honoured_at_their_edges()
    {
        var evaluator = Compile(new DetectionRule("web", "web", ["http"], PortSet.Parse("80, 8000-8080")));
        Assert.False(evaluator.TryMatch("http"u8, 8000, Transport.Tcp, out _));
        Assert.False(evaluator.TryMatch("http"u8, 8080, Transport.Tcp, out _));
        Assert.False(evaluator.TryMatch("http"u8, 8040, Transport.Tcp, out _));
        Assert.True(evaluator.TryMatch("http"u8, 7999, Transport.Tcp, out _));
        Assert.True(evaluator.TryMatch("http"u8, 8081, Transport.Tcp, out _));
    }

    [Theory]
    [InlineData("a-protocol-name-longer-than-sixteen-bytes")]
    [InlineData("A-PROTOCOL-NAME-LONGER-THAN-SIXTEEN-BYTES")]
    [InlineData("x")]
    [InlineData("abcd")]
    [InlineData("abcdefgh")]
    [InlineData("abcdefghijklmnop")]
    [InlineData("abcdefghijklmnopq")]
    [InlineData("appli\u00e7ation")]
    public void Names_of_every_length_are_found_ignoring_ascii_case(string name)
    {
        var evaluator = Compile(new DetectionRule("r", "r", [name], PortSet.Of(1)));
        var asciiOnly = name.All(char.IsAscii);
        Assert.Equal(asciiOnly, evaluator.TryMatch(Encoding.UTF8.GetBytes(name.ToUpperInvariant()), 2, Transport.Tcp, out _));
        Assert.True(evaluator.TryMatch(Encoding.UTF8.GetBytes(name), 2, Transport.Tcp, out _));
        Assert.False(evaluator.TryMatch(Encoding.UTF8.GetBytes(name + "x"), 2, Transport.Tcp, out _));
        Assert.False(evaluator.TryMatch(Encoding.UTF8.GetBytes(name[1..]), 2, Transport.Tcp, out _));
    }

    [Fact]
    public void Names_that_share_first_and_last_bytes_are_told_apart()
    {
        // Longer than 16 bytes: first and last 8 bytes equal, middle differs.
        var evaluator = Compile(new DetectionRule("r", "r", ["abcdefgh-MIDDLE-1-stuvwxyz"], PortSet.Of(1)));
        Assert.True(evaluator.TryMatch("ABCDEFGH-middle-1-STUVWXYZ"u8, 2, Transport.Tcp, out _));
        Assert.False(evaluator.TryMatch("abcdefgh-MIDDLE-2-stuvwxyz"u8, 2, Transport.Tcp, out _));
    }

    [Fact]
    public void Many_rules_compile_and_each_is_reachable()
    {
        var rules = Enumerable.Range(0, 2_500)
            .Select(i => new DetectionRule($"app-{i}", $"app {i}", [$"app-{i}"], PortSet.Of(i % 1000, 1000 + (i % 7))))
            .ToArray();
        var evaluator = Compile(rules);
        for (var i = 0; i < rules.Length; i++)
        {
            var name = Encoding.UTF8.GetBytes($"APP-{i}");
            Assert.True(evaluator.TryMatch(name, 2000, Transport.Tcp, out var rule));
            Assert.Equal(i, rule);
            Assert.False(evaluator.TryMatch(name, i % 1000, Transport.Tcp, out _));
        }
    }
}
