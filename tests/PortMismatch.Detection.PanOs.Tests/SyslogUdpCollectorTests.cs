using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PortMismatch.Detection.PanOs.Tests;

public sealed class SyslogUdpCollectorTests
{
    [Fact]
    public async Task Each_datagram_is_a_message_counted_and_numbered_and_cancellation_returns_normally()
    {
        var diagnostics = new List<InputDiagnostic>();
        using var collector = new PanOsSyslogUdpCollector(new IPEndPoint(IPAddress.Loopback, 0), diagnostics: d => { lock (diagnostics) { diagnostics.Add(d); } });
        var records = new List<(string App, int? Port)>();
        var sink = new Sink(records);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = collector.ReadAsync(sink, stop.Token);

        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(collector.LocalEndPoint);
        string[] datagrams =
        [
            $"<14>Nov 26 10:00:00 fw1 {new TrafficLine().With(app: "dns", destPort: "5353")}\n",
            $"<14>Nov 26 10:00:01 fw1 {new TrafficLine().With(app: "ssl", destPort: "443")}",
            "<14>Nov 26 10:00:02 fw1 this is not a PAN-OS log line",
            $"<14>Nov 26 10:00:03 fw1 {new TrafficLine().With(app: "web-browsing", destPort: "8443")}",
        ];
        foreach (var datagram in datagrams)
        {
            await sender.SendAsync(Encoding.UTF8.GetBytes(datagram), TestContext.Current.CancellationToken);
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (collector.Counters.Read < datagrams.Length && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        await stop.CancelAsync();
        await running;

        Assert.Equal(4, collector.DatagramsReceived);
        Assert.Equal(4, collector.Counters.Read);
        Assert.True(collector.Counters.IsBalanced);
        Assert.Equal(3, collector.Counters.Accepted);
        Assert.Equal([("dns", 5353), ("ssl", 443), ("web-browsing", 8443)], records);
        var rejected = Assert.Single(diagnostics, d => d.Outcome == RecordOutcome.Rejected);
        Assert.Equal(3, rejected.LineNumber);
        Assert.StartsWith("syslog-udp://127.0.0.1:", rejected.InputName, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPanOs_validates_its_endpoint_and_time_zone_at_startup()
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().AddPanOs(o =>
        {
            o.SyslogUdpEndPoint = "localhost";
            o.TimeZone = "Mars/Olympus_Mons";
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.StartsWith("PanOsSourceOptions.SyslogUdpEndPoint 'localhost'", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("PanOsSourceOptions.TimeZone 'Mars/Olympus_Mons'", StringComparison.Ordinal));
    }

    [Fact]
    public void AddPanOs_twice_registers_one_source_that_listens()
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().AddPanOs(o => o.SyslogUdpEndPoint = "127.0.0.1:0").AddPanOs();
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var source = Assert.Single(provider.GetServices<IFlowSource>());
        Assert.StartsWith("syslog-udp://127.0.0.1:", source.Name, StringComparison.Ordinal);
    }

    private sealed class Sink(List<(string App, int? Port)> records) : IFlowRecordSink
    {
        public void OnRecord(in FlowRecord record)
        {
            foreach (var app in record.Apps)
            {
                records.Add((Encoding.UTF8.GetString(app), record.DestinationPort));
            }
        }
    }
}
