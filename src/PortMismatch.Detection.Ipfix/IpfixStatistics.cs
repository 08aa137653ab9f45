namespace PortMismatch.Detection.Ipfix;

/// <summary>Message-level counts of a decoder (records are counted in <see cref="InputCounters"/>). Not thread-safe.</summary>
public sealed class IpfixStatistics
{
    internal IpfixStatistics()
    {
    }

    /// <summary>Gets the number of messages (IPFIX) or packets (NetFlow v9 and v5) decoded.</summary>
    public long Messages { get; internal set; }

    /// <summary>Gets the number of templates and options templates learned or replaced.</summary>
    public long TemplatesLearned { get; internal set; }

    /// <summary>Gets the number of templates withdrawn.</summary>
    public long TemplatesWithdrawn { get; internal set; }

    /// <summary>Gets the number of templates that expired: not re-sent within <see cref="IpfixReaderOptions.TemplateLifetime"/> (UDP).</summary>
    public long TemplatesExpired { get; internal set; }

    /// <summary>Gets the number of templates evicted, with their domain, to keep the state within its budgets.</summary>
    public long TemplatesEvicted { get; internal set; }

    /// <summary>Gets the number of (exporter, domain) scopes dropped: least recently used under a budget, or idle for a template lifetime (UDP).</summary>
    public long DomainsEvicted { get; internal set; }

    /// <summary>Gets the number of data sets whose template was not (yet) known.</summary>
    public long SetsWithoutTemplate { get; internal set; }

    /// <summary>Gets the number of buffered data sets decoded after their template arrived.</summary>
    public long SetsReplayed { get; internal set; }

    /// <summary>Gets the number of IPFIX data records lost according to the sequence numbers.</summary>
    public long LostRecords { get; internal set; }

    /// <summary>Gets the number of NetFlow v9 packets lost according to the sequence numbers.</summary>
    public long LostPackets { get; internal set; }

    /// <summary>Gets the number of application names learned from options records.</summary>
    public long ApplicationNamesLearned { get; internal set; }

    /// <summary>Gets the number of application names not kept because the table was full.</summary>
    public long ApplicationNamesDropped { get; internal set; }

    /// <summary>Gets the number of captured packets that carried no export datagram (not UDP, fragments, other link types).</summary>
    public long PacketsIgnored { get; internal set; }

    /// <summary>Gets the number of IP fragments seen in a capture (reassembly is not done; they are reported).</summary>
    public long Fragments { get; internal set; }
}
