namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>
/// What the decoder does differently for datagrams a collector received (issue #16 items 3 and 5): RFC 7011 section 8.4
/// template lifetime and ignored withdrawals, section 9.3 idle domains, and records dated ahead of the clock. The clocks are
/// given by the test, as the collector gives its own.
/// </summary>
public sealed class UdpTransportRuleTests
{
    private const long Minute = 60_000_000; // microseconds
    private const long Epoch = 1_700_000_000L * 1_000_000; // the builders' export time, and the default record time
    private static readonly IPAddressValue Exporter = IPAddressValue.Parse("192.0.2.1");

    private static long Received(IpfixDecoder decoder, byte[] datagram, CollectingSink sink, long minutes, long wallClock = Epoch)
        => decoder.DecodeDatagram(datagram, Exporter, ref sink, 0, wallClock + (minutes * Minute), minutes * Minute);

    private static byte[] Template(uint domain = 1) => new IpfixBuilder(domain).Template(256, DecoderTests.V4Fields).Build();

    private static byte[] Data(uint domain = 1, ulong startMs = 1_700_000_000_123) =>
        new IpfixBuilder(domain).Data(256, DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000, 8080, startMs: startMs)).Build();

    [Fact]
    public void A_template_not_re_sent_within_its_lifetime_expires_and_its_data_is_reported_until_it_comes_again()
    {
        var diagnostics = new List<InputDiagnostic>();
        var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { TemplateLifetime = TimeSpan.FromMinutes(30) }, diagnostics: diagnostics.Add);
        var sink = new CollectingSink();

        Received(decoder, Template(), sink, 0);
        Assert.Equal(1, Received(decoder, Data(), sink, 29));
        Assert.Equal(0, Received(decoder, Data(), sink, 31));
        Assert.Equal(1, decoder.Counters.SkippedByReason["template-expired"]);
        Assert.Equal(1, decoder.Statistics.TemplatesExpired);
        var told = Assert.Single(diagnostics, d => d.Reason == "template-expired");
        Assert.Contains("TemplateLifetime (00:30:00)", told.Message, StringComparison.Ordinal);

        Received(decoder, Template(), sink, 32);
        Assert.Equal(1, Received(decoder, Data(), sink, 33));
        Assert.Equal(2, sink.Records.Count);
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());
    }

    [Fact]
    public void A_template_re_sent_within_its_lifetime_stays_valid()
    {
        var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { TemplateLifetime = TimeSpan.FromMinutes(30) });
        var sink = new CollectingSink();
        for (var minute = 0; minute <= 120; minute += 20)
        {
            Received(decoder, Template(), sink, minute);
            Received(decoder, Data(), sink, minute + 10);
        }

        Assert.Equal(7, sink.Records.Count);
        Assert.Equal(0, decoder.Statistics.TemplatesExpired);
        Assert.Equal(1, decoder.Statistics.TemplatesLearned);
    }

    [Fact]
    public void A_domain_silent_for_a_lifetime_is_dropped_and_files_never_age()
    {
        var options = IpfixReaderOptions.Default with { TemplateLifetime = TimeSpan.FromMinutes(30) };
        var decoder = new IpfixDecoder(options);
        var sink = new CollectingSink();
        Received(decoder, Template(1), sink, 0);
        Received(decoder, Template(2), sink, 0);
        Received(decoder, Template(2), sink, 25);
        Received(decoder, Template(3), sink, 45); // the sweep before it drops domain 1 (silent 45 minutes), not domain 2

        Assert.Equal(2, decoder.DomainCount);
        Assert.Equal(1, decoder.Statistics.DomainsEvicted);
        Assert.Equal(0, Received(decoder, Data(1), sink, 46));
        Assert.Equal(1, decoder.Counters.SkippedByReason["template-expired"]);

        // The same messages from a file: no clock, nothing ages.
        var file = new IpfixDecoder(options);
        file.Decode(Template(1), Exporter, sink);
        Assert.Equal(1, file.Decode(Data(1), Exporter, sink));
        Assert.Equal(0, file.Statistics.TemplatesExpired);
    }

    [Fact]
    public void Withdrawals_are_ignored_over_udp_and_honoured_in_files()
    {
        // RFC 7011 section 8.4: withdrawals must not be sent over UDP and must be ignored there (anyone can spoof one).
        var withdraw = new IpfixBuilder(1).Withdraw(256).Build();
        var live = new IpfixDecoder();
        var sink = new CollectingSink();
        Received(live, Template(), sink, 0);
        Received(live, withdraw, sink, 1);
        Assert.Equal(1, Received(live, Data(), sink, 2));
        Assert.Equal(0, live.Statistics.TemplatesWithdrawn);

        var file = new IpfixDecoder();
        file.Decode(Template(), Exporter, sink);
        file.Decode(withdraw, Exporter, sink);
        Assert.Equal(0, file.Decode(Data(), Exporter, sink));
        Assert.Equal(1, file.Statistics.TemplatesWithdrawn);
        Assert.Equal(1, file.Counters.SkippedByReason["no-template"]);
    }

    [Fact]
    public void Records_more_than_MaxClockSkew_ahead_of_the_clock_are_rejected_as_time_in_future()
    {
        var diagnostics = new List<InputDiagnostic>();
        var decoder = new IpfixDecoder(IpfixReaderOptions.Default, "udp://127.0.0.1:4739", diagnostics.Add);
        var sink = new CollectingSink();
        var now = Epoch;
        var message = new IpfixBuilder(1).Template(256, DecoderTests.V4Fields)
            .Data(256, Bytes.Cat(
                DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000, 443, startMs: (ulong)((now / 1000) + (4 * 60_000))),   // 4 min ahead: drift
                DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50001, 443, startMs: (ulong)((now / 1000) + (5 * 60_000))),   // exactly the skew
                DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50002, 443, startMs: (ulong)((now / 1000) + (5 * 60_000) + 1)), // 1 ms past it
                DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50003, 443, startMs: 253_402_300_799_000)))                  // 9999-12-31
            .Build();

        Assert.Equal(2, decoder.DecodeDatagram(message, Exporter, ref sink, 0, now, 0));

        Assert.Equal(2, decoder.Counters.RejectedByReason["time-in-future"]);
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());
        var last = diagnostics.Last(d => d.Reason == "time-in-future");
        Assert.Equal(RecordOutcome.Rejected, last.Outcome);
        Assert.Equal("udp://127.0.0.1:4739", last.InputName);
        Assert.Contains("192.0.2.1", last.Message, StringComparison.Ordinal);
        Assert.Contains("9999-12-31T23:59:59", last.Message, StringComparison.Ordinal);

        // A file is not checked: it may be read on a machine whose clock is behind the exporter's.
        var file = new IpfixDecoder();
        Assert.Equal(4, file.Decode(message, Exporter, sink));
    }

    [Fact]
    public void A_negative_MaxClockSkew_is_refused_when_the_decoder_is_made_as_the_PanOs_collector_refuses_it()
    {
        // Before, the decoder took a negative skew as 0 without a word, while PanOsSyslogUdpCollector threw.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new IpfixDecoder(IpfixReaderOptions.Default with { MaxClockSkew = TimeSpan.FromMinutes(-1) }));
        Assert.Equal("options", e.ParamName);
        Assert.StartsWith("IpfixReaderOptions.MaxClockSkew is -00:01:00; it must not be negative.", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, new IpfixDecoder(IpfixReaderOptions.Default with { MaxClockSkew = TimeSpan.Zero }).DomainCount);
    }

    [Fact]
    public void A_TemplateLifetime_of_zero_or_less_is_refused_and_an_infinite_one_never_ages()
    {
        // Before, zero or less was taken as 0: every template of an earlier datagram had expired and each sweep dropped
        // every domain, so IPFIX over UDP decoded nothing, without a word.
        foreach (var lifetime in new[] { TimeSpan.Zero, TimeSpan.FromMinutes(-1), TimeSpan.MinValue })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new IpfixDecoder(IpfixReaderOptions.Default with { TemplateLifetime = lifetime }));
            Assert.Equal("options", e.ParamName);
            Assert.StartsWith($"IpfixReaderOptions.TemplateLifetime is {lifetime}; it must be positive, or Timeout.InfiniteTimeSpan", e.Message, StringComparison.Ordinal);
        }

        var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { TemplateLifetime = Timeout.InfiniteTimeSpan });
        var sink = new CollectingSink();
        const long TenYears = 10L * 365 * 24 * 60;
        Received(decoder, Template(1), sink, 0);
        Received(decoder, Template(2), sink, 1);
        Assert.Equal(1, Received(decoder, Data(2), sink, TenYears, wallClock: Epoch - (TenYears * Minute)));
        Assert.Equal(1, Received(decoder, Data(1), sink, TenYears + 1, wallClock: Epoch - (TenYears * Minute)));
        Assert.Equal((0L, 0L, 2), (decoder.Statistics.TemplatesExpired, decoder.Statistics.DomainsEvicted, decoder.DomainCount));
    }
}
