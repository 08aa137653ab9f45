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
/// skipped (<c>reply-flow</c>, <c>not-a-flow</c>, <c>netflow-v5</c>); template and options records are skipped (<c>template</c>,
/// <c>options-record</c>); a set or message that cannot be split into records counts as one record (<c>no-template</c>,
/// <c>bad-set-length</c>, <c>truncated-message</c>, ...).
/// </remarks>
public sealed partial class IpfixDecoder
{
    // One class over files by concern, in the order a datagram meets them: Messages (headers, sequence numbers), Templates,
    // Records (data sets), Time, Applications, Direction; Scopes and Pending hold the bounded state per (exporter, domain),
    // Diagnostics the counting and reporting. This file holds what the caller sees.
    private readonly IpfixReaderOptions _options;
    private readonly Action<InputDiagnostic>? _diagnostics;
    private readonly long _maxClockSkew;
    private readonly long _templateLifetime;

    private DomainState? _currentDomain;
    private int _currentTemplateId;
    private FlowDirection _currentDirection;
    private long _currentOffset;

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

    /// <summary>
    /// Decodes one datagram payload: one NetFlow v9 packet, or one or more concatenated IPFIX messages (RFC 5655 file
    /// content), delivering each accepted flow record to <paramref name="sink"/>. NetFlow v5 packets (one or more) are
    /// counted, each record skipped as <c>netflow-v5</c>: v5 has no application field.
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
}
