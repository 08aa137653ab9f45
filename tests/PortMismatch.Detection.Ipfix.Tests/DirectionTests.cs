using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

public sealed class DirectionTests
{
    private static readonly Field[] Flow = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (96, 8)];

    private static byte[] Record(int sport, int dport, string app, int proto = 17) => Cat(Ip("10.0.0.1"), Ip("10.0.0.2"), U16(sport), U16(dport), U8(proto), Text(app, 8));

    private static (List<FlowSnapshot> Records, IpfixDecoder Decoder) Decode(IpfixReaderOptions options, Field[] fields, params byte[][] records)
    {
        var decoder = new IpfixDecoder(options);
        var sink = new CollectingSink { Decoder = decoder };
        decoder.Decode(new IpfixBuilder().Template(256, fields).Data(256, Cat(records)).Build(), IPAddressValue.None, sink);
        Assert.True(decoder.Counters.IsBalanced);
        return (sink.Records, decoder);
    }

    [Fact]
    public void The_reply_of_a_dns_exchange_is_skipped_by_default_and_so_is_not_a_mismatch()
    {
        var (records, decoder) = Decode(IpfixReaderOptions.Default, Flow, Record(50234, 53, "dns"), Record(53, 50234, "dns"));
        var r = Assert.Single(records);
        Assert.Equal((50234, 53, FlowDirection.Initiator), (r.SourcePort!.Value, r.DestinationPort!.Value, r.Context.Direction));
        Assert.Equal(1, decoder.Counters.SkippedByReason["reply-flow"]);
    }

    [Fact]
    public void Including_replies_delivers_them_marked()
    {
        var (records, _) = Decode(IpfixReaderOptions.Default with { IncludeReplies = true }, Flow, Record(53, 50234, "dns"), Record(8081, 56674, "http", 6));
        Assert.All(records, r => Assert.Equal(FlowDirection.Reply, r.Context.Direction));
        Assert.Equal(2, records.Count);
    }

    [Fact]
    public void A_client_on_a_non_standard_port_stays_an_initiator_and_is_a_mismatch()
    {
        var evaluator = new MismatchEvaluator(RuleSet.Escu);
        var (records, _) = Decode(IpfixReaderOptions.Default, Flow, Record(51515, 5353, "dns"), Record(50000, 8081, "http", 6));
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.NotEqual(FlowDirection.Reply, r.Context.Direction));
        Assert.All(records, r => Assert.True(evaluator.TryMatch(System.Text.Encoding.UTF8.GetBytes(r.App!), r.DestinationPort!.Value, r.Transport, out _)));
    }

    [Theory]
    [InlineData(1, FlowDirection.Initiator)]
    [InlineData(2, FlowDirection.Reply)]
    public void Biflow_direction_from_the_export_wins_over_the_heuristic(int biflowDirection, FlowDirection expected)
    {
        // Ports that the heuristic would call a reply (source 53): the export's own direction decides.
        var (records, _) = Decode(IpfixReaderOptions.Default with { IncludeReplies = true }, [.. Flow, (239, 1)], Cat(Record(53, 50234, "dns"), U8(biflowDirection)));
        Assert.Equal(expected, Assert.Single(records).Context.Direction);
    }

    [Theory]
    [InlineData(0x02, FlowDirection.Initiator)]
    [InlineData(0x12, FlowDirection.Reply)]
    public void Yaf_initial_tcp_flags_syn_or_syn_ack(int flags, FlowDirection expected)
    {
        var (records, _) = Decode(IpfixReaderOptions.Default with { IncludeReplies = true }, [.. Flow, new Field(14, 1, 6871)], Cat(Record(443, 443, "ssl", 6), U8(flags)));
        Assert.Equal(expected, Assert.Single(records).Context.Direction);
    }

    [Fact]
    public void An_rfc_5103_biflow_is_already_oriented_initiator_first()
    {
        // Ports that the heuristic would call a reply; the reverse octet count (PEN 29305) makes it a biflow.
        var (records, _) = Decode(IpfixReaderOptions.Default, [.. Flow, new Field(1, 8, 29305)], Cat(Record(53, 50234, "dns"), U64(99)));
        Assert.Equal(FlowDirection.Initiator, Assert.Single(records).Context.Direction);
    }

    [Fact]
    public void The_ephemeral_range_is_configurable()
    {
        var options = IpfixReaderOptions.Default with { IncludeReplies = true, EphemeralPortStart = 32768, EphemeralPortEnd = 60999 };
        var (records, _) = Decode(options, Flow, Record(9999, 40000, "x"));
        Assert.Equal(FlowDirection.Reply, Assert.Single(records).Context.Direction);
    }

    private static readonly Field[] Timed = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (152, 8)];

    private static byte[] TimedRecord(string src, string dst, int sport, int dport, ulong startMs)
        => Cat(Ip(src), Ip(dst), U16(sport), U16(dport), U8(6), U64(startMs));

    [Theory]
    [InlineData(4096, FlowDirection.Reply)]
    [InlineData(0, FlowDirection.Unknown)]
    public void A_record_whose_reverse_started_earlier_is_the_reply(int capacity, FlowDirection expected)
    {
        // Neither port is ephemeral or an app's port: only pairing can tell.
        var options = IpfixReaderOptions.Default with { IncludeReplies = true, ReversePairingCapacity = capacity };
        var (records, _) = Decode(options, Timed,
            TimedRecord("10.0.0.1", "10.0.0.2", 40000, 4444, 1_700_000_000_000),
            TimedRecord("10.0.0.2", "10.0.0.1", 4444, 40000, 1_700_000_000_005));
        Assert.Equal(FlowDirection.Unknown, records[0].Context.Direction);
        Assert.Equal(expected, records[1].Context.Direction);
    }

    [Fact]
    public void Pairing_when_the_reply_is_exported_first_makes_the_later_record_the_initiator()
    {
        var (records, _) = Decode(IpfixReaderOptions.Default with { IncludeReplies = true }, Timed,
            TimedRecord("10.0.0.2", "10.0.0.1", 4444, 40000, 1_700_000_000_005),
            TimedRecord("10.0.0.1", "10.0.0.2", 40000, 4444, 1_700_000_000_000));
        Assert.Equal(FlowDirection.Initiator, records[1].Context.Direction);
    }

    [Fact]
    public void Pairing_outside_the_window_does_not_count()
    {
        var (records, _) = Decode(IpfixReaderOptions.Default with { IncludeReplies = true, ReversePairingWindow = TimeSpan.FromSeconds(1) }, Timed,
            TimedRecord("10.0.0.1", "10.0.0.2", 40000, 4444, 1_700_000_000_000),
            TimedRecord("10.0.0.2", "10.0.0.1", 4444, 40000, 1_700_000_005_000));
        Assert.Equal(FlowDirection.Unknown, records[1].Context.Direction);
    }
}
