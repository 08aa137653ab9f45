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
/// in steady state. Not thread-safe: run one <see cref="ReadAsync"/> at a time.
/// </summary>
public sealed class IpfixUdpCollector : IFlowSource, IDisposable
{
    private readonly UdpReceiver _receiver;
    private readonly TimeProvider _time;
    private readonly long _started;

    /// <summary>Creates the collector and binds its socket.</summary>
    /// <param name="endpoint">The local address and port to listen on (port 0 picks a free port).</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="IpfixReaderOptions.Default"/>.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, or <see langword="null"/>.</param>
    /// <param name="receiveBufferSize">The socket receive buffer in octets (default 4 MiB) so that bursts are not dropped.</param>
    /// <param name="timeProvider">The clock that dates receipt, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <see cref="IpfixReaderOptions.MaxClockSkew"/> is negative, or <see cref="IpfixReaderOptions.TemplateLifetime"/> is zero
    /// or negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).
    /// </exception>
    public IpfixUdpCollector(
        IPEndPoint endpoint,
        IpfixReaderOptions? options = null,
        Action<InputDiagnostic>? diagnostics = null,
        int receiveBufferSize = 4 << 20,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _time = timeProvider ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        _receiver = new UdpReceiver(endpoint, receiveBufferSize);
        LocalEndPoint = _receiver.LocalEndPoint;
        Name = $"udp://{LocalEndPoint}";
        try
        {
            Decoder = new IpfixDecoder(options, Name, _receiver.WithSender(diagnostics));
        }
        catch
        {
            _receiver.Dispose();
            throw;
        }
    }

    /// <summary>Gets the bound address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Gets <c>udp://</c> and the bound address and port, the input name of diagnostics.</summary>
    public string Name { get; }

    /// <summary>Gets the record counts, live while the collector runs.</summary>
    public InputCounters Counters => Decoder.Counters;

    /// <summary>Gets the message-level counts (templates learned, expired and evicted, lost records, ...), live while the collector runs.</summary>
    public IpfixStatistics Statistics => Decoder.Statistics;

    /// <summary>Gets the decoder (its template state, for tests).</summary>
    internal IpfixDecoder Decoder { get; }

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
    /// <returns>A task that completes when the collector has stopped; <see cref="Counters"/> then hold the totals.</returns>
    public async Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        await _receiver.RunAsync(datagram => Decode(datagram, sink), cancellationToken).ConfigureAwait(false);
        Decoder.Flush();
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => _receiver.Dispose();

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
