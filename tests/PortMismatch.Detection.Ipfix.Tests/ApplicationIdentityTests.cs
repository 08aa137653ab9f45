using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

public sealed class ApplicationIdentityTests
{
    private static readonly Field[] Flow = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1)];

    private static byte[] FlowBytes(int dport = 4444) => Cat(Ip("10.0.0.1"), Ip("10.0.0.2"), U16(50000), U16(dport), U8(6));

    private static string? DecodeOne(params byte[][] messages)
    {
        var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { IncludeReplies = true });
        var sink = new CollectingSink();
        foreach (var m in messages)
        {
            decoder.Decode(m, IPAddressValue.None, sink);
        }

        Assert.True(decoder.Counters.IsBalanced);
        return Assert.Single(sink.Records).App;
    }

    [Fact]
    public void Ie96_application_name_is_the_app()
        => Assert.Equal("ssl", DecodeOne(new IpfixBuilder().Template(256, [.. Flow, (96, 8)]).Data(256, Cat(FlowBytes(), Text("ssl", 8))).Build()));

    [Fact]
    public void Ie95_is_named_through_an_options_record_of_the_same_domain()
    {
        var options = new IpfixBuilder().OptionsTemplate(400, 1, (95, 4), (96, 32)).Data(400, Cat([13, 0, 0, 53], Text("dns", 32))).Build();
        var data = new IpfixBuilder().Template(256, [.. Flow, (95, 4)]).Data(256, Cat(FlowBytes(), [13, 0, 0, 53])).Build();
        Assert.Equal("dns", DecodeOne(options, data));
    }

    [Fact]
    public void A_renamed_application_id_takes_the_new_name()
    {
        var first = new IpfixBuilder().OptionsTemplate(400, 1, (95, 4), (96, 8)).Data(400, Cat([13, 0, 0, 7], Text("http", 8))).Build();
        var second = new IpfixBuilder().OptionsTemplate(400, 1, (95, 4), (96, 8)).Data(400, Cat([13, 0, 0, 7], Text("ssl", 8))).Build();
        var data = new IpfixBuilder().Template(256, [.. Flow, (95, 4)]).Data(256, Cat(FlowBytes(), [13, 0, 0, 7])).Build();
        Assert.Equal("ssl", DecodeOne(first, second, data));
    }

    [Fact]
    public void Pmacct_ndpi_engine_22_with_exporting_process_scope_and_nul_padded_names()
    {
        // pmacct: options scoped by exportingProcessId (IE 144), IE 95 of 5 octets (engine 22, not IANA-assigned), 32-octet IE 96.
        var options = new IpfixBuilder().OptionsTemplate(500, 1, (144, 4), (95, 5), (96, 32))
            .Data(500, Cat(U32(1), [22, 0, 0, 0, 5], Text("DNS", 32), U32(1), [22, 0, 0, 0, 7], Text("HTTP", 32)))
            .Build();
        var data = new IpfixBuilder().Template(256, [.. Flow, (95, 5)]).Data(256, Cat(FlowBytes(), [22, 0, 0, 0, 7])).Build();
        Assert.Equal("HTTP", DecodeOne(options, data));
    }

    [Theory]
    [InlineData(new byte[] { 13, 0, 1, 0xAF }, "13:431")]
    [InlineData(new byte[] { 3, 0, 53 }, "3:53")]
    [InlineData(new byte[] { 20, 0, 0, 0x30, 0x44, 0, 0, 0x9E, 0x78 }, "20:12356:40568")]
    [InlineData(new byte[] { 0, 0, 0, 0x52 }, "0:82")]
    public void Unresolved_application_ids_are_kept_as_engine_colon_selector(byte[] id, string expected)
    {
        var message = new IpfixBuilder().Template(256, [.. Flow, (95, (ushort)id.Length)]).Data(256, Cat(FlowBytes(), id)).Build();
        Assert.Equal(expected, DecodeOne(message));
    }

    [Theory]
    [InlineData(53, "dns")]
    [InlineData(80, "http")]
    [InlineData(443, "ssl")]
    [InlineData(25, "smtp")]
    [InlineData(6881, "yaf:6881")]
    [InlineData(0, null)]
    public void Yaf_app_label_is_named_by_its_well_known_port(int label, string? expected)
    {
        var message = new IpfixBuilder().Template(256, [.. Flow, new Field(33, 2, 6871)]).Data(256, Cat(FlowBytes(), U16(label))).Build();
        Assert.Equal(expected, DecodeOne(message));
    }

    [Fact]
    public void Nprobe_l7_name_in_ipfix_and_v9_and_number_when_no_name()
    {
        Assert.Equal("HTTP", DecodeOne(new IpfixBuilder().Template(256, [.. Flow, new Field(119, 65535, 35632)]).Data(256, Cat(FlowBytes(), Var(Text("HTTP")))).Build()));
        Assert.Equal("DNS", DecodeOne(new V9Builder().Template(256, [.. Flow, (57591, 16)]).Data(256, Cat(FlowBytes(), Text("DNS", 16))).Build()));
        Assert.Equal("ndpi:7", DecodeOne(new V9Builder().Template(256, [.. Flow, (57590, 2)]).Data(256, Cat(FlowBytes(), U16(7))).Build()));
        Assert.Equal("ndpi:7.126", DecodeOne(new IpfixBuilder().Template(256, [.. Flow, new Field(118, 65535, 35632)]).Data(256, Cat(FlowBytes(), Var(Text("7.126")))).Build()));
    }

    [Theory]
    [InlineData(15397u, 1, "HTTP")] // Procera proceraService
    [InlineData(3054u, 111, "DNS")] // Ixia ixiaL7AppName
    public void Dpi_application_names_of_other_vendors(uint enterprise, int id, string name)
        => Assert.Equal(name, DecodeOne(new IpfixBuilder().Template(256, [.. Flow, new Field((ushort)id, 65535, enterprise)]).Data(256, Cat(FlowBytes(), Var(Text(name)))).Build()));

    [Fact]
    public void Pan_os_v9_app_id_field_56701_is_nul_padded()
        => Assert.Equal("web-browsing", DecodeOne(new V9Builder().Template(256, [.. Flow, (56701, 32), (56702, 32)]).Data(256, Cat(FlowBytes(), Text("web-browsing", 32), Text("acme\\bob", 32))).Build()));

    [Fact]
    public void V9_options_template_with_system_scope_names_application_ids()
    {
        var options = new V9Builder(sourceId: 5).OptionsTemplate(260, [(1, 4)], [(95, 4), (96, 24)]).Data(260, Cat(U32(0), [13, 0, 0, 3], Text("smtp", 24))).Build();
        var data = new V9Builder(sourceId: 5, sequence: 1).Template(262, [.. Flow, (95, 4)]).Data(262, Cat(FlowBytes(2525), [13, 0, 0, 3])).Build();
        Assert.Equal("smtp", DecodeOne(options, data));
    }
}
