using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>
/// A bounded flood on loopback (issue #9): a fixed number of datagrams, first into a socket nobody reads (its buffer must
/// overflow), then as fast as one sender can while the collector runs, then a closed-loop paced batch. Asserts the
/// accounting, never a rate: every datagram sent is received or counted as dropped by the socket, every data record sent
/// is decoded or counted as lost by the IPFIX sequence numbers, and the paced batch after the flood is received whole.
/// The rate is printed.
/// </summary>
public sealed class UdpFloodTests
{
    private const int RecordsPerMessage = 30;

    private sealed class CountingSink : IFlowRecordSink
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void OnRecord(in FlowRecord record) => Interlocked.Increment(ref _count);
    }

    private static byte[] Message()
    {
        var data = new List<byte>();
        for (var i = 0; i < RecordsPerMessage; i++)
        {
            data.AddRange(DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000 + i, 4444));
        }

        return new IpfixBuilder(domain: 7).Template(256, DecoderTests.V4Fields).Data(256, [.. data]).Build();
    }

    private static async Task SendAsync(UdpClient sender, byte[] message, long index, CancellationToken cancellationToken)
    {
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), unchecked((uint)(index * RecordsPerMessage)));
        await sender.SendAsync(message, cancellationToken);
    }

    [Fact]
    public async Task A_loopback_flood_is_received_or_counted_as_lost_and_a_paced_batch_after_it_is_received_whole()
    {
        Assert.True(OperatingSystem.IsLinux(), "socket drops are read from /proc/net/udp: this test needs Linux");
        const int Unread = 5_000;   // sent before the collector reads: the socket buffer overflows
        const int Flood = 20_000;   // sent at full speed while the collector reads
        const int Paced = 1_000;    // sent 10 at a time, each group after the previous one was received
        var cancellationToken = TestContext.Current.CancellationToken;
        var message = Message();
        using var collector = new IpfixUdpCollector(new IPEndPoint(IPAddress.Loopback, 0), receiveBufferSize: 256 * 1024);
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(collector.LocalEndPoint);
        var sink = new CountingSink();
        long sent = 0;

        for (var i = 0; i < Unread; i++)
        {
            await SendAsync(sender, message, sent++, cancellationToken);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = collector.ReadAsync(sink, stop.Token);
        await Poll.WithinAsync(() => collector.DatagramsReceived + collector.DatagramsDroppedBySocket!.Value == sent, TimeSpan.FromSeconds(10));
        var droppedUnread = collector.DatagramsDroppedBySocket!.Value;

        var floodStart = collector.DatagramsReceived;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Flood; i++)
        {
            await SendAsync(sender, message, sent++, cancellationToken);
        }

        var sendTime = clock.Elapsed;
        await Poll.WithinAsync(() => collector.DatagramsReceived + collector.DatagramsDroppedBySocket!.Value == sent, TimeSpan.FromSeconds(10));
        var floodTime = clock.Elapsed;
        var floodReceived = collector.DatagramsReceived - floodStart;
        var droppedAfterFlood = collector.DatagramsDroppedBySocket!.Value;

        var pacedStart = collector.DatagramsReceived;
        for (var i = 0; i < Paced; i++)
        {
            await SendAsync(sender, message, sent++, cancellationToken);
            if (i % 10 == 9)
            {
                var expected = pacedStart + i + 1;
                await Poll.WithinAsync(() => collector.DatagramsReceived >= expected, TimeSpan.FromSeconds(10));
            }
        }

        await Poll.WithinAsync(() => collector.DatagramsReceived >= pacedStart + Paced, TimeSpan.FromSeconds(10));
        await Poll.WithinAsync(() => sink.Count + collector.Decoder.Statistics.LostRecords >= sent * RecordsPerMessage, TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await running;
        var counters = collector.Counters;
        var dropped = collector.DatagramsDroppedBySocket!.Value;
        var lost = collector.Decoder.Statistics.LostRecords;

        TestReport.WriteLine(
            $"UDP flood on loopback: {sent:N0} datagrams of {message.Length} octets ({RecordsPerMessage} records each) sent; "
            + $"unread phase: {Unread:N0} sent, {droppedUnread:N0} dropped by the full socket buffer; "
            + $"flood: {Flood:N0} sent in {sendTime.TotalMilliseconds:F0} ms, {floodReceived:N0} received in {floodTime.TotalMilliseconds:F0} ms "
            + $"({floodReceived / floodTime.TotalSeconds:F0} datagrams/s, {floodReceived * RecordsPerMessage / floodTime.TotalSeconds:F0} records/s), {droppedAfterFlood - droppedUnread:N0} dropped; "
            + $"paced: {Paced:N0} sent, {collector.DatagramsReceived - pacedStart:N0} received; "
            + $"total: {collector.DatagramsReceived:N0} received + {dropped:N0} socket drops; {sink.Count:N0} records decoded + {lost:N0} lost by sequence numbers");

        Assert.True(droppedUnread > 0, "the unread socket's buffer must have overflowed");
        Assert.Equal(sent, collector.DatagramsReceived + dropped);
        Assert.Equal(sent * RecordsPerMessage, sink.Count + lost);
        Assert.Equal(dropped * RecordsPerMessage, lost);
        Assert.Equal(Paced, collector.DatagramsReceived - pacedStart);
        Assert.Equal(droppedAfterFlood, dropped); // the paced batch lost nothing
        Assert.Equal(sink.Count, counters.Accepted);
        Assert.True(counters.IsBalanced, counters.ToString());
    }
}
