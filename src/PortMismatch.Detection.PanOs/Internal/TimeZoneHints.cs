using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>
/// Notices a firewall whose local times are read in the wrong zone. PAN-OS writes <c>yyyy/MM/dd HH:mm:ss</c> in the
/// firewall's local time, read in <see cref="PanOsReaderOptions.TimeZone"/> (UTC by default): a firewall east of that zone
/// has every live log rejected as <c>time-in-future</c>, by an offset of whole quarter-hours (less the forwarding delay).
/// When <see cref="Streak"/> rejections of one syslog host in a row are the same quarter-hour multiple ahead (within
/// <see cref="Tolerance"/>), the diagnostic of the last of them names the likely zone offset and the option, at most once
/// an hour of the receiving clock per host (the streak goes on counting meanwhile).
/// </summary>
/// <remarks>
/// Only rejected logs are looked at (nothing is added to the path of accepted ones). Host names come from the datagrams,
/// so anyone can invent them: at most <see cref="MaxHosts"/> are tracked (the table is cleared when full) and a name is cut
/// to <see cref="MaxHostLength"/> characters; about 64 KB at most.
/// </remarks>
internal sealed class TimeZoneHints
{
    public const int Streak = 3;
    public const int MaxHosts = 256;
    public const int MaxHostLength = 64;

    private const long MicrosPerMinute = 60_000_000;
    private const long Quarter = 15 * MicrosPerMinute;
    private const long Tolerance = 5 * MicrosPerMinute;
    private const long Interval = 60 * MicrosPerMinute;
    private const long MaxQuarters = 26 * 4; // UTC-12 read for UTC+14

    private readonly Dictionary<string, HostState> _hosts = new(StringComparer.Ordinal);

    /// <summary>
    /// Counts one <c>time-in-future</c> rejection of a log written in local time; returns how many quarter-hours ahead the
    /// host's logs consistently are when a hint is due now, or 0.
    /// </summary>
    /// <param name="host">The syslog host of the log (may be empty).</param>
    /// <param name="ahead">How far the log's time lies ahead of the receiving clock, in microseconds (positive).</param>
    /// <param name="now">The receiving clock, in Unix microseconds.</param>
    public long Observe(ReadOnlySpan<byte> host, long ahead, long now)
    {
        var quarters = (ahead + (Quarter / 2)) / Quarter;
        var consistent = quarters is >= 1 and <= MaxQuarters && Math.Abs(ahead - (quarters * Quarter)) <= Tolerance;
        var key = Encoding.UTF8.GetString(host[..Math.Min(host.Length, MaxHostLength)]);
        if (!_hosts.TryGetValue(key, out var state))
        {
            if (!consistent)
            {
                return 0;
            }

            if (_hosts.Count >= MaxHosts)
            {
                _hosts.Clear();
            }

            _hosts[key] = state = new HostState();
        }

        if (!consistent || state.Quarters != quarters)
        {
            state.Quarters = consistent ? quarters : 0;
            state.Count = 0;
        }

        if (!consistent || ++state.Count < Streak || now - state.LastHint < Interval)
        {
            return 0;
        }

        state.LastHint = now;
        return quarters;
    }

    /// <summary>Writes the hint: how far ahead, the likely zone offset, and where to set the zone.</summary>
    /// <param name="quarters">How many quarter-hours ahead (from <see cref="Observe"/>).</param>
    /// <param name="zone">The zone the logs are read in.</param>
    /// <param name="micros">The rejected log's time as read, in Unix microseconds.</param>
    public static string Describe(long quarters, TimeZoneInfo zone, long micros)
    {
        var ahead = TimeSpan.FromMinutes(quarters * 15);
        var likely = zone.GetUtcOffset(FlowTime.ToDateTimeOffset(micros)) + ahead;
        var aheadText = ahead.TotalHours < 1 ? $"{ahead.Minutes} min" : ahead.Minutes == 0 ? $"{(int)ahead.TotalHours} h" : $"{(int)ahead.TotalHours} h {ahead.Minutes} min";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"; the last {Streak} logs from this host were all {aheadText} ahead of the receiving clock: PAN-OS writes the firewall's local time without an offset and it is read in {zone.Id}, so the firewall's time zone is likely UTC{(likely < TimeSpan.Zero ? '-' : '+')}{(int)Math.Abs(likely.TotalHours):00}:{Math.Abs(likely.Minutes):00}: set it as the time zone of its logs (PanOsReaderOptions.TimeZone, PanOsSourceOptions.TimeZone with DI, --input-time-zone in the portmismatch CLI). This hint is repeated at most once an hour per host");
    }

    private sealed class HostState
    {
        public long Quarters { get; set; }

        public int Count { get; set; }

        public long LastHint { get; set; } = long.MinValue / 2;
    }
}
