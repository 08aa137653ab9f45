using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace PortMismatch.Detection;

/// <summary>
/// The Community ID flow hash, version 1 (corelight/community-id-spec): <c>"1:"</c> and the base64 of the SHA-1 of the seed,
/// the ordered endpoints, the IP protocol and the ports, so that a finding joins with the same flow in Zeek, Suricata,
/// Elastic and Security Onion data. Both directions of a flow give the same id.
/// </summary>
/// <remarks>
/// For TCP (6), UDP (17) and SCTP (132) the ports are the transport ports. For ICMP (1) and ICMPv6 (58) the source port is
/// the type and the destination port the code; a type with a counterpart (echo request and reply, ...) is mapped to the
/// pair (type, counterpart) as Zeek does, and a type without one is one-way: its endpoints are not reordered. Zeek's
/// conn.log already holds that mapped pair in <c>id.orig_p</c>/<c>id.resp_p</c>, which maps to itself. Other protocols are
/// hashed without ports.
/// </remarks>
public static class CommunityId
{
    /// <summary>The length of a version 1 id in characters: <c>"1:"</c> and 28 base64 characters.</summary>
    public const int Length = 30;

    /// <summary>IANA protocol number of ICMP.</summary>
    private const byte Icmp = 1;

    /// <summary>IANA protocol number of ICMPv6.</summary>
    private const byte Icmp6 = 58;

    /// <summary>Computes the id of a flow.</summary>
    /// <param name="source">The source (originator) address.</param>
    /// <param name="destination">The destination (responder) address, of the same family.</param>
    /// <param name="protocol">The IP protocol number (6 TCP, 17 UDP, 132 SCTP, 1 ICMP, 58 ICMPv6, or any other).</param>
    /// <param name="sourcePort">The source port, or the ICMP type.</param>
    /// <param name="destinationPort">The destination port, or the ICMP code.</param>
    /// <param name="seed">The seed (0 unless the sensors were configured with another).</param>
    /// <returns>The id, for example <c>1:wCb3OG7yAFWelaUydu0D+125CLM=</c>.</returns>
    /// <exception cref="ArgumentException">An address is absent, or the two are of different families.</exception>
    public static string Compute(IPAddressValue source, IPAddressValue destination, byte protocol, ushort sourcePort, ushort destinationPort, ushort seed = 0)
    {
        Span<byte> text = stackalloc byte[Length];
        TryFormat(source, destination, protocol, sourcePort, destinationPort, text, out _, seed);
        return Encoding.ASCII.GetString(text);
    }

    /// <summary>Writes the id of a flow as UTF-8 (ASCII) text; false when <paramref name="utf8Destination"/> is shorter than <see cref="Length"/>.</summary>
    /// <param name="source">The source (originator) address.</param>
    /// <param name="destination">The destination (responder) address, of the same family.</param>
    /// <param name="protocol">The IP protocol number.</param>
    /// <param name="sourcePort">The source port, or the ICMP type.</param>
    /// <param name="destinationPort">The destination port, or the ICMP code.</param>
    /// <param name="utf8Destination">Where the text goes.</param>
    /// <param name="bytesWritten">The length written (<see cref="Length"/>), or 0.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>Whether the id was written.</returns>
    /// <exception cref="ArgumentException">An address is absent, or the two are of different families.</exception>
    public static bool TryFormat(
        IPAddressValue source, IPAddressValue destination, byte protocol, ushort sourcePort, ushort destinationPort, Span<byte> utf8Destination, out int bytesWritten, ushort seed = 0)
    {
        if (!source.HasValue || !destination.HasValue || source.IsIPv4 != destination.IsIPv4)
        {
            throw new ArgumentException("A Community ID needs two addresses of the same family.", nameof(destination));
        }

        bytesWritten = 0;
        if (utf8Destination.Length < Length)
        {
            return false;
        }

        // seed (2) . first address . second address . protocol (1) . 0 (1) . first port (2) . second port (2)
        Span<byte> input = stackalloc byte[2 + 16 + 16 + 2 + 4];
        Span<byte> sourceBytes = stackalloc byte[16];
        Span<byte> destinationBytes = stackalloc byte[16];
        var addressLength = source.WriteBytes(sourceBytes);
        destination.WriteBytes(destinationBytes);
        sourceBytes = sourceBytes[..addressLength];
        destinationBytes = destinationBytes[..addressLength];

        var hasPorts = protocol is 6 or 17 or 132 or Icmp or Icmp6;
        var oneWay = false;
        if (protocol is Icmp or Icmp6)
        {
            var type = sourcePort;
            var counterpart = Counterpart(type, protocol == Icmp6);
            oneWay = counterpart < 0;
            destinationPort = oneWay ? destinationPort : (ushort)counterpart;
        }

        var order = sourceBytes.SequenceCompareTo(destinationBytes);
        var swap = !oneWay && (order > 0 || (order == 0 && hasPorts && sourcePort > destinationPort));
        BinaryPrimitives.WriteUInt16BigEndian(input, seed);
        var at = 2;
        (swap ? destinationBytes : sourceBytes).CopyTo(input[at..]);
        at += addressLength;
        (swap ? sourceBytes : destinationBytes).CopyTo(input[at..]);
        at += addressLength;
        input[at++] = protocol;
        input[at++] = 0;
        if (hasPorts)
        {
            BinaryPrimitives.WriteUInt16BigEndian(input[at..], swap ? destinationPort : sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(input[(at + 2)..], swap ? sourcePort : destinationPort);
            at += 4;
        }

        Span<byte> digest = stackalloc byte[20];
#pragma warning disable CA5350 // SHA-1 is what Community ID v1 is defined with: an id to join on, not a security boundary.
        SHA1.HashData(input[..at], digest);
#pragma warning restore CA5350
        utf8Destination[0] = (byte)'1';
        utf8Destination[1] = (byte)':';
        Base64.EncodeToUtf8(digest, utf8Destination[2..], out _, out var encoded);
        bytesWritten = 2 + encoded;
        return true;
    }

    /// <summary>The ICMP type that answers <paramref name="type"/> (Zeek's ICMP4_counterpart/ICMP6_counterpart), or -1 when none does.</summary>
    private static int Counterpart(ushort type, bool v6) => v6
        ? type switch
        {
            128 => 129, 129 => 128, // echo request, reply
            133 => 134, 134 => 133, // router solicitation, advertisement
            135 => 136, 136 => 135, // neighbor solicitation, advertisement
            130 => 131, 131 => 130, // multicast listener query, report
            139 => 140, 140 => 139, // node information query, reply (who-are-you)
            144 => 145, 145 => 144, // home agent address discovery request, reply
            _ => -1,
        }
        : type switch
        {
            8 => 0, 0 => 8, // echo request, reply
            13 => 14, 14 => 13, // timestamp request, reply
            15 => 16, 16 => 15, // information request, reply
            10 => 9, 9 => 10, // router solicitation, advertisement
            17 => 18, 18 => 17, // address mask request, reply
            _ => -1,
        };
}
