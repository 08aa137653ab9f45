using System.Buffers.Binary;

namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>What a captured frame carried.</summary>
internal enum PacketKind
{
    Udp,
    Fragment,
    Other,
}

/// <summary>Finds the UDP payload (an export datagram) in a captured frame: Ethernet (with VLAN tags), Linux cooked v1/v2, raw IP, BSD loopback.</summary>
internal static class PacketParser
{
    public static bool IsSupportedLinkType(uint linkType) => linkType is 0 or 1 or 12 or 14 or 101 or 108 or 113 or 228 or 229 or 276;

    public static PacketKind TryGetUdpPayload(ReadOnlySpan<byte> frame, uint linkType, out IPAddressValue exporter, out int payloadOffset, out int payloadLength)
    {
        exporter = IPAddressValue.None;
        payloadOffset = 0;
        payloadLength = 0;
        int ip;
        switch (linkType)
        {
            case 1: // Ethernet II, 802.1Q / 802.1ad tags
                if (frame.Length < 14)
                {
                    return PacketKind.Other;
                }

                ip = 14;
                var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
                while (etherType is 0x8100 or 0x88A8 or 0x9100)
                {
                    if (frame.Length < ip + 4)
                    {
                        return PacketKind.Other;
                    }

                    etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[(ip + 2)..]);
                    ip += 4;
                }

                if (etherType is not (0x0800 or 0x86DD))
                {
                    return PacketKind.Other;
                }

                break;
            case 113: // Linux cooked capture v1: protocol at 14
                if (frame.Length < 16 || BinaryPrimitives.ReadUInt16BigEndian(frame[14..]) is not (0x0800 or 0x86DD))
                {
                    return PacketKind.Other;
                }

                ip = 16;
                break;
            case 276: // Linux cooked capture v2: protocol at 0
                if (frame.Length < 20 || BinaryPrimitives.ReadUInt16BigEndian(frame) is not (0x0800 or 0x86DD))
                {
                    return PacketKind.Other;
                }

                ip = 20;
                break;
            case 0 or 108: // BSD loopback: 4-octet address family
                ip = 4;
                break;
            default: // raw IP
                ip = 0;
                break;
        }

        if (frame.Length <= ip)
        {
            return PacketKind.Other;
        }

        var packet = frame[ip..];
        int udp;
        switch (packet[0] >> 4)
        {
            case 4:
                var headerLength = (packet[0] & 0xF) * 4;
                if (headerLength < 20 || packet.Length < headerLength || packet[9] != 17)
                {
                    return PacketKind.Other;
                }

                if ((BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0)
                {
                    return PacketKind.Fragment; // more-fragments flag or a fragment offset
                }

                exporter = IPAddressValue.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(packet[12..]));
                udp = headerLength;
                break;
            case 6:
                if (packet.Length < 40)
                {
                    return PacketKind.Other;
                }

                exporter = IPAddressValue.FromBytes(packet.Slice(8, 16));
                var next = packet[6];
                udp = 40;
                for (var hops = 0; next != 17; hops++)
                {
                    if (next == 44)
                    {
                        return PacketKind.Fragment;
                    }

                    if (next is not (0 or 43 or 60) || hops > 8 || packet.Length < udp + 8)
                    {
                        return PacketKind.Other;
                    }

                    next = packet[udp];
                    udp += (packet[udp + 1] + 1) * 8;
                }

                break;
            default:
                return PacketKind.Other;
        }

        if (packet.Length < udp + 8)
        {
            return PacketKind.Other;
        }

        var udpLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(udp + 4)..]);
        payloadOffset = ip + udp + 8;
        payloadLength = Math.Min(Math.Max(udpLength - 8, 0), frame.Length - payloadOffset);
        return PacketKind.Udp;
    }
}
