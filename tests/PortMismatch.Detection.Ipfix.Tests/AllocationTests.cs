using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>Steady state: decoding (templates re-sent, options re-sent, replies skipped) and evaluating allocate nothing.</summary>
[Collection(Measurements.Collection)]
public sealed class AllocationTests
{
    private struct EvaluatingSink(MismatchEvaluator evaluator) : IFlowRecordSink
    {
        public long Records;
        public long Mismatches;

        public void OnRecord(in FlowRecord record)
        {
            Records++;
            if (evaluator.IsMismatch(record))
            {
                Mismatches++;
            }
        }
    }

    private static byte[] Mixed()
    {
        var v4 = new List<byte>();
        var v6 = new List<byte>();
        string[] apps = ["dns", "http", "ssl", "smtp", "ntp"];
        for (var i = 0; i < 100; i++)
        {
            var app = apps[i % apps.Length];
            var (sport, dport) = i % 7 == 0 ? (53, 50000 + i) : (50000 + i, i % 3 == 0 ? 4444 : 443); // some replies
            v4.AddRange(Cat(Ip("10.0.0.1"), Ip("192.0.2.1"), U16(sport), U16(dport), U8(6), U64(100), U64(1), U64(1_700_000_000_000), Text(app, 8)));
            v6.AddRange(Cat(Ip("2001:db8::1"), Ip("2001:db8::2"), U16(sport), U16(dport), U8(17), [13, 0, 0, (byte)(i % 4)], Var(Text(i % 2 == 0 ? "" : "x"))));
        }

        return new IpfixBuilder()
            .Template(256, [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (152, 8), (96, 8)])
            .Template(257, [(27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (95, 4), (82, 65535)])
            .OptionsTemplate(400, 1, (95, 4), (96, 8))
            .Data(400, Cat([13, 0, 0, 0], Text("dns", 8), [13, 0, 0, 1], Text("ssl", 8)))
            .Data(256, [.. v4])
            .Data(257, [.. v6])
            .Build();
    }

    [Fact]
    public void Decoding_and_evaluating_allocate_nothing_per_record_after_warm_up()
    {
        var message = Mixed();
        var decoder = new IpfixDecoder();
        var sink = new EvaluatingSink(new MismatchEvaluator(RuleSet.Escu));
        decoder.Decode(message, IPAddressValue.None, ref sink); // warm-up: learns templates, names, counter keys
        decoder.Decode(message, IPAddressValue.None, ref sink);

        var allocated = Measurements.LeastAllocatedBytes(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                decoder.Decode(message, IPAddressValue.None, ref sink);
            }
        });
        Assert.Equal(0, allocated);
        Assert.True(sink.Records > 2000 * 150, $"{sink.Records} records");
        Assert.True(sink.Mismatches > 0);
        Assert.True(decoder.Counters.SkippedByReason["reply-flow"] > 0);
        Assert.True(decoder.Counters.IsBalanced);
    }

    [Fact]
    public void The_collectors_path_allocates_nothing_per_record_with_its_clock_sweeps_and_skew_check()
    {
        // DecodeDatagram is what IpfixUdpCollector calls: lifetimes, periodic sweeps of domains and templates, and the
        // time-in-future check run on every datagram; two exporters share the state.
        var message = Mixed();
        var decoder = new IpfixDecoder();
        var sink = new EvaluatingSink(new MismatchEvaluator(RuleSet.Escu));
        var first = IPAddressValue.Parse("192.0.2.1");
        var second = IPAddressValue.Parse("192.0.2.2");
        const long Now = 1_700_000_100L * 1_000_000;
        decoder.DecodeDatagram(message, first, ref sink, 0, Now, 0); // warm-up: learns templates, names, counter keys
        decoder.DecodeDatagram(message, second, ref sink, 0, Now, 0);

        var datagrams = 0;
        var allocated = Measurements.LeastAllocatedBytes(() =>
        {
            for (var end = datagrams + 2000; datagrams < end;)
            {
                datagrams++;
                var clock = datagrams * 10_000_000L; // ten seconds a datagram: a sweep every sixth one, 5.5 hours a pass
                decoder.DecodeDatagram(message, (datagrams & 1) == 0 ? first : second, ref sink, 0, Now + clock, clock);
            }
        });
        Assert.Equal(0, allocated);
        Assert.True(sink.Records > 2000 * 150, $"{sink.Records} records");
        Assert.Equal(0, decoder.Statistics.TemplatesExpired);
        Assert.True(decoder.Counters.IsBalanced);
    }
}
