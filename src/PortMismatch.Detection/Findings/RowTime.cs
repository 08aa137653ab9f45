using System.Globalization;

namespace PortMismatch.Detection;

/// <summary>The search's time format for firstTime and lastTime: <c>%Y-%m-%dT%H:%M:%S</c>, seconds truncated.</summary>
public static class RowTime
{
    /// <summary>The .NET format string of the search's time format.</summary>
    public const string FormatString = "yyyy-MM-ddTHH:mm:ss";

    /// <summary>Formats a Unix-microsecond time in <paramref name="timeZone"/> (UTC when null), seconds truncated.</summary>
    /// <param name="microseconds">The time.</param>
    /// <param name="timeZone">The time zone, or <see langword="null"/> for UTC.</param>
    /// <returns>The text.</returns>
    public static string Format(long microseconds, TimeZoneInfo? timeZone)
        => ToZone(microseconds, timeZone).ToString(FormatString, CultureInfo.InvariantCulture);

    /// <summary>Formats into UTF-8 bytes (always 19: the year has four digits, zero-padded as <c>yyyy</c> pads it).</summary>
    /// <param name="microseconds">The time.</param>
    /// <param name="timeZone">The time zone, or <see langword="null"/> for UTC.</param>
    /// <param name="utf8Destination">The destination.</param>
    /// <param name="bytesWritten">The number of bytes written.</param>
    /// <returns>Whether the destination was large enough.</returns>
    public static bool TryFormat(long microseconds, TimeZoneInfo? timeZone, Span<byte> utf8Destination, out int bytesWritten)
    {
        // The fixed pattern by hand: a custom format string is parsed on every call, which made formatting the two times
        // of each row a visible part of a whole scan's serial tail. UTC (the default) without DateTimeOffset at all.
        if (utf8Destination.Length < 19)
        {
            bytesWritten = 0;
            return false;
        }

        int year, month, day, secondOfDay;
        if (timeZone is null)
        {
            var seconds = FloorDiv(Clamp(microseconds), 1_000_000);
            var days = FloorDiv(seconds, 86_400);
            secondOfDay = (int)(seconds - (days * 86_400));
            (year, month, day) = CivilFromDays(days);
        }
        else
        {
            var time = ToZone(microseconds, timeZone).DateTime;
            time.Deconstruct(out year, out month, out day);
            secondOfDay = (int)(time.TimeOfDay.Ticks / TimeSpan.TicksPerSecond);
        }

        Digits(utf8Destination, 0, year, 4);
        utf8Destination[4] = (byte)'-';
        Digits(utf8Destination, 5, month, 2);
        utf8Destination[7] = (byte)'-';
        Digits(utf8Destination, 8, day, 2);
        utf8Destination[10] = (byte)'T';
        Digits(utf8Destination, 11, secondOfDay / 3600, 2);
        utf8Destination[13] = (byte)':';
        Digits(utf8Destination, 14, secondOfDay / 60 % 60, 2);
        utf8Destination[16] = (byte)':';
        Digits(utf8Destination, 17, secondOfDay % 60, 2);
        bytesWritten = 19;
        return true;
    }

    /// <summary>The proleptic Gregorian date of a day counted from 1970-01-01 (H. Hinnant's days-to-civil algorithm).</summary>
    private static (int Year, int Month, int Day) CivilFromDays(long days)
    {
        var z = days + 719_468;
        var era = (z >= 0 ? z : z - 146_096) / 146_097;
        var dayOfEra = z - (era * 146_097);
        var yearOfEra = (dayOfEra - (dayOfEra / 1_460) + (dayOfEra / 36_524) - (dayOfEra / 146_096)) / 365;
        var dayOfYear = dayOfEra - ((365 * yearOfEra) + (yearOfEra / 4) - (yearOfEra / 100));
        var monthFromMarch = ((5 * dayOfYear) + 2) / 153;
        var day = (int)(dayOfYear - (((153 * monthFromMarch) + 2) / 5) + 1);
        var month = (int)(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9);
        return ((int)(yearOfEra + (era * 400) + (month <= 2 ? 1 : 0)), month, day);
    }

    private static long FloorDiv(long value, long divisor) => Math.DivRem(value, divisor) is var (q, r) && r < 0 ? q - 1 : q;

    /// <summary>Kept within the times a <see cref="DateTimeOffset"/> holds, then truncated to the second (the earliest is a whole second).</summary>
    private static long Clamp(long microseconds)
        => FloorDiv(Math.Clamp(microseconds, FlowTime.MinMicroseconds, FlowTime.MaxMicroseconds), 1_000_000) * 1_000_000;

    private static void Digits(Span<byte> destination, int at, int value, int count)
    {
        for (var i = at + count - 1; i >= at; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    private static DateTimeOffset ToZone(long microseconds, TimeZoneInfo? timeZone)
    {
        // Truncate to the second first, so a zone conversion cannot round.
        var utc = FlowTime.ToDateTimeOffset(Clamp(microseconds));
        return timeZone is null ? utc : TimeZoneInfo.ConvertTime(utc, timeZone);
    }
}
