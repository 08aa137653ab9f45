using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

public sealed class TimeTests
{
    private static readonly Field[] Flow = [(8, 4), (12, 4), (11, 2)];
    private static readonly byte[] FlowBytes = Cat(Ip("10.0.0.1"), Ip("10.0.0.2"), U16(80));
    private const long Export = 1_700_000_000;

    private static long TimeOf(params byte[][] messages)
    {
        var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { IncludeReplies = true });
        var sink = new CollectingSink();
        foreach (var m in messages)
        {
            decoder.Decode(m, IPAddressValue.None, sink);
        }

        return Assert.Single(sink.Records).Time;
    }

    private static ulong Ntp(long unixSeconds, uint fraction) => ((ulong)(unixSeconds + 2_208_988_800) << 32) | fraction;

    [Fact]
    public void Micro_and_nanosecond_starts_are_ntp_timestamps()
    {
        var half = 0x8000_0000u;
        Assert.Equal((Export * 1_000_000) + 500_000, TimeOf(new IpfixBuilder().Template(256, [.. Flow, (154, 8)]).Data(256, Cat(FlowBytes, U64(Ntp(Export, half)))).Build()));
        Assert.Equal((Export * 1_000_000) + 500_000, TimeOf(new IpfixBuilder().Template(256, [.. Flow, (156, 8)]).Data(256, Cat(FlowBytes, U64(Ntp(Export, half)))).Build()));
    }

    [Fact]
    public void V9_first_switched_is_relative_to_the_header_uptime_and_unix_seconds()
    {
        // sysUpTime 100000 ms at unix 1700000000; the flow started at uptime 40000: 60 s earlier.
        var packet = new V9Builder(sysUpTime: 100_000, unixSeconds: (uint)Export).Template(256, [.. Flow, (22, 4)]).Data(256, Cat(FlowBytes, U32(40_000))).Build();
        Assert.Equal((Export - 60) * 1_000_000, TimeOf(packet));
    }

    [Fact]
    public void Ipfix_sysuptime_start_uses_system_init_time_from_the_record_or_an_options_record()
    {
        const ulong Init = 1_699_999_000_000;
        Assert.Equal((long)(Init + 5_000) * 1000, TimeOf(new IpfixBuilder().Template(256, [.. Flow, (22, 4), (160, 8)]).Data(256, Cat(FlowBytes, U32(5_000), U64(Init))).Build()));

        var options = new IpfixBuilder().OptionsTemplate(400, 1, (144, 4), (160, 8)).Data(400, Cat(U32(1), U64(Init))).Build();
        Assert.Equal((long)(Init + 7_000) * 1000, TimeOf(options, new IpfixBuilder().Template(256, [.. Flow, (22, 4)]).Data(256, Cat(FlowBytes, U32(7_000))).Build()));
    }

    [Fact]
    public void Delta_microseconds_count_back_from_the_export_time_and_no_start_means_export_time()
    {
        Assert.Equal((Export * 1_000_000) - 2_500_000, TimeOf(new IpfixBuilder(exportTime: (uint)Export).Template(256, [.. Flow, (158, 4)]).Data(256, Cat(FlowBytes, U32(2_500_000))).Build()));
        Assert.Equal(Export * 1_000_000, TimeOf(new IpfixBuilder(exportTime: (uint)Export).Template(256, Flow).Data(256, FlowBytes).Build()));
    }

    [Fact]
    public void Without_a_start_the_end_time_then_an_observation_time_is_used()
    {
        Assert.Equal(1_600_000_000_250_000, TimeOf(new IpfixBuilder().Template(256, [.. Flow, (153, 8)]).Data(256, Cat(FlowBytes, U64(1_600_000_000_250))).Build()));
        Assert.Equal(1_600_000_001_000_000, TimeOf(new IpfixBuilder().Template(256, [.. Flow, (151, 4), (323, 8)]).Data(256, Cat(FlowBytes, U32(1_600_000_001), U64(1))).Build()));
        Assert.Equal(1_600_000_000_500_000, TimeOf(new V9Builder().Template(256, [.. Flow, (323, 8)]).Data(256, Cat(FlowBytes, U64(1_600_000_000_500))).Build()));
    }

    [Fact]
    public void V9_uptime_differences_survive_the_32_bit_wrap()
    {
        // The header's sysUpTime wrapped to 1000 ms; the flow started at uptime 2^32 - 1000 ms: 2 s earlier.
        var packet = new V9Builder(sysUpTime: 1_000, unixSeconds: (uint)Export).Template(256, [.. Flow, (22, 4)]).Data(256, Cat(FlowBytes, U32(uint.MaxValue - 999))).Build();
        Assert.Equal((Export - 2) * 1_000_000, TimeOf(packet));
    }
}
