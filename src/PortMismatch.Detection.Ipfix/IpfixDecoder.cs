using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

/// <summary>
/// Decodes IPFIX (RFC 7011) messages and NetFlow v9 (RFC 3954) packets into <see cref="FlowRecord"/>s, keeping the
/// templates, sequence numbers and learned application names of each (exporter, observation domain). Allocation-free per
/// data record once templates are known; every cap is in <see cref="IpfixReaderOptions"/>. Not thread-safe: use one decoder
/// per input or per collector thread.
/// </summary>
/// <remarks>
/// Every record of every set is counted in <see cref="Counters"/>: data records are accepted, rejected (malformed) or
/// skipped (<c>reply-flow</c>, <c>not-a-flow</c>); template and options records are skipped (<c>template</c>,
/// <c>options-record</c>); a set or message that cannot be split into records counts as one record (<c>no-template</c>,
/// <c>bad-set-length</c>, <c>truncated-message</c>, ...).
/// </remarks>
public sealed partial class IpfixDecoder
{
    private const int IpfixHeaderLength = 16;
    private const int V9HeaderLength = 20;
    private const int StackFields = 128;

    private static readonly SearchValues<byte> DottedDigits = SearchValues.Create("0123456789."u8);

    private readonly IpfixReaderOptions _options;
    private readonly MismatchEvaluator _directionEvaluator;
    private readonly Action<InputDiagnostic>? _diagnostics;
    private readonly byte[] _appScratch = new byte[128];
    private readonly ReversePairing? _pairing;
    private readonly bool _rulesExpectEphemeralPorts;
    private readonly long _maxClockSkew;
    private readonly long _templateLifetime;

    private DomainState? _currentDomain;
    private int _currentTemplateId;
    private FlowDirection _currentDirection;
    private long _currentOffset;
    private long _messageOffset;
    private long _exportSeconds;
    private long _sysUpTimeMilliseconds;
    private int _version;
    private long _recordsInMessage;
    private bool _sequenceKnown;
    private TemplateField[] _largeFields = [];

    /// <summary>Creates a decoder.</summary>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="IpfixReaderOptions.Default"/>.</param>
    /// <param name="inputName">The input's name for diagnostics, or <see langword="null"/>.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <see cref="IpfixReaderOptions.MaxClockSkew"/> is negative, or <see cref="IpfixReaderOptions.TemplateLifetime"/> is zero
    /// or negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).
    /// </exception>
    public IpfixDecoder(IpfixReaderOptions? options = null, string? inputName = null, Action<InputDiagnostic>? diagnostics = null)
    {
        _options = options ?? IpfixReaderOptions.Default;
        if (_options.MaxClockSkew < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxClockSkew, $"IpfixReaderOptions.MaxClockSkew is {_options.MaxClockSkew}; it must not be negative.");
        }

        if (_options.TemplateLifetime <= TimeSpan.Zero && _options.TemplateLifetime != Timeout.InfiniteTimeSpan)
        {
            // Zero would make every template of an earlier datagram expire: IPFIX over UDP switched off without a word.
            throw new ArgumentOutOfRangeException(nameof(options), _options.TemplateLifetime, $"IpfixReaderOptions.TemplateLifetime is {_options.TemplateLifetime}; it must be positive, or Timeout.InfiniteTimeSpan for templates that never expire.");
        }

        _directionEvaluator = new MismatchEvaluator(_options.DirectionRules);
        _diagnostics = diagnostics;
        InputName = inputName;
        _maxClockSkew = Microseconds(_options.MaxClockSkew);
        _templateLifetime = _options.TemplateLifetime == Timeout.InfiniteTimeSpan ? long.MaxValue : Math.Max(1, Microseconds(_options.TemplateLifetime));
        foreach (var rule in _options.DirectionRules)
        {
            foreach (var range in rule.ExpectedPorts.Ranges)
            {
                _rulesExpectEphemeralPorts |= range.Last >= _options.EphemeralPortStart && range.First <= _options.EphemeralPortEnd;
            }
        }

        if (_options.ReversePairingCapacity > 0)
        {
            _pairing = new ReversePairing(_options.ReversePairingCapacity, (long)_options.ReversePairingWindow.TotalMicroseconds);
        }
    }

    /// <summary>Gets the record counts: <c>Read = Accepted + Rejected + Skipped</c> after every call.</summary>
    public InputCounters Counters { get; } = new();

    /// <summary>Gets the message-level counts (templates, lost records, ...).</summary>
    public IpfixStatistics Statistics { get; } = new();

    /// <summary>Gets the input's name used in diagnostics.</summary>
    public string? InputName { get; }

    /// <summary>Gets where the record being delivered to a sink came from; valid during the sink call.</summary>
    public IpfixRecordContext Current => new()
    {
        Version = _version,
        Exporter = _currentDomain?.Key.Exporter ?? IPAddressValue.None,
        ObservationDomainId = _currentDomain?.Key.DomainId ?? 0,
        TemplateId = _currentTemplateId,
        Direction = _currentDirection,
        ByteOffset = _currentOffset,
    };

    /// <summary>The octets a template is counted as, besides its fields, against <see cref="IpfixReaderOptions.MaxTemplateBytes"/>.</summary>
    internal const int TemplateOverheadBytes = 256;

    /// <summary>The octets a template field is counted as against <see cref="IpfixReaderOptions.MaxTemplateBytes"/>.</summary>
    internal const int TemplateFieldBytes = 16;

    /// <summary>The octets a learned name is counted as, besides its length, against <see cref="IpfixReaderOptions.MaxApplicationNameBytes"/>.</summary>
    internal const int ApplicationNameOverheadBytes = 64;

    /// <summary>Gets the memory the templates of all scopes are counted as now (see <see cref="IpfixReaderOptions.MaxTemplateBytes"/>).</summary>
    internal long TemplateBytes => _templateBytes;

    /// <summary>Gets the memory the learned application names of all scopes are counted as now (see <see cref="IpfixReaderOptions.MaxApplicationNameBytes"/>).</summary>
    internal long ApplicationNameBytes => _applicationNameBytes;

    /// <summary>
    /// Decodes one datagram payload: one NetFlow v9 packet, or one or more concatenated IPFIX messages (RFC 5655 file
    /// content), delivering each accepted flow record to <paramref name="sink"/>.
    /// </summary>
    /// <typeparam name="TSink">The sink type; a struct sink is called without boxing or virtual dispatch.</typeparam>
    /// <param name="data">The payload.</param>
    /// <param name="exporter">The exporter's address (scopes the templates), or <see cref="IPAddressValue.None"/>.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <returns>The number of records accepted.</returns>
    public long Decode<TSink>(ReadOnlySpan<byte> data, IPAddressValue exporter, ref TSink sink)
        where TSink : IFlowRecordSink
        => DecodeAt(data, exporter, ref sink, 0);

    /// <summary>Decodes one payload, delivering records to an interface sink (see <see cref="Decode{TSink}"/>).</summary>
    /// <param name="data">The payload.</param>
    /// <param name="exporter">The exporter's address, or <see cref="IPAddressValue.None"/>.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <returns>The number of records accepted.</returns>
    public long Decode(ReadOnlySpan<byte> data, IPAddressValue exporter, IFlowRecordSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return DecodeAt(data, exporter, ref sink, 0);
    }

    internal long DecodeAt<TSink>(ReadOnlySpan<byte> data, IPAddressValue exporter, ref TSink sink, long byteOffset)
        where TSink : IFlowRecordSink
    {
        var acceptedBefore = Counters.Accepted;
        if (data.Length < 4)
        {
            RejectUnit("truncated-message", byteOffset, $"the payload is shorter than a message header");
            return 0;
        }

        var version = BinaryPrimitives.ReadUInt16BigEndian(data);
        if (version == 9)
        {
            if (data.Length > _options.MaxMessageSize)
            {
                RejectUnit("message-too-large", byteOffset, $"the datagram has {data.Length} octets, more than {_options.MaxMessageSize}");
            }
            else
            {
                DecodeV9(data, exporter, ref sink, byteOffset);
            }

            return Counters.Accepted - acceptedBefore;
        }

        var offset = 0;
        while (offset < data.Length)
        {
            var rest = data[offset..];
            var at = byteOffset + offset;
            if (rest.Length < IpfixHeaderLength)
            {
                RejectUnit("truncated-message", at, $"{rest.Length} octets left, less than a message header");
                break;
            }

            version = BinaryPrimitives.ReadUInt16BigEndian(rest);
            if (version != 10)
            {
                RejectUnit("unsupported-version", at, $"version {version} is neither IPFIX (10) nor NetFlow v9");
                break;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
            if (length < IpfixHeaderLength)
            {
                RejectUnit("bad-message-length", at, $"message length {length} is shorter than its header");
                break;
            }

            if (length > rest.Length)
            {
                RejectUnit("truncated-message", at, $"message length {length} but {rest.Length} octets left");
                break;
            }

            if (length > _options.MaxMessageSize)
            {
                RejectUnit("message-too-large", at, $"message length {length} is more than {_options.MaxMessageSize}");
            }
            else
            {
                DecodeIpfix(rest[..length], exporter, ref sink, at);
            }

            offset += length;
        }

        return Counters.Accepted - acceptedBefore;
    }

    internal int MaxMessageSize => _options.MaxMessageSize;

    internal bool HasDiagnostics => _diagnostics is not null;

    internal void RejectUnitAt(string reason, string message, long byteOffset)
    {
        Counters.CountRead();
        Counters.CountRejected(reason);
        Report(RecordOutcome.Rejected, reason, message, byteOffset);
    }

    internal void CountIgnoredPacket(bool fragment, long byteOffset)
    {
        Statistics.PacketsIgnored++;
        if (fragment)
        {
            Statistics.Fragments++;
            Counters.CountRead();
            Counters.CountRejected("ip-fragment");
            if (_diagnostics is not null)
            {
                Report(RecordOutcome.Rejected, "ip-fragment", "an IP fragment of an export datagram: reassembly is not supported", byteOffset);
            }
        }
    }

    private void DecodeIpfix<TSink>(ReadOnlySpan<byte> message, IPAddressValue exporter, ref TSink sink, long byteOffset)
        where TSink : IFlowRecordSink
    {
        var domainId = BinaryPrimitives.ReadUInt32BigEndian(message[12..]);
        var domain = GetDomain(new DomainKey(exporter, domainId, 10), byteOffset);
        if (domain is null)
        {
            return;
        }

        Statistics.Messages++;
        _version = 10;
        _messageOffset = byteOffset;
        _exportSeconds = BinaryPrimitives.ReadUInt32BigEndian(message[4..]);
        _sysUpTimeMilliseconds = -1;
        _recordsInMessage = 0;
        _sequenceKnown = true;
        DecodeSets(message, IpfixHeaderLength, domain, ref sink);

        var sequence = BinaryPrimitives.ReadUInt32BigEndian(message[8..]);
        if (domain.HasSequence && sequence != domain.NextSequence)
        {
            var gap = unchecked(sequence - domain.NextSequence);
            if (gap < 0x8000_0000u)
            {
                Statistics.LostRecords += gap;
            }
        }

        domain.HasSequence = _sequenceKnown;
        domain.NextSequence = unchecked(sequence + (uint)_recordsInMessage);
    }

    private void DecodeV9<TSink>(ReadOnlySpan<byte> packet, IPAddressValue exporter, ref TSink sink, long byteOffset)
        where TSink : IFlowRecordSink
    {
        if (packet.Length < V9HeaderLength)
        {
            RejectUnit("truncated-message", byteOffset, $"{packet.Length} octets, less than a NetFlow v9 header");
            return;
        }

        var sourceId = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        var domain = GetDomain(new DomainKey(exporter, sourceId, 9), byteOffset);
        if (domain is null)
        {
            return;
        }

        Statistics.Messages++;
        _version = 9;
        _messageOffset = byteOffset;
        _sysUpTimeMilliseconds = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        _exportSeconds = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        var sequence = BinaryPrimitives.ReadUInt32BigEndian(packet[12..]);
        if (domain.HasSequence && sequence != domain.NextSequence)
        {
            var gap = unchecked(sequence - domain.NextSequence);
            if (gap < 0x8000_0000u)
            {
                Statistics.LostPackets += gap;
            }
        }

        domain.HasSequence = true;
        domain.NextSequence = unchecked(sequence + 1);
        DecodeSets(packet, V9HeaderLength, domain, ref sink);
    }

    private void DecodeSets<TSink>(ReadOnlySpan<byte> message, int position, DomainState domain, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        var isV9 = _version == 9;
        while (position < message.Length)
        {
            var rest = message[position..];
            var at = _messageOffset + position;
            if (rest.Length < 4)
            {
                if (isV9 || !rest.ContainsAnyExcept((byte)0))
                {
                    return; // padding at the end of a v9 packet (or zero octets after an IPFIX set)
                }

                RejectUnit("truncated-set", at, $"{rest.Length} octets left, less than a set header");
                return;
            }

            var setId = BinaryPrimitives.ReadUInt16BigEndian(rest);
            int setLength = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
            if (setLength < 4 || setLength > rest.Length)
            {
                if (isV9 && !rest.ContainsAnyExcept((byte)0))
                {
                    return; // some exporters zero-fill the rest of a fixed-size packet
                }

                RejectUnit("bad-set-length", at, $"set {setId} claims {setLength} octets; {rest.Length} left");
                _sequenceKnown = false;
                return;
            }

            var body = rest[4..setLength];
            var bodyOffset = position + 4;
            if (setId >= 256)
            {
                DecodeDataSet(body, bodyOffset, setId, domain, ref sink);
            }
            else if (setId == (isV9 ? 0 : 2))
            {
                DecodeTemplateSet(body, bodyOffset, domain, options: false, ref sink);
            }
            else if (setId == (isV9 ? 1 : 3))
            {
                if (isV9)
                {
                    DecodeV9OptionsTemplateSet(body, bodyOffset, domain, ref sink);
                }
                else
                {
                    DecodeTemplateSet(body, bodyOffset, domain, options: true, ref sink);
                }
            }
            else
            {
                SkipUnit("reserved-set", at, $"set id {setId} is reserved");
            }

            position += setLength;
        }
    }

    private void DecodeTemplateSet<TSink>(ReadOnlySpan<byte> body, int bodyOffset, DomainState domain, bool options, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        var isV9 = _version == 9;
        Span<TemplateField> scratch = stackalloc TemplateField[StackFields];
        var p = 0;
        while (body.Length - p >= 4)
        {
            var at = _messageOffset + bodyOffset + p;
            var templateId = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
            int fieldCount = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 2)..]);
            if (templateId == 0 && fieldCount == 0 && !body[p..].ContainsAnyExcept((byte)0))
            {
                return; // padding at the end of the set
            }

            if (fieldCount == 0)
            {
                if (isV9)
                {
                    RejectUnit("bad-template", at, $"template {templateId} has no fields");
                    return;
                }

                Counters.CountRead();
                Withdraw(domain, templateId, options, at);
                p += 4;
                continue;
            }

            Counters.CountRead();
            var headerLength = options ? 6 : 4;
            if (body.Length - p < headerLength)
            {
                Reject("truncated-template", at, $"template {templateId} is cut short");
                return;
            }

            var scopeCount = options ? BinaryPrimitives.ReadUInt16BigEndian(body[(p + 4)..]) : 0;
            if (fieldCount > _options.MaxFieldsPerTemplate)
            {
                Reject("too-many-fields", at, $"template {templateId} has {fieldCount} fields, more than {_options.MaxFieldsPerTemplate}");
                return; // its length cannot be trusted either
            }

            if (options && (scopeCount == 0 || scopeCount > fieldCount))
            {
                Reject("bad-template", at, $"options template {templateId} has {scopeCount} scope fields of {fieldCount}");
                return;
            }

            var q = p + headerLength;
            var fields = fieldCount <= StackFields ? scratch[..fieldCount] : LargeFieldScratch(fieldCount);
            for (var i = 0; i < fieldCount; i++)
            {
                if (body.Length - q < 4)
                {
                    Reject("truncated-template", at, $"template {templateId} is cut short at field {i + 1} of {fieldCount}");
                    return;
                }

                var id = BinaryPrimitives.ReadUInt16BigEndian(body[q..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(body[(q + 2)..]);
                q += 4;
                uint enterprise = 0;
                if (!isV9 && (id & 0x8000) != 0)
                {
                    if (body.Length - q < 4)
                    {
                        Reject("truncated-template", at, $"template {templateId} is cut short in an enterprise number");
                        return;
                    }

                    enterprise = BinaryPrimitives.ReadUInt32BigEndian(body[q..]);
                    id &= 0x7FFF;
                    q += 4;
                }

                fields[i] = new TemplateField(id, length, enterprise, InformationElements.RoleOf(enterprise, id));
            }

            p = q;
            Learn(domain, templateId, options, fields, scopeCount, at, ref sink);
        }
    }

    private void DecodeV9OptionsTemplateSet<TSink>(ReadOnlySpan<byte> body, int bodyOffset, DomainState domain, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        Span<TemplateField> scratch = stackalloc TemplateField[StackFields];
        var p = 0;
        while (body.Length - p >= 6)
        {
            var at = _messageOffset + bodyOffset + p;
            var templateId = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
            int scopeLength = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 2)..]);
            int optionLength = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 4)..]);
            if (templateId == 0 && scopeLength == 0 && optionLength == 0)
            {
                return; // padding
            }

            Counters.CountRead();
            if (scopeLength % 4 != 0 || optionLength % 4 != 0 || scopeLength + optionLength == 0)
            {
                Reject("bad-template", at, $"options template {templateId}: scope length {scopeLength} and option length {optionLength} are not multiples of 4");
                return;
            }

            var scopeCount = scopeLength / 4;
            var fieldCount = scopeCount + (optionLength / 4);
            if (fieldCount > _options.MaxFieldsPerTemplate)
            {
                Reject("too-many-fields", at, $"options template {templateId} has {fieldCount} fields, more than {_options.MaxFieldsPerTemplate}");
                return;
            }

            if (body.Length - p - 6 < scopeLength + optionLength)
            {
                Reject("truncated-template", at, $"options template {templateId} is cut short");
                return;
            }

            var fields = fieldCount <= StackFields ? scratch[..fieldCount] : LargeFieldScratch(fieldCount);
            var q = p + 6;
            for (var i = 0; i < fieldCount; i++)
            {
                var id = BinaryPrimitives.ReadUInt16BigEndian(body[q..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(body[(q + 2)..]);
                q += 4;

                // v9 scope field types (1 system, 2 interface, 3 line card, 4 cache, 5 template) are not information elements.
                fields[i] = new TemplateField(id, length, 0, i < scopeCount ? FieldRole.None : InformationElements.RoleOf(0, id));
            }

            p = q;
            Learn(domain, templateId, true, fields, scopeCount, at, ref sink);
        }
    }

    private void Learn<TSink>(DomainState domain, ushort templateId, bool options, ReadOnlySpan<TemplateField> fields, int scopeCount, long at, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        if (templateId < 256)
        {
            Reject("bad-template-id", at, $"template id {templateId} is below 256");
            return;
        }

        if (domain.Templates.TryGetValue(templateId, out var existing) && existing.SameLayout(options, scopeCount, fields))
        {
            // A periodic re-send: nothing to learn, nothing to allocate; over UDP it renews the template's lifetime.
            existing.RefreshedAt = _clock;
            Skip("template", at, $"template {templateId} (unchanged)");
            return;
        }

        var cost = TemplateCost(fields.Length);
        var freed = existing is null ? 0 : TemplateCost(existing.FieldCount);
        if (existing is null && domain.Templates.Count >= _options.MaxTemplatesPerDomain)
        {
            Reject("too-many-templates", at, $"template {templateId} not kept: the domain already has {_options.MaxTemplatesPerDomain}");
            return;
        }

        if (!HasOctets(fields))
        {
            Reject("bad-template", at, $"template {templateId} describes records of zero octets");
            return;
        }

        // Room is made before the template is built: a flood that cannot be kept allocates nothing.
        if (MakeRoomForTemplates(domain, cost - freed) is { } budget)
        {
            Reject("too-many-templates", at, $"template {templateId} of domain {domain.Key.DomainId} of {domain.Key.Exporter} not kept: it would pass {budget}");
            return;
        }

        var template = new Template(templateId, options, fields, scopeCount, _templateArrays) { RefreshedAt = _clock };
        domain.Templates[templateId] = template;
        existing?.Release(_templateArrays);
        domain.Lost?.Remove(templateId);
        AddTemplateBytes(domain, cost - freed);

        Statistics.TemplatesLearned++;
        Skip("template", at, $"{(options ? "options template" : "template")} {templateId}");
        if (domain.Pending is { Count: > 0 })
        {
            ReplayPending(domain, templateId, ref sink);
        }
    }

    /// <summary>
    /// The field list of a template too long for the stack, in one array the decoder keeps (it grows to the longest
    /// template seen, at most 65,535 fields): a flood of long templates, re-sent or rejected, allocates nothing each time.
    /// </summary>
    private Span<TemplateField> LargeFieldScratch(int fieldCount)
    {
        if (_largeFields.Length < fieldCount)
        {
            _largeFields = new TemplateField[fieldCount];
        }

        return _largeFields.AsSpan(0, fieldCount);
    }

    private static long TemplateCost(int fieldCount) => TemplateOverheadBytes + ((long)TemplateFieldBytes * fieldCount);

    /// <summary>Gets whether a template's records have at least one octet (a variable-length field counts): others are rejected.</summary>
    private static bool HasOctets(ReadOnlySpan<TemplateField> fields)
    {
        foreach (var field in fields)
        {
            if (field.Length != 0)
            {
                return true;
            }
        }

        return false;
    }

    private static long Microseconds(TimeSpan span) => span <= TimeSpan.Zero ? 0 : span.Ticks / TimeSpan.TicksPerMicrosecond;

    private void Withdraw(DomainState domain, ushort templateId, bool options, long at)
    {
        if (_live)
        {
            // RFC 7011 section 8.4: withdrawals must not be sent over UDP and must be ignored there (any sender could spoof one).
            Skip("template", at, $"withdrawal of template {templateId} ignored: withdrawals are not valid over UDP (RFC 7011 section 8.4)");
            return;
        }

        if (templateId == (options ? 3 : 2))
        {
            // All (options) templates of the domain (RFC 7011 section 8.1); removing while enumerating is allowed for Dictionary.
            foreach (var (id, t) in domain.Templates)
            {
                if (t.IsOptions == options)
                {
                    Withdrawn(domain, id);
                }
            }
        }
        else if (templateId < 256)
        {
            Reject("bad-template-id", at, $"withdrawal of template id {templateId}");
            return;
        }
        else
        {
            Withdrawn(domain, templateId);
        }

        Skip("template", at, $"withdrawal of template {templateId}");
    }

    private void Withdrawn(DomainState domain, ushort templateId)
    {
        if (domain.Templates.Remove(templateId, out var removed))
        {
            AddTemplateBytes(domain, -TemplateCost(removed.FieldCount));
            removed.Release(_templateArrays);
            Statistics.TemplatesWithdrawn++;
        }
    }

    private void DecodeDataSet<TSink>(ReadOnlySpan<byte> body, int bodyOffset, ushort setId, DomainState domain, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        if (domain.Templates.TryGetValue(setId, out var template) && _live && _clock - template.RefreshedAt > _templateLifetime)
        {
            Lose(domain, template, TemplateLoss.Expired); // not re-sent in time: it must not decode (RFC 3954)
            template = null;
        }

        if (template is null)
        {
            Statistics.SetsWithoutTemplate++;
            _sequenceKnown = false;
            if (body.Length > 0 && _options.MaxPendingBytes > 0 && TryKeepPending(domain, setId, body, bodyOffset))
            {
                return; // kept until its template arrives (bounded); counted then, or when dropped
            }

            if (body.ContainsAnyExcept((byte)0))
            {
                SkipWithoutTemplate(domain, setId, _messageOffset + bodyOffset - 4);
            }

            return;
        }

        _currentDomain = domain;
        _currentTemplateId = setId;

        if (!template.IsVariableLength)
        {
            var length = template.FixedLength;
            var slots = template.FixedSlots;
            var count = body.Length / length;
            _recordsInMessage += count;
            if (count == 0 && body.ContainsAnyExcept((byte)0))
            {
                // Not padding: a record cut short, or a template that does not describe this data.
                RejectUnit("truncated-record", _messageOffset + bodyOffset, $"data set {setId} has {body.Length} octets; its template's records have {length}");
                _sequenceKnown = false;
                return;
            }

            if (template.IsOptions)
            {
                for (var i = 0; i < count; i++)
                {
                    LearnFromOptionsRecord(body.Slice(i * length, length), slots, domain, bodyOffset + (i * length));
                }
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    DecodeDataRecord(body.Slice(i * length, length), slots, template, domain, bodyOffset + (i * length), ref sink);
                }
            }

            return;
        }

        Span<int> variableSlots = stackalloc int[(int)FieldRole.Count];
        var p = 0;
        while (body.Length - p >= template.MinimumLength)
        {
            variableSlots.Clear();
            var q = p;
            foreach (var field in template.Fields)
            {
                int length = field.Length;
                if (length == Template.VariableLength)
                {
                    if (q >= body.Length)
                    {
                        length = -1;
                    }
                    else
                    {
                        length = body[q++];
                        if (length == 255)
                        {
                            length = body.Length - q >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(body[q..]) : -1;
                            q += 2;
                        }
                    }
                }

                if (length < 0 || length > body.Length - q)
                {
                    Counters.CountRead();
                    Reject("truncated-record", _messageOffset + bodyOffset + p, $"a variable-length field of template {setId} runs past its set");
                    _sequenceKnown = false;
                    return;
                }

                FieldSlots.Set(variableSlots, field.Role, q - p, length);
                q += length;
            }

            if (q == p)
            {
                return; // cannot happen (MinimumLength >= 1), but never loop without progress
            }

            _recordsInMessage++;
            var record = body[p..q];
            if (template.IsOptions)
            {
                LearnFromOptionsRecord(record, variableSlots, domain, bodyOffset + p);
            }
            else
            {
                DecodeDataRecord(record, variableSlots, template, domain, bodyOffset + p, ref sink);
            }

            p = q;
        }
    }

    /// <summary>Skips a data set without a template, saying why when its template expired or was evicted.</summary>
    private void SkipWithoutTemplate(DomainState domain, ushort setId, long at)
    {
        switch (domain.Lost?.Find(setId) ?? TemplateLoss.None)
        {
            case TemplateLoss.Expired:
                SkipUnit("template-expired", at, $"data set {setId} of domain {domain.Key.DomainId} of {domain.Key.Exporter}: its template was not re-sent within TemplateLifetime ({_options.TemplateLifetime}) and expired; it is decoded again once the exporter re-sends the template");
                break;
            case TemplateLoss.Evicted:
                SkipUnit("template-evicted", at, $"data set {setId} of domain {domain.Key.DomainId} of {domain.Key.Exporter}: its template was evicted to keep the collector's state within its budgets (many exporters, domains or templates); it is decoded again once the exporter re-sends the template");
                break;
            default:
                SkipUnit("no-template", at, $"data set {setId} of domain {domain.Key.DomainId} of {domain.Key.Exporter} arrived before its template");
                break;
        }
    }

    private void LearnFromOptionsRecord(ReadOnlySpan<byte> record, ReadOnlySpan<int> slots, DomainState domain, int offset)
    {
        Counters.CountRead();
        if (FieldSlots.TryGet(slots, FieldRole.ApplicationId, record, out var id)
            && FieldSlots.TryGet(slots, FieldRole.ApplicationName, record, out var name)
            && ApplicationIdKey.TryCreate(id, out var key))
        {
            name = TrimNul(name);
            if (!name.IsEmpty)
            {
                if (domain.ApplicationNames.TryGetValue(key, out var known))
                {
                    if (!name.SequenceEqual(known))
                    {
                        if (!MakeRoomForNames(domain, name.Length - known.Length))
                        {
                            Statistics.ApplicationNamesDropped++;
                        }
                        else
                        {
                            domain.ApplicationNames[key] = name.ToArray();
                            AddNameBytes(domain, name.Length - known.Length);
                            Statistics.ApplicationNamesLearned++;
                        }
                    }
                }
                else if (domain.ApplicationNames.Count >= _options.MaxApplicationNamesPerDomain
                    || !MakeRoomForNames(domain, ApplicationNameOverheadBytes + name.Length))
                {
                    Statistics.ApplicationNamesDropped++;
                }
                else
                {
                    domain.ApplicationNames.Add(key, name.ToArray());
                    AddNameBytes(domain, ApplicationNameOverheadBytes + name.Length);
                    Statistics.ApplicationNamesLearned++;
                }
            }
        }

        if (FieldSlots.TryGet(slots, FieldRole.SystemInitTimeMilliseconds, record, out var init))
        {
            domain.SystemInitTimeMilliseconds = (long)Math.Min(BigEndian.ReadUnsigned(init), long.MaxValue);
        }

        Skip("options-record", _messageOffset + offset, $"options record of template {_currentTemplateId}");
    }

    private void DecodeDataRecord<TSink>(ReadOnlySpan<byte> record, ReadOnlySpan<int> slots, Template template, DomainState domain, int offset, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        Counters.CountRead();
        if (!template.IsFlow)
        {
            Skip("not-a-flow", _messageOffset + offset, $"template {template.Id} has no address or port");
            return;
        }

        if (!TryReadAddress(slots, FieldRole.SourceIPv4, FieldRole.SourceIPv6, record, out var source, out var sourceFold)
            || !TryReadAddress(slots, FieldRole.DestinationIPv4, FieldRole.DestinationIPv6, record, out var destination, out var destinationFold))
        {
            Reject("bad-address", _messageOffset + offset, $"an address field of template {template.Id} has a length other than 4 or 16");
            return;
        }

        ushort? sourcePort = null, destinationPort = null;
        if (FieldSlots.TryGet(slots, FieldRole.SourcePort, record, out var value))
        {
            var port = BigEndian.ReadUnsigned(value);
            if (port > ushort.MaxValue || value.Length > 8)
            {
                Reject("port-out-of-range", _messageOffset + offset, $"source port {port} in template {template.Id}");
                return;
            }

            sourcePort = (ushort)port;
        }

        if (FieldSlots.TryGet(slots, FieldRole.DestinationPort, record, out value))
        {
            var port = BigEndian.ReadUnsigned(value);
            if (port > ushort.MaxValue || value.Length > 8)
            {
                Reject("port-out-of-range", _messageOffset + offset, $"destination port {port} in template {template.Id}");
                return;
            }

            destinationPort = (ushort)port;
        }

        var transport = Transport.Unknown;
        if (FieldSlots.TryGet(slots, FieldRole.Protocol, record, out value))
        {
            var protocol = BigEndian.ReadUnsigned(value);
            transport = protocol <= 255 ? Transports.FromProtocolNumber((int)protocol) : Transport.Other;
        }

        var time = StartTime(slots, record, domain);
        if (!FlowTime.IsValid(time))
        {
            Reject("bad-timestamp", _messageOffset + offset, $"the flow start time of template {template.Id} is out of range");
            return;
        }

        if (time > _notAfter)
        {
            Reject("time-in-future", _messageOffset + offset, $"a flow of template {template.Id} from {domain.Key.Exporter} (domain {domain.Key.DomainId}) starts at {FlowTime.ToDateTimeOffset(time):O}, more than MaxClockSkew ({_options.MaxClockSkew}) after the collector's clock ({FlowTime.ToDateTimeOffset(_wallClock):O})");
            return;
        }

        var app = ResolveApplication(slots, record, domain);
        var direction = template.IsBiflow ? BiflowDirection(slots, record) : Direction(slots, record, app, sourceFold, destinationFold, sourcePort, destinationPort, transport, time);
        if (direction == FlowDirection.Reply && !_options.IncludeReplies)
        {
            Skip("reply-flow", _messageOffset + offset, $"a reply record (source port {sourcePort}, destination port {destinationPort})");
            return;
        }

        _currentDirection = direction;
        _currentOffset = _messageOffset + offset;
        var flow = new FlowRecord
        {
            TimestampMicroseconds = time,
            SourceAddress = source,
            DestinationAddress = destination,
            SourcePort = sourcePort,
            DestinationPort = destinationPort,
            Transport = transport,
            Apps = app.IsEmpty ? AppValues.None : AppValues.FromValue(app),
            Bytes = ReadCount(slots, FieldRole.Bytes, record),
            Packets = ReadCount(slots, FieldRole.Packets, record),
        };
        Counters.CountAccepted();
        sink.OnRecord(in flow);
    }

    /// <summary>Reads an address; <paramref name="fold"/> is a cheap 64-bit digest of it for reverse pairing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadAddress(ReadOnlySpan<int> slots, FieldRole v4, FieldRole v6, ReadOnlySpan<byte> record, out IPAddressValue address, out ulong fold)
    {
        var hasV6 = FieldSlots.TryGet(slots, v6, record, out var v6Value);
        if (FieldSlots.TryGet(slots, v4, record, out var value))
        {
            // Templates that carry both families fill one and zero the other: prefer the one in use.
            if (value.Length != 4)
            {
                address = IPAddressValue.None;
                fold = 0;
                return false;
            }

            var v4Address = BinaryPrimitives.ReadUInt32BigEndian(value);
            if (v4Address != 0 || !hasV6 || !v6Value.ContainsAnyExcept((byte)0))
            {
                address = IPAddressValue.FromIPv4(v4Address);
                fold = v4Address;
                return true;
            }
        }

        if (hasV6)
        {
            if (v6Value.Length != 16)
            {
                address = IPAddressValue.None;
                fold = 0;
                return false;
            }

            address = IPAddressValue.FromBytes(v6Value);
            fold = BinaryPrimitives.ReadUInt64LittleEndian(v6Value) ^ BitOperations.RotateLeft(BinaryPrimitives.ReadUInt64LittleEndian(v6Value[8..]), 29) ^ (1UL << 63);
            return true;
        }

        address = IPAddressValue.None;
        fold = 0;
        return true;
    }

    private static long? ReadCount(ReadOnlySpan<int> slots, FieldRole role, ReadOnlySpan<byte> record)
    {
        if (!FieldSlots.TryGet(slots, role, record, out var value))
        {
            return null;
        }

        var count = BigEndian.ReadUnsigned(value);
        return count > long.MaxValue ? null : (long)count;
    }

    /// <summary>
    /// The flow's start time from whichever start field the template carries; failing that its end time, then an
    /// observation time, then the message's export time (the order of precision a CIM <c>_time</c> would want).
    /// </summary>
    private long StartTime(ReadOnlySpan<int> slots, ReadOnlySpan<byte> record, DomainState domain)
    {
        const long Micro = 1_000_000;
        if (TryAbsoluteTime(slots, record, FieldRole.StartSeconds, FieldRole.StartMilliseconds, FieldRole.StartMicroseconds, FieldRole.StartNanoseconds, out var time)
            || TryUpTime(slots, record, FieldRole.StartSysUpTime, domain, out time))
        {
            return time;
        }

        if (FieldSlots.TryGet(slots, FieldRole.StartDeltaMicroseconds, record, out var value))
        {
            return (_exportSeconds * Micro) - (long)Math.Min(BigEndian.ReadUnsigned(value), uint.MaxValue);
        }

        if (TryAbsoluteTime(slots, record, FieldRole.EndSeconds, FieldRole.EndMilliseconds, FieldRole.EndMicroseconds, FieldRole.EndNanoseconds, out time)
            || TryUpTime(slots, record, FieldRole.EndSysUpTime, domain, out time)
            || TryAbsoluteTime(slots, record, FieldRole.ObservationSeconds, FieldRole.ObservationMilliseconds, FieldRole.ObservationMicroseconds, FieldRole.ObservationNanoseconds, out time))
        {
            return time;
        }

        return _exportSeconds * Micro; // no time in the record: the message's export time
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryAbsoluteTime(ReadOnlySpan<int> slots, ReadOnlySpan<byte> record, FieldRole seconds, FieldRole milliseconds, FieldRole microseconds, FieldRole nanoseconds, out long time)
    {
        if (FieldSlots.TryGet(slots, milliseconds, record, out var value))
        {
            time = (long)Math.Min(BigEndian.ReadUnsigned(value), long.MaxValue / 1000) * 1000;
            return true;
        }

        if (FieldSlots.TryGet(slots, microseconds, record, out value) || FieldSlots.TryGet(slots, nanoseconds, record, out value))
        {
            // dateTimeMicroseconds / dateTimeNanoseconds are NTP timestamps (RFC 7011 section 6.1.9, 6.1.10).
            time = value.Length == 8 ? BigEndian.NtpToUnixMicroseconds(BigEndian.ReadUnsigned(value)) : long.MinValue;
            return true;
        }

        if (FieldSlots.TryGet(slots, seconds, record, out value))
        {
            time = (long)Math.Min(BigEndian.ReadUnsigned(value), long.MaxValue / 1_000_000) * 1_000_000;
            return true;
        }

        time = 0;
        return false;
    }

    private bool TryUpTime(ReadOnlySpan<int> slots, ReadOnlySpan<byte> record, FieldRole role, DomainState domain, out long time)
    {
        time = 0;
        if (!FieldSlots.TryGet(slots, role, record, out var value))
        {
            return false;
        }

        var uptime = (uint)Math.Min(BigEndian.ReadUnsigned(value), uint.MaxValue);
        if (_version == 9)
        {
            // RFC 3954: FIRST/LAST_SWITCHED are sysUpTime (ms) values; the header pairs sysUpTime with UNIX seconds. The
            // 32-bit difference survives the uptime wrap (49.7 days) and a flow stamped a little after the header.
            var millisecondsBefore = unchecked((int)((uint)_sysUpTimeMilliseconds - uptime));
            time = (_exportSeconds * 1_000_000) - (millisecondsBefore * 1000L);
            return true;
        }

        var init = FieldSlots.TryGet(slots, FieldRole.SystemInitTimeMilliseconds, record, out var initValue)
            ? (long)Math.Min(BigEndian.ReadUnsigned(initValue), long.MaxValue / 2000)
            : domain.SystemInitTimeMilliseconds;
        if (init < 0)
        {
            return false;
        }

        time = (init + uptime) * 1000;
        return true;
    }

    private ReadOnlySpan<byte> ResolveApplication(ReadOnlySpan<int> slots, ReadOnlySpan<byte> record, DomainState domain)
    {
        if (FieldSlots.TryGet(slots, FieldRole.ApplicationName, record, out var name) && !(name = TrimNul(name)).IsEmpty)
        {
            return name;
        }

        if (FieldSlots.TryGet(slots, FieldRole.PanOsAppId, record, out name) && !(name = TrimNul(name)).IsEmpty)
        {
            return name;
        }

        if (FieldSlots.TryGet(slots, FieldRole.NprobeL7ProtocolName, record, out name) && !(name = TrimNul(name)).IsEmpty)
        {
            return name;
        }

        if (FieldSlots.TryGet(slots, FieldRole.VendorApplicationName, record, out name) && !(name = TrimNul(name)).IsEmpty)
        {
            return name;
        }

        var hasId = FieldSlots.TryGet(slots, FieldRole.ApplicationId, record, out var id);
        if (hasId && ApplicationIdKey.TryCreate(id, out var key) && domain.ApplicationNames.TryGetValue(key, out var known))
        {
            return known;
        }

        if (FieldSlots.TryGet(slots, FieldRole.YafAppLabel, record, out var labelValue))
        {
            var label = BigEndian.ReadUnsigned(labelValue);
            if (label != 0)
            {
                var labelName = AppLabels.NameOf(label);
                return labelName.IsEmpty ? FormatNumbered("yaf:"u8, label) : labelName;
            }
        }

        if (hasId && !id.IsEmpty)
        {
            return FormatApplicationId(id);
        }

        if (FieldSlots.TryGet(slots, FieldRole.NprobeL7Protocol, record, out var protocol))
        {
            // Numeric in older nProbe versions, text ("7.126": master.application) in newer ones.
            var text = TrimNul(protocol);
            if (!text.IsEmpty && text.Length <= 32 && !text.ContainsAnyExcept(DottedDigits))
            {
                var scratch = _appScratch.AsSpan();
                "ndpi:"u8.CopyTo(scratch);
                text.CopyTo(scratch[5..]);
                return scratch[..(5 + text.Length)];
            }

            var number = protocol.Length <= 8 ? BigEndian.ReadUnsigned(protocol) : 0;
            if (number != 0)
            {
                return FormatNumbered("ndpi:"u8, number);
            }
        }

        return default;
    }

    private ReadOnlySpan<byte> FormatNumbered(ReadOnlySpan<byte> prefix, ulong number)
    {
        var scratch = _appScratch.AsSpan();
        prefix.CopyTo(scratch);
        number.TryFormat(scratch[prefix.Length..], out var written, default, CultureInfo.InvariantCulture);
        return scratch[..(prefix.Length + written)];
    }

    /// <summary>Formats an unresolved RFC 6759 applicationId as <c>engine:selector</c> (PANA-L7-PEN as <c>20:pen:selector</c>).</summary>
    private ReadOnlySpan<byte> FormatApplicationId(ReadOnlySpan<byte> id)
    {
        var scratch = _appScratch.AsSpan();
        var engine = id[0];
        var selector = id[1..];
        engine.TryFormat(scratch, out var n, default, CultureInfo.InvariantCulture);
        scratch[n++] = (byte)':';
        if (engine == 20 && selector.Length > 4 && selector.Length <= 12)
        {
            BinaryPrimitives.ReadUInt32BigEndian(selector).TryFormat(scratch[n..], out var w, default, CultureInfo.InvariantCulture);
            n += w;
            scratch[n++] = (byte)':';
            selector = selector[4..];
        }

        if (selector.Length <= 8)
        {
            BigEndian.ReadUnsigned(selector).TryFormat(scratch[n..], out var w, default, CultureInfo.InvariantCulture);
            n += w;
        }
        else
        {
            const string Hex = "0123456789abcdef";
            foreach (var b in selector.Length > 48 ? selector[..48] : selector)
            {
                scratch[n++] = (byte)Hex[b >> 4];
                scratch[n++] = (byte)Hex[b & 0xF];
            }
        }

        return scratch[..n];
    }

    /// <summary>RFC 5103 biflows are oriented (the forward half is the initiator's) unless biflowDirection says otherwise.</summary>
    private static FlowDirection BiflowDirection(ReadOnlySpan<int> slots, ReadOnlySpan<byte> record)
        => FieldSlots.TryGet(slots, FieldRole.BiflowDirection, record, out var value) && BigEndian.ReadUnsigned(value) == 2
            ? FlowDirection.Reply
            : FlowDirection.Initiator;

    private FlowDirection Direction(
        ReadOnlySpan<int> slots,
        ReadOnlySpan<byte> record,
        ReadOnlySpan<byte> app,
        ulong sourceAddress,
        ulong destinationAddress,
        ushort? sourcePort,
        ushort? destinationPort,
        Transport transport,
        long start)
    {
        if (FieldSlots.TryGet(slots, FieldRole.BiflowDirection, record, out var value))
        {
            switch (BigEndian.ReadUnsigned(value))
            {
                case 1: return FlowDirection.Initiator;
                case 2: return FlowDirection.Reply;
            }
        }

        if (FieldSlots.TryGet(slots, FieldRole.InitialTcpFlags, record, out value))
        {
            var flags = BigEndian.ReadUnsigned(value);
            if ((flags & 0x02) != 0)
            {
                return (flags & 0x10) != 0 ? FlowDirection.Reply : FlowDirection.Initiator;
            }
        }

        if (sourcePort is not { } source || destinationPort is not { } destination)
        {
            return FlowDirection.Unknown;
        }

        var sourceEphemeral = IsEphemeral(source);
        var destinationEphemeral = IsEphemeral(destination);

        // Pairing: the reverse record started earlier (or at the same time, from the ephemeral side).
        if (_pairing is not null && _pairing.TryPair(sourceAddress, destinationAddress, source, destination, transport, start, out var reverseStart))
        {
            if (reverseStart != start)
            {
                return reverseStart < start ? FlowDirection.Reply : FlowDirection.Initiator;
            }

            if (sourceEphemeral != destinationEphemeral)
            {
                return destinationEphemeral ? FlowDirection.Reply : FlowDirection.Initiator;
            }
        }

        // Heuristic: the destination port is ephemeral and the source port is not, or the source port is an expected port
        // of the record's app and the destination port is not. (A source port in the ephemeral range is an expected port
        // only under rules that list such ports: the evaluator is consulted then.)
        if (destinationEphemeral && !sourceEphemeral)
        {
            return FlowDirection.Reply;
        }

        if (!app.IsEmpty
            && (!sourceEphemeral || _rulesExpectEphemeralPorts)
            && _directionEvaluator.TryMatch(app, destination, transport, out _)
            && !_directionEvaluator.TryMatch(app, source, transport, out _))
        {
            return FlowDirection.Reply;
        }

        return sourceEphemeral && !destinationEphemeral ? FlowDirection.Initiator : FlowDirection.Unknown;
    }

    private bool IsEphemeral(int port) => port >= _options.EphemeralPortStart && port <= _options.EphemeralPortEnd;

    private static ReadOnlySpan<byte> TrimNul(ReadOnlySpan<byte> value)
    {
        var end = value.IndexOf((byte)0);
        return end < 0 ? value : value[..end];
    }

    private void RejectUnit(string reason, long at, [InterpolatedStringHandlerArgument("")] ref DiagnosticMessage message)
    {
        Counters.CountRead();
        Reject(reason, at, ref message);
    }

    private void SkipUnit(string reason, long at, [InterpolatedStringHandlerArgument("")] ref DiagnosticMessage message)
    {
        Counters.CountRead();
        Skip(reason, at, ref message);
    }

    private void Reject(string reason, long at, [InterpolatedStringHandlerArgument("")] ref DiagnosticMessage message)
    {
        Counters.CountRejected(reason);
        if (message.Enabled)
        {
            Report(RecordOutcome.Rejected, reason, message.ToStringAndClear(), at);
        }
    }

    private void Skip(string reason, long at, [InterpolatedStringHandlerArgument("")] ref DiagnosticMessage message)
    {
        Counters.CountSkipped(reason);
        if (message.Enabled)
        {
            Report(RecordOutcome.Skipped, reason, message.ToStringAndClear(), at);
        }
    }

    private void Report(RecordOutcome outcome, string reason, string message, long at)
        => _diagnostics?.Invoke(new InputDiagnostic(outcome, reason, message, InputName, 0, at));
}
