namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>Identifies a template scope: the exporter's address and its observation domain (IPFIX) or source id (v9).</summary>
internal readonly record struct DomainKey(IPAddressValue Exporter, uint DomainId, byte Version);

/// <summary>An application id (RFC 6759) normalised for lookup: engine plus the selector without leading zero octets.</summary>
internal readonly record struct ApplicationIdKey(byte Engine, ulong High, ulong Low)
{
    public static bool TryCreate(ReadOnlySpan<byte> applicationId, out ApplicationIdKey key)
    {
        key = default;
        if (applicationId.IsEmpty)
        {
            return false;
        }

        var selector = applicationId[1..];
        var firstNonZero = selector.IndexOfAnyExcept((byte)0);
        selector = firstNonZero < 0 ? default : selector[firstNonZero..];
        if (selector.Length > 16)
        {
            return false;
        }

        ulong high = 0, low = 0;
        foreach (var b in selector)
        {
            high = (high << 8) | (low >> 56);
            low = (low << 8) | b;
        }

        key = new ApplicationIdKey(applicationId[0], high, low);
        return true;
    }
}

/// <summary>
/// What the decoder remembers per (exporter, domain): templates, sequence numbers, learned names, and its place in the two
/// least-recently-used lists (all domains; the domains of its exporter) that eviction takes from. All bounded.
/// </summary>
internal sealed class DomainState
{
    public DomainState(DomainKey key, ExporterState exporter)
    {
        Key = key;
        Exporter = exporter;
    }

    public DomainKey Key { get; }

    public ExporterState Exporter { get; }

    public Dictionary<ushort, Template> Templates { get; } = [];

    public Dictionary<ApplicationIdKey, byte[]> ApplicationNames { get; } = [];

    /// <summary>Gets or sets the data sets that arrived before their template (only with MaxPendingBytes &gt; 0).</summary>
    public List<PendingSet>? Pending { get; set; }

    /// <summary>Gets or sets the template ids this domain lost (expired or evicted), or <see langword="null"/> if none.</summary>
    public LostTemplates? Lost { get; set; }

    public bool HasSequence { get; set; }

    public uint NextSequence { get; set; }

    /// <summary>Gets or sets systemInitTimeMilliseconds learned from an options record (IPFIX), or -1.</summary>
    public long SystemInitTimeMilliseconds { get; set; } = -1;

    /// <summary>Gets or sets the collector's monotonic clock (microseconds) at the domain's last message; 0 without a clock.</summary>
    public long LastSeen { get; set; }

    /// <summary>Gets or sets the memory its templates are counted as.</summary>
    public long TemplateBytes { get; set; }

    /// <summary>Gets or sets the memory its learned names are counted as.</summary>
    public long NameBytes { get; set; }

    // Links of the list of all domains and of the list of its exporter's domains, newest first.
    public DomainState? Newer { get; set; }

    public DomainState? Older { get; set; }

    public DomainState? NewerOfExporter { get; set; }

    public DomainState? OlderOfExporter { get; set; }

    // Links of the list of domains with pending sets, in the order their first set came.
    public DomainState? NewerPending { get; set; }

    public DomainState? OlderPending { get; set; }
}

/// <summary>
/// One exporter address: what its domains hold together (its budgets are per address, so that one sender can push out at
/// most its share of the others' state) and its domains, newest first.
/// </summary>
internal sealed class ExporterState(IPAddressValue address)
{
    public IPAddressValue Address { get; } = address;

    /// <summary>Gets whether the address is unknown (files and streams): such an input is bound by the global budgets only.</summary>
    public bool IsUnknown => !Address.HasValue;

    public int DomainCount { get; set; }

    public long TemplateBytes { get; set; }

    public long NameBytes { get; set; }

    /// <summary>Gets or sets the octets of its domains' data sets that wait for their templates.</summary>
    public long PendingBytes { get; set; }

    public DomainState? Newest { get; set; }

    public DomainState? Oldest { get; set; }
}

/// <summary>Why a template went away without a withdrawal; its later data sets are skipped with this reason.</summary>
internal enum TemplateLoss : byte
{
    None,

    /// <summary>Not re-sent within the template lifetime, or its domain was idle that long (UDP).</summary>
    Expired,

    /// <summary>Evicted to make room under a memory budget.</summary>
    Evicted,
}

/// <summary>
/// The last template ids a domain lost (at most <see cref="MaxCapacity"/>, oldest first), with the reason, so that data
/// arriving for them is reported as expired or evicted rather than as never announced. It starts at the size asked for and
/// grows (doubling) up to <see cref="MaxCapacity"/> on <see cref="Add"/>, whatever the domain held when it was made: at
/// most 64 x 3 octets of ids and reasons, under 300 octets with its arrays. Past that the oldest lost id is forgotten (its
/// data is then <c>no-template</c>, still counted). An id announced again is removed; one lost again becomes the newest.
/// </summary>
internal sealed class LostTemplates(int capacity)
{
    public const int MaxCapacity = 64;

    private ushort[] _ids = new ushort[Math.Clamp(capacity, 1, MaxCapacity)];
    private TemplateLoss[] _losses = new TemplateLoss[Math.Clamp(capacity, 1, MaxCapacity)];
    private int _count;

    /// <summary>Gets how many lost ids are remembered.</summary>
    public int Count => _count;

    public void Add(ushort id, TemplateLoss loss)
    {
        RemoveAt(IndexOf(id));
        if (_count == _ids.Length)
        {
            if (_ids.Length < MaxCapacity)
            {
                var size = Math.Min(2 * _ids.Length, MaxCapacity);
                Array.Resize(ref _ids, size);
                Array.Resize(ref _losses, size);
            }
            else
            {
                RemoveAt(0); // the oldest lost id goes
            }
        }

        _ids[_count] = id;
        _losses[_count] = loss;
        _count++;
    }

    public TemplateLoss Find(ushort id) => IndexOf(id) is var at and >= 0 ? _losses[at] : TemplateLoss.None;

    /// <summary>Forgets <paramref name="id"/>: its template was announced again.</summary>
    public void Remove(ushort id) => RemoveAt(IndexOf(id));

    private void RemoveAt(int at)
    {
        if (at < 0)
        {
            return;
        }

        var after = _count - at - 1;
        Array.Copy(_ids, at + 1, _ids, at, after);
        Array.Copy(_losses, at + 1, _losses, at, after);
        _count--;
    }

    private int IndexOf(ushort id) => Array.IndexOf(_ids, id, 0, _count);
}

/// <summary>A data set kept until its template arrives, with the header values its times depend on.</summary>
internal sealed record PendingSet(ushort SetId, byte[] Body, int BodyOffset, long ExportSeconds, long SysUpTimeMilliseconds, long MessageOffset);
