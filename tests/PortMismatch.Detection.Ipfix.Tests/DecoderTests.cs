using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

public sealed class DecoderTests
{
    // sourceIPv4Address, destinationIPv4Address, sourceTransportPort, destinationTransportPort, protocolIdentifier,
    // octetDeltaCount, packetDeltaCount, flowStartMilliseconds
    internal static readonly Field[] V4Fields = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (152, 8)];

    internal static byte[] V4Record(string src, string dst, int sport, int dport, int proto = 6, ulong bytes = 1000, ulong packets = 10, ulong startMs = 1_700_000_000_123)
        => Cat(Ip(src), Ip(dst), U16(sport), U16(dport), U8(proto), U64(bytes), U64(packets), U64(startMs));

    private static (IpfixDecoder Decoder, CollectingSink Sink, List<InputDiagnostic> Diagnostics) New(IpfixReaderOptions? options = null)
    {
        var diagnostics = new List<InputDiagnostic>();
        var decoder = new IpfixDecoder(options ?? IpfixReaderOptions.Default with { IncludeReplies = true }, "test", diagnostics.Add);
        return (decoder, new CollectingSink { Decoder = decoder }, diagnostics);
    }

    [Fact]
    public void Ipv4_template_and_data_become_flow_records()
    {
        var (decoder, sink, _) = New();
        var message = new IpfixBuilder(domain: 7)
            .Template(256, V4Fields)
            .Data(256, [.. V4Record("10.0.0.1", "192.0.2.9", 51000, 4444), .. V4Record("10.0.0.2", "192.0.2.10", 52000, 53, proto: 17)])
            .Build();

        decoder.Decode(message, IPAddressValue.Parse("198.51.100.1"), sink);

        Assert.Equal(2, sink.Records.Count);
        var r = sink.Records[0];
        Assert.Equal(("10.0.0.1", "192.0.2.9", 51000, 4444, Transport.Tcp), (r.Source, r.Destination, r.SourcePort!.Value, r.DestinationPort!.Value, r.Transport));
        Assert.Equal((1000L, 10L), (r.Bytes!.Value, r.Packets!.Value));
        Assert.Equal(1_700_000_000_123_000, r.Time);
        Assert.Equal((10, 7u, 256), (r.Context.Version, r.Context.ObservationDomainId, r.Context.TemplateId));
        Assert.Equal("198.51.100.1", r.Context.Exporter.ToString());
        Assert.Equal(Transport.Udp, sink.Records[1].Transport);
        Assert.Equal("read 3 = accepted 2 + rejected 0 + skipped 1", decoder.Counters.ToString());
    }

    [Fact]
    public void Ipv6_addresses_and_flow_start_seconds()
    {
        var (decoder, sink, _) = New();
        var message = new IpfixBuilder()
            .Template(300, (27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (150, 4))
            .Data(300, Cat(Ip("2001:db8::1"), Ip("2001:db8:0:0:1::2"), U16(40000), U16(443), U8(6), U32(1_600_000_000)))
            .Build();

        decoder.Decode(message, IPAddressValue.None, sink);

        var r = Assert.Single(sink.Records);
        Assert.Equal(("2001:db8::1", "2001:db8::1:0:0:2"), (r.Source, r.Destination));
        Assert.Equal(1_600_000_000_000_000, r.Time);
    }

    [Fact]
    public void Data_before_its_template_is_counted_as_no_template_and_not_guessed()
    {
        var (decoder, sink, diagnostics) = New();
        decoder.Decode(new IpfixBuilder().Data(256, V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Build(), IPAddressValue.None, sink);
        Assert.Empty(sink.Records);
        Assert.Equal(1, decoder.Counters.SkippedByReason["no-template"]);
        Assert.Equal(1, decoder.Statistics.SetsWithoutTemplate);
        Assert.Equal(16, Assert.Single(diagnostics).ByteOffset); // the set header

        decoder.Decode(new IpfixBuilder().Template(256, V4Fields).Data(256, V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Build(), IPAddressValue.None, sink);
        Assert.Single(sink.Records);
        Assert.True(decoder.Counters.IsBalanced);
    }

    [Fact]
    public void Templates_are_scoped_by_exporter_and_observation_domain()
    {
        var (decoder, sink, _) = New();
        var exporterA = IPAddressValue.Parse("192.0.2.1");
        var exporterB = IPAddressValue.Parse("192.0.2.2");
        decoder.Decode(new IpfixBuilder(domain: 1).Template(256, V4Fields).Build(), exporterA, sink);

        decoder.Decode(new IpfixBuilder(domain: 2).Data(256, V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Build(), exporterA, sink);
        decoder.Decode(new IpfixBuilder(domain: 1).Data(256, V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Build(), exporterB, sink);
        Assert.Empty(sink.Records);
        Assert.Equal(2, decoder.Counters.SkippedByReason["no-template"]);

        decoder.Decode(new IpfixBuilder(domain: 1).Data(256, V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Build(), exporterA, sink);
        Assert.Single(sink.Records);
        Assert.Equal(3, decoder.DomainCount);
    }

    [Fact]
    public void A_template_with_field_count_zero_withdraws_it_and_set_id_withdraws_all()
    {
        var (decoder, sink, _) = New();
        decoder.Decode(new IpfixBuilder().Template(256, V4Fields).Template(257, V4Fields).Build(), IPAddressValue.None, sink);
        decoder.Decode(new IpfixBuilder().Withdraw(256).Data(256, V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Data(257, V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Build(), IPAddressValue.None, sink);
        Assert.Single(sink.Records);
        Assert.Equal(1, decoder.Statistics.TemplatesWithdrawn);

        decoder.Decode(new IpfixBuilder().Withdraw(2).Data(257, V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Build(), IPAddressValue.None, sink);
        Assert.Single(sink.Records);
        Assert.Equal(2, decoder.Statistics.TemplatesWithdrawn);
        Assert.Equal(2, decoder.Counters.SkippedByReason["no-template"]);
        Assert.True(decoder.Counters.IsBalanced);
    }

    [Fact]
    public void A_template_sent_again_with_another_layout_replaces_the_old_one()
    {
        var (decoder, sink, _) = New();
        decoder.Decode(new IpfixBuilder().Template(256, V4Fields).Template(256, V4Fields).Build(), IPAddressValue.None, sink);
        Assert.Equal(1, decoder.Statistics.TemplatesLearned); // a periodic re-send is not a change

        decoder.Decode(new IpfixBuilder().Template(256, (12, 4), (8, 4), (11, 2)).Data(256, Cat(Ip("10.9.9.9"), Ip("10.1.1.1"), U16(25))).Build(), IPAddressValue.None, sink);
        var r = Assert.Single(sink.Records);
        Assert.Equal(("10.1.1.1", "10.9.9.9", 25), (r.Source, r.Destination, r.DestinationPort!.Value));
        Assert.Null(r.SourcePort);
        Assert.Equal(Transport.Unknown, r.Transport);
    }

    [Fact]
    public void Enterprise_and_reverse_fields_are_skipped_by_their_length()
    {
        var (decoder, sink, _) = New();
        var message = new IpfixBuilder()
            .Template(256, (8, 4), new Field(1, 8, 29305), (12, 4), new Field(999, 3, 9), (7, 2), (11, 2))
            .Data(256, Cat(Ip("10.0.0.1"), U64(5), Ip("10.0.0.2"), [1, 2, 3], U16(1234), U16(80)))
            .Build();

        decoder.Decode(message, IPAddressValue.None, sink);

        var r = Assert.Single(sink.Records);
        Assert.Equal(("10.0.0.1", "10.0.0.2", 1234, 80), (r.Source, r.Destination, r.SourcePort!.Value, r.DestinationPort!.Value));
        Assert.Null(r.Bytes); // the reverse octet count is not this record's
    }

    [Fact]
    public void Variable_length_fields_in_short_and_long_form()
    {
        var (decoder, sink, _) = New();
        var longName = new string('x', 300);
        var message = new IpfixBuilder()
            .Template(256, (8, 4), (12, 4), (11, 2), (96, 65535), (82, 65535))
            .Data(256, Cat(
                Ip("10.0.0.1"), Ip("10.0.0.2"), U16(8081), Var(Text("http")), Var(Text("eth0")),
                Ip("10.0.0.3"), Ip("10.0.0.4"), U16(443), Var(Text(longName)), Var([])))
            .Build();

        decoder.Decode(message, IPAddressValue.None, sink);

        Assert.Equal(2, sink.Records.Count);
        Assert.Equal(("http", 8081), (sink.Records[0].App, sink.Records[0].DestinationPort!.Value));
        Assert.Equal((longName, "10.0.0.4"), (sink.Records[1].App, sink.Records[1].Destination));
    }

    [Fact]
    public void Reduced_size_integers_are_read_at_their_template_length()
    {
        var (decoder, sink, _) = New();
        var message = new IpfixBuilder()
            .Template(256, (8, 4), (12, 4), (7, 1), (11, 3), (1, 2), (2, 1))
            .Data(256, Cat(Ip("10.0.0.1"), Ip("10.0.0.2"), U8(53), [0, 0x11, 0x5C], U16(4000), U8(7)))
            .Build();

        decoder.Decode(message, IPAddressValue.None, sink);

        var r = Assert.Single(sink.Records);
        Assert.Equal((53, 4444, 4000L, 7L), (r.SourcePort!.Value, r.DestinationPort!.Value, r.Bytes!.Value, r.Packets!.Value));
    }

    [Fact]
    public void A_reduced_size_port_wider_than_16_bits_is_rejected_and_the_set_goes_on()
    {
        var (decoder, sink, diagnostics) = New();
        var message = new IpfixBuilder()
            .Template(256, (8, 4), (12, 4), (11, 4))
            .Data(256, Cat(Ip("10.0.0.1"), Ip("10.0.0.2"), U32(70000), Ip("10.0.0.1"), Ip("10.0.0.2"), U32(80)))
            .Build();

        decoder.Decode(message, IPAddressValue.None, sink);

        Assert.Single(sink.Records);
        var d = Assert.Single(diagnostics, d => d.Outcome == RecordOutcome.Rejected);
        Assert.Equal(("port-out-of-range", 16 + 20 + 4), (d.Reason, d.ByteOffset)); // message header, template set, data set header
    }

    [Fact]
    public void Padding_after_the_last_record_is_not_a_record()
    {
        var (decoder, sink, _) = New();
        var message = new IpfixBuilder().Template(256, V4Fields).Data(256, [.. V4Record("10.0.0.1", "10.0.0.2", 1, 2), 0, 0, 0]).Build();
        decoder.Decode(message, IPAddressValue.None, sink);
        Assert.Single(sink.Records);
        Assert.Equal(2, decoder.Counters.Read);
    }

    [Fact]
    public void Sequence_gaps_count_lost_records_for_ipfix_and_lost_packets_for_v9()
    {
        var (decoder, sink, _) = New();
        var template = new IpfixBuilder(sequence: 0).Template(256, V4Fields).Build();
        decoder.Decode(template, IPAddressValue.None, sink);
        decoder.Decode(new IpfixBuilder(sequence: 0).Data(256, [.. V4Record("10.0.0.1", "10.0.0.2", 1, 2), .. V4Record("10.0.0.1", "10.0.0.2", 1, 2)]).Build(), IPAddressValue.None, sink);
        decoder.Decode(new IpfixBuilder(sequence: 2).Data(256, V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Build(), IPAddressValue.None, sink);
        Assert.Equal(0, decoder.Statistics.LostRecords);
        decoder.Decode(new IpfixBuilder(sequence: 10).Data(256, V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Build(), IPAddressValue.None, sink);
        Assert.Equal(7, decoder.Statistics.LostRecords);

        decoder.Decode(new V9Builder(sequence: 100).Template(256, V4Fields).Build(), IPAddressValue.None, sink);
        decoder.Decode(new V9Builder(sequence: 101).Build(), IPAddressValue.None, sink);
        decoder.Decode(new V9Builder(sequence: 105).Build(), IPAddressValue.None, sink);
        Assert.Equal(3, decoder.Statistics.LostPackets);
    }

    [Fact]
    public void Caps_on_templates_and_fields_are_counted_rejections_and_a_new_domain_past_MaxDomains_evicts_the_oldest()
    {
        var options = IpfixReaderOptions.Default with { MaxTemplatesPerDomain = 2, MaxDomains = 1, MaxFieldsPerTemplate = 8 };
        var (decoder, sink, _) = New(options);
        decoder.Decode(new IpfixBuilder().Template(256, V4Fields).Template(257, V4Fields).Template(258, V4Fields).Build(), IPAddressValue.None, sink);
        decoder.Decode(new IpfixBuilder().Template(256, [.. V4Fields, (5, 1)]).Build(), IPAddressValue.None, sink);
        decoder.Decode(new IpfixBuilder(domain: 99).Template(256, V4Fields).Build(), IPAddressValue.None, sink);

        Assert.Equal(1, decoder.Counters.RejectedByReason["too-many-templates"]);
        Assert.Equal(1, decoder.Counters.RejectedByReason["too-many-fields"]);
        Assert.Equal(1, decoder.DomainCount);
        Assert.Equal((1, 2), (decoder.Statistics.DomainsEvicted, decoder.Statistics.TemplatesEvicted));
        Assert.True(decoder.Counters.IsBalanced);

        // Only a cap of zero refuses a domain.
        var (closed, closedSink, _) = New(options with { MaxDomains = 0 });
        closed.Decode(new IpfixBuilder().Template(256, V4Fields).Build(), IPAddressValue.None, closedSink);
        Assert.Equal(1, closed.Counters.RejectedByReason["too-many-domains"]);
        Assert.True(closed.Counters.IsBalanced);
    }

    [Fact]
    public void Application_names_learned_from_options_are_bounded()
    {
        var (decoder, sink, _) = New(IpfixReaderOptions.Default with { MaxApplicationNamesPerDomain = 1 });
        var message = new IpfixBuilder()
            .OptionsTemplate(400, 1, (95, 4), (96, 16))
            .Data(400, Cat([13, 0, 0, 1], Text("dns", 16), [13, 0, 0, 2], Text("http", 16)))
            .Build();
        decoder.Decode(message, IPAddressValue.None, sink);
        Assert.Equal((1L, 1L), (decoder.Statistics.ApplicationNamesLearned, decoder.Statistics.ApplicationNamesDropped));
        Assert.Equal(2, decoder.Counters.SkippedByReason["options-record"]);
    }

    [Fact]
    public void With_a_pending_budget_data_before_its_template_is_decoded_when_the_template_arrives()
    {
        var (decoder, sink, _) = New(IpfixReaderOptions.Default with { IncludeReplies = true, MaxPendingBytes = 4096 });
        var data = V4Record("10.0.0.1", "10.0.0.2", 1, 2, startMs: 0);
        var fields = DecoderTests.V4Fields[..^1]; // without flowStartMilliseconds: the time is the export time of the data's message
        var early = new IpfixBuilder(exportTime: 1_600_000_000).Data(256, data[..^8]).Build();
        decoder.Decode(early, IPAddressValue.None, sink);
        Assert.Empty(sink.Records);
        Assert.Equal(0, decoder.Counters.Read); // not counted until it is decoded or flushed

        decoder.Decode(new IpfixBuilder(exportTime: 1_700_000_000).Template(256, fields).Build(), IPAddressValue.None, sink);
        var r = Assert.Single(sink.Records);
        Assert.Equal(1_600_000_000_000_000, r.Time);
        Assert.Equal(1, decoder.Statistics.SetsReplayed);

        decoder.Decode(new IpfixBuilder().Data(300, data).Build(), IPAddressValue.None, sink);
        decoder.Flush();
        Assert.Equal(1, decoder.Counters.SkippedByReason["no-template"]);
        Assert.True(decoder.Counters.IsBalanced);
    }

    [Fact]
    public void Beyond_the_pending_budget_sets_are_counted_as_no_template_at_once()
    {
        var (decoder, sink, _) = New(IpfixReaderOptions.Default with { MaxPendingBytes = 60 });
        var data = V4Record("10.0.0.1", "10.0.0.2", 1, 2);
        decoder.Decode(new IpfixBuilder().Data(256, data).Data(256, data).Build(), IPAddressValue.None, sink);
        Assert.Equal(1, decoder.Counters.SkippedByReason["no-template"]);
        decoder.Decode(new IpfixBuilder().Template(256, V4Fields).Build(), IPAddressValue.None, sink);
        Assert.Single(sink.Records);
    }
}
