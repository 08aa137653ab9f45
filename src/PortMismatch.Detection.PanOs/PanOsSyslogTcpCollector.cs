using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using PortMismatch.Detection.PanOs.Internal;

namespace PortMismatch.Detection.PanOs;

/// <summary>
/// Receives PAN-OS TRAFFIC logs sent as syslog over TCP (RFC 6587) or TLS (RFC 5425) and pushes each flow to a sink. Each
/// frame is an RFC 6587 octet-counted message (<c>535 &lt;14&gt;1 ...</c>) or an LF-terminated one; which, is told at the
/// start of every frame as rsyslog does (a digit, a space and <c>&lt;</c>: octet counting; otherwise up to the LF), so a
/// connection may use either, and a frame over <see cref="PanOsReaderOptions.MaxLineLength"/> is rejected
/// (<c>line-too-long</c>) and skipped to its end while the connection stays open. Each connection is read only as fast as
/// the sink takes its records (what it has not framed yet is at most one frame and one read of 16 KiB), so a slow pipeline
/// makes the senders wait in TCP rather than grow memory. Line numbers and byte offsets in diagnostics count from the start
/// of the connection, and every diagnostic names the sender (<see cref="InputDiagnostic.Sender"/>). Connection events (past
/// the cap, idle, a failed TLS handshake) are reported as diagnostics without a line (reasons <c>too-many-connections</c>,
/// <c>idle-timeout</c>, <c>tls-handshake-failed</c>) and counted here, not in <see cref="Counters"/>: they are not records.
/// </summary>
public sealed class PanOsSyslogTcpCollector : IFlowSource, IDisposable
{
    private const int ReadSize = 16 * 1024;
    private const string TooManyConnections = "too-many-connections";
    private const string IdleTimeoutReason = "idle-timeout";
    private const string TlsHandshakeFailed = "tls-handshake-failed";

    private readonly Socket _listener;
    private readonly PanOsReaderOptions _options;
    private readonly X509Certificate2? _certificate;
    private readonly int _maxConnections;
    private readonly TimeSpan _idleTimeout;
    private readonly Action<InputDiagnostic>? _diagnostics;
    private readonly TimeProvider _time;
    private readonly long _maxClockSkew;

    // The sink is called on one thread at a time; connections decode in parallel and take turns here to hand a record over.
    private readonly object _sinkLock = new();

    // Each connection counts in its own state (InputCounters has one counting thread); closed ones are summed here.
    private readonly object _countersLock = new();
    private readonly InputCounters _closed = new();
    private readonly HashSet<PanOsReaderState> _open = [];

    private long _accepted;
    private long _refused;
    private long _timedOut;
    private long _handshakesFailed;
    private long _bytes;
    private int _active;

    /// <summary>Binds a TCP listener to <paramref name="endpoint"/> (port 0 picks a free port; see <see cref="LocalEndPoint"/>).</summary>
    /// <param name="endpoint">Where to listen, for example <c>0.0.0.0:514</c> (TCP) or <c>0.0.0.0:6514</c> (TLS).</param>
    /// <param name="connectionOptions">TLS, the connection cap and the idle timeout; <see langword="null"/> for <see cref="PanOsSyslogTcpOptions.Default"/>.</param>
    /// <param name="options">Reader options (time zone, subtypes, the frame cap <see cref="PanOsReaderOptions.MaxLineLength"/>, clock skew); <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives rejected and skipped messages and connection events, or <see langword="null"/>; called from the connections' threads, one at a time per connection.</param>
    /// <param name="timeProvider">The clock that dates receipt, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (<see cref="PanOsSyslogTcpOptions.MaxConnections"/> below 1, <see cref="PanOsSyslogTcpOptions.IdleTimeout"/> not positive, a reader option).</exception>
    /// <exception cref="ArgumentException"><see cref="PanOsSyslogTcpOptions.Certificate"/> has no private key.</exception>
    /// <exception cref="SocketException">The endpoint cannot be bound.</exception>
    public PanOsSyslogTcpCollector(IPEndPoint endpoint, PanOsSyslogTcpOptions? connectionOptions = null, PanOsReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        connectionOptions ??= PanOsSyslogTcpOptions.Default;
        options ??= PanOsReaderOptions.Default;
        PanOsReaderState.Validate(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(connectionOptions.MaxConnections, 1, nameof(connectionOptions));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(connectionOptions.IdleTimeout, TimeSpan.Zero, nameof(connectionOptions));
        if (connectionOptions.Certificate is { HasPrivateKey: false })
        {
            throw new ArgumentException("PanOsSyslogTcpOptions.Certificate has no private key: a TLS server needs one.", nameof(connectionOptions));
        }

        _options = options;
        _certificate = connectionOptions.Certificate;
        _maxConnections = connectionOptions.MaxConnections;
        _idleTimeout = connectionOptions.IdleTimeout;
        _diagnostics = diagnostics;
        _time = timeProvider ?? TimeProvider.System;
        _maxClockSkew = options.MaxClockSkew.Ticks / TimeSpan.TicksPerMicrosecond;
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endpoint);
            _listener.Listen(512);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        Name = $"{(_certificate is null ? "syslog-tcp" : "syslog-tls")}://{LocalEndPoint}";
    }

    /// <summary>Gets the endpoint the listener is bound to.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Gets whether connections speak TLS.</summary>
    public bool IsTls => _certificate is not null;

    /// <inheritdoc/>
    /// <remarks>A snapshot of every connection's counts, the closed ones and the open ones: <c>Read</c> counts the frames.</remarks>
    public InputCounters Counters
    {
        get
        {
            var sum = new InputCounters();
            lock (_countersLock)
            {
                sum.Add(_closed);
                foreach (var state in _open)
                {
                    sum.Add(state.Counters);
                }
            }

            return sum;
        }
    }

    /// <summary>Gets the number of connections accepted and read (not those past the cap).</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _accepted);

    /// <summary>Gets the number of connections closed at once because <see cref="PanOsSyslogTcpOptions.MaxConnections"/> were open.</summary>
    public long ConnectionsRefused => Interlocked.Read(ref _refused);

    /// <summary>Gets the number of connections closed after <see cref="PanOsSyslogTcpOptions.IdleTimeout"/> without a byte.</summary>
    public long ConnectionsTimedOut => Interlocked.Read(ref _timedOut);

    /// <summary>Gets the number of connections closed because their TLS handshake failed (a plain-text sender on the TLS port, an untrusted certificate).</summary>
    public long TlsHandshakesFailed => Interlocked.Read(ref _handshakesFailed);

    /// <summary>Gets the number of connections open now.</summary>
    public int ActiveConnections => Volatile.Read(ref _active);

    /// <summary>Gets the number of bytes read from all connections (after TLS decryption).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Accepts connections and decodes what they send until <paramref name="cancellationToken"/> is cancelled, then
    /// decodes what each connection had already read (a last frame cut short is counted, as at the end of a file), closes
    /// them and returns normally.
    /// </summary>
    /// <param name="sink">Where records go; called on one thread at a time, whichever connection the record came from.</param>
    /// <param name="cancellationToken">Stops the collector.</param>
    /// <returns>A task that completes when the collector and all its connections have stopped.</returns>
    /// <exception cref="Exception">Whatever <paramref name="sink"/> threw, after the connections have stopped.</exception>
    public async Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var connections = new List<Task>();
        ExceptionDispatchInfo? failure = null;
        void Fail(Exception e)
        {
            Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
            stop.Cancel();
        }

        try
        {
            while (!stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync(stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    continue;
                }

                var peer = PeerText(client);
                if (Volatile.Read(ref _active) >= _maxConnections)
                {
                    Interlocked.Increment(ref _refused);
                    Report(TooManyConnections, string.Create(CultureInfo.InvariantCulture, $"{_maxConnections} connections are open, the most allowed; this one was closed"), peer);
                    client.Dispose();
                    continue;
                }

                Interlocked.Increment(ref _active);
                Interlocked.Increment(ref _accepted);
                connections.RemoveAll(static task => task.IsCompleted);
                connections.Add(Task.Run(() => ServeAsync(client, peer, new ConnectionSink(this, sink, Fail), stop.Token), CancellationToken.None));
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(connections).ConfigureAwait(false);
        }

        failure?.Throw();
    }

    /// <summary>Closes the listener (open connections close as <see cref="ReadAsync"/> stops).</summary>
    public void Dispose() => _listener.Dispose();

    /// <summary>The sender as <c>192.0.2.7:51234</c> (an IPv4 sender on a dual-stack socket as IPv4).</summary>
    private static string PeerText(Socket socket)
    {
        try
        {
            if (socket.RemoteEndPoint is IPEndPoint remote)
            {
                return remote.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(remote.Address.MapToIPv4(), remote.Port).ToString() : remote.ToString();
            }
        }
        catch (SocketException)
        {
            // Gone already.
        }

        return "unknown";
    }

    private void Report(string reason, string message, string peer)
        => _diagnostics?.Invoke(new InputDiagnostic(RecordOutcome.Rejected, reason, message, Name, 0, -1) { Sender = peer });

    private async Task ServeAsync(Socket socket, string peer, ConnectionSink sink, CancellationToken stop)
    {
        Action<InputDiagnostic>? diagnostics = _diagnostics is null
            ? null
            : diagnostic => _diagnostics(diagnostic.Sender is not null
                ? diagnostic
                : new InputDiagnostic(diagnostic.Outcome, diagnostic.Reason, diagnostic.Message, diagnostic.InputName, diagnostic.LineNumber, diagnostic.ByteOffset) { Sender = peer });
        var state = new PanOsReaderState(_options, Name, diagnostics);
        lock (_countersLock)
        {
            _open.Add(state);
        }

        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (_certificate is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(stop);
                handshake.CancelAfter(_idleTimeout);
                try
                {
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, handshake.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
                {
                    if (!stop.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref _handshakesFailed);
                        var why = e is OperationCanceledException
                            ? string.Create(CultureInfo.InvariantCulture, $"no TLS handshake within {_idleTimeout}")
                            : $"the TLS handshake failed (a plain-text sender on the TLS port?): {e.Message}";
                        Report(TlsHandshakeFailed, why, peer);
                    }

                    return;
                }
            }

            await ReadConnectionAsync(stream, state, peer, sink, stop).ConfigureAwait(false);
        }
        catch (SinkFailedException)
        {
            // Recorded by the sink: ReadAsync throws it once every connection has stopped.
        }
        catch (Exception e) when (e is not (IOException or SocketException or ObjectDisposedException or OperationCanceledException))
        {
            sink.Fail(e);
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            lock (_countersLock)
            {
                _open.Remove(state);
                _closed.Add(state.Counters);
            }

            Interlocked.Decrement(ref _active);
        }
    }

    private async Task ReadConnectionAsync(Stream stream, PanOsReaderState state, string peer, ConnectionSink sink, CancellationToken stop)
    {
        // Pull-based: the socket is read only when the frames already read have been handed to the sink, so what is
        // buffered is at most one unfinished frame (bounded by the frame cap) and one read.
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadSize, minimumReadSize: ReadSize / 4, leaveOpen: true));

        // The idle clock and the stop cancel the pending read, which then returns what was read so far (a cancelled token
        // would lose it): it is decoded as the end of the connection.
        long armedAt = 0;
        var idle = new Timer(CancelRead, reader, Timeout.Infinite, Timeout.Infinite);
        var onStop = stop.Register(CancelRead, reader);
        long unread = 0;
        try
        {
            while (true)
            {
                armedAt = Environment.TickCount64;
                idle.Change(_idleTimeout, Timeout.InfiniteTimeSpan);
                ReadResult result;
                try
                {
                    result = await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    return; // reset by the sender: nothing more can be read
                }

                idle.Change(Timeout.Infinite, Timeout.Infinite);
                var buffer = result.Buffer;
                Interlocked.Add(ref _bytes, buffer.Length - unread);
                var timedOut = result.IsCanceled && !stop.IsCancellationRequested && Environment.TickCount64 - armedAt >= (long)_idleTimeout.TotalMilliseconds;
                var last = result.IsCompleted || stop.IsCancellationRequested || timedOut;
                Decode(state, ref buffer, isFinal: last, sink);
                unread = buffer.Length;
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (timedOut)
                {
                    Interlocked.Increment(ref _timedOut);
                    Report(IdleTimeoutReason, string.Create(CultureInfo.InvariantCulture, $"nothing received for {_idleTimeout}; the connection was closed"), peer);
                }

                // A cancellation that is neither (the idle clock fired as the read returned) only repeats the read.
                if (last)
                {
                    return;
                }
            }
        }
        finally
        {
            await onStop.DisposeAsync().ConfigureAwait(false);
            await idle.DisposeAsync().ConfigureAwait(false);
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends the pending read of a connection (the idle clock, the stop); a reader already completed has none.</summary>
    private static void CancelRead(object? reader)
    {
        try
        {
            ((PipeReader)reader!).CancelPendingRead();
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            // Completed as the clock fired: nothing to end.
        }
    }

    private static void Decode(PanOsReaderState state, ref ReadOnlySequence<byte> buffer, bool isFinal, ConnectionSink sink)
    {
        var framer = state.Framer;
        var decoder = state.Decoder;
        var now = FlowTime.FromDateTimeOffset(sink.Collector._time.GetUtcNow());
        var skew = sink.Collector._maxClockSkew;
        decoder.ReceivedAt = now;
        decoder.NotAfter = now > long.MaxValue - skew ? long.MaxValue : now + skew;
        while (true)
        {
            var status = framer.NextFrame(buffer, isFinal, out var frame, out var consumed);
            buffer = buffer.Slice(consumed);
            if (status == FrameStatus.Frame)
            {
                if (decoder.TryDecode(frame, framer.FrameLineNumber, framer.FrameByteOffset, out var traffic))
                {
                    sink.OnRecord(traffic.Flow);
                }
            }
            else if (status != FrameStatus.Consumed)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The caller's sink as the connections share it: one at a time (the sink is called on one thread at a time), and a
    /// failure of the sink (an output that failed) recorded for <see cref="ReadAsync"/> to throw and ending the connection.
    /// </summary>
    private sealed class ConnectionSink(PanOsSyslogTcpCollector collector, IFlowRecordSink sink, Action<Exception> fail)
    {
        public PanOsSyslogTcpCollector Collector => collector;

        public void OnRecord(in FlowRecord record)
        {
            try
            {
                lock (collector._sinkLock)
                {
                    sink.OnRecord(record);
                }
            }
            catch (Exception e)
            {
                fail(e);
                throw new SinkFailedException();
            }
        }

        public void Fail(Exception e) => fail(e);
    }

    /// <summary>Unwinds a connection whose sink failed (the failure itself is recorded and thrown by <see cref="ReadAsync"/>).</summary>
    private sealed class SinkFailedException : Exception
    {
        public SinkFailedException()
            : base("The sink failed.")
        {
        }
    }
}
