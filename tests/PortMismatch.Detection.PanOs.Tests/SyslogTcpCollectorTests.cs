using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>Syslog over TCP and TLS with real sockets on 127.0.0.1 (ports the collector picks) and a certificate made here.</summary>
public sealed class SyslogTcpCollectorTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static string Message(string app, int port) => $"<14>Nov 26 10:00:00 fw1 {new TrafficLine().With(app: app, destPort: port.ToString(System.Globalization.CultureInfo.InvariantCulture))}";

    private static byte[] Lf(params string[] messages) => Encoding.UTF8.GetBytes(string.Concat(messages.Select(m => m + "\n")));

    private static byte[] OctetCounted(params string[] messages)
        => Encoding.UTF8.GetBytes(string.Concat(messages.Select(m => $"{Encoding.UTF8.GetByteCount(m)} {m}")));

    [Fact]
    public async Task Lf_framed_messages_are_records_and_a_bad_one_names_its_line_and_sender()
    {
        await using var run = Run.Start();
        using var client = await run.ConnectAsync();
        await client.GetStream().WriteAsync(Lf(Message("dns", 5353), "<14>Nov 26 10:00:01 fw1 not a PAN-OS log", Message("ssl", 443)), run.Token);
        await Poll.UntilAsync(() => run.Collector.Counters.Read == 3, () => $"{run.Collector.Counters}", Deadline);

        Assert.Equal([("dns", 5353), ("ssl", 443)], run.Sink.Records);
        var rejected = Assert.Single(run.Diagnostics);
        Assert.Equal(2, rejected.LineNumber);
        Assert.Equal(run.Collector.Name, rejected.InputName);
        Assert.Equal($"127.0.0.1:{((IPEndPoint)client.Client.LocalEndPoint!).Port}", rejected.Sender);
        Assert.StartsWith($"syslog-tcp://127.0.0.1:{run.Collector.LocalEndPoint.Port}", run.Collector.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Octet_counted_frames_are_read_whole_when_they_arrive_in_pieces()
    {
        await using var run = Run.Start();
        using var client = await run.ConnectAsync();
        var bytes = OctetCounted(Message("dns", 5353), Message("ssl", 443), Message("smtp", 2525));
        var stream = client.GetStream();

        // Cut inside the length prefix, inside a message and between frames.
        foreach (var (start, end) in new[] { (0, 2), (2, 200), (200, 700), (700, bytes.Length) })
        {
            await stream.WriteAsync(bytes.AsMemory(start, end - start), run.Token);
            await stream.FlushAsync(run.Token);
            await Task.Delay(20, run.Token);
        }

        await Poll.UntilAsync(() => run.Collector.Counters.Read == 3, () => $"{run.Collector.Counters}", Deadline);
        Assert.Equal([("dns", 5353), ("ssl", 443), ("smtp", 2525)], run.Sink.Records);
        Assert.Empty(run.Diagnostics);
        Assert.Equal(bytes.Length, run.Collector.BytesReceived);
    }

    [Fact]
    public async Task Each_connection_has_its_own_framing()
    {
        await using var run = Run.Start();
        using var lf = await run.ConnectAsync();
        using var octets = await run.ConnectAsync();
        await lf.GetStream().WriteAsync(Lf(Message("dns", 5353), Message("dns", 5354)), run.Token);
        await octets.GetStream().WriteAsync(OctetCounted(Message("ssl", 8443), Message("ssl", 8444)), run.Token);
        await Poll.UntilAsync(() => run.Collector.Counters.Read == 4, () => $"{run.Collector.Counters}", Deadline);

        Assert.Equal([("dns", 5353), ("dns", 5354), ("ssl", 8443), ("ssl", 8444)], run.Sink.Records.Order());
        Assert.Equal(4, run.Collector.Counters.Accepted);
        Assert.Equal(2, run.Collector.ConnectionsAccepted);
    }

    [Fact]
    public async Task Many_concurrent_senders_are_all_counted_and_the_sink_is_called_one_thread_at_a_time()
    {
        const int Connections = 20;
        const int PerConnection = 500;
        await using var run = Run.Start();
        var senders = Enumerable.Range(0, Connections).Select(i => Task.Run(async () =>
        {
            using var client = await run.ConnectAsync();
            var messages = Enumerable.Range(0, PerConnection).Select(j => Message("dns", 1000 + i)).ToArray();
            var stream = client.GetStream();
            await stream.WriteAsync(i % 2 == 0 ? Lf(messages) : OctetCounted(messages), run.Token);
            client.Client.Shutdown(SocketShutdown.Send);

            // Read until the collector closes its side: it has read everything by then.
            Assert.Equal(0, await stream.ReadAsync(new byte[1], run.Token));
        })).ToArray();
        await Task.WhenAll(senders).WaitAsync(Deadline, run.Token);
        await Poll.UntilAsync(() => run.Collector.ActiveConnections == 0, () => $"{run.Collector.ActiveConnections} open", Deadline);

        var counters = run.Collector.Counters;
        Assert.Equal(Connections * PerConnection, counters.Read);
        Assert.Equal(Connections * PerConnection, counters.Accepted);
        Assert.Equal(Connections * PerConnection, run.Sink.Records.Count);
        Assert.Equal(Connections, run.Collector.ConnectionsAccepted);
        for (var i = 0; i < Connections; i++)
        {
            Assert.Equal(PerConnection, run.Sink.Records.Count(r => r.Port == 1000 + i));
        }

        Assert.False(run.Sink.Overlapped, "the sink was entered by two connections at once");
    }

    [Fact]
    public async Task A_frame_over_the_cap_is_rejected_and_the_connection_goes_on()
    {
        const int Cap = 1024;
        await using var run = Run.Start(options: PanOsReaderOptions.Default with { MaxLineLength = Cap });
        using var client = await run.ConnectAsync();
        var huge = "<14>Nov 26 10:00:00 fw1 " + new string('x', 3 * Cap);
        var stream = client.GetStream();
        await stream.WriteAsync(OctetCounted(Message("dns", 1), huge, Message("dns", 2)), run.Token);
        await stream.WriteAsync(Lf(huge, Message("dns", 3)), run.Token);
        await Poll.UntilAsync(() => run.Collector.Counters.Read == 5, () => $"{run.Collector.Counters}", Deadline);

        Assert.Equal([("dns", 1), ("dns", 2), ("dns", 3)], run.Sink.Records);
        Assert.Equal(2, run.Collector.Counters.RejectedByReason["line-too-long"]);
        Assert.Equal(1, run.Collector.ActiveConnections);
    }

    [Fact]
    public async Task A_connection_past_the_cap_is_closed_at_once_and_reported()
    {
        await using var run = Run.Start(new PanOsSyslogTcpOptions { MaxConnections = 2 });
        using var first = await run.ConnectAsync();
        using var second = await run.ConnectAsync();
        await Poll.UntilAsync(() => run.Collector.ActiveConnections == 2, () => $"{run.Collector.ActiveConnections} open", Deadline);

        using var third = await run.ConnectAsync();
        var read = await third.GetStream().ReadAsync(new byte[1], run.Token).AsTask().WaitAsync(Deadline, run.Token);
        Assert.Equal(0, read); // closed by the collector

        Assert.Equal(1, run.Collector.ConnectionsRefused);
        Assert.Equal(2, run.Collector.ConnectionsAccepted);
        var refused = Assert.Single(run.Diagnostics);
        Assert.Equal("too-many-connections", refused.Reason);
        Assert.Equal($"127.0.0.1:{((IPEndPoint)third.Client.LocalEndPoint!).Port}", refused.Sender);

        // The two open ones still deliver.
        await second.GetStream().WriteAsync(Lf(Message("dns", 53)), run.Token);
        await Poll.UntilAsync(() => run.Collector.Counters.Accepted == 1, () => $"{run.Collector.Counters}", Deadline);
    }

    [Fact]
    public async Task An_idle_connection_is_closed_after_the_timeout_and_what_it_sent_counts()
    {
        await using var run = Run.Start(new PanOsSyslogTcpOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await run.ConnectAsync();

        // The last message has no LF yet: at the timeout it is read as the last line of the connection.
        await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes(Message("dns", 53) + "\n" + Message("ssl", 443)), run.Token);
        var read = await client.GetStream().ReadAsync(new byte[1], run.Token).AsTask().WaitAsync(Deadline, run.Token);
        Assert.Equal(0, read);
        await Poll.UntilAsync(() => run.Collector.ActiveConnections == 0, () => $"{run.Collector.ActiveConnections} open", Deadline);

        Assert.Equal(1, run.Collector.ConnectionsTimedOut);
        Assert.Equal([("dns", 53), ("ssl", 443)], run.Sink.Records);
        Assert.Equal("idle-timeout", Assert.Single(run.Diagnostics).Reason);
    }

    [Fact]
    public async Task A_slow_sink_makes_the_sender_wait_instead_of_the_collector_buffering()
    {
        var gate = new ManualResetEventSlim(false);
        await using var run = Run.Start(sink: new RecordingSink(gate));
        using var client = await run.ConnectAsync();
        var chunk = Lf(Enumerable.Range(0, 1000).Select(_ => Message("dns", 53)).ToArray()); // about 600 KB
        const int Chunks = 50; // about 30 MB: more than the kernel's buffers on both sides hold
        long written = 0;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < Chunks; i++)
            {
                await client.GetStream().WriteAsync(chunk, run.Token);
                Interlocked.Add(ref written, chunk.Length);
            }
        }, run.Token);

        // The sender stalls: what it wrote stops growing while the sink holds the first record.
        long last = -1;
        for (var i = 0; i < 100 && Interlocked.Read(ref written) != last; i++)
        {
            last = Interlocked.Read(ref written);
            await Task.Delay(200, run.Token);
        }

        Assert.False(sending.IsCompleted, $"the sender wrote all {Chunks * chunk.Length} bytes while the sink was held");
        Assert.True(run.Collector.BytesReceived <= 64 * 1024, $"the collector read {run.Collector.BytesReceived} bytes while its sink was held");

        gate.Set();
        await sending.WaitAsync(Deadline, run.Token);
        client.Client.Shutdown(SocketShutdown.Send);
        var expected = Chunks * 1000;
        await Poll.UntilAsync(() => run.Collector.Counters.Read == expected, () => $"{run.Collector.Counters}", Deadline);
        Assert.Equal(expected, run.Collector.Counters.Accepted);
        Assert.Equal((long)Chunks * chunk.Length, run.Collector.BytesReceived);
    }

    [Fact]
    public async Task Tls_round_trip_with_a_certificate_the_client_checks()
    {
        using var certificate = SelfSigned();
        await using var run = Run.Start(new PanOsSyslogTcpOptions { Certificate = certificate });
        Assert.StartsWith("syslog-tls://", run.Collector.Name, StringComparison.Ordinal);
        using var client = await run.ConnectAsync();
        string? seen = null;
        await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, remote, _, _) =>
        {
            seen = remote?.GetCertHashString(HashAlgorithmName.SHA256);
            return seen == certificate.GetCertHashString(HashAlgorithmName.SHA256);
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, run.Token);
        Assert.Equal(certificate.GetCertHashString(HashAlgorithmName.SHA256), seen);

        await tls.WriteAsync(OctetCounted(Message("dns", 5353), Message("ssl", 443)), run.Token);
        await tls.WriteAsync(Lf(Message("smtp", 25)), run.Token);
        await tls.FlushAsync(run.Token);
        await Poll.UntilAsync(() => run.Collector.Counters.Read == 3, () => $"{run.Collector.Counters}", Deadline);

        Assert.Equal([("dns", 5353), ("ssl", 443), ("smtp", 25)], run.Sink.Records);
        Assert.Equal(0, run.Collector.TlsHandshakesFailed);
    }

    [Fact]
    public async Task A_plain_text_sender_on_the_tls_port_is_refused_with_a_diagnostic()
    {
        using var certificate = SelfSigned();
        await using var run = Run.Start(new PanOsSyslogTcpOptions { Certificate = certificate });
        using var client = await run.ConnectAsync();
        await client.GetStream().WriteAsync(Lf(Message("dns", 53)), run.Token);
        // The counter and the diagnostic are two steps of the collector's task: wait for both.
        await Poll.UntilAsync(() => run.Collector.TlsHandshakesFailed == 1 && run.Diagnostics.Count == 1, () => $"{run.Collector.TlsHandshakesFailed} failed handshakes, {run.Diagnostics.Count} diagnostics", Deadline);

        var failed = Assert.Single(run.Diagnostics);
        Assert.Equal("tls-handshake-failed", failed.Reason);
        Assert.Equal($"127.0.0.1:{((IPEndPoint)client.Client.LocalEndPoint!).Port}", failed.Sender);
        Assert.Equal(0, run.Collector.Counters.Read);
        Assert.Empty(run.Sink.Records);
        await Poll.UntilAsync(() => run.Collector.ActiveConnections == 0, () => $"{run.Collector.ActiveConnections} open", Deadline);
    }

    [Fact]
    public async Task A_sink_that_throws_stops_the_collector_with_its_exception()
    {
        // An output that failed (a full disk) throws through the sink: the run must end with it, not go on accepting.
        using var collector = new PanOsSyslogTcpCollector(new IPEndPoint(IPAddress.Loopback, 0));
        var running = collector.ReadAsync(new ThrowingSink(), TestContext.Current.CancellationToken);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(collector.LocalEndPoint, TestContext.Current.CancellationToken);
        await client.GetStream().WriteAsync(Lf(Message("dns", 53)), TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<IOException>(() => running.WaitAsync(Deadline, TestContext.Current.CancellationToken));
        Assert.Equal("No space left on device", e.Message);
        Assert.Equal(0, collector.ActiveConnections);
    }

    [Fact]
    public void Options_out_of_range_are_refused_before_the_socket_is_bound()
    {
        var any = new IPEndPoint(IPAddress.Loopback, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PanOsSyslogTcpCollector(any, new PanOsSyslogTcpOptions { MaxConnections = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PanOsSyslogTcpCollector(any, new PanOsSyslogTcpOptions { IdleTimeout = TimeSpan.Zero }));
        using var publicOnly = X509CertificateLoader.LoadCertificate(SelfSigned().RawData);
        Assert.Throws<ArgumentException>(() => new PanOsSyslogTcpCollector(any, new PanOsSyslogTcpOptions { Certificate = publicOnly }));
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(1));

        // Through PKCS#12, so that the key is usable by the TLS server on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>A running collector with its sink and diagnostics; disposing stops it and checks that it returns in time.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task _running;

        private Run(PanOsSyslogTcpCollector collector, RecordingSink sink, List<InputDiagnostic> diagnostics)
        {
            Collector = collector;
            Sink = sink;
            Diagnostics = diagnostics;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            _running = collector.ReadAsync(sink, _stop.Token);
        }

        public PanOsSyslogTcpCollector Collector { get; }

        public RecordingSink Sink { get; }

        public List<InputDiagnostic> Diagnostics { get; }

        public CancellationToken Token => TestContext.Current.CancellationToken;

        public static Run Start(PanOsSyslogTcpOptions? connectionOptions = null, PanOsReaderOptions? options = null, RecordingSink? sink = null)
        {
            var diagnostics = new List<InputDiagnostic>();
            var collector = new PanOsSyslogTcpCollector(new IPEndPoint(IPAddress.Loopback, 0), connectionOptions, options, d =>
            {
                lock (diagnostics)
                {
                    diagnostics.Add(d);
                }
            });
            return new Run(collector, sink ?? new RecordingSink(null), diagnostics);
        }

        public async Task<TcpClient> ConnectAsync()
        {
            var client = new TcpClient(AddressFamily.InterNetwork);
            await client.ConnectAsync(Collector.LocalEndPoint, Token).AsTask().WaitAsync(Deadline, Token);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running.WaitAsync(Deadline, CancellationToken.None);
            Collector.Dispose();
            _stop.Dispose();
        }
    }

    private sealed class ThrowingSink : IFlowRecordSink
    {
        public void OnRecord(in FlowRecord record) => throw new IOException("No space left on device");
    }

    /// <summary>Keeps each record's app and port; notices two threads inside at once; waits at <paramref name="gate"/> if given.</summary>
    private sealed class RecordingSink(ManualResetEventSlim? gate) : IFlowRecordSink
    {
        private readonly List<(string App, int? Port)> _records = [];
        private int _inside;

        public bool Overlapped { get; private set; }

        public List<(string App, int? Port)> Records
        {
            get
            {
                lock (_records)
                {
                    return [.. _records];
                }
            }
        }

        public void OnRecord(in FlowRecord record)
        {
            if (Interlocked.Increment(ref _inside) > 1)
            {
                Overlapped = true;
            }

            gate?.Wait(Deadline, TestContext.Current.CancellationToken);
            lock (_records)
            {
                foreach (var app in record.Apps)
                {
                    _records.Add((Encoding.UTF8.GetString(app), record.DestinationPort));
                }
            }

            Thread.SpinWait(10);
            Interlocked.Decrement(ref _inside);
        }
    }
}
