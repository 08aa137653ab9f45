using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Detection.Internal;

/// <summary>Handles one received datagram; the span is valid only during the call.</summary>
internal delegate void DatagramHandler(ReadOnlySpan<byte> datagram);

/// <summary>
/// The UDP socket and receive loop the collectors of the IPFIX and PAN-OS packages share (compiled into each): binds,
/// receives into one pooled buffer until cancelled, then reads what the kernel had already queued, counts datagrams and
/// bytes, and reads the kernel's drop counter. Every datagram that reached the socket's queue before the stop is thus
/// handled, and every one the full queue refused is counted as dropped. A datagram the kernel still holds in a per-CPU
/// backlog when the drain finds the queue empty (on loopback, right after a burst) arrives too late, and one dropped in
/// that backlog never reaches the socket (Linux counts it in <c>/proc/net/softnet_stat</c>, not in the socket's drops).
/// </summary>
internal sealed class UdpReceiver : IDisposable
{
    private const int MaxDatagram = 65_535;

    // What a queued datagram costs the kernel's receive buffer at least besides its payload (Linux charges the whole sk_buff).
    private const int QueuedDatagramOverhead = 256;

    private readonly Socket _socket;
    private bool _handling;

    public UdpReceiver(IPEndPoint endpoint, int receiveBufferSize)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = receiveBufferSize };
        try
        {
            _socket.Bind(endpoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        Remote = new SocketAddress(endpoint.AddressFamily);
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Gets the sender of the datagram being handled.</summary>
    public SocketAddress Remote { get; }

    public long DatagramsReceived { get; private set; }

    /// <summary>Gets the bytes of the datagrams handled before the current one (its offset in the whole input).</summary>
    public long BytesReceived { get; private set; }

    /// <summary>
    /// The caller's diagnostics callback, with the sender (address and port) of the datagram being handled added to each
    /// diagnostic raised while it is handled. Only a rejected or skipped record pays for it (a copy of its diagnostic and the
    /// sender's text); a diagnostic raised outside a datagram (the decoder's flush at the end) is passed on as it is.
    /// </summary>
    public Action<InputDiagnostic>? WithSender(Action<InputDiagnostic>? diagnostics) => diagnostics is null
        ? null
        : diagnostic => diagnostics(!_handling || diagnostic.Sender is not null
            ? diagnostic
            : new InputDiagnostic(diagnostic.Outcome, diagnostic.Reason, diagnostic.Message, diagnostic.InputName, diagnostic.LineNumber, diagnostic.ByteOffset)
            {
                Sender = SenderText(),
            });

    public long? DatagramsDroppedBySocket => OperatingSystem.IsLinux() ? SocketDrops.Read(LocalEndPoint) : null;

    /// <summary>
    /// Receives datagrams until <paramref name="cancellationToken"/> is cancelled, then handles the datagrams already queued
    /// in the socket (see <see cref="Drain"/>: at most 2 x (receive buffer + 64 KiB) octets, each datagram counted as its
    /// size plus 256, so that a sender that goes on cannot delay the stop) and returns normally.
    /// </summary>
    public async Task RunAsync(DatagramHandler handle, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                int received;
                try
                {
                    received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, Remote, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (SocketException e) when (IsTransient(e))
                {
                    continue;
                }

                Handle(handle, buffer, received);
            }

            Drain(handle, buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>
    /// Handles the datagrams queued when the loop stopped. The queue holds at most the socket's receive buffer (the value
    /// the kernel reports, which is what it enforces) and one datagram past it, and each datagram costs it more than its
    /// payload: reading twice that many octets, counting an overhead per datagram, empties what was queued at the stop while
    /// a sender that goes on cannot keep the collector from stopping.
    /// </summary>
    private void Drain(DatagramHandler handle, byte[] buffer)
    {
        try
        {
            var budget = 2 * ((long)_socket.ReceiveBufferSize + MaxDatagram);
            while (budget > 0 && _socket.Poll(0, SelectMode.SelectRead))
            {
                int received;
                try
                {
                    received = _socket.ReceiveFrom(buffer.AsSpan(0, MaxDatagram), SocketFlags.None, Remote);
                }
                catch (SocketException e) when (IsTransient(e))
                {
                    budget -= QueuedDatagramOverhead;
                    continue;
                }

                Handle(handle, buffer, received);
                budget -= received + QueuedDatagramOverhead;
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed while stopping (a host disposing its services): nothing more can be read.
        }
    }

    private void Handle(DatagramHandler handle, byte[] buffer, int received)
    {
        DatagramsReceived++;
        _handling = true;
        try
        {
            handle(buffer.AsSpan(0, received));
        }
        finally
        {
            _handling = false;
        }

        BytesReceived += received;
    }

    /// <summary>The current datagram's sender as <c>192.0.2.7:51234</c> or <c>[2001:db8::7]:51234</c> (an IPv4 sender on a dual-stack socket as IPv4).</summary>
    private string SenderText()
    {
        var sender = (IPEndPoint)LocalEndPoint.Create(Remote);
        return sender.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(sender.Address.MapToIPv4(), sender.Port).ToString() : sender.ToString();
    }

    /// <summary>ICMP port unreachable echoes (Windows) or an oversized datagram: not fatal for a collector.</summary>
    private static bool IsTransient(SocketException e) => e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize;
}
