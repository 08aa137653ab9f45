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

/// <summary>What the decoder remembers per (exporter, domain): templates, sequence numbers, learned names. All bounded.</summary>
internal sealed class DomainState
{
    public DomainState(DomainKey key) => Key = key;

    public DomainKey Key { get; }

    public Dictionary<ushort, Template> Templates { get; } = [];

    public Dictionary<ApplicationIdKey, byte[]> ApplicationNames { get; } = [];

    /// <summary>Gets or sets the data sets that arrived before their template (only with MaxPendingBytes &gt; 0).</summary>
    public List<PendingSet>? Pending { get; set; }

    public bool HasSequence { get; set; }

    public uint NextSequence { get; set; }

    /// <summary>Gets or sets systemInitTimeMilliseconds learned from an options record (IPFIX), or -1.</summary>
    public long SystemInitTimeMilliseconds { get; set; } = -1;
}

/// <summary>A data set kept until its template arrives, with the header values its times depend on.</summary>
internal sealed record PendingSet(ushort SetId, byte[] Body, int BodyOffset, long ExportSeconds, long SysUpTimeMilliseconds, long MessageOffset);
