using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>
/// NetFlow v5 has no application field: its packets are framed by their record count and every record is counted and
/// skipped as <c>netflow-v5</c>, from a span, a file, a stream, a capture and UDP, so that a v5 export is explained
/// rather than read as nothing.
/// </summary>
public sealed class NetFlowV5Tests
{
    private const string Reason = "netflow-v5";
    private const int HeaderLength = 24;
    private const int RecordLength = 48;

    /// <summary>One flow of a v5 packet.</summary>
    public readonly record struct V5Flow(string Source, int SourcePort, string Destination, int DestinationPort, int Protocol = 17);

    /// <summary>
    /// A NetFlow v5 packet as Cisco documents it: a 24-octet header (version 5, count, sys_uptime, unix_secs, unix_nsecs,
    /// flow_sequence, engine type and id, sampling) and 48-octet records; <paramref name="count"/> overrides the header's count.
    /// </summary>
    public static byte[] Packet(int? count = null, params V5Flow[] flows)
    {
        var packet = new List<byte>();
        packet.AddRange(Bytes.U16(5));
        packet.AddRange(Bytes.U16(count ?? flows.Length));
        packet.AddRange(Bytes.U32(3_600_000)); // sys_uptime, ms
        packet.AddRange(Bytes.U32(1_700_000_000)); // unix_secs
        packet.AddRange(Bytes.U32(0)); // unix_nsecs
        packet.AddRange(Bytes.U32(42)); // flow_sequence
        packet.AddRange([0, 0]); // engine type, engine id
        packet.AddRange(Bytes.U16(0)); // sampling
        foreach (var flow in flows)
        {
            packet.AddRange(Bytes.Ip(flow.Source));
            packet.AddRange(Bytes.Ip(flow.Destination));
            packet.AddRange(new byte[4]); // next hop
            packet.AddRange(Bytes.U16(1)); // input interface
            packet.AddRange(Bytes.U16(2)); // output interface
            packet.AddRange(Bytes.U32(3)); // packets
            packet.AddRange(Bytes.U32(180)); // octets
            packet.AddRange(Bytes.U32(3_590_000)); // first, sys_uptime ms
            packet.AddRange(Bytes.U32(3_595_000)); // last
            packet.AddRange(Bytes.U16(flow.SourcePort));
            packet.AddRange(Bytes.U16(flow.DestinationPort));
            packet.AddRange([0, 0x18, (byte)flow.Protocol, 0]); // pad, tcp flags, protocol, tos
            packet.AddRange(new byte[8]); // src_as, dst_as, masks, pad
        }

        return [.. packet];
    }

    /// <summary>A v5 packet of <paramref name="records"/> DNS flows from ports 50000 on.</summary>
    public static byte[] Packet(int records)
        => Packet(null, [.. Enumerable.Range(0, records).Select(i => new V5Flow("10.0.0.1", 50000 + i, "10.0.0.2", 53))]);

    private static (IpfixDecoder Decoder, List<InputDiagnostic> Diagnostics) New()
    {
        var diagnostics = new List<InputDiagnostic>();
        return (new IpfixDecoder(null, "v5.dat", diagnostics.Add), diagnostics);
    }

    [Fact]
    public void Every_record_of_a_packet_is_read_and_skipped_with_its_offset_and_flow()
    {
        var (decoder, diagnostics) = New();
        var sink = new CollectingSink();

        var accepted = decoder.Decode(Packet(null, new V5Flow("10.0.0.1", 50000, "10.0.0.2", 53), new V5Flow("192.0.2.7", 40000, "198.51.100.1", 8080, 6), new V5Flow("10.0.0.3", 1, "10.0.0.4", 2)), IPAddressValue.None, sink);

        Assert.Equal(0, accepted);
        Assert.Empty(sink.Records);
        Assert.Equal("read 3 = accepted 0 + rejected 0 + skipped 3", decoder.Counters.ToString());
        Assert.Equal(3, decoder.Counters.SkippedByReason[Reason]);
        Assert.Equal(1, decoder.Statistics.Messages);
        Assert.Equal([HeaderLength, HeaderLength + RecordLength, HeaderLength + (2 * RecordLength)], diagnostics.Select(d => d.ByteOffset));
        Assert.All(diagnostics, d => Assert.Equal((RecordOutcome.Skipped, Reason, "v5.dat"), (d.Outcome, d.Reason, d.InputName)));
        Assert.Contains("192.0.2.7:40000 -> 198.51.100.1:8080, protocol 6", diagnostics[1].Message, StringComparison.Ordinal);
        Assert.Contains("no application field", diagnostics[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Packets_one_after_another_are_framed_by_their_counts_and_an_empty_packet_is_no_record()
    {
        var (decoder, diagnostics) = New();

        decoder.Decode([.. Packet(2), .. Packet(0), .. Packet(30)], IPAddressValue.None, new CollectingSink());

        Assert.Equal("read 32 = accepted 0 + rejected 0 + skipped 32", decoder.Counters.ToString());
        Assert.Equal(3, decoder.Statistics.Messages);
        Assert.Equal(HeaderLength + (2 * RecordLength) + HeaderLength + HeaderLength, diagnostics[2].ByteOffset); // the third packet's first record
    }

    public static TheoryData<string, byte[], string, long, long> Malformed => new()
    {
        // what, payload, reason, its byte offset, records skipped before it
        { "a count above 30", Packet(count: 31, [.. Enumerable.Repeat(new V5Flow("10.0.0.1", 1, "10.0.0.2", 2), 31)]), "bad-message-length", 0, 0 },
        { "a count of 65535", Packet(count: 65535), "bad-message-length", 0, 0 },
        { "fewer records than the count", Packet(3)[..(HeaderLength + (2 * RecordLength))], "truncated-message", 0, 0 },
        { "a short header", Packet(1)[..3], "truncated-message", 0, 0 },
        { "octets after the packet that are no v5 packet", [.. Packet(2), 0, 7, 0, 1, .. new byte[20]], "bad-message-length", HeaderLength + (2 * RecordLength), 2 },
        { "a second packet cut short", [.. Packet(2), .. Packet(2)[..30]], "truncated-message", HeaderLength + (2 * RecordLength), 2 },
        { "a second packet whose count is too large", [.. Packet(1), .. Packet(count: 200, new V5Flow("10.0.0.1", 1, "10.0.0.2", 2))], "bad-message-length", HeaderLength + RecordLength, 1 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_header_is_rejected_with_its_offset(string what, byte[] payload, string reason, long offset, long skipped)
    {
        var (decoder, diagnostics) = New();

        decoder.Decode(payload, IPAddressValue.None, new CollectingSink());

        Assert.True(decoder.Counters.IsBalanced, what);
        Assert.Equal(skipped, decoder.Counters.Skipped);
        Assert.Equal(1, decoder.Counters.Rejected);
        var rejected = Assert.Single(diagnostics, d => d.Outcome == RecordOutcome.Rejected);
        Assert.Equal((reason, offset), (rejected.Reason, rejected.ByteOffset));
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_file_counts_what_the_span_decoder_counts(string what, byte[] payload, string reason, long offset, long skipped)
    {
        var path = Path.Combine(Path.GetTempPath(), $"v5-{Guid.NewGuid():N}.dat");
        await File.WriteAllBytesAsync(path, payload, TestContext.Current.CancellationToken);
        try
        {
            var diagnostics = new List<InputDiagnostic>();
            var counters = await IpfixInput.ReadFileAsync(path, new CollectingSink(), diagnostics: diagnostics.Add, cancellationToken: TestContext.Current.CancellationToken);

            Assert.True(counters.IsBalanced, what);
            Assert.Equal((skipped, 1L), (counters.Skipped, counters.Rejected));
            var rejected = Assert.Single(diagnostics, d => d.Outcome == RecordOutcome.Rejected);
            Assert.Equal((reason, offset, path), (rejected.Reason, rejected.ByteOffset, rejected.InputName));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Mutated_v5_content_counts_alike_through_the_span_decoder_and_the_file_reader()
    {
        // The framer (files, streams) and the span decoder (datagrams) share the header check: for any content that starts
        // as v5, both must count the same records with the same reasons, balanced.
        const int Seed = 5_0518;
        var random = new Random(Seed);
        byte[] valid = [.. Packet(2), .. Packet(5), .. Packet(30), .. Packet(1)];
        for (var i = 0; i < 300; i++)
        {
            var content = valid[..random.Next(2, valid.Length + 1)];
            for (var flips = random.Next(0, 4); flips > 0; flips--)
            {
                content[random.Next(2, content.Length)] = (byte)random.Next(256); // the version of the first packet stays 5
            }

            var span = new IpfixDecoder();
            span.Decode(content, IPAddressValue.None, new CollectingSink());
            var file = await IpfixInput.ReadStreamAsync(new MemoryStream(content), new CollectingSink(), new IpfixDecoder(), TestContext.Current.CancellationToken);

            Assert.True(file.IsBalanced && span.Counters.IsBalanced, $"seed {Seed}, case {i}");
            Assert.Equal(0, file.Accepted);
            Assert.True(Describe(span.Counters) == Describe(file), $"seed {Seed}, case {i}: span {Describe(span.Counters)}, file {Describe(file)}");
        }

        static string Describe(InputCounters counters)
            => $"{counters} [{string.Join(",", counters.RejectedByReason.Concat(counters.SkippedByReason).OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}={r.Value}"))}]";
    }

    [Fact]
    public async Task A_file_of_many_packets_is_read_to_its_end_plain_and_gzip()
    {
        byte[] file = [.. Packet(2), .. Packet(4), .. Packet(30), .. Packet(1)];
        var gzip = new MemoryStream();
        await using (var zip = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true))
        {
            await zip.WriteAsync(file, TestContext.Current.CancellationToken);
        }

        foreach (var content in new[] { file, gzip.ToArray() })
        {
            var diagnostics = new List<InputDiagnostic>();
            var decoder = new IpfixDecoder(null, "export.dat", diagnostics.Add);
            var counters = await IpfixInput.ReadStreamAsync(new MemoryStream(content), new CollectingSink(), decoder, TestContext.Current.CancellationToken);

            Assert.Equal("read 37 = accepted 0 + rejected 0 + skipped 37", counters.ToString());
            Assert.Equal(37, counters.SkippedByReason[Reason]);
            Assert.Equal(4, decoder.Statistics.Messages);
            Assert.Equal(file.Length - RecordLength, diagnostics[^1].ByteOffset); // offsets in the uncompressed content
        }
    }

    [Fact]
    public async Task FlowInput_recognises_v5_content_as_the_ipfix_format()
    {
        var format = IpfixInput.Format();
        var source = FlowInput.StreamSource(new MemoryStream([.. Packet(3), .. Packet(5)]), "v5.dat", [format]);

        await source.ReadAsync(new CollectingSink(), TestContext.Current.CancellationToken);

        Assert.Same(format, source.Format);
        Assert.Equal("read 8 = accepted 0 + rejected 0 + skipped 8", source.Counters.ToString());
        Assert.Equal(8, source.Counters.SkippedByReason[Reason]);
    }

    [Fact]
    public void Detection_takes_v5_and_still_names_v1_v7_and_v8_as_not_read()
    {
        Assert.True(IpfixInput.Format().IsMatch(Packet(1)));
        Assert.True(IpfixInput.Format().IsMatch(Packet(count: 500))); // recognised, then rejected with its offset: not "not recognised"
        foreach (var version in new[] { 1, 7, 8 })
        {
            byte[] head = [0, (byte)version, 0, 1, .. new byte[20]];
            Assert.False(IpfixInput.Format().IsMatch(head));
            Assert.StartsWith($"NetFlow v{version}, which is not read", IpfixInput.Format().ExplainMismatch(head), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_capture_of_v5_datagrams_counts_their_records_at_their_offsets_in_the_file()
    {
        var v5 = Packet(3);
        var frame = Captures.EthernetIPv4Udp(v5, "192.0.2.7", "192.0.2.1");
        var capture = Captures.Pcap(1, frame, Captures.EthernetIPv4Udp(IpfixInputTests.Message(0, 2), "192.0.2.8", "192.0.2.1"));
        var diagnostics = new List<InputDiagnostic>();
        var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { IncludeReplies = true }, "v5.pcap", diagnostics.Add);
        var sink = new CollectingSink();

        var counters = await IpfixInput.ReadStreamAsync(new MemoryStream(capture), sink, decoder, TestContext.Current.CancellationToken);

        Assert.Equal(3, counters.SkippedByReason[Reason]);
        Assert.Equal(2, counters.Accepted); // the IPFIX datagram next to it is read as before
        Assert.True(counters.IsBalanced);
        Assert.Equal(0, decoder.Statistics.PacketsIgnored); // v5 datagrams were ignored without a word before
        const int PcapHeader = 24, RecordHeader = 16;
        var payloadInFile = PcapHeader + RecordHeader + (frame.Length - v5.Length);
        Assert.Equal(payloadInFile + HeaderLength, diagnostics.First(d => d.Reason == Reason).ByteOffset);
    }

    [Fact]
    public async Task A_v5_datagram_on_the_collector_is_counted_with_its_sender()
    {
        var diagnostics = new ConcurrentQueue<InputDiagnostic>();
        using var collector = new IpfixUdpCollector(new IPEndPoint(IPAddress.Loopback, 0), diagnostics: diagnostics.Enqueue);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = collector.ReadAsync(new CollectingSink(), stop.Token);
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(collector.LocalEndPoint);

        await sender.SendAsync(Packet(30), TestContext.Current.CancellationToken);
        await sender.SendAsync(Packet(count: 40), TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => collector.Counters.Read, read => read >= 31, "records read", TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await running;

        Assert.Equal("read 31 = accepted 0 + rejected 1 + skipped 30", collector.Counters.ToString());
        Assert.Equal(30, collector.Counters.SkippedByReason[Reason]);
        Assert.Equal(1, collector.Counters.RejectedByReason["bad-message-length"]);
        var port = ((IPEndPoint)sender.Client.LocalEndPoint!).Port;
        Assert.All(diagnostics, d => Assert.Equal($"127.0.0.1:{port}", d.Sender));
        var rejected = Assert.Single(diagnostics, d => d.Outcome == RecordOutcome.Rejected);
        Assert.Equal(Packet(30).Length, rejected.ByteOffset); // octets received before it
    }
}
