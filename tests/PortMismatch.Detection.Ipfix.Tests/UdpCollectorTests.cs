using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Detection.Ipfix.Tests;

public sealed class UdpCollectorTests
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
        var running = collector.RunAsync(sink, stop.Token);

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

        var deadline = Stopwatch.StartNew();
        while (collector.DatagramsReceived < Datagrams && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        var counters = await running;

        var rate = collector.DatagramsReceived / elapsed.TotalSeconds;
        TestReport.WriteLine($"{collector.DatagramsReceived} datagrams ({sink.Count} records) in {elapsed.TotalMilliseconds:F0} ms: {rate:F0} datagrams/s, {rate * RecordsEach:F0} records/s; dropped by socket: {collector.DatagramsDroppedBySocket?.ToString() ?? "n/a"}");
        Assert.True(collector.DatagramsReceived >= Datagrams * 0.95, $"{collector.DatagramsReceived} of {Datagrams}; dropped by socket {collector.DatagramsDroppedBySocket}");
        Assert.Equal(collector.DatagramsReceived * RecordsEach, sink.Count);
        Assert.True(counters.IsBalanced);
        Assert.Equal(1, collector.Decoder.DomainCount); // one exporter (127.0.0.1), one domain
        if (OperatingSystem.IsLinux())
        {
            Assert.NotNull(collector.DatagramsDroppedBySocket);
        }
    }
}
