namespace PortMismatch.Detection.PanOs;

/// <summary>
/// The PAN-OS TRAFFIC source registered by <c>AddPanOs</c>: files read first, then the syslog collectors (UDP, TCP, TLS:
/// those given, all at once) until the host stops. Every <see cref="PanOsReaderOptions"/> value is here under the same name, in a type configuration can bind.
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

    /// <summary>Gets or sets where to listen for syslog over TCP (RFC 6587; <c>0.0.0.0:514</c>), or <see langword="null"/> for none (see <see cref="PanOsSyslogTcpCollector"/>).</summary>
    public string? TcpListenEndPoint { get; set; }

    /// <summary>Gets or sets where to listen for syslog over TLS (RFC 5425; <c>0.0.0.0:6514</c>), or <see langword="null"/> for none; needs <see cref="TlsCertificatePath"/> and <see cref="TlsKeyPath"/>.</summary>
    public string? TlsListenEndPoint { get; set; }

    /// <summary>Gets or sets the TLS server certificate, a PEM file (with its chain, if any).</summary>
    public string? TlsCertificatePath { get; set; }

    /// <summary>Gets or sets the TLS server certificate's private key, a PEM file (unencrypted).</summary>
    public string? TlsKeyPath { get; set; }

    /// <summary>Gets or sets how many TCP and TLS connections may be open at once, per listener (default 256; see <see cref="PanOsSyslogTcpOptions.MaxConnections"/>).</summary>
    public int MaxConnections { get; set; } = PanOsSyslogTcpOptions.DefaultMaxConnections;

    /// <summary>Gets or sets how long a TCP or TLS connection may send nothing before it is closed (default 5 minutes; see <see cref="PanOsSyslogTcpOptions.IdleTimeout"/>).</summary>
    public TimeSpan IdleTimeout { get; set; } = PanOsSyslogTcpOptions.Default.IdleTimeout;

    /// <summary>Gets the PAN-OS log files to read before listening.</summary>
    public IList<string> Files { get; } = [];
}
