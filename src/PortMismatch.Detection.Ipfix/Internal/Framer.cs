using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>How the content of an input is cut into export datagrams (gzip is unwrapped before: see <see cref="IpfixInput"/>).</summary>
internal enum FrameFormat
{
    Empty,
    Unknown,
    IpfixMessages,
    Datagram,
    NetFlowV5Packets,
    Pcap,
    PcapNg,
}

/// <summary>
/// Cuts a byte stream into export datagrams: IPFIX messages by their length field, NetFlow v5 packets by their record
/// count, pcap records, pcapng blocks, or the whole input (a saved NetFlow v9 datagram). Synchronous so that it can use spans; the async readers call it per buffer.
/// </summary>
internal sealed class Framer
{
    private const int MaxFrame = 262_144;
    private const int MaxInterfaces = 1024;

    private readonly FrameFormat _format;
    private readonly IpfixDecoder _decoder;
    private readonly List<uint> _interfaces = [];
    private IFlowRecordSink _sink;
    private long _position;
    private bool _headerRead;
    private bool _bigEndian;
    private uint _linkType;
    private bool _resyncing;

    public Framer(FrameFormat format, IpfixDecoder decoder, IFlowRecordSink sink)
    {
        _format = format;
        _decoder = decoder;
        _sink = sink;
    }

    /// <summary>Tells the framing of content from its first four bytes (fewer when it is shorter).</summary>
    public static FrameFormat Detect(ReadOnlySequence<byte> buffer)
    {
        Span<byte> head = stackalloc byte[4];
        var length = (int)Math.Min(4, buffer.Length);
        buffer.Slice(0, length).CopyTo(head);
        return Detect(head[..length]);
    }

    /// <summary>Tells the framing of content from its first four bytes (fewer when it is shorter).</summary>
    public static FrameFormat Detect(ReadOnlySpan<byte> start)
    {
        if (start.Length == 0)
        {
            return FrameFormat.Empty;
        }

        Span<byte> head = stackalloc byte[4];
        head.Clear();
        start[..Math.Min(4, start.Length)].CopyTo(head);
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(head);
        if (magic is 0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1)
        {
            return FrameFormat.Pcap;
        }

        if (magic == 0x0A0D0D0A)
        {
            return FrameFormat.PcapNg;
        }

        return (head[0], head[1]) switch
        {
            (0, 10) => FrameFormat.IpfixMessages,
            (0, 9) => FrameFormat.Datagram,
            (0, 5) => FrameFormat.NetFlowV5Packets,
            _ => FrameFormat.Unknown,
        };
    }

    /// <summary>Consumes every complete frame of <paramref name="buffer"/>; returns whether reading must stop.</summary>
    public bool Process(ref ReadOnlySequence<byte> buffer, bool isFinal)
    {
        var stop = _format switch
        {
            FrameFormat.IpfixMessages => ProcessMessages(ref buffer),
            FrameFormat.Datagram => ProcessDatagram(ref buffer, isFinal),
            FrameFormat.NetFlowV5Packets => ProcessV5Packets(ref buffer),
            FrameFormat.Pcap => ProcessPcap(ref buffer),
            _ => ProcessPcapNg(ref buffer),
        };
        if (!stop && isFinal && buffer.Length > 0)
        {
            _decoder.RejectUnitAt("truncated-message", string.Create(CultureInfo.InvariantCulture, $"the input ends inside a {(_format is FrameFormat.IpfixMessages or FrameFormat.NetFlowV5Packets ? "message" : "capture record")} ({buffer.Length} octets left)"), _position);
            buffer = buffer.Slice(buffer.End);
        }

        return stop;
    }

    private bool ProcessMessages(ref ReadOnlySequence<byte> buffer)
    {
        Span<byte> head = stackalloc byte[4];
        while (buffer.Length >= 4)
        {
            buffer.Slice(0, 4).CopyTo(head);
            var version = BinaryPrimitives.ReadUInt16BigEndian(head);
            int length = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
            if (version != 10 || length < 16)
            {
                if (!_resyncing)
                {
                    _decoder.RejectUnitAt("bad-message-header", string.Create(CultureInfo.InvariantCulture, $"version {version}, length {length}: not an IPFIX message header; skipping to the next one"), _position);
                    _resyncing = true;
                }

                buffer = buffer.Slice(1);
                _position++;
                continue;
            }

            if (buffer.Length < length)
            {
                return false;
            }

            _resyncing = false;
            Deliver(buffer.Slice(0, length), IPAddressValue.None, _position);
            buffer = buffer.Slice(length);
            _position += length;
        }

        return false;
    }

    private bool ProcessV5Packets(ref ReadOnlySequence<byte> buffer)
    {
        // v5 has no length field and no marker to resynchronise on: after a bad header the rest cannot be framed.
        Span<byte> head = stackalloc byte[4];
        while (buffer.Length >= 4)
        {
            buffer.Slice(0, 4).CopyTo(head);
            var length = _decoder.CheckV5Header(head, _position);
            if (length < 0)
            {
                buffer = buffer.Slice(buffer.End);
                return true;
            }

            if (buffer.Length < length)
            {
                return false;
            }

            var packet = buffer.Slice(0, length);
            byte[]? rented = null;
            var span = packet.IsSingleSegment ? packet.FirstSpan : Copy(packet, out rented);
            try
            {
                _decoder.SkipV5Packet(span, _position);
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }

            buffer = buffer.Slice(length);
            _position += length;
        }

        return false;
    }

    private bool ProcessDatagram(ref ReadOnlySequence<byte> buffer, bool isFinal)
    {
        if (_resyncing || buffer.Length > _decoder.MaxMessageSize)
        {
            // Larger than any datagram: report once, then drain without keeping it (memory stays bounded).
            if (!_resyncing)
            {
                _decoder.RejectUnitAt("message-too-large", string.Create(CultureInfo.InvariantCulture, $"a saved NetFlow v9 datagram of more than {_decoder.MaxMessageSize} octets"), 0);
                _resyncing = true;
            }

            buffer = buffer.Slice(buffer.End);
            return false;
        }

        if (isFinal)
        {
            Deliver(buffer, IPAddressValue.None, 0);
            buffer = buffer.Slice(buffer.End);
        }

        return false;
    }

    private bool ProcessPcap(ref ReadOnlySequence<byte> buffer)
    {
        Span<byte> head = stackalloc byte[24];
        if (!_headerRead)
        {
            if (buffer.Length < 24)
            {
                return false;
            }

            buffer.Slice(0, 24).CopyTo(head);
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(head);
            _bigEndian = magic is 0xD4C3B2A1 or 0x4D3CB2A1;
            _linkType = ReadUInt32(head[20..]) & 0x0FFF_FFFF;
            if (!PacketParser.IsSupportedLinkType(_linkType))
            {
                throw new IpfixFormatException(IpfixFormatError.BadCapture, string.Create(CultureInfo.InvariantCulture, $"pcap link type {_linkType} is not supported"), _decoder.InputName, 20);
            }

            _headerRead = true;
            buffer = buffer.Slice(24);
            _position = 24;
        }

        while (buffer.Length >= 16)
        {
            buffer.Slice(0, 16).CopyTo(head);
            var captured = ReadUInt32(head[8..]);
            if (captured > MaxFrame)
            {
                _decoder.RejectUnitAt("bad-capture-record", string.Create(CultureInfo.InvariantCulture, $"a pcap record claims {captured} octets; the rest of the capture cannot be trusted"), _position);
                return true;
            }

            if (buffer.Length < 16 + captured)
            {
                return false;
            }

            Frame(buffer.Slice(16, captured), _linkType, _position + 16);
            buffer = buffer.Slice(16 + captured);
            _position += 16 + captured;
        }

        return false;
    }

    private bool ProcessPcapNg(ref ReadOnlySequence<byte> buffer)
    {
        Span<byte> scratch = stackalloc byte[32];
        var head = scratch[..12];
        while (buffer.Length >= 12)
        {
            buffer.Slice(0, 12).CopyTo(head);
            var type = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if (type == 0x0A0D0D0A)
            {
                _bigEndian = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]) != 0x1A2B3C4D;
                _headerRead = true;
                _interfaces.Clear();
            }
            else
            {
                type = ReadUInt32(head);
            }

            var length = ReadUInt32(head[4..]);
            if (!_headerRead || length < 12 || length % 4 != 0 || length > MaxFrame + 64)
            {
                _decoder.RejectUnitAt("bad-capture-record", string.Create(CultureInfo.InvariantCulture, $"pcapng block of type {type} claims {length} octets; the rest of the capture cannot be trusted"), _position);
                return true;
            }

            if (buffer.Length < length)
            {
                return false;
            }

            var block = buffer.Slice(0, length);
            switch (type)
            {
                case 1 when length >= 20: // Interface Description Block
                    var idb = scratch[..2];
                    block.Slice(8, 2).CopyTo(idb);
                    if (_interfaces.Count < MaxInterfaces)
                    {
                        _interfaces.Add(_bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(idb) : BinaryPrimitives.ReadUInt16LittleEndian(idb));
                    }

                    break;
                case 6 when length >= 32: // Enhanced Packet Block
                    var epb = scratch[..20];
                    block.Slice(8, 20).CopyTo(epb);
                    var interfaceId = ReadUInt32(epb);
                    var captured = Math.Min(ReadUInt32(epb[12..]), length - 32);
                    Frame(block.Slice(28, captured), interfaceId < _interfaces.Count ? _interfaces[(int)interfaceId] : uint.MaxValue, _position + 28);
                    break;
                case 3 when length >= 16: // Simple Packet Block
                    var spb = scratch[..4];
                    block.Slice(8, 4).CopyTo(spb);
                    var original = Math.Min(ReadUInt32(spb), length - 16);
                    Frame(block.Slice(12, original), _interfaces.Count > 0 ? _interfaces[0] : uint.MaxValue, _position + 12);
                    break;
            }

            buffer = buffer.Slice(length);
            _position += length;
        }

        return false;
    }

    private void Frame(ReadOnlySequence<byte> frame, uint linkType, long offset)
    {
        if (!PacketParser.IsSupportedLinkType(linkType))
        {
            _decoder.CountIgnoredPacket(fragment: false, offset);
            return;
        }

        byte[]? rented = null;
        var span = frame.IsSingleSegment ? frame.FirstSpan : Copy(frame, out rented);
        try
        {
            var kind = PacketParser.TryGetUdpPayload(span, linkType, out var exporter, out var payloadOffset, out var payloadLength);
            var payload = span.Slice(payloadOffset, payloadLength);
            if (kind == PacketKind.Udp && payload.Length >= 2 && payload[0] == 0 && payload[1] is 5 or 9 or 10)
            {
                _decoder.DecodeAt(payload, exporter, ref _sink, offset + payloadOffset);
            }
            else
            {
                _decoder.CountIgnoredPacket(kind == PacketKind.Fragment, offset);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private void Deliver(ReadOnlySequence<byte> data, IPAddressValue exporter, long offset)
    {
        byte[]? rented = null;
        var span = data.IsSingleSegment ? data.FirstSpan : Copy(data, out rented);
        try
        {
            _decoder.DecodeAt(span, exporter, ref _sink, offset);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static ReadOnlySpan<byte> Copy(ReadOnlySequence<byte> data, out byte[] rented)
    {
        rented = ArrayPool<byte>.Shared.Rent((int)data.Length);
        data.CopyTo(rented);
        return rented.AsSpan(0, (int)data.Length);
    }

    private uint ReadUInt32(ReadOnlySpan<byte> value)
        => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(value) : BinaryPrimitives.ReadUInt32LittleEndian(value);
}
