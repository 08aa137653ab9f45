using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

// Data sets that arrive before their template (MaxPendingBytes > 0): kept, with the
// header values their times depend on, until the template comes, within a budget per exporter address
// (MaxPendingBytesPerExporter) and one over all exporters.
//
// An address past its share keeps what it has and its further early sets are counted as no-template at once: one
// sender can never fill the budget. Past the total, room is made by dropping the sets of the domain that has waited
// longest for a template (another domain than the one being decoded), so that a new exporter's early data always gets
// in, as its templates do. Each drop counts its sets as no-template; O(1) per domain dropped.
public sealed partial class IpfixDecoder
{
    private long _pendingBytes;

    // The domains holding pending sets, in the order their first set came (oldest first): the next to drop is the first.
    private DomainState? _oldestPending;
    private DomainState? _newestPending;

    /// <summary>Why buffered sets are dropped (the diagnostic says it).</summary>
    private enum PendingDrop
    {
        EndOfInput,
        DomainDropped,
        NoRoom,
    }

    /// <summary>Gets the octets of data sets waiting for their template now (see <see cref="IpfixReaderOptions.MaxPendingBytes"/>).</summary>
    internal long PendingBytes => _pendingBytes;

    /// <summary>
    /// Counts the data sets still buffered for a template that never came (<see cref="IpfixReaderOptions.MaxPendingBytes"/>)
    /// as <c>no-template</c> and drops them. The readers call it at the end of their input.
    /// </summary>
    public void Flush()
    {
        while (_oldestPending is { } domain)
        {
            DropPending(domain, PendingDrop.EndOfInput);
        }
    }

    /// <summary>Keeps a data set that has no template yet, if the budgets allow (making room at the total); false if not.</summary>
    private bool TryKeepPending(DomainState domain, ushort setId, ReadOnlySpan<byte> body, int bodyOffset)
    {
        var length = body.Length;
        var exporter = domain.Exporter;
        if (length > _options.MaxPendingBytes
            || (!exporter.IsUnknown && exporter.PendingBytes + length > _options.MaxPendingBytesPerExporter))
        {
            return false;
        }

        while (_pendingBytes + length > _options.MaxPendingBytes)
        {
            var victim = _oldestPending == domain ? domain.NewerPending : _oldestPending;
            if (victim is null)
            {
                return false;
            }

            DropPending(victim, PendingDrop.NoRoom);
        }

        var pending = domain.Pending ??= [];
        if (pending.Count == 0)
        {
            LinkNewestPending(domain);
        }

        pending.Add(new PendingSet(setId, body.ToArray(), bodyOffset, _exportSeconds, _sysUpTimeMilliseconds, _messageOffset));
        AddPendingBytes(domain, length);
        return true;
    }

    /// <summary>Decodes the buffered data sets that were waiting for <paramref name="templateId"/>, in arrival order.</summary>
    private void ReplayPending<TSink>(DomainState domain, ushort templateId, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        var pending = domain.Pending!;
        var (exportSeconds, sysUpTime, messageOffset, records, sequenceKnown) = (_exportSeconds, _sysUpTimeMilliseconds, _messageOffset, _recordsInMessage, _sequenceKnown);
        for (var i = 0; i < pending.Count;)
        {
            var set = pending[i];
            if (set.SetId != templateId)
            {
                i++;
                continue;
            }

            pending.RemoveAt(i);
            AddPendingBytes(domain, -set.Body.Length);
            (_exportSeconds, _sysUpTimeMilliseconds, _messageOffset) = (set.ExportSeconds, set.SysUpTimeMilliseconds, set.MessageOffset);
            DecodeDataSet(set.Body, set.BodyOffset, set.SetId, domain, ref sink);
            Statistics.SetsReplayed++;
        }

        if (pending.Count == 0)
        {
            UnlinkPending(domain);
        }

        (_exportSeconds, _sysUpTimeMilliseconds, _messageOffset, _recordsInMessage, _sequenceKnown) = (exportSeconds, sysUpTime, messageOffset, records, sequenceKnown);
    }

    /// <summary>Counts the buffered sets of <paramref name="domain"/> as <c>no-template</c> and drops them.</summary>
    private void DropPending(DomainState domain, PendingDrop why)
    {
        UnlinkPending(domain); // first, so that Flush's loop ends whatever the list holds
        if (domain.Pending is not { Count: > 0 } pending)
        {
            return;
        }

        foreach (var set in pending)
        {
            var at = set.MessageOffset + set.BodyOffset - 4;
            switch (why)
            {
                case PendingDrop.EndOfInput:
                    SkipUnit("no-template", at, $"data set {set.SetId} of domain {domain.Key.DomainId} of {domain.Key.Exporter} still waits for its template at the end of the input");
                    break;
                case PendingDrop.DomainDropped:
                    SkipUnit("no-template", at, $"data set {set.SetId} waited for its template when its domain {domain.Key.DomainId} of {domain.Key.Exporter} was dropped");
                    break;
                default:
                    SkipUnit("no-template", at, $"data set {set.SetId} of domain {domain.Key.DomainId} of {domain.Key.Exporter} waited longest for its template when MaxPendingBytes ({_options.MaxPendingBytes}) was full");
                    break;
            }

            AddPendingBytes(domain, -set.Body.Length);
        }

        pending.Clear();
    }

    private void AddPendingBytes(DomainState domain, long delta)
    {
        domain.Exporter.PendingBytes += delta;
        _pendingBytes += delta;
    }

    private void LinkNewestPending(DomainState domain)
    {
        domain.OlderPending = _newestPending;
        domain.NewerPending = null;
        if (_newestPending is not null)
        {
            _newestPending.NewerPending = domain;
        }

        _newestPending = domain;
        _oldestPending ??= domain;
    }

    private void UnlinkPending(DomainState domain)
    {
        if (domain.NewerPending is not null)
        {
            domain.NewerPending.OlderPending = domain.OlderPending;
        }
        else if (_newestPending == domain)
        {
            _newestPending = domain.OlderPending;
        }
        else
        {
            return; // not linked
        }

        if (domain.OlderPending is not null)
        {
            domain.OlderPending.NewerPending = domain.NewerPending;
        }
        else
        {
            _oldestPending = domain.NewerPending;
        }

        domain.NewerPending = domain.OlderPending = null;
    }
}
