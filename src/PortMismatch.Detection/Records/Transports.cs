namespace PortMismatch.Detection;

/// <summary>Conversions between <see cref="Transport"/> and the names and numbers that logs use.</summary>
public static class Transports
{
    /// <summary>
    /// Maps a transport name as logs write it (<c>tcp</c>, <c>UDP</c>, <c>icmp</c>, ...; ASCII case ignored) to a <see cref="Transport"/>.
    /// Empty text, <c>-</c> and Zeek's <c>unknown_transport</c> give <see cref="Transport.Unknown"/>; any other name gives <see cref="Transport.Other"/>.
    /// </summary>
    /// <param name="utf8Name">The name as UTF-8.</param>
    /// <returns>The transport.</returns>
    public static Transport FromName(ReadOnlySpan<byte> utf8Name)
    {
        if (utf8Name.Length == 3)
        {
            var folded = (utf8Name[0] | 0x20) << 16 | (utf8Name[1] | 0x20) << 8 | (utf8Name[2] | 0x20);
            if (folded == ('t' << 16 | 'c' << 8 | 'p'))
            {
                return Transport.Tcp;
            }

            if (folded == ('u' << 16 | 'd' << 8 | 'p'))
            {
                return Transport.Udp;
            }
        }

        return utf8Name.IsEmpty || utf8Name.SequenceEqual("-"u8) || utf8Name.SequenceEqual("unknown_transport"u8)
            || utf8Name.SequenceEqual("unknown"u8)
            ? Transport.Unknown
            : Transport.Other;
    }

    /// <summary>Maps an IANA protocol number (IPv4 protocol / IPv6 next header) to a <see cref="Transport"/>.</summary>
    /// <param name="protocolNumber">The protocol number; negative for "not given".</param>
    /// <returns>The transport.</returns>
    public static Transport FromProtocolNumber(int protocolNumber) => protocolNumber switch
    {
        6 => Transport.Tcp,
        17 => Transport.Udp,
        < 0 or > 255 => Transport.Unknown,
        _ => Transport.Other,
    };

    /// <summary>Gets the lower-case name used in messages and output: <c>tcp</c>, <c>udp</c>, <c>other</c> or <c>unknown</c>.</summary>
    /// <param name="transport">The transport.</param>
    /// <returns>The name.</returns>
    public static string ToName(this Transport transport) => transport switch
    {
        Transport.Tcp => "tcp",
        Transport.Udp => "udp",
        Transport.Other => "other",
        _ => "unknown",
    };
}
