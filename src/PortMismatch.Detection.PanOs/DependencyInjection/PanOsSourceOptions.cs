namespace PortMismatch.Detection.PanOs;

/// <summary>
/// The PAN-OS TRAFFIC source registered by <c>AddPanOs</c>: files read first, then a syslog UDP collector until the host
/// stops. Every <see cref="PanOsReaderOptions"/> value is here under the same name, in a type configuration can bind.
/// </summary>
public sealed class PanOsSourceOptions
{
    /// <summary>Gets or sets where to listen for syslog datagrams (<c>0.0.0.0:514</c>, <c>[::]:514</c>), or <see langword="null"/> for no collector.</summary>
    public string? ListenEndPoint { get; set; }

    /// <summary>Gets or sets the socket receive buffer in bytes (the kernel may cap it).</summary>
    public int ReceiveBufferSize { get; set; } = 4 << 20;

    /// <summary>Gets or sets the time zone of the firewall's local times (an IANA or Windows id; default UTC; see <see cref="PanOsReaderOptions.TimeZone"/>).</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>
    /// Gets or sets the TRAFFIC subtypes that become flow records (default all; in configuration a comma-separated list
    /// such as <c>"End"</c> or <c>"Start, End"</c>; see <see cref="PanOsReaderOptions.Subtypes"/>).
    /// </summary>
    public PanOsSubtypes Subtypes { get; set; } = PanOsReaderOptions.Default.Subtypes;

    /// <summary>Gets or sets whether the destination is the post-NAT one (default <see langword="false"/>; see <see cref="PanOsReaderOptions.UseNatDestination"/>).</summary>
    public bool UseNatDestination { get; set; } = PanOsReaderOptions.Default.UseNatDestination;

    /// <summary>
    /// Gets or sets the maximum length in bytes of one line or frame (default 64 KiB, from 64 bytes to 16 MiB; see
    /// <see cref="PanOsReaderOptions.MaxLineLength"/>).
    /// </summary>
    public int MaxLineLength { get; set; } = PanOsReaderOptions.Default.MaxLineLength;

    /// <summary>
    /// Gets or sets how far a received log's Generated Time may lie ahead of the clock before it is rejected as
    /// <c>time-in-future</c> (default 5 minutes; see <see cref="PanOsReaderOptions.MaxClockSkew"/>). Files are not checked.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = PanOsReaderOptions.Default.MaxClockSkew;

    /// <summary>Gets the PAN-OS log files to read before listening.</summary>
    public IList<string> Files { get; } = [];
}
