using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

// The decoder's state per (exporter, domain) scope and how it is bounded: budgets per exporter address and over all
// exporters, least-recently-used eviction when a budget is full, and (over UDP, where the collector gives a clock) the
// template lifetime and idle domains of RFC 7011 section 8.4 and 9.3.
//
// Room is made by evicting whole domains, least recently used first: a domain of the same address when that address's
// budget is the one exceeded, any domain when the budget over all exporters is. The domain being decoded is never evicted
// (it is the most recent), so an exporter can only push out its own state, or the state that has waited longest; what
// still does not fit is rejected. Each eviction is O(1); a full table never stops a new exporter from getting in.
public sealed partial class IpfixDecoder
{
    private readonly Dictionary<DomainKey, DomainState> _domains = [];
    private readonly Dictionary<IPAddressValue, ExporterState> _exporters = [];
    private readonly TemplateArrays _templateArrays = new();

    // Domains evicted with templates, so that their data is reported with the reason when they come back; the last
    // 4 x MaxDomains of them, each with at most 64 lost ids (LostTemplates: under 300 octets; 1.2 MB at the defaults).
    private readonly Dictionary<DomainKey, (LostTemplates Lost, long Generation)> _evicted = [];
    private readonly Queue<(DomainKey Key, long Generation)> _evictedOrder = new();

    private long _evictedGeneration;

    private DomainState? _newestDomain;
    private DomainState? _oldestDomain;
    private long _templateBytes;
    private long _applicationNameBytes;

    // The collector's clocks while it decodes a datagram: wall clock for the record times, monotonic for ages.
    private bool _live;
    private long _wallClock;
    private long _clock;
    private long _notAfter = long.MaxValue;
    private long _nextSweep;

    /// <summary>Gets the number of (exporter, domain) scopes with state.</summary>
    internal int DomainCount => _domains.Count;

    /// <summary>Gets the number of exporter addresses with state.</summary>
    internal int ExporterCount => _exporters.Count;

    /// <summary>Forgets all templates, sequence numbers and learned names (counters are kept); buffered sets are counted first.</summary>
    public void Reset()
    {
        Flush();
        _domains.Clear();
        _exporters.Clear();
        _evicted.Clear();
        _evictedOrder.Clear();
        _newestDomain = _oldestDomain = null;
        _templateBytes = 0;
        _applicationNameBytes = 0;
    }

    /// <summary>
    /// Decodes one datagram received by a collector: as <see cref="DecodeAt"/>, and with the collector's clocks, records dated
    /// more than <see cref="IpfixReaderOptions.MaxClockSkew"/> ahead of <paramref name="wallClock"/> are rejected, templates
    /// and domains age by <see cref="IpfixReaderOptions.TemplateLifetime"/>, and template withdrawals are ignored (RFC 7011
    /// section 8.4: they must not be sent over UDP, so one can only be spoofed).
    /// </summary>
    /// <param name="data">The datagram's payload.</param>
    /// <param name="exporter">Its sender.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="byteOffset">Octets received before it.</param>
    /// <param name="wallClock">The wall clock at receipt, in Unix microseconds.</param>
    /// <param name="clock">A monotonic clock at receipt, in microseconds.</param>
    internal long DecodeDatagram<TSink>(ReadOnlySpan<byte> data, IPAddressValue exporter, ref TSink sink, long byteOffset, long wallClock, long clock)
        where TSink : IFlowRecordSink
    {
        _live = true;
        _wallClock = wallClock;
        _clock = clock;
        _notAfter = wallClock > long.MaxValue - _maxClockSkew ? long.MaxValue : wallClock + _maxClockSkew;
        try
        {
            if (clock >= _nextSweep)
            {
                Sweep();
            }

            return DecodeAt(data, exporter, ref sink, byteOffset);
        }
        finally
        {
            _live = false;
            _notAfter = long.MaxValue;
        }
    }

    private DomainState? GetDomain(DomainKey key, long byteOffset)
    {
        if (_domains.TryGetValue(key, out var domain))
        {
            Touch(domain);
            return domain;
        }

        _ = _exporters.TryGetValue(key.Exporter, out var exporter);
        var perExporter = key.Exporter.HasValue ? _options.MaxDomainsPerExporter : int.MaxValue;
        if (_options.MaxDomains <= 0 || perExporter <= 0)
        {
            RejectUnit("too-many-domains", byteOffset, $"no (exporter, domain) scope may be kept (MaxDomains {_options.MaxDomains}, MaxDomainsPerExporter {_options.MaxDomainsPerExporter}); domain {key.DomainId} of {key.Exporter} not kept");
            return null;
        }

        while (exporter is { Oldest: { } own } && exporter.DomainCount >= perExporter)
        {
            Evict(own, TemplateLoss.Evicted);
        }

        while (_oldestDomain is { } oldest && _domains.Count >= _options.MaxDomains)
        {
            Evict(oldest, TemplateLoss.Evicted);
        }

        if (exporter is null || exporter.DomainCount == 0)
        {
            // A new exporter, or one whose last domain was just evicted (and its state removed with it).
            exporter = new ExporterState(key.Exporter);
            _exporters[key.Exporter] = exporter;
        }

        domain = new DomainState(key, exporter) { LastSeen = _clock };
        if (_evicted.Remove(key, out var tombstone))
        {
            domain.Lost = tombstone.Lost;
        }

        _domains.Add(key, domain);
        exporter.DomainCount++;
        LinkNewest(domain);
        return domain;
    }

    /// <summary>Marks <paramref name="domain"/> as the most recently used, in both lists.</summary>
    private void Touch(DomainState domain)
    {
        domain.LastSeen = _clock;
        if (_newestDomain != domain)
        {
            // (The newest of all domains is also the newest of its exporter's.)
            Unlink(domain);
            LinkNewest(domain);
        }
    }

    /// <summary>
    /// Makes room for <paramref name="delta"/> more octets of templates in <paramref name="domain"/>, evicting other domains
    /// (of the same address first when its budget is the one exceeded). Returns the name of the budget that cannot make room.
    /// </summary>
    private string? MakeRoomForTemplates(DomainState domain, long delta)
    {
        if (delta <= 0)
        {
            return null;
        }

        var exporter = domain.Exporter;
        if (!exporter.IsUnknown)
        {
            while (exporter.TemplateBytes + delta > _options.MaxTemplateBytesPerExporter)
            {
                if (exporter.Oldest is not { } own || own == domain)
                {
                    return nameof(IpfixReaderOptions.MaxTemplateBytesPerExporter);
                }

                Evict(own, TemplateLoss.Evicted);
            }
        }

        while (_templateBytes + delta > _options.MaxTemplateBytes)
        {
            if (_oldestDomain is not { } oldest || oldest == domain)
            {
                return nameof(IpfixReaderOptions.MaxTemplateBytes);
            }

            Evict(oldest, TemplateLoss.Evicted);
        }

        return null;
    }

    /// <summary>Makes room for <paramref name="delta"/> more octets of names in <paramref name="domain"/>, as for templates.</summary>
    private bool MakeRoomForNames(DomainState domain, long delta)
    {
        if (delta <= 0)
        {
            return true;
        }

        var exporter = domain.Exporter;
        if (!exporter.IsUnknown)
        {
            while (exporter.NameBytes + delta > _options.MaxApplicationNameBytesPerExporter)
            {
                if (exporter.Oldest is not { } own || own == domain)
                {
                    return false;
                }

                Evict(own, TemplateLoss.Evicted);
            }
        }

        while (_applicationNameBytes + delta > _options.MaxApplicationNameBytes)
        {
            if (_oldestDomain is not { } oldest || oldest == domain)
            {
                return false;
            }

            Evict(oldest, TemplateLoss.Evicted);
        }

        return true;
    }

    private void AddTemplateBytes(DomainState domain, long delta)
    {
        domain.TemplateBytes += delta;
        domain.Exporter.TemplateBytes += delta;
        _templateBytes += delta;
    }

    private void AddNameBytes(DomainState domain, long delta)
    {
        domain.NameBytes += delta;
        domain.Exporter.NameBytes += delta;
        _applicationNameBytes += delta;
    }

    /// <summary>Drops one template that expired or was evicted, remembering its id so that its data is reported with the reason.</summary>
    private void Lose(DomainState domain, Template template, TemplateLoss loss)
    {
        domain.Templates.Remove(template.Id);
        AddTemplateBytes(domain, -TemplateCost(template.FieldCount));
        template.Release(_templateArrays);
        (domain.Lost ??= new LostTemplates(domain.Templates.Count + 1)).Add(template.Id, loss);
        if (loss == TemplateLoss.Expired)
        {
            Statistics.TemplatesExpired++;
        }
        else
        {
            Statistics.TemplatesEvicted++;
        }
    }

    /// <summary>Removes a whole domain (its templates, names, sequence state and buffered sets), remembering its template ids.</summary>
    private void Evict(DomainState domain, TemplateLoss loss)
    {
        DropPending(domain, PendingDrop.DomainDropped);

        if (domain.Templates.Count > 0)
        {
            var lost = domain.Lost ?? new LostTemplates(domain.Templates.Count);
            foreach (var (id, template) in domain.Templates)
            {
                lost.Add(id, loss);
                template.Release(_templateArrays);
            }

            if (loss == TemplateLoss.Expired)
            {
                Statistics.TemplatesExpired += domain.Templates.Count;
            }
            else
            {
                Statistics.TemplatesEvicted += domain.Templates.Count;
            }

            Remember(domain.Key, lost);
        }
        else if (domain.Lost is { } lost)
        {
            Remember(domain.Key, lost);
        }

        AddTemplateBytes(domain, -domain.TemplateBytes);
        AddNameBytes(domain, -domain.NameBytes);
        _domains.Remove(domain.Key);
        Unlink(domain);
        var exporter = domain.Exporter;
        if (--exporter.DomainCount == 0)
        {
            _exporters.Remove(exporter.Address);
        }

        Statistics.DomainsEvicted++;
        if (_currentDomain == domain)
        {
            _currentDomain = null;
        }
    }

    /// <summary>Keeps the lost template ids of an evicted domain; past 4 x MaxDomains of these records the oldest goes.</summary>
    private void Remember(DomainKey key, LostTemplates lost)
    {
        var generation = ++_evictedGeneration;
        _evicted[key] = (lost, generation);
        _evictedOrder.Enqueue((key, generation));
        while (_evictedOrder.Count > 4L * Math.Max(_options.MaxDomains, 1))
        {
            var (oldKey, oldGeneration) = _evictedOrder.Dequeue();
            if (_evicted.TryGetValue(oldKey, out var entry) && entry.Generation == oldGeneration)
            {
                _evicted.Remove(oldKey);
            }
        }
    }

    /// <summary>
    /// Ages the state by the collector's clock (RFC 7011 section 8.4 template lifetime, section 9.3 idle sessions): domains
    /// without a message for <see cref="IpfixReaderOptions.TemplateLifetime"/> go whole, and templates not re-sent for that
    /// long go one by one. Runs every eighth of the lifetime: O(domains + templates), both bounded.
    /// </summary>
    private void Sweep()
    {
        var lifetime = _templateLifetime;
        if (lifetime == long.MaxValue)
        {
            _nextSweep = long.MaxValue; // Timeout.InfiniteTimeSpan: nothing ages
            return;
        }

        _nextSweep = _clock + Math.Clamp(lifetime / 8, 1_000_000, 60_000_000);
        var horizon = _clock - lifetime;
        while (_oldestDomain is { } oldest && oldest.LastSeen < horizon)
        {
            Evict(oldest, TemplateLoss.Expired);
        }

        for (var domain = _newestDomain; domain is not null; domain = domain.Older)
        {
            foreach (var (_, template) in domain.Templates)
            {
                if (template.RefreshedAt < horizon)
                {
                    Lose(domain, template, TemplateLoss.Expired); // removing while enumerating is allowed for Dictionary
                }
            }
        }
    }

    private void LinkNewest(DomainState domain)
    {
        domain.Older = _newestDomain;
        domain.Newer = null;
        if (_newestDomain is not null)
        {
            _newestDomain.Newer = domain;
        }

        _newestDomain = domain;
        _oldestDomain ??= domain;
        LinkNewestOfExporter(domain);
    }

    private void Unlink(DomainState domain)
    {
        if (domain.Newer is not null)
        {
            domain.Newer.Older = domain.Older;
        }
        else
        {
            _newestDomain = domain.Older;
        }

        if (domain.Older is not null)
        {
            domain.Older.Newer = domain.Newer;
        }
        else
        {
            _oldestDomain = domain.Newer;
        }

        domain.Newer = domain.Older = null;
        UnlinkOfExporter(domain);
    }

    private static void LinkNewestOfExporter(DomainState domain)
    {
        var exporter = domain.Exporter;
        domain.OlderOfExporter = exporter.Newest;
        domain.NewerOfExporter = null;
        if (exporter.Newest is not null)
        {
            exporter.Newest.NewerOfExporter = domain;
        }

        exporter.Newest = domain;
        exporter.Oldest ??= domain;
    }

    private static void UnlinkOfExporter(DomainState domain)
    {
        var exporter = domain.Exporter;
        if (domain.NewerOfExporter is not null)
        {
            domain.NewerOfExporter.OlderOfExporter = domain.OlderOfExporter;
        }
        else
        {
            exporter.Newest = domain.OlderOfExporter;
        }

        if (domain.OlderOfExporter is not null)
        {
            domain.OlderOfExporter.NewerOfExporter = domain.NewerOfExporter;
        }
        else
        {
            exporter.Oldest = domain.NewerOfExporter;
        }

        domain.NewerOfExporter = domain.OlderOfExporter = null;
    }
}
