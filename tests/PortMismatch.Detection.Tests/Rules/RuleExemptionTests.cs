using System.Text;

namespace PortMismatch.Detection.Tests.Rules;

[Collection(RulePacksCollection.Name)]
public sealed class RuleExemptionTests
{
    private static readonly IPAddressValue Resolver = IPAddressValue.Parse("10.0.0.53");
    private static readonly IPAddressValue OtherServer = IPAddressValue.Parse("10.0.0.54");
    private static readonly IPAddressValue Printer = IPAddressValue.Parse("10.20.1.7");
    private static readonly IPAddressValue Laptop = IPAddressValue.Parse("192.168.1.10");

    private static DetectionRule DnsRule(params RuleExemption[] exemptions) => new("dns", "DNS off 53", ["dns"], PortSet.Of(53))
    {
        Exemptions = [.. exemptions],
    };

    private static bool Flags(MismatchEvaluator evaluator, int port, IPAddressValue source, IPAddressValue destination)
    {
        var record = new TestRecord(["dns"], port, Transport.Udp) { Source = source, Destination = destination };
        var isMismatch = record.Use((in FlowRecord r) => evaluator.IsMismatch(r));
        var evaluation = record.Use((in FlowRecord r) => evaluator.Evaluate(r));
        var tryMatch = evaluator.TryMatch("dns"u8, port, Transport.Udp, source, destination, out var rule);
        Assert.Equal(isMismatch, evaluation.IsMismatch);
        Assert.Equal(isMismatch, tryMatch);
        Assert.Equal(tryMatch ? 0 : -1, rule);
        return isMismatch;
    }

    [Fact]
    public void A_destination_exemption_accepts_its_server_on_its_ports_only()
    {
        var evaluator = new MismatchEvaluator(new RuleSet([DnsRule(new RuleExemption("our resolver answers on 5353")
        {
            DestinationNetwork = IPNetworkValue.Parse("10.0.0.53/32"),
            DestinationPorts = PortSet.Of(5353),
        })]));

        Assert.False(Flags(evaluator, 5353, Laptop, Resolver));
        Assert.True(Flags(evaluator, 5354, Laptop, Resolver));
        Assert.True(Flags(evaluator, 5353, Laptop, OtherServer));
        Assert.True(Flags(evaluator, 5353, Laptop, IPAddressValue.None));
        Assert.False(Flags(evaluator, 53, Laptop, OtherServer));
    }

    [Fact]
    public void A_source_exemption_accepts_its_network_on_any_port()
    {
        var evaluator = new MismatchEvaluator(new RuleSet([DnsRule(new RuleExemption("printers speak mDNS")
        {
            SourceNetwork = IPNetworkValue.Parse("10.20.0.0/16"),
        })]));

        Assert.False(Flags(evaluator, 5353, Printer, Resolver));
        Assert.False(Flags(evaluator, 4444, Printer, OtherServer));
        Assert.True(Flags(evaluator, 5353, Laptop, Resolver));
    }

    [Fact]
    public void A_port_exemption_is_compiled_into_the_rule_and_needs_no_addresses()
    {
        var evaluator = new MismatchEvaluator(new RuleSet([DnsRule(new RuleExemption("service discovery everywhere") { DestinationPorts = PortSet.Parse("5353, 5355") })]));

        Assert.False(Flags(evaluator, 5353, Laptop, Resolver));
        Assert.False(Flags(evaluator, 5355, IPAddressValue.None, IPAddressValue.None));
        Assert.True(Flags(evaluator, 5354, Laptop, Resolver));
        Assert.False(evaluator.TryMatch("dns"u8, 5353, Transport.Udp, out _));
    }

    [Fact]
    public void The_overload_without_addresses_cannot_apply_network_exemptions()
    {
        var evaluator = new MismatchEvaluator(new RuleSet([DnsRule(new RuleExemption("resolver") { DestinationNetwork = IPNetworkValue.Parse("10.0.0.53") })]));

        Assert.True(evaluator.TryMatch("dns"u8, 5353, Transport.Udp, out _));
        Assert.False(evaluator.TryMatch("dns"u8, 5353, Transport.Udp, Laptop, Resolver, out _));
    }

    [Fact]
    public void An_exemption_of_one_rule_does_not_silence_another_rule_claiming_the_app()
    {
        var evaluator = new MismatchEvaluator(new RuleSet(
        [
            DnsRule(new RuleExemption("resolver") { DestinationNetwork = IPNetworkValue.Parse("10.0.0.53") }),
            new DetectionRule("dns-2", "DNS off 53, 5353", ["DNS"], PortSet.Of(53, 5353)),
        ]));

        Assert.False(evaluator.TryMatch("dns"u8, 5353, Transport.Udp, Laptop, Resolver, out _));
        Assert.True(evaluator.TryMatch("dns"u8, 8053, Transport.Udp, Laptop, Resolver, out var rule));
        Assert.Equal(1, rule);
    }

    [Fact]
    public void An_exemption_needs_a_comment_and_a_condition()
    {
        Assert.Throws<ArgumentException>(() => new RuleExemption(" "));
        var error = Assert.Throws<ArgumentException>(() => DnsRule(new RuleExemption("no condition")));
        Assert.Contains("no condition", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exemptions_load_from_json_and_round_trip()
    {
        var set = RuleSetJson.Parse("""
            { "rules": [ { "id": "dns", "name": "DNS off 53", "apps": ["dns"], "ports": [53], "reference": "RFC 1035",
                "exemptions": [
                  { "comment": "our resolver answers on 5353", "destination": "10.0.0.53", "ports": [5353] },
                  { "comment": "lab", "source": "2001:db8::/32" },
                  { "comment": "LLMNR", "ports": ["5355"] } ] } ] }
            """u8);
        var rule = Assert.Single(set);

        Assert.Equal("RFC 1035", rule.Reference);
        Assert.Equal(3, rule.Exemptions.Length);
        Assert.Equal("10.0.0.53/32", rule.Exemptions[0].DestinationNetwork.ToString());
        Assert.Equal("2001:db8::/32", rule.Exemptions[1].SourceNetwork.ToString());
        Assert.Equal("5355", rule.Exemptions[2].DestinationPorts!.ToString());
        var again = RuleSetJson.Parse(Encoding.UTF8.GetBytes(RuleSetJson.ToJson(set)));
        Assert.Equal(RuleSetJson.ToJson(set), RuleSetJson.ToJson(again));
        Assert.Equal(rule.Exemptions.Select(e => e.ToString()), again[0].Exemptions.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("""{ "comment": "x", "destination": "10.0.0.0/33" }""", "$.rules[0].exemptions[0].destination", "10.0.0.0/33")]
    [InlineData("""{ "comment": "x", "source": "dns.example" }""", "$.rules[0].exemptions[0].source", "dns.example")]
    [InlineData("""{ "comment": "x", "ports": [70000] }""", "$.rules[0].exemptions[0].ports[0]", "70000")]
    [InlineData("""{ "comment": "x", "ports": ["9-1"] }""", "$.rules[0].exemptions[0].ports[0]", "9-1")]
    [InlineData("""{ "comment": "x", "ports": [] }""", "$.rules[0].exemptions[0].ports", "at least one port")]
    [InlineData("""{ "destination": "10.0.0.1" }""", "$.rules[0].exemptions[0].comment", "comment")]
    [InlineData("""{ "comment": "everything" }""", "$.rules[0].exemptions[0]", "no condition")]
    [InlineData("""null""", "$.rules[0].exemptions[0]", "is null")]
    public void Bad_exemptions_in_json_are_errors_with_their_path(string exemption, string path, string text)
    {
        var json = $$"""{ "rules": [ { "id": "dns", "name": "n", "apps": ["dns"], "ports": [53], "exemptions": [ {{exemption}} ] } ] }""";

        var error = Assert.Throws<ConfigurationFormatException>(() => RuleSetJson.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(path, error.JsonPath);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluating_with_exemptions_allocates_nothing()
    {
        var evaluator = new MismatchEvaluator(new RuleSet([DnsRule(
            new RuleExemption("resolver") { DestinationNetwork = IPNetworkValue.Parse("10.0.0.0/24"), DestinationPorts = PortSet.Of(5353) },
            new RuleExemption("printers") { SourceNetwork = IPNetworkValue.Parse("10.20.0.0/16") })]));
        var apps = "dns\u001Fssl"u8.ToArray();
        IPAddressValue[] addresses = [Resolver, OtherServer, Printer, Laptop];
        var selected = 0;

        void Run(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var record = new FlowRecord
                {
                    SourceAddress = addresses[i & 3],
                    DestinationAddress = addresses[(i >> 2) & 3],
                    DestinationPort = (ushort)(5350 + (i & 7)),
                    Transport = Transport.Udp,
                    Apps = AppValues.Split(apps, 0x1F),
                };
                selected += evaluator.IsMismatch(record) ? 1 : 0;
                selected += evaluator.Evaluate(record).MismatchCount;
            }
        }

        Run(1000);
        var allocated = Measurements.LeastAllocatedBytes(() => Run(1_000_000));

        Assert.Equal(0, allocated);
        Assert.True(selected > 0);
    }
}
