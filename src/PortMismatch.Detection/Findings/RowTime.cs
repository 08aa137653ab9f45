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

    /// <summary>Formats into UTF-8 bytes (19 bytes for years 1000-9999).</summary>
    /// <param name="microseconds">The time.</param>
    /// <param name="timeZone">The time zone, or <see langword="null"/> for UTC.</param>
    /// <param name="utf8Destination">The destination.</param>
    /// <param name="bytesWritten">The number of bytes written.</param>
    /// <returns>Whether the destination was large enough.</returns>
    public static bool TryFormat(long microseconds, TimeZoneInfo? timeZone, Span<byte> utf8Destination, out int bytesWritten)
        => ToZone(microseconds, timeZone).TryFormat(utf8Destination, out bytesWritten, FormatString, CultureInfo.InvariantCulture);

    private static DateTimeOffset ToZone(long microseconds, TimeZoneInfo? timeZone)
    {
        // Truncate to the second first, so a zone conversion cannot round.
        var seconds = Math.DivRem(microseconds, 1_000_000) is var (q, r) && r < 0 ? q - 1 : q;
        var utc = FlowTime.ToDateTimeOffset(Math.Clamp(seconds * 1_000_000, FlowTime.MinMicroseconds, FlowTime.MaxMicroseconds));
        return timeZone is null ? utc : TimeZoneInfo.ConvertTime(utc, timeZone);
    }
}
