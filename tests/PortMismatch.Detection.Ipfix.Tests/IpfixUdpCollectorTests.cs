using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.Ipfix.Tests;

public sealed class IpfixUdpCollectorTests
{
    private sealed class CountingSink : IFlowRecordSink
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void OnRecord(in FlowRecord record) => Interlocked.Increment(ref _count);
    }

    [Fact]
    public async Task Datagrams_on_loopback_are_decoded_with_the_sender_as_exporter()
    {
        const int Datagrams = 3000;
        const int RecordsEach = 30;
        var data = new List<byte>();
        for (var i = 0; i < RecordsEach; i++)
        {
            data.AddRange(DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000 + i, 443));
        }

        var message = new IpfixBuilder().Template(256, DecoderTests.V4Fields).Data(256, [.. data]).Build();
        using var collector = new IpfixUdpCollector(new IPEndPoint(IPAddress.Loopback, 0));
        var sink = new CountingSink();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = collector.ReadAsync(sink, stop.Token);

        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(collector.LocalEndPoint);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Datagrams; i++)
        {
            await sender.SendAsync(message, TestContext.Current.CancellationToken);
            if (i % 200 == 199)
            {
                await Task.Delay(1, TestContext.Current.CancellationToken); // a paced exporter: the test is about decoding, not about the kernel
            }
        }

        await Poll.WithinAsync(() => collector.DatagramsReceived >= Datagrams, TimeSpan.FromSeconds(10)); // a few may be lost: asserted below

        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await running;
        var counters = collector.Counters;

        var rate = collector.DatagramsReceived / elapsed.TotalSeconds;
        TestReport.WriteLine($"{collector.DatagramsReceived} datagrams ({sink.Count} records) in {elapsed.TotalMilliseconds:F0} ms: {rate:F0} datagrams/s, {rate * RecordsEach:F0} records/s; dropped by socket: {collector.DatagramsDroppedBySocket?.ToString() ?? "n/a"}");
        Assert.True(collector.DatagramsReceived >= Datagrams * 0.95, $"{collector.DatagramsReceived} of {Datagrams}; dropped by socket {collector.DatagramsDroppedBySocket}");
        Assert.Equal(collector.DatagramsReceived * RecordsEach, sink.Count);
        Assert.True(counters.IsBalanced);
        Assert.Equal(1, collector.Decoder.DomainCount); // one exporter (127.0.0.1), one domain
        Assert.Equal(collector.DatagramsReceived, collector.Statistics.Messages); // one message a datagram
        Assert.Equal($"udp://{collector.LocalEndPoint}", collector.Name);
        if (OperatingSystem.IsLinux())
        {
            Assert.NotNull(collector.DatagramsDroppedBySocket);
        }
    }

    [Fact]
    public async Task Stopping_decodes_every_datagram_that_reached_the_socket_queue_and_leaves_none_queued()
    {
        // Issue #16 item 11: a stop used to leave the socket's queue unread, neither decoded nor counted.
        Assert.True(OperatingSystem.IsLinux(), "the socket's queue and drops are read from /proc/net/udp: this test needs Linux");
        var cancellationToken = TestContext.Current.CancellationToken;
        const int Burst = 3000;
        const int RecordsEach = 10;
        var records = Enumerable.Range(0, RecordsEach).SelectMany(i => DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000 + i, 443)).ToArray();
        var first = new IpfixBuilder().Template(256, DecoderTests.V4Fields).Data(256, records).Build();
        var data = new IpfixBuilder().Data(256, records).Build();
        using var collector = new IpfixUdpCollector(new IPEndPoint(IPAddress.Loopback, 0), receiveBufferSize: 256 * 1024);
        using var sink = new GateSink();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = collector.ReadAsync(sink, stop.Token);
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(collector.LocalEndPoint);
        var backlogDropsBefore = UdpSocketQueue.BacklogDrops();

        await sender.SendAsync(first, cancellationToken);
        Assert.True(sink.WaitEntered(), "the first datagram was not decoded");
        for (var i = 0; i < Burst; i++)
        {
            await sender.SendAsync(data, cancellationToken); // queued (or dropped) while the loop is held
        }

        // Every datagram sent is in the socket's queue or dropped once its queue and drops stop changing: the kernel may
        // still hold some in a per-CPU backlog right after the sends.
        var settled = await UdpSocketQueue.WaitUntilSettledAsync(collector.LocalEndPoint, cancellationToken);
        await stop.CancelAsync();
        sink.Release();
        await running;
        var counters = collector.Counters;
        var left = UdpSocketQueue.Read(collector.LocalEndPoint);
        var dropped = collector.DatagramsDroppedBySocket!.Value;
        var neverQueued = Burst + 1 - (collector.DatagramsReceived + dropped);
        var backlogDrops = UdpSocketQueue.BacklogDrops() - backlogDropsBefore;

        TestReport.WriteLine($"stop after a burst: {Burst + 1:N0} sent, {settled.QueuedBytes:N0} octets queued at the stop, {collector.DatagramsReceived:N0} received (the rest of the queue read after the stop), {dropped:N0} dropped by the full socket buffer, {neverQueued:N0} never reached the socket ({backlogDrops:N0} backlog drops on the machine meanwhile)");
        Assert.True(settled.QueuedBytes > 0, "nothing was queued while the loop was held");
        Assert.Equal(0, left.QueuedBytes); // every datagram that reached the queue was read
        Assert.Equal(settled.Drops, dropped);
        Assert.InRange(neverQueued, 0, backlogDrops); // received + dropped = sent, but for what the backlog dropped
        Assert.True(collector.DatagramsReceived > 1, "nothing was read after the stop");
        Assert.Equal(collector.DatagramsReceived * RecordsEach, sink.Count);
        Assert.Equal(sink.Count, counters.Accepted);
        Assert.True(counters.IsBalanced, counters.ToString());
    }

    [Fact]
    public async Task The_drain_on_stop_ends_within_its_budget_while_a_sender_keeps_sending()
    {
        // A sender that goes on must not keep the collector from stopping: after the stop the receiver reads at most
        // 2 x (receive buffer + 64 KiB) octets, each datagram counted as its size plus 256.
        var cancellationToken = TestContext.Current.CancellationToken;
        const int ReceiveBuffer = 256 * 1024;
        const long MaxSends = 2_000_000; // the sender's bound, whatever happens
        var record = DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000, 443);
        var first = new IpfixBuilder().Template(256, DecoderTests.V4Fields).Data(256, record).Build();
        var data = new IpfixBuilder().Data(256, record).Build();
        using var collector = new IpfixUdpCollector(new IPEndPoint(IPAddress.Loopback, 0), receiveBufferSize: ReceiveBuffer);
        using var sink = new GateSink { SpinPerRecord = 1000 }; // slower than the sender: the queue never empties by itself
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = collector.ReadAsync(sink, stop.Token);
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(collector.LocalEndPoint);
        sender.Send(first);
        Assert.True(sink.WaitEntered(), "the first datagram was not decoded");

        long sent = 0;
        var sending = true;
        var flood = Task.Run(() =>
        {
            while (Volatile.Read(ref sending) && sent < MaxSends)
            {
                sender.Send(data);
                Interlocked.Increment(ref sent);
            }
        }, cancellationToken);
        await Poll.UntilAsync(() => Interlocked.Read(ref sent), count => count >= 10_000, "datagrams sent by the flooding sender", TimeSpan.FromSeconds(10));

        var sentAtStop = Interlocked.Read(ref sent);
        Assert.True(sentAtStop >= 10_000, $"the sender sent {sentAtStop} datagrams in 10 s");
        await stop.CancelAsync();
        sink.Release();
        await running;
        var sentAtReturn = Interlocked.Read(ref sent);
        Volatile.Write(ref sending, false);
        await flood;

        // The kernel's receive buffer, as the receiver reads it (Linux doubles what was asked).
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = ReceiveBuffer };
        var budget = 2 * ((long)probe.ReceiveBufferSize + 65_535);
        var afterStop = collector.DatagramsReceived - 1; // the first was decoded before the stop
        var bound = (budget + data.Length + 255) / (data.Length + 256);
        TestReport.WriteLine($"drain while a sender floods: {afterStop:N0} datagrams of {data.Length} octets read after the stop (bound {bound:N0}: budget {budget:N0} octets); {sentAtReturn - sentAtStop:N0} sent meanwhile, {Interlocked.Read(ref sent):N0} in all");
        Assert.InRange(afterStop, 1, bound);
        Assert.True(sentAtReturn > sentAtStop, "the sender did not send while the collector stopped");
        Assert.True(sentAtReturn < MaxSends, "the sender had stopped before the collector did");
        Assert.Equal(collector.DatagramsReceived, sink.Count);
    }

    [Fact]
    public async Task Records_dated_ahead_of_the_clock_are_rejected_and_templates_age_by_the_collectors_clock()
    {
        // Issue #16 items 3 and 5: the collector's clock (injected here) dates receipt for the skew check and the lifetime.
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)) { ReadDelay = TimeSpan.FromMilliseconds(50) };
        var nowMs = (ulong)clock.GetUtcNow().ToUnixTimeMilliseconds();
        var diagnostics = new List<InputDiagnostic>();
        using var collector = new IpfixUdpCollector(new IPEndPoint(IPAddress.Loopback, 0), IpfixReaderOptions.Default with { MaxClockSkew = TimeSpan.FromMinutes(5) }, d => { lock (diagnostics) { diagnostics.Add(d); } }, timeProvider: clock);
        var sink = new CountingSink();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = collector.ReadAsync(sink, stop.Token);
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(collector.LocalEndPoint);

        // Waits until the decoder has counted the datagram's records: only then has it read the clock for it (the receive
        // count goes up before the datagram is decoded, so waiting on it let the test move the clock too early).
        async Task SendAndWait(byte[] datagram, long records)
        {
            var expected = collector.Decoder.Counters.Read + records;
            await sender.SendAsync(datagram, TestContext.Current.CancellationToken);
            await Poll.UntilAsync(
                () => collector.Decoder.Counters.Read >= expected,
                () => $"the collector decoded {collector.Decoder.Counters.Read} records, not {expected}, after the send ({collector.DatagramsReceived} datagrams received)",
                TimeSpan.FromSeconds(10));
        }

        await SendAndWait(
            new IpfixBuilder().Template(256, DecoderTests.V4Fields)
                .Data(256, Bytes.Cat(
                    DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000, 443, startMs: nowMs - 1000),
                    DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50001, 443, startMs: nowMs + (10 * 60_000))))
                .Build(),
            records: 3); // the template and two data records
        clock.Advance(TimeSpan.FromHours(2)); // past the template lifetime (90 minutes): the template expired
        await SendAndWait(new IpfixBuilder().Data(256, DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50002, 443, startMs: nowMs)).Build(), records: 1);

        await stop.CancelAsync();
        await running;
        var counters = collector.Counters;

        Assert.Equal(1, sink.Count);
        Assert.Equal(1, counters.RejectedByReason["time-in-future"]);
        Assert.Equal(1, counters.SkippedByReason["template-expired"]);
        Assert.True(counters.IsBalanced, counters.ToString());
        var future = Assert.Single(diagnostics, d => d.Reason == "time-in-future");
        Assert.StartsWith("udp://127.0.0.1:", future.InputName, StringComparison.Ordinal);
        Assert.Equal($"127.0.0.1:{((IPEndPoint)sender.Client.LocalEndPoint!).Port}", future.Sender); // the exporter, with its port
        Assert.Contains($" (byte {future.ByteOffset}, from {future.Sender}): rejected (time-in-future)", future.ToString(), StringComparison.Ordinal);
        Assert.Contains("from 127.0.0.1", future.Message, StringComparison.Ordinal);
        Assert.Contains("2023-11-14T22:23:20", future.Message, StringComparison.Ordinal); // the record's time, 10 minutes ahead
    }
}
