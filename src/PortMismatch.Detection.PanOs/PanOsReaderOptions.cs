namespace PortMismatch.Detection.PanOs;

/// <summary>
/// How a PAN-OS TRAFFIC reader maps and bounds its input. Immutable; change it with <see langword="with"/>:
/// <c>PanOsReaderOptions.Default with { TimeZone = zone }</c>.
/// </summary>
public sealed record PanOsReaderOptions
{
    /// <summary>The default maximum length of one line or frame: 64 KiB.</summary>
    public const int DefaultMaxLineLength = 64 * 1024;

    /// <summary>The smallest accepted <see cref="MaxLineLength"/>.</summary>
    public const int MinMaxLineLength = 64;

    /// <summary>The largest accepted <see cref="MaxLineLength"/> (16 MiB).</summary>
    public const int MaxMaxLineLength = 16 * 1024 * 1024;

    /// <summary>Gets the default options.</summary>
    public static PanOsReaderOptions Default { get; } = new();

    /// <summary>
    /// Gets the maximum length in bytes of one line (or RFC 6587 frame) without its line end; default
    /// <see cref="DefaultMaxLineLength"/>. A longer line is rejected (<c>line-too-long</c>) and reading resumes after its end,
    /// so a stream without line ends cannot exhaust memory. Must lie in <see cref="MinMaxLineLength"/>..<see cref="MaxMaxLineLength"/>.
    /// </summary>
    public int MaxLineLength { get; init; } = DefaultMaxLineLength;

    /// <summary>
    /// Gets the time zone of timestamps written without an offset (<c>yyyy/MM/dd HH:mm:ss</c>, the firewall's local time);
    /// default UTC. Timestamps with <c>Z</c> or an offset (Cortex/Strata forwarding) ignore it.
    /// </summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>
    /// Gets whether the destination is the post-NAT one: NAT Destination IP (field 10) and NAT Destination Port (field 27)
    /// when field 10 holds an address other than <c>0.0.0.0</c> or <c>::</c>; otherwise fields 8 and 25 as usual.
    /// Default <see langword="false"/> (what the Splunk add-on maps to <c>dest_ip</c>/<c>dest_port</c>).
    /// </summary>
    public bool UseNatDestination { get; init; }

    /// <summary>
    /// Gets the TRAFFIC subtypes that become flow records; default <see cref="PanOsSubtypes.All"/> (every TRAFFIC log is an
    /// event, as in Splunk). Logs of other subtypes are skipped with reason <c>subtype-not-selected</c>; use
    /// <see cref="PanOsSubtypes.End"/> to count each session once.
    /// </summary>
    public PanOsSubtypes Subtypes { get; init; } = PanOsSubtypes.All;

    /// <summary>
    /// Gets how far a log's Generated Time may lie ahead of the receiving clock (default 5 minutes); a later log is rejected
    /// as <c>time-in-future</c>, so that one log dated 9999 cannot move event time for everyone. Five minutes covers
    /// firewalls whose clocks drift without NTP (the tolerance Kerberos uses by default) while keeping how far a spoofed
    /// datagram can push event time small next to a window; a firewall east of UTC read with too western a
    /// <see cref="TimeZone"/> shows up as these rejections rather than as rows shifted by hours, and once three of a syslog
    /// host's in a row are the same multiple of a quarter-hour ahead, the third one's diagnostic names the likely zone offset
    /// (at most once an hour per host). Applies to <see cref="PanOsSyslogUdpCollector"/> only: files are read long after they were written. Must not be negative (readers and the collector throw <see cref="ArgumentOutOfRangeException"/>).
    /// </summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);
}
