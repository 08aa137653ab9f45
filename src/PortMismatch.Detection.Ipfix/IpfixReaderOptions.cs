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

    private readonly int? _maxPendingBytesPerExporter;

    /// <summary>
    /// Gets how many octets of data sets that arrive before their template are kept, across all domains, to be decoded
    /// when the template comes (default 0: not kept, counted as <c>no-template</c> at once). One exporter address holds at
    /// most <see cref="MaxPendingBytesPerExporter"/> of it; when it is full, the sets of the domain that has waited longest
    /// for its template are dropped (counted as <c>no-template</c>) to make room, so that a new exporter's early data gets
    /// in. Sets still waiting at the end of an input are counted as <c>no-template</c> by <see cref="IpfixDecoder.Flush"/>.
    /// </summary>
    public int MaxPendingBytes { get; init; }

    /// <summary>
    /// Gets how many octets of early data sets (see <see cref="MaxPendingBytes"/>) one exporter address may hold (default a
    /// quarter of <see cref="MaxPendingBytes"/>, as the other per-address budgets are of their totals): one sender, spoofed
    /// or not, cannot fill the buffer and turn every other exporter's early data into <c>no-template</c>. Further early
    /// sets from an address at its share are counted as <c>no-template</c> at once. Inputs without an exporter address
    /// (files, streams) are bound by <see cref="MaxPendingBytes"/> only.
    /// </summary>
    public int MaxPendingBytesPerExporter
    {
        get => _maxPendingBytesPerExporter ?? (MaxPendingBytes / 4);
        init => _maxPendingBytesPerExporter = value;
    }

    /// <summary>Gets the largest message (IPFIX) or datagram (v9) accepted, in octets (default 65535).</summary>
    public int MaxMessageSize { get; init; } = 65535;

    /// <summary>
    /// Gets how many (exporter, observation domain) scopes are kept, over all exporters (default 1024). A new scope beyond it
    /// evicts the least recently used one (its later data sets are skipped as <c>template-evicted</c> until its exporter
    /// re-sends its templates), so that a new exporter always gets in.
    /// </summary>
    public int MaxDomains { get; init; } = 1024;

    /// <summary>
    /// Gets how many observation domains one exporter address may hold (default 256, a quarter of <see cref="MaxDomains"/>).
    /// A new domain beyond it evicts the least recently used domain of the same address, never another exporter's. Inputs
    /// without an exporter address (files, streams) are bound by <see cref="MaxDomains"/> only.
    /// </summary>
    public int MaxDomainsPerExporter { get; init; } = 256;

    /// <summary>Gets how many templates one (exporter, domain) may define (default 1024); further template ids are rejected (<c>too-many-templates</c>).</summary>
    public int MaxTemplatesPerDomain { get; init; } = 1024;

    /// <summary>Gets the largest field count of one template (default 512); longer templates are rejected.</summary>
    public int MaxFieldsPerTemplate { get; init; } = 512;

    /// <summary>Gets how many application names learned from options records one (exporter, domain) keeps (default 16384).</summary>
    public int MaxApplicationNamesPerDomain { get; init; } = 16384;

    /// <summary>
    /// Gets the most memory the templates of all (exporter, domain) scopes may hold, in octets (default 16 MiB), each template
    /// counted as 256 octets plus 16 per field. The per-domain caps alone allow <see cref="MaxDomains"/> x <see cref="MaxTemplatesPerDomain"/> x
    /// <see cref="MaxFieldsPerTemplate"/> fields (gigabytes from spoofed exporters); a template beyond this budget
    /// evicts the least recently used (exporter, domain) scope other than its own; when there is none, it is rejected
    /// (<c>too-many-templates</c>).
    /// </summary>
    public long MaxTemplateBytes { get; init; } = 16L << 20;

    /// <summary>
    /// Gets the most template memory one exporter address may hold, in octets, counted as for <see cref="MaxTemplateBytes"/>
    /// (default 4 MiB, a quarter of it: one address can push out at most that much of the other exporters' templates). A
    /// template beyond it evicts that address's least recently used other domain; when there is none, it is rejected
    /// (<c>too-many-templates</c>).
    /// </summary>
    public long MaxTemplateBytesPerExporter { get; init; } = 4L << 20;

    /// <summary>
    /// Gets the most memory the application names learned from options records of all scopes may hold, in octets (default
    /// 4 MiB), each name counted as its length plus 64 octets. A name beyond
    /// it evicts the least recently used (exporter, domain) scope other than its own; when there is none, it is not kept
    /// (<see cref="IpfixStatistics.ApplicationNamesDropped"/>) and records show the id as <c>engine:selector</c>.
    /// </summary>
    public long MaxApplicationNameBytes { get; init; } = 4L << 20;

    /// <summary>
    /// Gets the most memory the application names of one exporter address may hold, counted as for
    /// <see cref="MaxApplicationNameBytes"/> (default 1 MiB, a quarter of it). A name beyond it evicts that address's least
    /// recently used other domain; when there is none, the name is not kept.
    /// </summary>
    public long MaxApplicationNameBytesPerExporter { get; init; } = 1L << 20;

    /// <summary>
    /// Gets how long a template received over UDP stays valid without being re-sent (default 90 minutes), and how long an
    /// (exporter, domain) scope is kept without any message. RFC 7011 section 8.4 lets a collector expire templates that are
    /// not refreshed, at least three times the exporter's refresh interval after they were last received; 90 minutes is
    /// three times a 30-minute interval (Cisco ASA's default for its NetFlow templates). Data of an expired template is
    /// skipped as <c>template-expired</c> until the template is re-sent. Applies to <see cref="IpfixUdpCollector"/> only:
    /// files have no clock to age by. Must be positive, or <see cref="Timeout.InfiniteTimeSpan"/> for templates and domains
    /// that never age (<see cref="IpfixDecoder"/>'s constructor throws <see cref="ArgumentOutOfRangeException"/> otherwise).
    /// </summary>
    public TimeSpan TemplateLifetime { get; init; } = TimeSpan.FromMinutes(90);

    /// <summary>
    /// Gets how far a record's start time may lie ahead of the collector's clock (default 5 minutes); a later record is
    /// rejected as <c>time-in-future</c>, so that one record dated 9999 cannot move event time for everyone. Five minutes
    /// covers exporters whose clocks drift without NTP (the tolerance Kerberos uses by default) while keeping how far a
    /// spoofed record can push event time small next to a window. Applies to <see cref="IpfixUdpCollector"/> only: a file
    /// may be read long before or after it was written. Must not be negative (<see cref="IpfixDecoder"/>'s constructor
    /// throws <see cref="ArgumentOutOfRangeException"/>).
    /// </summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);
}
