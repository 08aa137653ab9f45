using System.Net;
using System.Net.Sockets;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.PanOs.Internal;

namespace PortMismatch.Detection.PanOs;

/// <summary>
/// Receives PAN-OS TRAFFIC logs sent as syslog over UDP (RFC 5426: one message per datagram; a datagram holding several
/// LF-separated or RFC 6587 octet-counted messages is also read) and pushes each flow to a sink. Line numbers in
/// diagnostics count messages since the start; byte offsets count the octets of all datagrams. Logs dated more than
/// <see cref="PanOsReaderOptions.MaxClockSkew"/> ahead of the clock are rejected (<c>time-in-future</c>). Datagrams the kernel
/// dropped because the socket buffer was full are in <see cref="DatagramsDroppedBySocket"/> (Linux); on stop, those already
/// in the socket's queue are decoded too.
/// </summary>
public sealed class PanOsSyslogUdpCollector : IFlowSource, IDisposable
{
    private readonly UdpReceiver _receiver;
    private readonly PanOsReaderState _state;
    private readonly SyslogFramer _framer;
    private readonly TrafficDecoder _decoder;
    private readonly TimeProvider _time;
    private readonly long _maxClockSkew;

    /// <summary>Binds a UDP socket to <paramref name="endpoint"/> (port 0 picks a free port; see <see cref="LocalEndPoint"/>).</summary>
    /// <param name="endpoint">Where to listen, for example <c>0.0.0.0:514</c>.</param>
    /// <param name="options">Reader options (time zone of the log's local times, subtypes, line cap, clock skew); <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives rejected and skipped messages, or <see langword="null"/>.</param>
    /// <param name="receiveBufferSize">The socket receive buffer in bytes (the kernel may cap it).</param>
    /// <param name="timeProvider">The clock that dates receipt, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="receiveBufferSize"/> is not positive, or an option is out of range (<see cref="PanOsReaderOptions.MaxClockSkew"/> negative, <see cref="PanOsReaderOptions.MaxLineLength"/>).</exception>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is <see langword="null"/>.</exception>
    /// <exception cref="SocketException">The endpoint cannot be bound.</exception>
    public PanOsSyslogUdpCollector(IPEndPoint endpoint, PanOsReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null, int receiveBufferSize = 4 << 20, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(receiveBufferSize);
        options ??= PanOsReaderOptions.Default;
        PanOsReaderState.Validate(options); // before the socket is bound
        _time = timeProvider ?? TimeProvider.System;
        _maxClockSkew = options.MaxClockSkew.Ticks / TimeSpan.TicksPerMicrosecond;
        _receiver = new UdpReceiver(endpoint, receiveBufferSize);
        LocalEndPoint = _receiver.LocalEndPoint;
        Name = $"syslog-udp://{LocalEndPoint}";
        _state = new PanOsReaderState(options, Name, _receiver.WithSender(diagnostics));
        _framer = _state.Framer;
        _decoder = _state.Decoder;
    }

    /// <summary>Gets the endpoint the socket is bound to.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public InputCounters Counters => _state.Counters;

    /// <summary>Gets the number of datagrams received.</summary>
    public long DatagramsReceived => _receiver.DatagramsReceived;

    /// <summary>Gets the number of bytes received.</summary>
    public long BytesReceived => _receiver.BytesReceived;

    /// <summary>Gets the datagrams the kernel dropped for this socket (its buffer was full), or <see langword="null"/> where the platform does not say.</summary>
    public long? DatagramsDroppedBySocket => _receiver.DatagramsDroppedBySocket;

    /// <summary>
    /// Receives and decodes datagrams until <paramref name="cancellationToken"/> is cancelled, then decodes those
    /// already in the socket's queue (at most 2 x (receive buffer + 64 KiB) octets, each datagram counted as its size
    /// plus 256, so that a sender that goes on cannot delay the stop) and returns normally: every datagram that reached
    /// the queue before the stop is decoded, and every one the full queue refused is counted in
    /// <see cref="DatagramsDroppedBySocket"/>. (A datagram the kernel dropped before the socket, in a per-CPU backlog, is
    /// in neither.)
    /// </summary>
    /// <param name="sink">Where records go.</param>
    /// <param name="cancellationToken">Stops the collector.</param>
    /// <returns>A task that completes when the collector stops.</returns>
    public Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return _receiver.RunAsync(datagram => Decode(datagram, sink), cancellationToken);
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => _receiver.Dispose();

    private void Decode(ReadOnlySpan<byte> datagram, IFlowRecordSink sink)
    {
        // Each datagram is complete: a message cannot continue in the next one, and the next one is the next line.
        var unterminated = !datagram.IsEmpty && datagram[^1] != (byte)'\n';
        var now = FlowTime.FromDateTimeOffset(_time.GetUtcNow());
        _decoder.ReceivedAt = now;
        _decoder.NotAfter = now > long.MaxValue - _maxClockSkew ? long.MaxValue : now + _maxClockSkew;
        while (true)
        {
            var status = _framer.NextFrame(datagram, isFinal: true, out var frame, out var advance);
            datagram = datagram[advance..];
            if (status == FrameStatus.Frame)
            {
                if (_decoder.TryDecode(frame, _framer.FrameLineNumber, _framer.FrameByteOffset, out var traffic))
                {
                    sink.OnRecord(traffic.Flow);
                }
            }
            else if (status != FrameStatus.Consumed)
            {
                break;
            }
        }

        if (unterminated)
        {
            _framer.EndUnterminatedMessage();
        }
    }
}
