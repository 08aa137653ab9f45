using System.Buffers.Binary;

namespace PortMismatch.Detection.Ipfix;

// NetFlow v5: a fixed 24-octet header and up to 30 fixed 48-octet records, without an application field. The packets are
// framed and their records counted, each skipped as netflow-v5, so that a v5 export is explained instead of read as nothing.
public sealed partial class IpfixDecoder
{
    /// <summary>The reason code of a NetFlow v5 record: read, counted and skipped, as v5 has no application field.</summary>
    internal const string NetFlowV5Reason = "netflow-v5";

    private const int V5HeaderLength = 24;
    private const int V5RecordLength = 48;

    // Cisco's format: "count: number of flows exported in this packet (1-30)". Above that the count, the only length a v5
    // packet has, cannot be trusted.
    private const int V5MaxRecords = 30;

    /// <summary>
    /// The length of the NetFlow v5 packet whose header starts <paramref name="head"/> (at least 4 octets), or -1 after
    /// rejecting it: not version 5 (bytes after a packet that its count does not cover), or a count above 30. Shared by
    /// the span decoder and the file framer so that both count the same bytes the same way.
    /// </summary>
    internal int CheckV5Header(ReadOnlySpan<byte> head, long at)
    {
        var version = BinaryPrimitives.ReadUInt16BigEndian(head);
        int count = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
        if (version != 5)
        {
            RejectUnit("bad-message-length", at, $"octets after a NetFlow v5 packet that its record count does not cover (version {version}, not 5); the rest is not read");
            return -1;
        }

        if (count > V5MaxRecords)
        {
            RejectUnit("bad-message-length", at, $"NetFlow v5 record count {count} is more than {V5MaxRecords}; the packet's length cannot be known, the rest is not read");
            return -1;
        }

        return V5HeaderLength + (count * V5RecordLength);
    }

    /// <summary>Counts the records of one whole NetFlow v5 packet (its length checked by <see cref="CheckV5Header"/>).</summary>
    internal void SkipV5Packet(ReadOnlySpan<byte> packet, long byteOffset)
    {
        Statistics.Messages++;
        for (var position = V5HeaderLength; position + V5RecordLength <= packet.Length; position += V5RecordLength)
        {
            var record = packet.Slice(position, V5RecordLength);
            SkipUnit(
                NetFlowV5Reason,
                byteOffset + position,
                $"a NetFlow v5 record ({record[0]}.{record[1]}.{record[2]}.{record[3]}:{BinaryPrimitives.ReadUInt16BigEndian(record[32..])} -> {record[4]}.{record[5]}.{record[6]}.{record[7]}:{BinaryPrimitives.ReadUInt16BigEndian(record[34..])}, protocol {record[38]}) has no application field: nothing can be detected");
        }
    }

    /// <summary>One datagram payload (or saved packets one after another) that starts with version 5.</summary>
    private void DecodeV5(ReadOnlySpan<byte> data, long byteOffset)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            var rest = data[offset..];
            var at = byteOffset + offset;
            if (rest.Length < 4)
            {
                RejectUnit("truncated-message", at, $"{rest.Length} octets left, less than a NetFlow v5 header");
                return;
            }

            var length = CheckV5Header(rest, at);
            if (length < 0)
            {
                return;
            }

            if (length > rest.Length)
            {
                RejectUnit("truncated-message", at, $"a NetFlow v5 packet of {(length - V5HeaderLength) / V5RecordLength} records is {length} octets; {rest.Length} left");
                return;
            }

            SkipV5Packet(rest[..length], at);
            offset += length;
        }
    }
}
