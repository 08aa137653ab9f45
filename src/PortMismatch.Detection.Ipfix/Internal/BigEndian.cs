using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>Reads unsigned integers of any width from 1 to 8 octets: RFC 7011 section 6.2 reduced-size encoding.</summary>
internal static class BigEndian
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadUnsigned(ReadOnlySpan<byte> value)
    {
        switch (value.Length)
        {
            case 1: return value[0];
            case 2: return BinaryPrimitives.ReadUInt16BigEndian(value);
            case 4: return BinaryPrimitives.ReadUInt32BigEndian(value);
            case 8: return BinaryPrimitives.ReadUInt64BigEndian(value);
            default:
                ulong result = 0;
                foreach (var b in value.Length > 8 ? value[^8..] : value)
                {
                    result = (result << 8) | b;
                }

                return result;
        }
    }

    /// <summary>Converts an NTP-format timestamp (RFC 7011 dateTimeMicroseconds / dateTimeNanoseconds) to Unix microseconds.</summary>
    public static long NtpToUnixMicroseconds(ulong ntp)
    {
        const long NtpToUnixSeconds = 2_208_988_800;
        var seconds = (long)(ntp >> 32) - NtpToUnixSeconds;
        var fraction = (long)(((ntp & 0xFFFF_FFFF) * 1_000_000) >> 32);
        return (seconds * 1_000_000) + fraction;
    }
}
