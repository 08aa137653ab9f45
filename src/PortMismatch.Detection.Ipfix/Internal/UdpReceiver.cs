using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>Handles one received datagram; the span is valid only during the call.</summary>
internal delegate void DatagramHandler(ReadOnlySpan<byte> datagram);

/// <summary>
/// The UDP socket and receive loop the collectors of both packages share (linked into PortMismatch.Detection.PanOs): binds,
/// receives into one pooled buffer until cancelled, counts datagrams and bytes, and reads the kernel's drop counter.
/// </summary>
internal sealed class UdpReceiver : IDisposable
{
    private const int MaxDatagram = 65_535;

    private readonly Socket _socket;

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

    public long? DatagramsDroppedBySocket => OperatingSystem.IsLinux() ? SocketDrops.Read(LocalEndPoint) : null;

    /// <summary>Receives datagrams until <paramref name="cancellationToken"/> is cancelled, then returns normally.</summary>
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
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
                {
                    continue; // ICMP port unreachable echoes (Windows) or an oversized datagram: not fatal for a collector
                }

                DatagramsReceived++;
                handle(buffer.AsSpan(0, received));
                BytesReceived += received;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _socket.Dispose();
}
