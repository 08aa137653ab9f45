using System.IO.Compression;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary><see cref="IpfixInput.Format"/> and <see cref="IpfixInput.StreamSource"/>: how hosts read IPFIX without a sniffer of their own.</summary>
public sealed class IpfixInputSourceTests
{
    public static TheoryData<string, byte[]> Recognised => new()
    {
        { "IPFIX message", IpfixInputTests.Message(0, 1) },
        { "NetFlow v9 packet", [0, 9, 0, 1, .. new byte[16]] },
        { "NetFlow v5 packet (its records are counted and skipped)", NetFlowV5Tests.Packet(1) },
        { "pcap, little-endian", Captures.Pcap(1) },
        { "pcap, big-endian", [0xA1, 0xB2, 0xC3, 0xD4, .. new byte[20]] },
        { "pcap, nanosecond", [0x4D, 0x3C, 0xB2, 0xA1, .. new byte[20]] },
        { "pcapng", Captures.PcapNg(1) },
    };

    public static TheoryData<string, byte[]> NotRecognised => new()
    {
        { "empty", [] },
        { "IPFIX version alone", [0, 10] },
        { "gzip (the content is matched, after gzip is unwrapped)", [0x1F, 0x8B, 8, 0] },
        { "NetFlow v7", [0, 7, 0, 1, .. new byte[20]] },
        { "Zeek", "#separator \\x09\n"u8.ToArray() },
        { "syslog", "<14>Nov 26 10:00:00 fw 1,2026/11/26"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(Recognised))]
    public void The_format_recognises_export_messages_and_captures(string what, byte[] head)
        => Assert.True(IpfixInput.Format().IsMatch(head), what);

    [Theory]
    [MemberData(nameof(NotRecognised))]
    public void The_format_does_not_take_other_inputs(string what, byte[] head)
        => Assert.False(IpfixInput.Format().IsMatch(head), what);

    [Fact]
    public async Task FlowInput_reads_a_gzip_capture_with_the_format_and_its_options()
    {
        var capture = Captures.Pcap(1, Captures.EthernetIPv4Udp(IpfixInputTests.Message(0, 4), "192.0.2.7", "192.0.2.1"));
        var gzip = new MemoryStream();
        await using (var zip = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true))
        {
            await zip.WriteAsync(capture, TestContext.Current.CancellationToken);
        }

        gzip.Position = 0;
        var diagnostics = new List<InputDiagnostic>();
        var format = IpfixInput.Format(IpfixReaderOptions.Default with { IncludeReplies = true });
        var source = FlowInput.StreamSource(gzip, "capture.pcap.gz", [format], diagnostics.Add);
        var sink = new CollectingSink();

        await source.ReadAsync(sink, TestContext.Current.CancellationToken);

        Assert.Same(format, source.Format);
        Assert.Equal("ipfix", format.Name);
        Assert.Equal(4, sink.Records.Count);
        Assert.Equal(4, source.Counters.Accepted);
        Assert.True(source.Counters.IsBalanced);
        Assert.All(diagnostics, d => Assert.Equal("capture.pcap.gz", d.InputName));
    }

    [Fact]
    public async Task A_stream_source_leaves_its_stream_open_and_counts_while_it_reads()
    {
        var stream = new MemoryStream(IpfixInputTests.Rfc5655File(3, 5));
        var source = IpfixInput.StreamSource(stream, "export.ipfix");
        var seen = new List<long>();
        var sink = new CallbackSink(() => seen.Add(source.Counters.Accepted));

        await source.ReadAsync(sink, TestContext.Current.CancellationToken);

        Assert.Equal("export.ipfix", source.Name);
        Assert.Equal(Enumerable.Range(1, 15).Select(i => (long)i), seen); // each record is counted before it is delivered
        Assert.Equal(15, source.Counters.Accepted);
        Assert.True(stream.CanRead); // not disposed
    }

    private sealed class CallbackSink(Action onRecord) : IFlowRecordSink
    {
        public void OnRecord(in FlowRecord record) => onRecord();
    }
}
