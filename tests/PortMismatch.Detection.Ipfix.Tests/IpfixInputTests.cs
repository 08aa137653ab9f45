using System.IO.Compression;
using System.IO.Pipelines;
using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

public sealed class IpfixInputTests
{
    internal static byte[] Message(int sequence, int records)
    {
        var builder = new IpfixBuilder(sequence: (uint)sequence).Template(256, DecoderTests.V4Fields);
        var data = new List<byte>();
        for (var i = 0; i < records; i++)
        {
            data.AddRange(DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000 + i, 8080));
        }

        return builder.Data(256, [.. data]).Build();
    }

    internal static byte[] Rfc5655File(int messages, int recordsEach)
    {
        var file = new List<byte>();
        for (var m = 0; m < messages; m++)
        {
            file.AddRange(Message(m * recordsEach, recordsEach));
        }

        return [.. file];
    }

    [Fact]
    public async Task A_pipe_fed_in_random_chunks_gives_the_same_records_as_one_span()
    {
        const int Seed = 20261126;
        var file = Rfc5655File(40, 25);
        var expected = new CollectingSink();
        new IpfixDecoder().Decode(file, IPAddressValue.None, expected);

        var random = new Random(Seed);
        var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 64));
        var writing = Task.Run(async () =>
        {
            for (var at = 0; at < file.Length;)
            {
                var n = Math.Min(random.Next(1, 97), file.Length - at);
                await pipe.Writer.WriteAsync(file.AsMemory(at, n), TestContext.Current.CancellationToken);
                at += n;
            }

            await pipe.Writer.CompleteAsync();
        }, TestContext.Current.CancellationToken);
        var sink = new CollectingSink();
        var counters = await IpfixInput.ReadAsync(pipe.Reader, sink, new IpfixDecoder(), TestContext.Current.CancellationToken);
        await writing;

        Assert.True(expected.Records.Count == 1000, $"seed {Seed}");
        Assert.Equal(expected.Records.Select(r => (r.SourcePort, r.Time)), sink.Records.Select(r => (r.SourcePort, r.Time)));
        Assert.True(counters.IsBalanced);
        Assert.Equal(0, counters.Rejected);
    }

    [Fact]
    public async Task A_last_message_cut_short_is_reported_at_its_offset()
    {
        var file = Rfc5655File(3, 2);
        var cut = file[..^7];
        var diagnostics = new List<InputDiagnostic>();
        var decoder = new IpfixDecoder(diagnostics: diagnostics.Add);
        var sink = new CollectingSink();
        var counters = await IpfixInput.ReadStreamAsync(new MemoryStream(cut), sink, decoder, TestContext.Current.CancellationToken);

        Assert.Equal(4, sink.Records.Count);
        var d = Assert.Single(diagnostics, d => d.Outcome == RecordOutcome.Rejected);
        Assert.Equal(("truncated-message", file.Length / 3 * 2L), (d.Reason, d.ByteOffset));
        Assert.True(counters.IsBalanced);
    }

    [Fact]
    public async Task Garbage_between_messages_is_reported_once_and_reading_resumes_at_the_next_header()
    {
        var message = Message(0, 2);
        byte[] file = [.. message, .. Enumerable.Repeat((byte)0xEE, 1000), .. message];
        var diagnostics = new List<InputDiagnostic>();
        var sink = new CollectingSink();
        var counters = await IpfixInput.ReadStreamAsync(new MemoryStream(file), sink, new IpfixDecoder(diagnostics: diagnostics.Add), TestContext.Current.CancellationToken);

        Assert.Equal(4, sink.Records.Count);
        var d = Assert.Single(diagnostics, d => d.Outcome == RecordOutcome.Rejected);
        Assert.Equal(("bad-message-header", (long)message.Length), (d.Reason, d.ByteOffset));
        Assert.True(counters.IsBalanced);
    }

    [Fact]
    public async Task A_gzip_file_is_recognised_by_its_magic_bytes_whatever_its_name()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ipfix-{Guid.NewGuid():N}.dat");
        try
        {
            await using (var file = File.Create(path))
            await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            {
                await gzip.WriteAsync(Rfc5655File(5, 10), TestContext.Current.CancellationToken);
            }

            var sink = new CollectingSink();
            var names = new HashSet<string?>();
            var counters = await IpfixInput.ReadFileAsync(path, sink, diagnostics: d => names.Add(d.InputName), cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(50, sink.Records.Count);
            Assert.Equal([path], names); // the input name of the diagnostics is the path
            Assert.True(counters.IsBalanced);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Pcap_with_vlan_tags_yields_records_scoped_by_the_exporter_address_and_reports_fragments()
    {
        var message = Message(0, 3);
        var capture = Captures.Pcap(1,
            Captures.EthernetIPv4Udp(message, "192.0.2.7", "192.0.2.1", vlan: true),
            [.. new byte[12], 0x08, 0x06, .. new byte[28]], // ARP
            Captures.EthernetIPv4Udp(message, "192.0.2.8", "192.0.2.1", fragment: true));
        var decoder = new IpfixDecoder();
        var sink = new CollectingSink { Decoder = decoder };
        var counters = await IpfixInput.ReadStreamAsync(new MemoryStream(capture), sink, decoder, TestContext.Current.CancellationToken);

        Assert.Equal(3, sink.Records.Count);
        Assert.All(sink.Records, r => Assert.Equal("192.0.2.7", r.Context.Exporter.ToString()));
        Assert.Equal((2L, 1L), (decoder.Statistics.PacketsIgnored, decoder.Statistics.Fragments));
        Assert.Equal(1, counters.RejectedByReason["ip-fragment"]);
        Assert.True(counters.IsBalanced);
    }

    [Fact]
    public async Task Pcapng_with_linux_cooked_ipv6_and_a_v9_exporter()
    {
        var v9 = new V9Builder().Template(256, DecoderTests.V4Fields).Data(256, DecoderTests.V4Record("10.1.1.1", "10.2.2.2", 40000, 53, 17)).Build();
        var capture = Captures.PcapNg(113, Captures.CookedIPv6Udp(v9, "2001:db8::7", "2001:db8::1"));
        var decoder = new IpfixDecoder();
        var sink = new CollectingSink { Decoder = decoder };
        await IpfixInput.ReadStreamAsync(new MemoryStream(capture), sink, decoder, TestContext.Current.CancellationToken);

        var r = Assert.Single(sink.Records);
        Assert.Equal(("10.2.2.2", 9, "2001:db8::7"), (r.Destination, r.Context.Version, r.Context.Exporter.ToString()));
    }

    [Fact]
    public async Task A_saved_v9_datagram_is_one_packet()
    {
        var v9 = new V9Builder().Template(256, DecoderTests.V4Fields).Data(256, DecoderTests.V4Record("10.1.1.1", "10.2.2.2", 40000, 53, 17)).Build();
        var sink = new CollectingSink();
        await IpfixInput.ReadStreamAsync(new MemoryStream(v9), sink, new IpfixDecoder(), TestContext.Current.CancellationToken);
        Assert.Single(sink.Records);
    }

    [Fact]
    public async Task Input_in_no_known_format_throws_the_package_exception()
    {
        var e = await Assert.ThrowsAsync<IpfixFormatException>(() => IpfixInput.ReadStreamAsync(new MemoryStream(Text("hello, world")), new CollectingSink(), new IpfixDecoder(), TestContext.Current.CancellationToken).AsTask());
        Assert.Equal("unknown-format", e.ReasonCode);
        Assert.Contains("hello, world", e.Message, StringComparison.Ordinal);

        var empty = await IpfixInput.ReadStreamAsync(new MemoryStream(), new CollectingSink(), new IpfixDecoder(), TestContext.Current.CancellationToken);
        Assert.Equal(0, empty.Read);
    }

    [Fact]
    public async Task Reading_can_be_cancelled()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Message(0, 1), TestContext.Current.CancellationToken);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => IpfixInput.ReadAsync(pipe.Reader, new CollectingSink(), new IpfixDecoder(), cancel.Token).AsTask());
    }

    [Fact]
    public async Task A_saved_v9_datagram_larger_than_the_maximum_is_rejected_and_drained_not_buffered()
    {
        var v9 = new V9Builder().Template(256, DecoderTests.V4Fields).Build();
        byte[] huge = [.. v9, .. new byte[200_000]];
        var diagnostics = new List<InputDiagnostic>();
        var counters = await IpfixInput.ReadStreamAsync(new MemoryStream(huge), new CollectingSink(), new IpfixDecoder(diagnostics: diagnostics.Add), TestContext.Current.CancellationToken);
        Assert.Equal("message-too-large", Assert.Single(diagnostics).Reason);
        Assert.True(counters.IsBalanced);
    }
}
