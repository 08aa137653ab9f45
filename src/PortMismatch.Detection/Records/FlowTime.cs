namespace PortMismatch.Detection;

/// <summary>Conversions for event times, which this library holds as microseconds since the Unix epoch (UTC).</summary>
public static class FlowTime
{
    /// <summary>The earliest representable event time (0001-01-01T00:00:00Z) in Unix microseconds.</summary>
    public const long MinMicroseconds = -62_135_596_800_000_000;

    /// <summary>The latest representable event time (9999-12-31T23:59:59.999999Z) in Unix microseconds.</summary>
    public const long MaxMicroseconds = 253_402_300_799_999_999;

    /// <summary>Gets whether a timestamp lies in the range a <see cref="DateTimeOffset"/> can hold.</summary>
    /// <param name="microseconds">Microseconds since the Unix epoch.</param>
    /// <returns>Whether it is valid.</returns>
    public static bool IsValid(long microseconds) => microseconds is >= MinMicroseconds and <= MaxMicroseconds;

    /// <summary>Converts to microseconds since the Unix epoch (sub-microsecond ticks are truncated toward negative infinity).</summary>
    /// <param name="time">The time.</param>
    /// <returns>Microseconds since the Unix epoch.</returns>
    public static long FromDateTimeOffset(DateTimeOffset time)
        => Math.DivRem(time.UtcTicks - DateTimeOffset.UnixEpoch.Ticks, TimeSpan.TicksPerMicrosecond) is var (q, r) && r < 0 ? q - 1 : q;

    /// <summary>Converts microseconds since the Unix epoch to a UTC <see cref="DateTimeOffset"/>.</summary>
    /// <param name="microseconds">Microseconds since the Unix epoch.</param>
    /// <returns>The time.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside <see cref="MinMicroseconds"/>..<see cref="MaxMicroseconds"/>.</exception>
    public static DateTimeOffset ToDateTimeOffset(long microseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(microseconds, MinMicroseconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(microseconds, MaxMicroseconds);
        return new DateTimeOffset(DateTimeOffset.UnixEpoch.Ticks + (microseconds * TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
    }
}
