namespace PortMismatch.Detection.Ipfix;

/// <summary>The IPFIX / NetFlow v9 source registered by <c>AddIpfix</c>: files read first, then a UDP collector until the host stops.</summary>
public sealed class IpfixSourceOptions
{
    /// <summary>Gets or sets where to listen for export datagrams (<c>0.0.0.0:4739</c>, <c>[::]:2055</c>), or <see langword="null"/> for no collector.</summary>
    public string? ListenEndPoint { get; set; }

    /// <summary>Gets or sets the socket receive buffer in bytes (the kernel may cap it).</summary>
    public int ReceiveBufferSize { get; set; } = 4 << 20;

    /// <summary>Gets or sets whether reply-direction records are evaluated too (see <see cref="IpfixReaderOptions.IncludeReplies"/>).</summary>
    public bool IncludeReplies { get; set; }

    /// <summary>
    /// Gets or sets how far a received record's start time may lie ahead of the clock before it is rejected as
    /// <c>time-in-future</c> (default 5 minutes; see <see cref="IpfixReaderOptions.MaxClockSkew"/>). Files are not checked.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = IpfixReaderOptions.Default.MaxClockSkew;

    /// <summary>
    /// Gets or sets how long a template received over UDP stays valid without a re-send, and how long a silent (exporter,
    /// domain) scope is kept (default 90 minutes; see <see cref="IpfixReaderOptions.TemplateLifetime"/>). Must be positive, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> for never. Files are not aged.
    /// </summary>
    public TimeSpan TemplateLifetime { get; set; } = IpfixReaderOptions.Default.TemplateLifetime;

    /// <summary>Gets the export files or captures to read before listening.</summary>
    public IList<string> Files { get; } = [];
}
