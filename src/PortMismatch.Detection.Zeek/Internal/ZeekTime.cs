using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>Zeek's <c>ts</c> as microseconds since the epoch: epoch seconds (the ASCII writer's, in one vector step) or ISO 8601 (the JSON writer's option).</summary>
internal static class ZeekTime
{
    private const long MicrosPerSecond = 1_000_000;

    /// <summary>Parses <c>ts</c>: epoch seconds with an optional fraction (<c>1300475167.096535</c>) or ISO 8601.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseTimestamp(ReadOnlySpan<byte> text, out long micros)
        => TryParseTenDotSix(text, out micros) || TryParseEpochSeconds(text, out micros) || TryParseIso8601(text, out micros);

    /// <summary>Parses <c>[-]digits[.digits]</c> seconds since the epoch; digits after the sixth decimal are truncated.</summary>
    public static bool TryParseEpochSeconds(ReadOnlySpan<byte> text, out long micros)
    {
        if (TryParseTenDotSix(text, out micros))
        {
            return true;
        }

        micros = 0;
        var i = 0;
        var negative = false;
        if (!text.IsEmpty && text[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }

        long seconds = 0;
        var integerDigits = 0;
        for (; (uint)i < (uint)text.Length; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit > 9)
            {
                break;
            }

            if (++integerDigits > 12)
            {
                return false;
            }

            seconds = (seconds * 10) + digit;
        }

        if (integerDigits == 0)
        {
            return false;
        }

        long fraction = 0;
        var fractionDigits = 0;
        if ((uint)i < (uint)text.Length)
        {
            if (text[i] != (byte)'.' || i == text.Length - 1)
            {
                return false;
            }

            for (i++; (uint)i < (uint)text.Length; i++)
            {
                var digit = (uint)(text[i] - '0');
                if (digit > 9)
                {
                    return false;
                }

                if (fractionDigits < 6)
                {
                    fraction = (fraction * 10) + digit;
                    fractionDigits++;
                }
            }
        }

        for (; fractionDigits < 6; fractionDigits++)
        {
            fraction *= 10;
        }

        micros = (seconds * MicrosPerSecond) + fraction;
        if (negative)
        {
            micros = -micros;
        }

        return FlowTime.IsValid(micros);
    }

    /// <summary>
    /// Parses <c>yyyy-MM-ddTHH:mm:ss[.fraction][Z|±HH[:MM]|±HHMM]</c> (a space may replace the <c>T</c>; no zone means UTC)
    /// as Zeek's <c>json_timestamps=JSON::TS_ISO8601</c> and <c>zeek-cut -d</c> write it.
    /// </summary>
    public static bool TryParseIso8601(ReadOnlySpan<byte> text, out long micros)
    {
        micros = 0;
        if (text.Length < 19
            || text[4] != (byte)'-' || text[7] != (byte)'-' || (text[10] != (byte)'T' && text[10] != (byte)'t' && text[10] != (byte)' ')
            || text[13] != (byte)':' || text[16] != (byte)':'
            || !TryDigits(text.Slice(0, 4), out var year) || !TryDigits(text.Slice(5, 2), out var month)
            || !TryDigits(text.Slice(8, 2), out var day) || !TryDigits(text.Slice(11, 2), out var hour)
            || !TryDigits(text.Slice(14, 2), out var minute) || !TryDigits(text.Slice(17, 2), out var second)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var i = 19;
        long fraction = 0;
        if (i < text.Length && text[i] == (byte)'.')
        {
            var digits = 0;
            for (i++; i < text.Length && (uint)(text[i] - '0') <= 9; i++, digits++)
            {
                if (digits < 6)
                {
                    fraction = (fraction * 10) + (text[i] - '0');
                }
            }

            if (digits == 0)
            {
                return false;
            }

            for (; digits < 6; digits++)
            {
                fraction *= 10;
            }
        }

        var offsetMinutes = 0;
        var zone = text[i..];
        if (zone.Length == 1 && (zone[0] | 0x20) == 'z')
        {
            // UTC
        }
        else if (!zone.IsEmpty)
        {
            if ((zone[0] != (byte)'+' && zone[0] != (byte)'-') || !TryParseZone(zone[1..], out offsetMinutes))
            {
                return false;
            }

            if (zone[0] == (byte)'-')
            {
                offsetMinutes = -offsetMinutes;
            }
        }

        var ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks;
        micros = (ticks / TimeSpan.TicksPerMicrosecond) + fraction - (offsetMinutes * 60 * MicrosPerSecond);
        return FlowTime.IsValid(micros);
    }

    /// <summary>
    /// What Zeek writes for the next two centuries: ten digits, a point, six digits, in one vector step (or as three
    /// word-wide digit runs without SSSE3; inlined into the TSV path; anything else goes to the general parser).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryParseTenDotSix(ReadOnlySpan<byte> text, out long micros)
    {
        if (text.Length == 17 && text[10] == (byte)'.')
        {
            ref var start = ref MemoryMarshal.GetReference(text);
            if (Ssse3.IsSupported)
            {
                // The sixteen digits in one vector (bytes 0-9 of the field, then 11-16 from a load one byte on), as one
                // sixteen-digit number: seconds times a million plus the microseconds.
                var digits = Vector128.ConditionalSelect(
                    Vector128.Create((byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0),
                    Vector128.LoadUnsafe(ref start),
                    Vector128.LoadUnsafe(ref start, 1)) - Vector128.Create((byte)'0');
                if (Vector128.LessThanOrEqualAll(digits, Vector128.Create((byte)9)))
                {
                    var pairs = Ssse3.MultiplyAddAdjacent(digits, Vector128.Create((sbyte)10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
                    var fours = Sse2.MultiplyAddAdjacent(pairs, Vector128.Create((short)100, 1, 100, 1, 100, 1, 100, 1));
                    var eights = Sse2.MultiplyAddAdjacent(Sse2.PackSignedSaturate(fours, fours), Vector128.Create((short)10_000, 1, 10_000, 1, 10_000, 1, 10_000, 1));
                    micros = ((long)eights.GetElement(0) * 100_000_000) + eights.GetElement(1);
                    return FlowTime.IsValid(micros);
                }

                micros = 0;
                return false;
            }

            var last = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, 9));
            if (ZeekNumbers.TryParseDigits(Unsafe.ReadUnaligned<ulong>(ref start), 8, out var high)
                && ZeekNumbers.TryParseDigits(last, 1, out var ninth)
                && ZeekNumbers.TryParseDigits((ulong)text[8], 1, out var eighth)
                && ZeekNumbers.TryParseDigits(last >> 16, 6, out var micro))
            {
                micros = (((high * 100L) + (eighth * 10) + ninth) * MicrosPerSecond) + micro;
                return FlowTime.IsValid(micros);
            }
        }

        micros = 0;
        return false;
    }

    private static bool TryParseZone(ReadOnlySpan<byte> zone, out int minutes)
    {
        minutes = 0;
        int hours, mins = 0;
        switch (zone.Length)
        {
            case 2:
                if (!TryDigits(zone, out hours))
                {
                    return false;
                }

                break;
            case 4:
                if (!TryDigits(zone[..2], out hours) || !TryDigits(zone[2..], out mins))
                {
                    return false;
                }

                break;
            case 5:
                if (zone[2] != (byte)':' || !TryDigits(zone[..2], out hours) || !TryDigits(zone[3..], out mins))
                {
                    return false;
                }

                break;
            default:
                return false;
        }

        if (hours > 23 || mins > 59)
        {
            return false;
        }

        minutes = (hours * 60) + mins;
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var b in text)
        {
            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                return false;
            }

            value = (value * 10) + (int)digit;
        }

        return true;
    }
}
