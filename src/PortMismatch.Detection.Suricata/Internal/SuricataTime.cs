namespace PortMismatch.Detection.Suricata.Internal;

/// <summary>
/// Suricata's EVE timestamps: ISO 8601 local time with its UTC offset, <c>2024-11-26T08:06:23.123456+0100</c> (the offset
/// without a colon, as Suricata writes it; <c>+01:00</c> and <c>Z</c> are read too, from pipelines that rewrite it).
/// </summary>
internal static class SuricataTime
{
    /// <summary>Parses a timestamp into microseconds since the Unix epoch (a fraction beyond microseconds is cut).</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out long micros)
    {
        micros = 0;
        if (text.Length < 20 || text[4] != (byte)'-' || text[7] != (byte)'-' || text[10] is not ((byte)'T' or (byte)' ')
            || text[13] != (byte)':' || text[16] != (byte)':'
            || !TryDigits(text, 0, 4, out var year) || !TryDigits(text, 5, 2, out var month) || !TryDigits(text, 8, 2, out var day)
            || !TryDigits(text, 11, 2, out var hour) || !TryDigits(text, 14, 2, out var minute) || !TryDigits(text, 17, 2, out var second))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var at = 19;
        long fraction = 0;
        if (text[at] == (byte)'.')
        {
            at++;
            var digits = 0;
            while (at < text.Length && (uint)(text[at] - '0') <= 9)
            {
                if (digits < 6)
                {
                    fraction = (fraction * 10) + (text[at] - '0');
                }

                digits++;
                at++;
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

        if (!TryOffset(text[at..], out var offsetSeconds))
        {
            return false;
        }

        var seconds = (DaysFromCivil(year, month, day) * 86_400L) + (hour * 3600) + (minute * 60) + second - offsetSeconds;
        micros = (seconds * 1_000_000) + fraction;
        return FlowTime.IsValid(micros);
    }

    private static bool TryOffset(ReadOnlySpan<byte> text, out int seconds)
    {
        seconds = 0;
        if (text.Length == 1 && text[0] == (byte)'Z')
        {
            return true;
        }

        if (text.Length is not (5 or 6) || text[0] is not ((byte)'+' or (byte)'-'))
        {
            return false;
        }

        var minutesAt = text.Length == 6 ? 4 : 3;
        if ((text.Length == 6 && text[3] != (byte)':') || !TryDigits(text, 1, 2, out var hours) || !TryDigits(text, minutesAt, 2, out var minutes)
            || hours > 23 || minutes > 59)
        {
            return false;
        }

        seconds = ((hours * 60) + minutes) * 60 * (text[0] == (byte)'-' ? -1 : 1);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit > 9)
            {
                return false;
            }

            value = (value * 10) + (int)digit;
        }

        return true;
    }

    // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    private static long DaysFromCivil(int year, int month, int day)
    {
        year -= month <= 2 ? 1 : 0;
        var era = (year >= 0 ? year : year - 399) / 400;
        var yearOfEra = year - (era * 400);
        var dayOfYear = ((153 * (month + (month > 2 ? -3 : 9))) + 2) / 5 + day - 1;
        var dayOfEra = (yearOfEra * 365) + (yearOfEra / 4) - (yearOfEra / 100) + dayOfYear;
        return (era * 146_097L) + dayOfEra - 719_468;
    }
}
