using System.Net;
using System.Net.Sockets;
using System.Text;
using PortMismatch.Detection.PanOs.Internal;
using PortMismatch.Detection.TestSupport;

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

        await Poll.UntilAsync(() => collector.Counters.Read >= datagrams.Length, () => $"the collector decoded {collector.Counters}, not {datagrams.Length} datagrams", TimeSpan.FromSeconds(20));

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

        // Several firewalls share the socket: the diagnostic names the datagram's sender, address and port.
        var from = (IPEndPoint)sender.Client.LocalEndPoint!;
        Assert.Equal($"127.0.0.1:{from.Port}", rejected.Sender);
        Assert.StartsWith($"{rejected.InputName}:3 (byte {rejected.ByteOffset}, from 127.0.0.1:{from.Port}): rejected", rejected.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_decodes_every_datagram_that_reached_the_socket_queue_and_leaves_none_queued()
    {
        // Issue #16 item 11: a stop used to leave the socket's queue unread, neither decoded nor counted.
        Assert.True(OperatingSystem.IsLinux(), "the socket's queue and drops are read from /proc/net/udp: this test needs Linux");
        var cancellationToken = TestContext.Current.CancellationToken;
        const int Burst = 3000;
        var message = Encoding.UTF8.GetBytes($"<14>Nov 26 10:00:00 fw1 {new TrafficLine().With(app: "dns", destPort: "5353")}\n");
        using var collector = new PanOsSyslogUdpCollector(new IPEndPoint(IPAddress.Loopback, 0), receiveBufferSize: 256 * 1024);
        using var sink = new GateSink();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = collector.ReadAsync(sink, stop.Token);
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(collector.LocalEndPoint);
        var backlogDropsBefore = UdpSocketQueue.BacklogDrops();

        await sender.SendAsync(message, cancellationToken);
        Assert.True(sink.WaitEntered(), "the first datagram was not decoded");
        for (var i = 0; i < Burst; i++)
        {
            await sender.SendAsync(message, cancellationToken); // queued (or dropped) while the loop is held
        }

        // Every datagram sent is in the socket's queue or dropped once its queue and drops stop changing.
        var settled = await UdpSocketQueue.WaitUntilSettledAsync(collector.LocalEndPoint, cancellationToken);
        await stop.CancelAsync();
        sink.Release();
        await running;
        var left = UdpSocketQueue.Read(collector.LocalEndPoint);
        var dropped = collector.DatagramsDroppedBySocket!.Value;
        var neverQueued = Burst + 1 - (collector.DatagramsReceived + dropped);

        Assert.True(settled.QueuedBytes > 0, "nothing was queued while the loop was held");
        Assert.Equal(0, left.QueuedBytes); // every datagram that reached the queue was read
        Assert.Equal(settled.Drops, dropped);
        Assert.InRange(neverQueued, 0, UdpSocketQueue.BacklogDrops() - backlogDropsBefore); // what the backlog dropped never reached the socket
        Assert.True(collector.DatagramsReceived > 1, "nothing was read after the stop");
        Assert.Equal(collector.DatagramsReceived, sink.Count);
        Assert.Equal(collector.DatagramsReceived, collector.Counters.Accepted);
        Assert.True(collector.Counters.IsBalanced, collector.Counters.ToString());
    }

    [Fact]
    public async Task Logs_dated_more_than_MaxClockSkew_ahead_of_the_clock_are_rejected_with_the_source_and_time()
    {
        // Issue #16 item 3 (live part): one log dated 9999 must not move event time for everyone.
        var clock = new ManualClock(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var diagnostics = new List<InputDiagnostic>();
        var options = PanOsReaderOptions.Default with { MaxClockSkew = TimeSpan.FromMinutes(5) };
        using var collector = new PanOsSyslogUdpCollector(new IPEndPoint(IPAddress.Loopback, 0), options, d => { lock (diagnostics) { diagnostics.Add(d); } }, timeProvider: clock);
        var records = new List<(string App, int? Port)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = collector.ReadAsync(new Sink(records), stop.Token);
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(collector.LocalEndPoint);
        string[] generated = ["2024/06/01 11:59:00", "2024/06/01 12:04:59", "2024/06/01 12:05:01", "9999/12/31 23:59:59", "2024-06-01T14:00:00+02:00"];
        foreach (var time in generated)
        {
            var line = new TrafficLine().With(app: "dns", destPort: "53").Set(6, time);
            await sender.SendAsync(Encoding.UTF8.GetBytes($"<14>Jun  1 12:00:00 fw-edge {line}\n"), TestContext.Current.CancellationToken);
        }

        await Poll.UntilAsync(() => collector.Counters.Read >= generated.Length, () => $"the collector decoded {collector.Counters}, not {generated.Length} logs", TimeSpan.FromSeconds(20));

        await stop.CancelAsync();
        await running;

        Assert.Equal(3, collector.Counters.Accepted); // 1 minute behind, 4:59 ahead, and 14:00+02:00 (= 12:00Z)
        Assert.Equal(2, collector.Counters.RejectedByReason["time-in-future"]);
        Assert.True(collector.Counters.IsBalanced, collector.Counters.ToString());
        var far = Assert.Single(diagnostics, d => d.Message.Contains("9999", StringComparison.Ordinal));
        Assert.Equal("time-in-future", far.Reason);
        Assert.Equal(RecordOutcome.Rejected, far.Outcome);
        Assert.Equal(4, far.LineNumber);
        Assert.StartsWith("syslog-udp://127.0.0.1:", far.InputName, StringComparison.Ordinal);
        Assert.Contains("fw-edge", far.Message, StringComparison.Ordinal);
        Assert.Contains("9999-12-31T23:59:59", far.Message, StringComparison.Ordinal);

        // The same log from a file is not checked: a file may be read on a machine whose clock is behind the firewall's.
        var file = new PanOsTrafficReader(Encoding.UTF8.GetBytes($"{new TrafficLine().Set(6, "9999/12/31 23:59:59")}\n"), new PanOsReaderState());
        Assert.True(file.TryRead(out _));
    }

    [Fact]
    public async Task A_firewall_east_of_the_zone_its_logs_are_read_in_gets_one_hint_an_hour_naming_the_likely_offset_and_the_option()
    {
        // Before: with the default zone (UTC), a firewall east of UTC had every log rejected as time-in-future, one
        // diagnostic per log that did not say why: detection off by configuration.
        var clock = new ManualClock(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var diagnostics = new List<InputDiagnostic>();
        using var collector = new PanOsSyslogUdpCollector(new IPEndPoint(IPAddress.Loopback, 0), diagnostics: d => { lock (diagnostics) { diagnostics.Add(d); } }, timeProvider: clock);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = collector.ReadAsync(new Sink([]), stop.Token);
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(collector.LocalEndPoint);

        async Task SendAndWait(params (string Host, string Generated)[] logs)
        {
            var expected = collector.Counters.Read + logs.Length;
            foreach (var (host, generated) in logs)
            {
                var line = new TrafficLine().With(app: "dns", destPort: "53").Set(6, generated);
                await sender.SendAsync(Encoding.UTF8.GetBytes($"<14>Jun  1 12:00:00 {host} {line}\n"), TestContext.Current.CancellationToken);
            }

            await Poll.UntilAsync(() => collector.Counters.Read >= expected, () => $"the collector decoded {collector.Counters.Read} logs, not {expected}", TimeSpan.FromSeconds(20));
        }

        await SendAndWait(
            ("fw-berlin", "2024/06/01 13:59:30"), ("fw-berlin", "2024/06/01 13:59:40"), ("fw-berlin", "2024/06/01 13:59:50"), // UTC+2, 30 s late
            ("fw-berlin", "2024/06/01 14:00:00"), ("fw-berlin", "2024/06/01 14:00:10"),
            ("fw-delhi", "2024/06/01 17:29:00"), ("fw-delhi", "2024/06/01 17:29:10"), ("fw-delhi", "2024/06/01 17:29:20"), // UTC+5:30
            ("spoofed", "2024/06/01 13:07:00"), ("spoofed", "2024/06/01 19:40:00"), ("spoofed", "2024/06/01 16:20:00"), // no pattern
            ("fw-cloud", "2024-06-01T14:00:00Z"), ("fw-cloud", "2024-06-01T14:00:01Z"), ("fw-cloud", "2024-06-01T14:00:02Z")); // has an offset
        clock.Advance(TimeSpan.FromHours(1));
        await SendAndWait(("fw-berlin", "2024/06/01 15:00:00"), ("fw-berlin", "2024/06/01 15:00:10"));
        await stop.CancelAsync();
        await running;

        Assert.Equal(16, collector.Counters.RejectedByReason["time-in-future"]);
        Assert.Equal(16, diagnostics.Count);
        var hints = diagnostics.Where(d => d.Message.Contains("likely UTC", StringComparison.Ordinal)).ToList();
        Assert.Equal([3, 8, 15], hints.Select(d => d.LineNumber)); // the third log of each host, then an hour later
        Assert.All(hints, d => Assert.Equal("time-in-future", d.Reason));
        Assert.Contains("from host \"fw-berlin\"", hints[0].Message, StringComparison.Ordinal);
        Assert.Contains("all 2 h ahead of the receiving clock", hints[0].Message, StringComparison.Ordinal);
        Assert.Contains("read in UTC, so the firewall's time zone is likely UTC+02:00", hints[0].Message, StringComparison.Ordinal);
        Assert.Contains("PanOsReaderOptions.TimeZone, PanOsSourceOptions.TimeZone with DI, --input-time-zone in the portmismatch CLI", hints[0].Message, StringComparison.Ordinal);
        Assert.Contains("all 5 h 30 min ahead", hints[1].Message, StringComparison.Ordinal);
        Assert.Contains("likely UTC+05:30", hints[1].Message, StringComparison.Ordinal);
        Assert.Contains("from host \"fw-berlin\"", hints[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_zone_hint_adds_the_offset_ahead_to_the_zone_the_logs_are_read_in()
    {
        // Read as New York time (UTC-4 in June) while the firewall writes UTC: 4 h ahead, so the firewall is at UTC+00:00.
        var june = FlowTime.FromDateTimeOffset(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var hint = TimeZoneHints.Describe(16, TimeZoneInfo.FindSystemTimeZoneById("America/New_York"), june);
        Assert.Contains("all 4 h ahead", hint, StringComparison.Ordinal);
        Assert.Contains("read in America/New_York, so the firewall's time zone is likely UTC+00:00", hint, StringComparison.Ordinal);
        Assert.Contains("likely UTC-03:15", TimeZoneHints.Describe(3, TimeZoneInfo.FindSystemTimeZoneById("America/New_York"), june), StringComparison.Ordinal);
        Assert.Contains("all 45 min ahead", TimeZoneHints.Describe(3, TimeZoneInfo.Utc, june), StringComparison.Ordinal);

        var hints = new TimeZoneHints();
        const long Minute = 60_000_000;
        Assert.Equal([0, 0, 8], new[] { hints.Observe("a"u8, (120 * Minute) - (4 * Minute), june), hints.Observe("a"u8, (120 * Minute) + (5 * Minute), june), hints.Observe("a"u8, 120 * Minute, june) });
        Assert.Equal([0, 0, 0, 0], new[] { hints.Observe("b"u8, 120 * Minute, june), hints.Observe("b"u8, 120 * Minute, june), hints.Observe("b"u8, (120 * Minute) + (6 * Minute), june), hints.Observe("b"u8, 120 * Minute, june) });
    }

    [Fact]
    public void A_negative_MaxClockSkew_is_refused_by_the_collector_and_the_readers_as_by_the_IPFIX_decoder()
    {
        // Before, the collector threw with a message that did not name the option, and the readers took it silently.
        var options = PanOsReaderOptions.Default with { MaxClockSkew = TimeSpan.FromMinutes(-1) };
        var thrown = new[]
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new PanOsSyslogUdpCollector(new IPEndPoint(IPAddress.Loopback, 0), options)),
            Assert.Throws<ArgumentOutOfRangeException>(() => { _ = new PanOsReaderState(options); }),
        };
        Assert.All(thrown, e =>
        {
            Assert.Equal("options", e.ParamName);
            Assert.StartsWith("PanOsReaderOptions.MaxClockSkew is -00:01:00; it must not be negative.", e.Message, StringComparison.Ordinal);
        });
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
