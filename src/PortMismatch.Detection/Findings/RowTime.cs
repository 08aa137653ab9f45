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
        // of each row a visible part of a whole scan's serial tail.
        var time = ToZone(microseconds, timeZone).DateTime;
        time.Deconstruct(out int year, out int month, out int day);
        if (utf8Destination.Length < 19)
        {
            bytesWritten = 0;
            return false;
        }

        Pair(utf8Destination, 0, year / 100);
        Pair(utf8Destination, 2, year % 100);
        utf8Destination[4] = (byte)'-';
        Pair(utf8Destination, 5, month);
        utf8Destination[7] = (byte)'-';
        Pair(utf8Destination, 8, day);
        utf8Destination[10] = (byte)'T';
        Pair(utf8Destination, 11, time.Hour);
        utf8Destination[13] = (byte)':';
        Pair(utf8Destination, 14, time.Minute);
        utf8Destination[16] = (byte)':';
        Pair(utf8Destination, 17, time.Second);
        bytesWritten = 19;
        return true;
    }

    /// <summary>
    /// Formats like <see cref="TryFormat"/> and, when <paramref name="timeZone"/> is set, the time's ISO 8601 offset after it:
    /// <c>Z</c> for UTC itself (a zone with UTC's rules), otherwise <c>+HH:mm</c> or <c>-HH:mm</c> (<c>+00:00</c> for a zone
    /// that is only at offset 0 now, such as Europe/London in winter). Without a zone the text is the search's, with no
    /// offset, so that the default output stays byte for byte the search's. At most 25 bytes.
    /// </summary>
    internal static bool TryFormatWithOffset(long microseconds, TimeZoneInfo? timeZone, Span<byte> utf8Destination, out int bytesWritten)
    {
        if (!TryFormat(microseconds, timeZone, utf8Destination, out bytesWritten) || timeZone is null)
        {
            return bytesWritten > 0;
        }

        var rest = utf8Destination[bytesWritten..];
        if (timeZone.HasSameRules(TimeZoneInfo.Utc))
        {
            if (rest.IsEmpty)
            {
                return false;
            }

            rest[0] = (byte)'Z';
            bytesWritten++;
            return true;
        }

        if (rest.Length < 6)
        {
            return false;
        }

        var offset = ToZone(microseconds, timeZone).Offset;
        var minutes = (int)Math.Abs(offset.TotalMinutes);
        rest[0] = offset < TimeSpan.Zero ? (byte)'-' : (byte)'+';
        Pair(rest, 1, minutes / 60);
        rest[3] = (byte)':';
        Pair(rest, 4, minutes % 60);
        bytesWritten += 6;
        return true;
    }

    /// <summary>The text of <see cref="TryFormatWithOffset"/>.</summary>
    internal static string FormatWithOffset(long microseconds, TimeZoneInfo? timeZone)
    {
        Span<byte> text = stackalloc byte[32];
        _ = TryFormatWithOffset(microseconds, timeZone, text, out var written);
        return System.Text.Encoding.ASCII.GetString(text[..written]);
    }

    /// <summary>Writes two digits of 0-99 from a table: a digit loop (a division and a branch per digit) was most of the time.</summary>
    private static void Pair(Span<byte> destination, int at, int value)
    {
        var digits = TwoDigits.Slice(value * 2, 2);
        digits.CopyTo(destination[at..]);
    }

    private static ReadOnlySpan<byte> TwoDigits => "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    private static DateTimeOffset ToZone(long microseconds, TimeZoneInfo? timeZone)
    {
        // Clamp to the times a DateTimeOffset holds (the earliest is a whole second), then truncate to the second, so a zone
        // conversion cannot round. Clamped first: truncating long.MinValue first would overflow.
        var clamped = Math.Clamp(microseconds, FlowTime.MinMicroseconds, FlowTime.MaxMicroseconds);
        var seconds = Math.DivRem(clamped, 1_000_000) is var (q, r) && r < 0 ? q - 1 : q;
        var utc = FlowTime.ToDateTimeOffset(seconds * 1_000_000);
        return timeZone is null ? utc : TimeZoneInfo.ConvertTime(utc, timeZone);
    }
}
