using PortMismatch.Detection.Ipfix.Internal;
using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>
/// Issue #16 item 5: the decoder's state is bounded per exporter address and evicted least recently used, so that a flood
/// from one address (many domains, many templates) cannot lock out other exporters, and an exporter pushed out by floods
/// from many addresses is told why and decoded again once it re-sends its templates.
/// </summary>
public sealed class ExporterBudgetTests
{
    private static readonly IPAddressValue Legitimate = IPAddressValue.Parse("192.0.2.1");
    private static readonly IPAddressValue Latecomer = IPAddressValue.Parse("192.0.2.2");
    private static readonly IPAddressValue Attacker = IPAddressValue.Parse("198.51.100.66");

    private static readonly Field[] WideTemplate = [.. Enumerable.Range(0, 500).Select(i => new Field((ushort)(1000 + i), 2))];
    private static readonly Field[] SmallTemplate = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1)];

    /// <summary>Counts the records of one exporter, by the decoder's context.</summary>
    private sealed class ExporterSink(IpfixDecoder decoder) : IFlowRecordSink
    {
        public Dictionary<IPAddressValue, long> Records { get; } = [];

        public void OnRecord(in FlowRecord record)
        {
            var exporter = decoder.Current.Exporter;
            Records[exporter] = Records.GetValueOrDefault(exporter) + 1;
        }

        public long Of(IPAddressValue exporter) => Records.GetValueOrDefault(exporter);
    }

    private static byte[] TemplateAndData(uint domain, int records) =>
        new IpfixBuilder(domain).Template(256, DecoderTests.V4Fields).Data(256, Records(records)).Build();

    private static byte[] DataOnly(uint domain, int records, uint sequence) =>
        new IpfixBuilder(domain, sequence).Data(256, Records(records)).Build();

    private static byte[] Records(int count) =>
        [.. Enumerable.Range(0, count).SelectMany(i => DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000 + i, 8080))];

    [Fact]
    public void A_flood_of_domains_from_one_address_leaves_every_other_exporters_records_accepted()
    {
        // Before: 1,024 domains from one sender filled MaxDomains and every later exporter was rejected (too-many-domains).
        const int Domains = 4096;
        var decoder = new IpfixDecoder();
        var sink = new ExporterSink(decoder);
        decoder.Decode(TemplateAndData(1, 5), Legitimate, sink);
        long legitimateSent = 5;
        for (var d = 0; d < Domains; d++)
        {
            decoder.Decode(TemplateAndData((uint)d, 1), Attacker, sink);
            if (d % 64 == 63)
            {
                decoder.Decode(DataOnly(1, 3, (uint)legitimateSent), Legitimate, sink);
                legitimateSent += 3;
            }
        }

        decoder.Decode(TemplateAndData(7, 4), Latecomer, sink);

        var options = IpfixReaderOptions.Default;
        Assert.Equal(legitimateSent, sink.Of(Legitimate));
        Assert.Equal(4, sink.Of(Latecomer));
        Assert.Equal(Domains, sink.Of(Attacker)); // each of its own domains decodes while it is the newest
        Assert.Equal(options.MaxDomainsPerExporter + 2, decoder.DomainCount);
        Assert.Equal(Domains - options.MaxDomainsPerExporter, decoder.Statistics.DomainsEvicted);
        Assert.False(decoder.Counters.RejectedByReason.ContainsKey("too-many-domains"));
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());
    }

    [Fact]
    public void A_flood_of_templates_from_one_address_leaves_every_other_exporters_records_accepted()
    {
        // Before: ~4,100 template datagrams filled MaxTemplateBytes and every later exporter's data was no-template.
        const int Datagrams = 4100;
        var options = IpfixReaderOptions.Default;
        var decoder = new IpfixDecoder(options);
        var sink = new ExporterSink(decoder);
        decoder.Decode(TemplateAndData(1, 5), Legitimate, sink);
        long legitimateSent = 5;
        for (var i = 0; i < Datagrams; i++)
        {
            // A template of 500 fields (8,256 octets counted) and one of 5 (336) per datagram, new ids in a few domains of
            // the same address: before, they filled the budget over all exporters to the last few hundred octets.
            decoder.Decode(new IpfixBuilder((uint)(i / 500)).Template((ushort)(256 + (i % 500)), WideTemplate).Template((ushort)(756 + (i % 500)), SmallTemplate).Build(), Attacker, sink);
            if (i % 64 == 63)
            {
                decoder.Decode(DataOnly(1, 3, (uint)legitimateSent), Legitimate, sink);
                legitimateSent += 3;
            }
        }

        decoder.Decode(TemplateAndData(7, 4), Latecomer, sink);

        var legitimateCost = IpfixDecoder.TemplateOverheadBytes + (IpfixDecoder.TemplateFieldBytes * DecoderTests.V4Fields.Length);
        TestReport.WriteLine($"{Datagrams:N0} template datagrams from one address: {decoder.Statistics.TemplatesLearned:N0} learned, {decoder.Statistics.TemplatesEvicted:N0} evicted, {decoder.Counters.RejectedByReason.GetValueOrDefault("too-many-templates"):N0} rejected, {decoder.TemplateBytes:N0} template octets counted");
        Assert.Equal(legitimateSent, sink.Of(Legitimate));
        Assert.Equal(4, sink.Of(Latecomer));
        Assert.InRange(decoder.TemplateBytes, 1, options.MaxTemplateBytesPerExporter + (2 * legitimateCost));
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());
        Assert.Equal(0, decoder.Counters.SkippedByReason.GetValueOrDefault("no-template"));
    }

    [Fact]
    public void An_exporter_pushed_out_by_a_spoofed_flood_is_told_why_and_decoded_again_after_it_re_sends_its_templates()
    {
        // Spoofed senders are indistinguishable from new exporters: they get in, and the state that waited longest goes.
        var diagnostics = new List<InputDiagnostic>();
        var decoder = new IpfixDecoder(diagnostics: diagnostics.Add, inputName: "udp://0.0.0.0:4739");
        var sink = new ExporterSink(decoder);
        decoder.Decode(TemplateAndData(1, 5), Legitimate, sink);
        for (var e = 0; e < 3000; e++)
        {
            decoder.Decode(new IpfixBuilder(1).Template(256, WideTemplate).Build(), IPAddressValue.FromIPv4(0x0A00_0000u + (uint)e), sink);
        }

        Assert.Equal(0, decoder.Decode(DataOnly(1, 3, 5), Legitimate, sink));
        Assert.Equal(1, decoder.Counters.SkippedByReason["template-evicted"]);
        var told = Assert.Single(diagnostics, d => d.Reason == "template-evicted");
        Assert.Equal(RecordOutcome.Skipped, told.Outcome);
        Assert.Contains("192.0.2.1", told.Message, StringComparison.Ordinal);
        Assert.Contains("re-sends the template", told.Message, StringComparison.Ordinal);
        Assert.Equal("udp://0.0.0.0:4739", told.InputName);

        Assert.Equal(4, decoder.Decode(TemplateAndData(1, 4), Legitimate, sink));
        Assert.Equal(9, sink.Of(Legitimate));
        Assert.True(decoder.Statistics.DomainsEvicted > 0);
        Assert.InRange(decoder.TemplateBytes, 1, IpfixReaderOptions.Default.MaxTemplateBytes);
        Assert.InRange(decoder.DomainCount, 1, IpfixReaderOptions.Default.MaxDomains);
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());
    }

    [Fact]
    public void A_template_evicted_within_its_own_domain_budget_is_reported_as_evicted_not_as_never_announced()
    {
        // One address with two domains and room for one wide template: the second evicts the first domain (its own).
        var options = IpfixReaderOptions.Default with { MaxTemplateBytesPerExporter = 10_000 };
        var decoder = new IpfixDecoder(options);
        var sink = new CollectingSink();
        decoder.Decode(new IpfixBuilder(1).Template(300, WideTemplate).Template(256, DecoderTests.V4Fields).Build(), Attacker, sink);
        decoder.Decode(new IpfixBuilder(2).Template(300, WideTemplate).Build(), Attacker, sink);

        decoder.Decode(DataOnly(1, 1, 0), Attacker, sink);
        decoder.Decode(new IpfixBuilder(2).Data(301, Records(1)).Build(), Attacker, sink);

        Assert.Equal(1, decoder.Counters.SkippedByReason["template-evicted"]);
        Assert.Equal(1, decoder.Counters.SkippedByReason["no-template"]);
        Assert.Equal(2, decoder.Statistics.TemplatesEvicted);
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());
    }

    [Fact]
    public void An_evicted_domain_remembers_its_last_64_lost_template_ids_whatever_it_held_when_it_was_first_evicted()
    {
        // Before, the ring of lost ids was sized by the domain's template count at its first eviction (1 here) and reused
        // when the domain came back, so that after its second eviction 64 of its 65 template ids read as never announced.
        var options = IpfixReaderOptions.Default with { MaxDomainsPerExporter = 1 };
        var decoder = new IpfixDecoder(options);
        var sink = new CollectingSink();
        decoder.Decode(new IpfixBuilder(1).Template(256, SmallTemplate).Build(), Attacker, sink);
        decoder.Decode(new IpfixBuilder(2).Template(256, SmallTemplate).Build(), Attacker, sink); // evicts domain 1 (1 template)

        var many = new IpfixBuilder(1);
        var data = new IpfixBuilder(1);
        for (ushort id = 300; id < 365; id++)
        {
            many.Template(id, SmallTemplate);
            data.Data(id, Cat(Ip("10.0.0.1"), Ip("10.0.0.2"), U16(50000), U16(8080), U8(6)));
        }

        decoder.Decode(many.Build(), Attacker, sink); // domain 1 again, with 65 templates (evicts domain 2)
        decoder.Decode(new IpfixBuilder(2).Template(256, SmallTemplate).Build(), Attacker, sink); // evicts domain 1 again
        decoder.Decode(data.Build(), Attacker, sink); // one data set for each of the 65 ids

        Assert.Empty(sink.Records);
        Assert.Equal(LostTemplates.MaxCapacity, decoder.Counters.SkippedByReason["template-evicted"]);
        Assert.Equal(65 - LostTemplates.MaxCapacity, decoder.Counters.SkippedByReason["no-template"]); // the oldest lost id
        Assert.Equal(1 + 1 + 65 + 1, decoder.Statistics.TemplatesEvicted); // domain 1, 2, 1 (65), 2
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());
    }

    [Fact]
    public void Lost_template_ids_grow_from_the_size_asked_to_64_and_forget_the_oldest_then()
    {
        var lost = new LostTemplates(1);
        for (ushort id = 1000; id < 1100; id++)
        {
            lost.Add(id, id % 2 == 0 ? TemplateLoss.Evicted : TemplateLoss.Expired);
        }

        Assert.Equal(LostTemplates.MaxCapacity, lost.Count);
        Assert.Equal(TemplateLoss.None, lost.Find(1035));
        Assert.Equal((TemplateLoss.Expired, TemplateLoss.Evicted), (lost.Find(1037), lost.Find(1099 - 1)));

        lost.Add(1037, TemplateLoss.Evicted); // lost again: now the newest, so 1036 and then 1038 go next
        lost.Add(2000, TemplateLoss.Evicted);
        lost.Add(2001, TemplateLoss.Evicted);
        Assert.Equal((TemplateLoss.None, TemplateLoss.Evicted, TemplateLoss.None), (lost.Find(1036), lost.Find(1037), lost.Find(1038)));

        lost.Remove(1050); // announced again
        Assert.Equal((TemplateLoss.None, 63), (lost.Find(1050), lost.Count));
    }

    [Fact]
    public void Early_data_from_one_address_fills_only_its_share_of_MaxPendingBytes_and_another_exporters_early_data_waits_and_decodes()
    {
        // Before: one pool for all exporters that never aged: one (spoofed) address filled it and every other exporter's
        // data sent before its template was no-template.
        var options = IpfixReaderOptions.Default with { MaxPendingBytes = 4096 };
        var decoder = new IpfixDecoder(options);
        var sink = new ExporterSink(decoder);
        const int Flood = 200; // 37 octets each: 7,400 octets
        for (var i = 0; i < Flood; i++)
        {
            decoder.Decode(DataOnly(1, 1, (uint)i), Attacker, sink);
        }

        var kept = options.MaxPendingBytesPerExporter / 37;
        Assert.Equal(1024, options.MaxPendingBytesPerExporter);
        Assert.Equal(kept * 37, decoder.PendingBytes);
        Assert.Equal(Flood - kept, decoder.Counters.SkippedByReason["no-template"]); // at once, not kept

        decoder.Decode(DataOnly(1, 3, 0), Legitimate, sink); // before its template: waits
        decoder.Decode(TemplateAndData(1, 2), Legitimate, sink);

        Assert.Equal(5, sink.Of(Legitimate));
        Assert.Equal(1, decoder.Statistics.SetsReplayed);
        decoder.Flush();
        Assert.Equal(Flood, decoder.Counters.SkippedByReason["no-template"]);
        Assert.Equal(0, decoder.PendingBytes);
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());
    }

    [Fact]
    public void When_spoofed_addresses_fill_MaxPendingBytes_a_new_exporters_early_data_pushes_out_the_longest_waiting_and_decodes()
    {
        var options = IpfixReaderOptions.Default with { MaxPendingBytes = 4096 };
        var decoder = new IpfixDecoder(options);
        var sink = new ExporterSink(decoder);
        for (uint a = 0; a < 8; a++)
        {
            for (var i = 0; i < 30; i++)
            {
                decoder.Decode(DataOnly(1, 1, (uint)i), IPAddressValue.FromIPv4(0x0A00_0000u + a), sink);
            }
        }

        Assert.True(decoder.PendingBytes + (3 * 37) > options.MaxPendingBytes, $"{decoder.PendingBytes} octets pending: the legitimate set would fit without a drop");
        decoder.Decode(DataOnly(1, 3, 0), Legitimate, sink);
        decoder.Decode(TemplateAndData(1, 2), Legitimate, sink);

        Assert.Equal(5, sink.Of(Legitimate));
        Assert.InRange(decoder.PendingBytes, 0, options.MaxPendingBytes);
        decoder.Flush();
        Assert.Equal(8 * 30, decoder.Counters.SkippedByReason["no-template"]); // every spoofed set, dropped or flushed
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());
    }

    [Fact]
    public void Files_without_an_exporter_address_are_bound_by_the_global_budgets_only()
    {
        // An RFC 5655 file from a mediator may carry many domains: they are one (unknown) exporter, not capped per address.
        var options = IpfixReaderOptions.Default with { MaxDomainsPerExporter = 2 };
        var decoder = new IpfixDecoder(options);
        var sink = new CollectingSink();
        for (uint d = 0; d < 10; d++)
        {
            decoder.Decode(TemplateAndData(d, 1), IPAddressValue.None, sink);
        }

        for (uint d = 0; d < 10; d++)
        {
            decoder.Decode(DataOnly(d, 1, 1), IPAddressValue.None, sink);
        }

        Assert.Equal(20, sink.Records.Count);
        Assert.Equal(10, decoder.DomainCount);
        Assert.Equal(0, decoder.Statistics.DomainsEvicted);
    }
}
