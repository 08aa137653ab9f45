namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>
/// Parses PAN-OS times to Unix microseconds: <c>yyyy/MM/dd HH:mm:ss</c> (firewall local time, in the configured zone) and
/// ISO-8601 <c>yyyy-MM-ddTHH:mm:ss[.f{1,9}][Z|+hh:mm|+hhmm|+hh]</c> (Cortex/Strata forwarding; a time without an offset is
/// in the configured zone). Fractions beyond microseconds are truncated.
/// </summary>
internal sealed class PanOsTime
{
    private const long MicrosPerSecond = 1_000_000;
    private const long MicrosPerMinute = 60 * MicrosPerSecond;

    private readonly TimeZoneInfo _zone;

    // A zone without rules has one offset; otherwise the offset of the last local minute seen is cached, because logs
    // come in time order and asking the zone costs far more than parsing.
    private readonly bool _fixedOffset;
    private readonly long _fixedOffsetMicros;
    private long _cachedMinute = long.MinValue;
    private long _cachedOffsetMicros;

    public PanOsTime(TimeZoneInfo zone)
    {
        _zone = zone;
        _fixedOffset = !zone.SupportsDaylightSavingTime && zone.GetAdjustmentRules().Length == 0;
        _fixedOffsetMicros = zone.BaseUtcOffset.Ticks / TimeSpan.TicksPerMicrosecond;
    }

    public bool TryParse(ReadOnlySpan<byte> text, out long micros)
    {
        micros = 0;

        // yyyy?MM?dd?HH:mm:ss = 19 bytes at least.
        if (text.Length < 19)
        {
            return false;
        }

        var separator = text[4];
        if ((separator != (byte)'/' && separator != (byte)'-') || text[7] != separator || text[13] != (byte)':' || text[16] != (byte)':'
            || (text[10] != (byte)' ' && (text[10] | 0x20) != (byte)'t'))
        {
            return false;
        }

        if (!TryDigits(text, 0, 4, out var year) || !TryDigits(text, 5, 2, out var month) || !TryDigits(text, 8, 2, out var day)
            || !TryDigits(text, 11, 2, out var hour) || !TryDigits(text, 14, 2, out var minute) || !TryDigits(text, 17, 2, out var second))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var p = 19;
        long fraction = 0;
        if (p < text.Length && (text[p] == (byte)'.' || text[p] == (byte)','))
        {
            p++;
            var digits = 0;
            while (p < text.Length && IsDigit(text[p]))
            {
                if (digits < 6)
                {
                    fraction = (fraction * 10) + (text[p] - '0');
                }

                digits++;
                p++;
            }

            if (digits is 0 or > 9)
            {
                return false;
            }

            for (var d = digits; d < 6; d++)
            {
                fraction *= 10;
            }
        }

        var local = (DaysFromCivil(year, month, day) * 86_400L * MicrosPerSecond) + (hour * 3_600L * MicrosPerSecond)
            + (minute * MicrosPerMinute) + (second * MicrosPerSecond) + fraction;

        long offset;
        if (p == text.Length)
        {
            offset = ZoneOffset(local);
        }
        else if (!TryParseOffset(text[p..], out offset))
        {
            return false;
        }

        micros = local - offset;
        return FlowTime.IsValid(micros);
    }

    /// <summary>Gets whether a time <see cref="TryParse"/> accepted has no offset (so it was read in the configured zone).</summary>
    public static bool IsWithoutOffset(ReadOnlySpan<byte> text)
    {
        var p = 19;
        if (p < text.Length && (text[p] == (byte)'.' || text[p] == (byte)','))
        {
            p++;
            while (p < text.Length && IsDigit(text[p]))
            {
                p++;
            }
        }

        return p >= text.Length;
    }

    private static bool TryParseOffset(ReadOnlySpan<byte> text, out long offset)
    {
        offset = 0;
        if (text.Length == 1 && (text[0] | 0x20) == (byte)'z')
        {
            return true;
        }

        if (text.Length < 3 || (text[0] != (byte)'+' && text[0] != (byte)'-') || !TryDigits(text, 1, 2, out var hours))
        {
            return false;
        }

        var minutes = 0;
        var rest = text[3..];
        if (rest.Length > 0 && rest[0] == (byte)':')
        {
            rest = rest[1..];
            if (rest.Length != 2)
            {
                return false;
            }
        }

        if (rest.Length == 2)
        {
            if (!TryDigits(rest, 0, 2, out minutes))
            {
                return false;
            }
        }
        else if (rest.Length != 0)
        {
            return false;
        }

        if (hours > 18 || minutes > 59)
        {
            return false;
        }

        offset = ((hours * 60L) + minutes) * MicrosPerMinute;
        if (text[0] == (byte)'-')
        {
            offset = -offset;
        }

        return true;
    }

    private long ZoneOffset(long localMicros)
    {
        if (_fixedOffset)
        {
            return _fixedOffsetMicros;
        }

        var minute = (localMicros >= 0 ? localMicros : localMicros - (MicrosPerMinute - 1)) / MicrosPerMinute;
        if (minute != _cachedMinute)
        {
            var ticks = DateTime.UnixEpoch.Ticks + (minute * MicrosPerMinute * TimeSpan.TicksPerMicrosecond);
            _cachedOffsetMicros = _zone.GetUtcOffset(new DateTime(ticks, DateTimeKind.Unspecified)).Ticks / TimeSpan.TicksPerMicrosecond;
            _cachedMinute = minute;
        }

        return _cachedOffsetMicros;
    }

    // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    private static long DaysFromCivil(int year, int month, int day)
    {
        var y = month <= 2 ? year - 1 : year;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yearOfEra = y - (era * 400);
        var dayOfYear = ((153 * (month + (month > 2 ? -3 : 9))) + 2) / 5 + day - 1;
        var dayOfEra = (yearOfEra * 365) + (yearOfEra / 4) - (yearOfEra / 100) + dayOfYear;
        return (era * 146_097L) + dayOfEra - 719_468;
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, int start, int length, out int value)
    {
        value = 0;
        for (var i = start; i < start + length; i++)
        {
            var d = text[i] - '0';
            if ((uint)d > 9)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
