namespace PortMismatch.Detection.Ipfix;

/// <summary>
/// Options of the IPFIX / NetFlow v9 decoder and readers. Every cap bounds memory: what goes beyond it is counted and
/// reported, never kept. Change with <c>with</c>: <c>IpfixReaderOptions.Default with { IncludeReplies = true }</c>.
/// </summary>
public sealed record IpfixReaderOptions
{
    /// <summary>Gets the defaults.</summary>
    public static IpfixReaderOptions Default { get; } = new();

    /// <summary>
    /// Gets whether records recognised as replies (the responder-to-initiator half of a conversation) are emitted too.
    /// Default <see langword="false"/>: replies are skipped with reason <c>reply-flow</c>, so that the reply of a DNS
    /// exchange (<c>dns</c> from port 53 to port 50234) is not reported as DNS on port 50234. <see langword="true"/> is what
    /// a literal CIM mapping does.
    /// </summary>
    public bool IncludeReplies { get; init; }

    /// <summary>Gets the rules that the direction heuristic consults for an app's expected ports. Default <see cref="RuleSet.Escu"/>.</summary>
    public RuleSet DirectionRules { get; init; } = RuleSet.Escu;

    /// <summary>Gets the first port of the ephemeral range (default 49152, IANA).</summary>
    public int EphemeralPortStart { get; init; } = 49152;

    /// <summary>Gets the last port of the ephemeral range (default 65535).</summary>
    public int EphemeralPortEnd { get; init; } = 65535;

    /// <summary>
    /// Gets how many recent flows are remembered to pair a record with its reverse (default 4096; 0 turns pairing off).
    /// A direct-mapped table: a newer flow may evict an older one, so pairing is best-effort and memory stays fixed.
    /// </summary>
    public int ReversePairingCapacity { get; init; } = 4096;

    /// <summary>Gets how far apart two start times may be for the records to be one conversation (default 2 minutes).</summary>
    public TimeSpan ReversePairingWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Gets how many octets of data sets that arrive before their template are kept, across all domains, to be decoded
    /// when the template comes (default 0: not kept, counted as <c>no-template</c> at once). Sets still waiting at the end
    /// of an input are counted as <c>no-template</c> by <see cref="IpfixDecoder.Flush"/>.
    /// </summary>
    public int MaxPendingBytes { get; init; }

    /// <summary>Gets the largest message (IPFIX) or datagram (v9) accepted, in octets (default 65535).</summary>
    public int MaxMessageSize { get; init; } = 65535;

    /// <summary>Gets how many (exporter, observation domain) scopes are kept (default 1024); messages of further scopes are rejected.</summary>
    public int MaxDomains { get; init; } = 1024;

    /// <summary>Gets how many templates one (exporter, domain) may define (default 1024); further template ids are rejected.</summary>
    public int MaxTemplatesPerDomain { get; init; } = 1024;

    /// <summary>Gets the largest field count of one template (default 512); longer templates are rejected.</summary>
    public int MaxFieldsPerTemplate { get; init; } = 512;

    /// <summary>Gets how many application names learned from options records one (exporter, domain) keeps (default 16384).</summary>
    public int MaxApplicationNamesPerDomain { get; init; } = 16384;

    /// <summary>
    /// Gets the most memory the templates of all (exporter, domain) scopes may hold, in octets (default 16 MiB), each template
    /// counted as <see cref="IpfixDecoder.TemplateOverheadBytes"/> plus <see cref="IpfixDecoder.TemplateFieldBytes"/> per
    /// field. The per-domain caps alone allow <see cref="MaxDomains"/> x <see cref="MaxTemplatesPerDomain"/> x
    /// <see cref="MaxFieldsPerTemplate"/> fields (gigabytes from spoofed exporters); a template beyond this budget is
    /// rejected (<c>too-many-templates</c>) until withdrawals or <see cref="IpfixDecoder.Reset"/> free room.
    /// </summary>
    public long MaxTemplateBytes { get; init; } = 16L << 20;

    /// <summary>
    /// Gets the most memory the application names learned from options records of all scopes may hold, in octets (default
    /// 4 MiB), each name counted as its length plus <see cref="IpfixDecoder.ApplicationNameOverheadBytes"/>. A name beyond
    /// it is not kept (<see cref="IpfixStatistics.ApplicationNamesDropped"/>); records then show the id as <c>engine:selector</c>.
    /// </summary>
    public long MaxApplicationNameBytes { get; init; } = 4L << 20;
}
