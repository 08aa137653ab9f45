namespace PortMismatch.Detection.Ipfix;

/// <summary>
/// The IPFIX / NetFlow v9 source registered by <c>AddIpfix</c>: files read first, then a UDP collector until the host stops.
/// Every <see cref="IpfixReaderOptions"/> value is here under the same name, with the same default, so that it can be bound
/// from configuration; <see cref="IpfixReaderOptions.DirectionRules"/> is given as a rule file, <see cref="DirectionRulesFile"/>.
/// </summary>
public sealed class IpfixSourceOptions
{
    private static readonly IpfixReaderOptions Defaults = IpfixReaderOptions.Default;

    /// <summary>Gets or sets where to listen for export datagrams (<c>0.0.0.0:4739</c>, <c>[::]:2055</c>), or <see langword="null"/> for no collector.</summary>
    public string? ListenEndPoint { get; set; }

    /// <summary>Gets or sets the socket receive buffer in bytes (the kernel may cap it).</summary>
    public int ReceiveBufferSize { get; set; } = 4 << 20;

    /// <summary>Gets the export files or captures to read before listening.</summary>
    public IList<string> Files { get; } = [];

    /// <summary>Gets or sets whether reply-direction records are evaluated too (see <see cref="IpfixReaderOptions.IncludeReplies"/>).</summary>
    public bool IncludeReplies { get; set; } = Defaults.IncludeReplies;

    /// <summary>
    /// Gets or sets the path of a rule file (the JSON that <see cref="RuleSetJson"/> reads) whose expected ports the direction
    /// heuristic consults, or <see langword="null"/> for the ESCU rules (see <see cref="IpfixReaderOptions.DirectionRules"/>).
    /// </summary>
    public string? DirectionRulesFile { get; set; }

    /// <summary>Gets or sets the first port of the ephemeral range (see <see cref="IpfixReaderOptions.EphemeralPortStart"/>).</summary>
    public int EphemeralPortStart { get; set; } = Defaults.EphemeralPortStart;

    /// <summary>Gets or sets the last port of the ephemeral range (see <see cref="IpfixReaderOptions.EphemeralPortEnd"/>).</summary>
    public int EphemeralPortEnd { get; set; } = Defaults.EphemeralPortEnd;

    /// <summary>Gets or sets how many recent flows are remembered to pair a record with its reverse; 0 turns pairing off (see <see cref="IpfixReaderOptions.ReversePairingCapacity"/>).</summary>
    public int ReversePairingCapacity { get; set; } = Defaults.ReversePairingCapacity;

    /// <summary>Gets or sets how far apart two start times may be for the records to be one conversation (see <see cref="IpfixReaderOptions.ReversePairingWindow"/>).</summary>
    public TimeSpan ReversePairingWindow { get; set; } = Defaults.ReversePairingWindow;

    /// <summary>Gets or sets how many octets of data sets that arrive before their template are kept (see <see cref="IpfixReaderOptions.MaxPendingBytes"/>).</summary>
    public int MaxPendingBytes { get; set; } = Defaults.MaxPendingBytes;

    /// <summary>
    /// Gets or sets how many octets of early data sets one exporter address may hold, or <see langword="null"/> for a quarter
    /// of <see cref="MaxPendingBytes"/> (see <see cref="IpfixReaderOptions.MaxPendingBytesPerExporter"/>).
    /// </summary>
    public int? MaxPendingBytesPerExporter { get; set; }

    /// <summary>Gets or sets the largest message (IPFIX) or datagram (v9) accepted, in octets (see <see cref="IpfixReaderOptions.MaxMessageSize"/>).</summary>
    public int MaxMessageSize { get; set; } = Defaults.MaxMessageSize;

    /// <summary>Gets or sets how many (exporter, observation domain) scopes are kept (see <see cref="IpfixReaderOptions.MaxDomains"/>).</summary>
    public int MaxDomains { get; set; } = Defaults.MaxDomains;

    /// <summary>Gets or sets how many observation domains one exporter address may hold (see <see cref="IpfixReaderOptions.MaxDomainsPerExporter"/>).</summary>
    public int MaxDomainsPerExporter { get; set; } = Defaults.MaxDomainsPerExporter;

    /// <summary>Gets or sets how many templates one (exporter, domain) may define (see <see cref="IpfixReaderOptions.MaxTemplatesPerDomain"/>).</summary>
    public int MaxTemplatesPerDomain { get; set; } = Defaults.MaxTemplatesPerDomain;

    /// <summary>Gets or sets the largest field count of one template (see <see cref="IpfixReaderOptions.MaxFieldsPerTemplate"/>).</summary>
    public int MaxFieldsPerTemplate { get; set; } = Defaults.MaxFieldsPerTemplate;

    /// <summary>Gets or sets how many learned application names one (exporter, domain) keeps (see <see cref="IpfixReaderOptions.MaxApplicationNamesPerDomain"/>).</summary>
    public int MaxApplicationNamesPerDomain { get; set; } = Defaults.MaxApplicationNamesPerDomain;

    /// <summary>Gets or sets the most memory the templates of all scopes may hold, in octets (see <see cref="IpfixReaderOptions.MaxTemplateBytes"/>).</summary>
    public long MaxTemplateBytes { get; set; } = Defaults.MaxTemplateBytes;

    /// <summary>Gets or sets the most template memory one exporter address may hold, in octets (see <see cref="IpfixReaderOptions.MaxTemplateBytesPerExporter"/>).</summary>
    public long MaxTemplateBytesPerExporter { get; set; } = Defaults.MaxTemplateBytesPerExporter;

    /// <summary>Gets or sets the most memory learned application names may hold, in octets (see <see cref="IpfixReaderOptions.MaxApplicationNameBytes"/>).</summary>
    public long MaxApplicationNameBytes { get; set; } = Defaults.MaxApplicationNameBytes;

    /// <summary>Gets or sets the most memory the application names of one exporter address may hold (see <see cref="IpfixReaderOptions.MaxApplicationNameBytesPerExporter"/>).</summary>
    public long MaxApplicationNameBytesPerExporter { get; set; } = Defaults.MaxApplicationNameBytesPerExporter;

    /// <summary>
    /// Gets or sets how long a template received over UDP stays valid without a re-send, and how long a silent (exporter,
    /// domain) scope is kept (default 90 minutes; see <see cref="IpfixReaderOptions.TemplateLifetime"/>). Must be positive, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> for never. Files are not aged.
    /// </summary>
    public TimeSpan TemplateLifetime { get; set; } = Defaults.TemplateLifetime;

    /// <summary>
    /// Gets or sets how far a received record's start time may lie ahead of the clock before it is rejected as
    /// <c>time-in-future</c> (default 5 minutes; see <see cref="IpfixReaderOptions.MaxClockSkew"/>). Files are not checked.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = Defaults.MaxClockSkew;

    /// <summary>Makes the reader options these values describe, loading <see cref="DirectionRulesFile"/> when it is set.</summary>
    /// <returns>The reader options.</returns>
    internal IpfixReaderOptions ToReaderOptions()
    {
        var options = Defaults with
        {
            IncludeReplies = IncludeReplies,
            DirectionRules = DirectionRulesFile is { } rules ? RuleSetJson.Load(rules) : Defaults.DirectionRules,
            EphemeralPortStart = EphemeralPortStart,
            EphemeralPortEnd = EphemeralPortEnd,
            ReversePairingCapacity = ReversePairingCapacity,
            ReversePairingWindow = ReversePairingWindow,
            MaxPendingBytes = MaxPendingBytes,
            MaxMessageSize = MaxMessageSize,
            MaxDomains = MaxDomains,
            MaxDomainsPerExporter = MaxDomainsPerExporter,
            MaxTemplatesPerDomain = MaxTemplatesPerDomain,
            MaxFieldsPerTemplate = MaxFieldsPerTemplate,
            MaxApplicationNamesPerDomain = MaxApplicationNamesPerDomain,
            MaxTemplateBytes = MaxTemplateBytes,
            MaxTemplateBytesPerExporter = MaxTemplateBytesPerExporter,
            MaxApplicationNameBytes = MaxApplicationNameBytes,
            MaxApplicationNameBytesPerExporter = MaxApplicationNameBytesPerExporter,
            TemplateLifetime = TemplateLifetime,
            MaxClockSkew = MaxClockSkew,
        };
        return MaxPendingBytesPerExporter is { } perExporter ? options with { MaxPendingBytesPerExporter = perExporter } : options;
    }
}
