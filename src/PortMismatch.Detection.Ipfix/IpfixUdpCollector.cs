using System.Net;
using System.Net.Sockets;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection.Ipfix;

/// <summary>
/// Receives IPFIX / NetFlow v9 datagrams on a UDP socket bound to the address the caller names (IPFIX's port is 4739,
/// NetFlow v9 commonly 2055) and decodes them with one <see cref="IpfixDecoder"/>, templates scoped by the sender's
/// address, with the rules of UDP transport: templates expire after <see cref="IpfixReaderOptions.TemplateLifetime"/>
/// without a re-send, withdrawals are ignored (RFC 7011 section 8.4), and records dated more than
/// <see cref="IpfixReaderOptions.MaxClockSkew"/> ahead of the clock are rejected (<c>time-in-future</c>). On stop, the
/// datagrams already in the socket's queue are decoded too. One pooled receive buffer, no allocation per datagram or record
/// in steady state. Not thread-safe: run one <see cref="RunAsync"/> at a time.
/// </summary>
public sealed class IpfixUdpCollector : IFlowSource, IDisposable
{
    private readonly UdpReceiver _receiver;
    private readonly TimeProvider _time;
    private readonly long _started;

    /// <summary>Creates the collector and binds its socket.</summary>
    /// <param name="endpoint">The local address and port to listen on (port 0 picks a free port).</param>
    /// <param name="decoder">The decoder, or <see langword="null"/> for a new default one.</param>
    /// <param name="receiveBufferSize">The socket receive buffer in octets (default 4 MiB) so that bursts are not dropped.</param>
    /// <param name="timeProvider">The clock that dates receipt, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    public IpfixUdpCollector(IPEndPoint endpoint, IpfixDecoder? decoder = null, int receiveBufferSize = 4 << 20, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Decoder = decoder ?? new IpfixDecoder();
        _time = timeProvider ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        _receiver = new UdpReceiver(endpoint, receiveBufferSize);
        LocalEndPoint = _receiver.LocalEndPoint;
        Decoder.InputName ??= $"udp://{LocalEndPoint}";
    }

    /// <summary>Gets the bound address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Gets the decoder (its counters, statistics and state).</summary>
    public IpfixDecoder Decoder { get; }

    /// <summary>Gets the number of datagrams received.</summary>
    public long DatagramsReceived => _receiver.DatagramsReceived;

    /// <summary>Gets the number of octets received.</summary>
    public long BytesReceived => _receiver.BytesReceived;

    /// <summary>
    /// Gets the number of datagrams the operating system dropped for this socket (its receive buffer was full), read from
    /// <c>/proc/net/udp</c> on Linux; <see langword="null"/> where the OS does not expose it. Allocates: call it for
    /// monitoring, not per datagram.
    /// </summary>
    public long? DatagramsDroppedBySocket => _receiver.DatagramsDroppedBySocket;

    /// <summary>
    /// Receives and decodes datagrams until <paramref name="cancellationToken"/> is cancelled, then decodes those
    /// already in the socket's queue (at most 2 x (receive buffer + 64 KiB) octets, each datagram counted as its size
    /// plus 256, so that a sender that goes on cannot delay the stop): every datagram that reached the queue before the
    /// stop is decoded, and every one the full queue refused is counted in <see cref="DatagramsDroppedBySocket"/>. (A
    /// datagram the kernel dropped before the socket, in a per-CPU backlog, is in neither.)
    /// </summary>
    /// <param name="sink">Receives the accepted records, on the receiving thread.</param>
    /// <param name="cancellationToken">Stops the collector.</param>
    /// <returns>The decoder's counters when stopped.</returns>
    public async Task<InputCounters> RunAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        await _receiver.RunAsync(datagram => Decode(datagram, sink), cancellationToken).ConfigureAwait(false);
        Decoder.Flush();
        return Decoder.Counters;
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => _receiver.Dispose();

    /// <inheritdoc/>
    string IFlowSource.Name => Decoder.InputName ?? $"udp://{LocalEndPoint}";

    /// <inheritdoc/>
    InputCounters IFlowSource.Counters => Decoder.Counters;

    /// <summary>Runs the collector for a <see cref="DetectionPipeline"/> (the same as <see cref="RunAsync"/>).</summary>
    /// <param name="sink">Where records go.</param>
    /// <param name="cancellationToken">Stops the collector.</param>
    /// <returns>A task that completes when the collector stops.</returns>
    Task IFlowSource.ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken) => RunAsync(sink, cancellationToken);

    private void Decode(ReadOnlySpan<byte> datagram, IFlowRecordSink sink)
    {
        var remote = _receiver.Remote;
        var address = remote.Buffer.Span;
        var exporter = remote.Family switch
        {
            AddressFamily.InterNetwork => IPAddressValue.FromBytes(address.Slice(4, 4)),
            AddressFamily.InterNetworkV6 => IPAddressValue.FromBytes(address.Slice(8, 16)),
            _ => IPAddressValue.None,
        };
        // Offsets count the octets of all datagrams so far; ages are measured from the collector's creation (monotonic).
        var wallClock = FlowTime.FromDateTimeOffset(_time.GetUtcNow());
        var clock = _time.GetElapsedTime(_started).Ticks / TimeSpan.TicksPerMicrosecond;
        Decoder.DecodeDatagram(datagram, exporter, ref sink, _receiver.BytesReceived, wallClock, clock);
    }
}
