using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>
/// The budgets over all domains (<see cref="IpfixReaderOptions.MaxTemplateBytes"/>,
/// <see cref="IpfixReaderOptions.MaxApplicationNameBytes"/>) added after the fuzzing of issue #9: the per-domain caps
/// alone let spoofed exporters fill gigabytes. The floods themselves are in the adversarial tests.
/// </summary>
public sealed class StateBudgetTests
{
    private static readonly Field[] Flow = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1)];

    private static readonly long FlowTemplateCost = IpfixDecoder.TemplateOverheadBytes + (IpfixDecoder.TemplateFieldBytes * Flow.Length);

    [Fact]
    public void Templates_past_MaxTemplateBytes_evict_the_least_recently_used_other_domain_or_are_rejected()
    {
        var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { MaxTemplateBytes = (2 * FlowTemplateCost) + IpfixDecoder.TemplateFieldBytes });
        var sink = new CollectingSink();

        // One domain alone past the budget: nothing else to evict, so the third template is rejected.
        decoder.Decode(new IpfixBuilder().Template(256, Flow).Template(257, Flow).Template(258, Flow).Build(), IPAddressValue.None, sink);

        Assert.Equal(2, decoder.Statistics.TemplatesLearned);
        Assert.Equal(2 * FlowTemplateCost, decoder.TemplateBytes);
        Assert.Equal(1, decoder.Counters.RejectedByReason["too-many-templates"]);

        // Another domain is bound by the same budget: it evicts the least recently used domain (whole) to get in.
        decoder.Decode(new IpfixBuilder(domain: 2).Template(300, Flow).Data(300, Cat(Ip("10.0.0.1"), Ip("10.0.0.2"), U16(50000), U16(8080), U8(6))).Build(), IPAddressValue.None, sink);
        Assert.Single(sink.Records);
        Assert.Equal(FlowTemplateCost, decoder.TemplateBytes);
        Assert.Equal((1, 2), (decoder.Statistics.DomainsEvicted, decoder.Statistics.TemplatesEvicted));

        // A withdrawal frees the room of its template; a changed template replaces the old one's cost, it does not add to it.
        decoder.Decode(new IpfixBuilder(domain: 2, sequence: 1).Template(300, [.. Flow, (6, 1)]).Build(), IPAddressValue.None, sink);
        Assert.Equal(FlowTemplateCost + IpfixDecoder.TemplateFieldBytes, decoder.TemplateBytes);
        decoder.Decode(new IpfixBuilder(domain: 2, sequence: 1).Withdraw(300).Build(), IPAddressValue.None, sink);
        Assert.Equal(0, decoder.TemplateBytes);

        decoder.Decode(new IpfixBuilder(domain: 3).Template(256, Flow).Build(), IPAddressValue.None, sink);
        decoder.Reset();
        Assert.Equal((0, 0), (decoder.TemplateBytes, decoder.DomainCount));
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());
    }

    [Fact]
    public void Names_past_MaxApplicationNameBytes_are_dropped_and_ids_stay_engine_selector()
    {
        var budget = IpfixDecoder.ApplicationNameOverheadBytes + 4; // room for "http", not for a second name
        var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { MaxApplicationNameBytes = budget });
        var sink = new CollectingSink();
        var options = new IpfixBuilder().OptionsTemplate(400, 1, (95, 4), (96, 8))
            .Data(400, Cat([13, 0, 0, 7], Text("http", 8), [13, 0, 0, 53], Text("dns", 8)))
            .Build();
        var data = new IpfixBuilder(sequence: 2).Template(256, [.. Flow, (95, 4)])
            .Data(256, Cat(Ip("10.0.0.1"), Ip("10.0.0.2"), U16(50000), U16(8080), U8(6), [13, 0, 0, 7], Ip("10.0.0.1"), Ip("10.0.0.2"), U16(50001), U16(5353), U8(17), [13, 0, 0, 53]))
            .Build();

        decoder.Decode(options, IPAddressValue.None, sink);
        decoder.Decode(data, IPAddressValue.None, sink);

        Assert.Equal((1, 1), (decoder.Statistics.ApplicationNamesLearned, decoder.Statistics.ApplicationNamesDropped));
        Assert.Equal(budget, decoder.ApplicationNameBytes);
        Assert.Equal(["http", "13:53"], sink.Records.Select(r => r.App));
    }
}
