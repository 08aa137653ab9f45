using System.Buffers.Binary;
using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

// Message headers and sequence numbers: a datagram split into IPFIX messages (or one v9 packet), each header read into
// the per-message state that sets and times use, each set dispatched by its id, and the sequence number checked against
// the domain's to count lost records (IPFIX) or packets (v9).
public sealed partial class IpfixDecoder
{
    private const int IpfixHeaderLength = 16;
    private const int V9HeaderLength = 20;

    private long _messageOffset;
    private long _exportSeconds;
    private long _sysUpTimeMilliseconds;
    private int _version;
    private long _recordsInMessage;
    private bool _sequenceKnown;

    internal long DecodeAt<TSink>(ReadOnlySpan<byte> data, IPAddressValue exporter, ref TSink sink, long byteOffset)
        where TSink : IFlowRecordSink
    {
        var acceptedBefore = Counters.Accepted;
        if (data.Length < 4)
        {
            RejectUnit("truncated-message", byteOffset, $"the payload is shorter than a message header");
            return 0;
        }

        var version = BinaryPrimitives.ReadUInt16BigEndian(data);
        if (version == 5)
        {
            DecodeV5(data, byteOffset);
            return 0;
        }

        if (version == 9)
        {
            if (data.Length > _options.MaxMessageSize)
            {
                RejectUnit("message-too-large", byteOffset, $"the datagram has {data.Length} octets, more than {_options.MaxMessageSize}");
            }
            else
            {
                DecodeV9(data, exporter, ref sink, byteOffset);
            }

            return Counters.Accepted - acceptedBefore;
        }

        var offset = 0;
        while (offset < data.Length)
        {
            var rest = data[offset..];
            var at = byteOffset + offset;
            if (rest.Length < IpfixHeaderLength)
            {
                RejectUnit("truncated-message", at, $"{rest.Length} octets left, less than a message header");
                break;
            }

            version = BinaryPrimitives.ReadUInt16BigEndian(rest);
            if (version != 10)
            {
                RejectUnit("unsupported-version", at, $"version {version} is neither IPFIX (10) nor NetFlow v9 or v5");
                break;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
            if (length < IpfixHeaderLength)
            {
                RejectUnit("bad-message-length", at, $"message length {length} is shorter than its header");
                break;
            }

            if (length > rest.Length)
            {
                RejectUnit("truncated-message", at, $"message length {length} but {rest.Length} octets left");
                break;
            }

            if (length > _options.MaxMessageSize)
            {
                RejectUnit("message-too-large", at, $"message length {length} is more than {_options.MaxMessageSize}");
            }
            else
            {
                DecodeIpfix(rest[..length], exporter, ref sink, at);
            }

            offset += length;
        }

        return Counters.Accepted - acceptedBefore;
    }

    internal int MaxMessageSize => _options.MaxMessageSize;

    private void DecodeIpfix<TSink>(ReadOnlySpan<byte> message, IPAddressValue exporter, ref TSink sink, long byteOffset)
        where TSink : IFlowRecordSink
    {
        var domainId = BinaryPrimitives.ReadUInt32BigEndian(message[12..]);
        var domain = GetDomain(new DomainKey(exporter, domainId, 10), byteOffset);
        if (domain is null)
        {
            return;
        }

        Statistics.Messages++;
        _version = 10;
        _messageOffset = byteOffset;
        _exportSeconds = BinaryPrimitives.ReadUInt32BigEndian(message[4..]);
        _sysUpTimeMilliseconds = -1;
        _recordsInMessage = 0;
        _sequenceKnown = true;
        DecodeSets(message, IpfixHeaderLength, domain, ref sink);

        var sequence = BinaryPrimitives.ReadUInt32BigEndian(message[8..]);
        if (domain.HasSequence && sequence != domain.NextSequence)
        {
            var gap = unchecked(sequence - domain.NextSequence);
            if (gap < 0x8000_0000u)
            {
                Statistics.LostRecords += gap;
            }
        }

        domain.HasSequence = _sequenceKnown;
        domain.NextSequence = unchecked(sequence + (uint)_recordsInMessage);
    }

    private void DecodeV9<TSink>(ReadOnlySpan<byte> packet, IPAddressValue exporter, ref TSink sink, long byteOffset)
        where TSink : IFlowRecordSink
    {
        if (packet.Length < V9HeaderLength)
        {
            RejectUnit("truncated-message", byteOffset, $"{packet.Length} octets, less than a NetFlow v9 header");
            return;
        }

        var sourceId = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        var domain = GetDomain(new DomainKey(exporter, sourceId, 9), byteOffset);
        if (domain is null)
        {
            return;
        }

        Statistics.Messages++;
        _version = 9;
        _messageOffset = byteOffset;
        _sysUpTimeMilliseconds = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        _exportSeconds = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        var sequence = BinaryPrimitives.ReadUInt32BigEndian(packet[12..]);
        if (domain.HasSequence && sequence != domain.NextSequence)
        {
            var gap = unchecked(sequence - domain.NextSequence);
            if (gap < 0x8000_0000u)
            {
                Statistics.LostPackets += gap;
            }
        }

        domain.HasSequence = true;
        domain.NextSequence = unchecked(sequence + 1);
        DecodeSets(packet, V9HeaderLength, domain, ref sink);
    }

    private void DecodeSets<TSink>(ReadOnlySpan<byte> message, int position, DomainState domain, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        var isV9 = _version == 9;
        while (position < message.Length)
        {
            var rest = message[position..];
            var at = _messageOffset + position;
            if (rest.Length < 4)
            {
                if (isV9 || !rest.ContainsAnyExcept((byte)0))
                {
                    return; // padding at the end of a v9 packet (or zero octets after an IPFIX set)
                }

                RejectUnit("truncated-set", at, $"{rest.Length} octets left, less than a set header");
                return;
            }

            var setId = BinaryPrimitives.ReadUInt16BigEndian(rest);
            int setLength = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
            if (setLength < 4 || setLength > rest.Length)
            {
                if (isV9 && !rest.ContainsAnyExcept((byte)0))
                {
                    return; // some exporters zero-fill the rest of a fixed-size packet
                }

                RejectUnit("bad-set-length", at, $"set {setId} claims {setLength} octets; {rest.Length} left");
                _sequenceKnown = false;
                return;
            }

            var body = rest[4..setLength];
            var bodyOffset = position + 4;
            if (setId >= 256)
            {
                DecodeDataSet(body, bodyOffset, setId, domain, ref sink);
            }
            else if (setId == (isV9 ? 0 : 2))
            {
                DecodeTemplateSet(body, bodyOffset, domain, options: false, ref sink);
            }
            else if (setId == (isV9 ? 1 : 3))
            {
                if (isV9)
                {
                    DecodeV9OptionsTemplateSet(body, bodyOffset, domain, ref sink);
                }
                else
                {
                    DecodeTemplateSet(body, bodyOffset, domain, options: true, ref sink);
                }
            }
            else
            {
                SkipUnit("reserved-set", at, $"set id {setId} is reserved");
            }

            position += setLength;
        }
    }
}
