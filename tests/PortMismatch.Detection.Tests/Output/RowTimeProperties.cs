using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace PortMismatch.Detection.Tests.Output;

/// <summary>The hand-written time formatter against .NET's own formatting of the same pattern.</summary>
public sealed class RowTimeProperties
{
    private static readonly TimeZoneInfo?[] Zones =
    [
        null,
        TimeZoneInfo.CreateCustomTimeZone("UTC+05:45", TimeSpan.FromMinutes(345), "UTC+05:45", "UTC+05:45"),
        TimeZoneInfo.CreateCustomTimeZone("UTC-09:30", TimeSpan.FromMinutes(-570), "UTC-09:30", "UTC-09:30"),
    ];

    [Property(MaxTest = 20_000, Replay = Generators.Replay)]
    public Property TryFormat_writes_what_the_format_string_gives(long microseconds, byte zone)
    {
        var timeZone = Zones[zone % Zones.Length];
        // Years 2 to 9998, so that no zone moves a time out of DateTime's range.
        const long Year2 = -62_104_060_800_000_000;
        const long Year9998 = 253_339_228_800_000_000;
        var clamped = Year2 + (long)((ulong)microseconds % (ulong)(Year9998 - Year2));

        // The reference: truncate to the second (towards the past), convert, format with the search's pattern.
        var seconds = (clamped / 1_000_000) - (clamped % 1_000_000 < 0 ? 1 : 0);
        var utc = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var local = timeZone is null ? utc : TimeZoneInfo.ConvertTime(utc, timeZone);
        var expected = local.ToString(RowTime.FormatString, CultureInfo.InvariantCulture);

        var buffer = new byte[32];
        var ok = RowTime.TryFormat(clamped, timeZone, buffer, out var written);
        var actual = Encoding.ASCII.GetString(buffer, 0, written);
        return (ok && actual == expected && RowTime.Format(clamped, timeZone) == expected)
            .Label($"{clamped} in {timeZone?.Id ?? "UTC"}: expected {expected}, wrote {actual}");
    }

    [Theory]
    [InlineData(long.MinValue, "0001-01-01T00:00:00")]
    [InlineData(-62_135_596_800_000_001, "0001-01-01T00:00:00")]
    [InlineData(-62_135_596_800_000_000, "0001-01-01T00:00:00")]
    [InlineData(-1, "1969-12-31T23:59:59")]
    [InlineData(951_782_400_000_000, "2000-02-29T00:00:00")]
    [InlineData(253_402_300_799_999_999, "9999-12-31T23:59:59")]
    [InlineData(long.MaxValue, "9999-12-31T23:59:59")]
    public void Times_beyond_the_calendar_are_held_at_its_ends(long microseconds, string expected)
    {
        var buffer = new byte[19];
        Assert.True(RowTime.TryFormat(microseconds, null, buffer, out _));
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer));
        Assert.Equal(expected, RowTime.Format(microseconds, null));
    }

    [Fact]
    public void TryFormat_refuses_a_short_destination()
    {
        Assert.False(RowTime.TryFormat(0, null, new byte[18], out var written));
        Assert.Equal(0, written);
        Assert.True(RowTime.TryFormat(0, null, new byte[19], out written));
        Assert.Equal(19, written);
    }
}
