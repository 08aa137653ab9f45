using System.Collections.Immutable;
using System.Text;
using System.Text.Unicode;

namespace PortMismatch.Detection;

/// <summary>
/// Joins what the sensor's other logs say about a flow (Zeek's ssl/http/ssh/dns/dpd logs by <c>uid</c>, Suricata's
/// tls/http/dns/ssh events by <c>flow_id</c>) to the rows of the flows that broke a rule. First the flow records pass
/// through <see cref="Tap"/> (or <see cref="Track"/>): a record that breaks a rule and has a <see cref="FlowRecord.FlowId"/>
/// is remembered, others are not (memory is bounded by <see cref="EvidenceOptions.MaxFlows"/>, and a flow over it is
/// counted, never silently lost). Then the other logs offer their values with <see cref="Add"/>, in any order; values of
/// flows not remembered are counted and dropped. Last, <see cref="Attach"/> gives each row the evidence of its flows: those
/// with the row's addresses and port whose time lies within the row's first and last time and whose mismatching app values
/// include the row's. A row none of whose flows was joined keeps <see cref="MismatchRow.Evidence"/> null. Thread-safe.
/// </summary>
public sealed class EvidenceJoin
{
    private const string Ellipsis = "...";

    private readonly object _gate = new();
    private readonly MismatchEvaluator _evaluator;
    private readonly Dictionary<string, Flow> _flows = new(StringComparer.Ordinal);
#if NET9_0_OR_GREATER
    private readonly Dictionary<string, Flow>.AlternateLookup<ReadOnlySpan<char>> _lookup;
#endif
    private readonly Dictionary<string, string> _fieldNames = new(StringComparer.Ordinal);
    private long _repeated;
    private long _withoutId;
    private long _overCap;
    private long _joined;
    private long _valuesOverCap;
    private long _unmatched;
    private long _rowsWithEvidence;

    /// <summary>Creates a join for the rows of <paramref name="rules"/>.</summary>
    /// <param name="rules">The rules the detection runs (a record is remembered when it breaks one of them).</param>
    /// <param name="options">The bounds, or null for <see cref="EvidenceOptions.Default"/>.</param>
    public EvidenceJoin(RuleSet rules, EvidenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Options = options ?? EvidenceOptions.Default;
        Options.Validate();
        _evaluator = new MismatchEvaluator(rules);
#if NET9_0_OR_GREATER
        _lookup = _flows.GetAlternateLookup<ReadOnlySpan<char>>();
#endif
    }

    /// <summary>Gets the bounds.</summary>
    public EvidenceOptions Options { get; }

    /// <summary>Gets how many flows are remembered now.</summary>
    public int FlowCount
    {
        get
        {
            lock (_gate)
            {
                return _flows.Count;
            }
        }
    }

    /// <summary>Gets a snapshot of the counters.</summary>
    public EvidenceCounters Counters
    {
        get
        {
            lock (_gate)
            {
                return new EvidenceCounters
                {
                    FlowsTracked = _flows.Count,
                    FlowsRepeated = _repeated,
                    FlowsWithoutId = _withoutId,
                    FlowsOverCap = _overCap,
                    ValuesJoined = _joined,
                    ValuesOverCap = _valuesOverCap,
                    ValuesUnmatched = _unmatched,
                    RowsWithEvidence = _rowsWithEvidence,
                };
            }
        }
    }

    /// <summary>
    /// Wraps a source so that each of its records is also given to <see cref="Track"/> before it goes on (the records and
    /// the source's counters are unchanged). A record that breaks no rule costs one more evaluation and no allocation.
    /// </summary>
    /// <param name="source">The source of flow records.</param>
    /// <returns>The source that remembers as it reads.</returns>
    public IFlowSource Tap(IFlowSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new TappedSource(source, this);
    }

    /// <summary>Remembers <paramref name="record"/>'s flow when it breaks a rule (and counts it when it cannot be).</summary>
    /// <param name="record">The record.</param>
    public void Track(in FlowRecord record)
    {
        if (!_evaluator.IsMismatch(record))
        {
            return;
        }

        var flowId = record.FlowId;
        if (flowId.IsEmpty)
        {
            Interlocked.Increment(ref _withoutId);
            return;
        }

        Span<char> chars = stackalloc char[256];
        if (!TryChars(flowId, chars, out var idLength))
        {
            Interlocked.Increment(ref _withoutId);
            return;
        }

        lock (_gate)
        {
            if (Find(chars[..idLength], out _))
            {
                _repeated++;
                return;
            }

            if (_flows.Count >= Options.MaxFlows)
            {
                _overCap++;
                return;
            }
        }

        var flow = new Flow(record, MismatchingValues(record));
        lock (_gate)
        {
            if (!_flows.TryAdd(chars[..idLength].ToString(), flow))
            {
                _repeated++;
            }
            else if (_flows.Count > Options.MaxFlows)
            {
                _flows.Remove(chars[..idLength].ToString());
                _overCap++;
            }
        }
    }

    /// <summary>Gets whether the flow of that id is remembered (so that a reader can skip the values of other flows early).</summary>
    /// <param name="flowId">The flow id as UTF-8.</param>
    /// <returns>Whether <see cref="Add"/> would keep a value for it.</returns>
    public bool IsTracked(ReadOnlySpan<byte> flowId)
    {
        Span<char> chars = stackalloc char[256];
        if (!TryChars(flowId, chars, out var length))
        {
            return false;
        }

        lock (_gate)
        {
            return Find(chars[..length], out _);
        }
    }

    /// <summary>
    /// Offers one value of another log for a flow. Kept when the flow is remembered (escaped as Zeek prints text: control
    /// bytes and invalid UTF-8 as <c>\xHH</c>; cut at <see cref="EvidenceOptions.MaxValueLength"/>); otherwise counted.
    /// An empty value is ignored.
    /// </summary>
    /// <param name="flowId">The flow id as UTF-8 (Zeek <c>uid</c>, Suricata <c>flow_id</c>).</param>
    /// <param name="field">The evidence field, such as <c>tls.server_name</c>.</param>
    /// <param name="value">The value as it appears in the log (UTF-8).</param>
    /// <returns>Whether the value was kept.</returns>
    public bool Add(ReadOnlySpan<byte> flowId, string field, ReadOnlySpan<byte> value)
    {
        ArgumentException.ThrowIfNullOrEmpty(field);
        if (value.IsEmpty)
        {
            return false;
        }

        Span<char> chars = stackalloc char[256];
        lock (_gate)
        {
            if (!TryChars(flowId, chars, out var length) || !Find(chars[..length], out var flow))
            {
                _unmatched++;
                return false;
            }

            if (flow.Values.Count >= Options.MaxValuesPerFlow)
            {
                _valuesOverCap++;
                return false;
            }

            if (!_fieldNames.TryGetValue(field, out var name))
            {
                _fieldNames.Add(field, field);
                name = field;
            }

            flow.Values.Add((name, EscapeValue(value, Options.MaxValueLength)));
            _joined++;
            return true;
        }
    }

    /// <summary>Gives each row the evidence of its remembered flows (see the class summary); rows without any are left as they are.</summary>
    /// <param name="rows">The rows, before any sink has seen them.</param>
    /// <returns>How many rows were given evidence.</returns>
    public int Attach(IEnumerable<MismatchRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Dictionary<(IPAddressValue, IPAddressValue, int), List<Flow>> byEndpoints;
        lock (_gate)
        {
            byEndpoints = new Dictionary<(IPAddressValue, IPAddressValue, int), List<Flow>>(_flows.Count);
            foreach (var flow in _flows.Values)
            {
                var key = (flow.Source, flow.Destination, flow.DestinationPort);
                if (!byEndpoints.TryGetValue(key, out var list))
                {
                    byEndpoints.Add(key, list = []);
                }

                list.Add(flow);
            }
        }

        var given = 0;
        foreach (var row in rows)
        {
            if (!byEndpoints.TryGetValue((row.SourceAddress, row.DestinationAddress, row.DestinationPort), out var flows))
            {
                continue;
            }

            var sample = new Sample(Options.MaxValuesPerField);
            foreach (var flow in flows)
            {
                if (flow.Time < row.FirstTimeMicroseconds || flow.Time > row.LastTimeMicroseconds || !flow.HasApp(row.App))
                {
                    continue;
                }

                sample.Flows++;
                if (flow.CommunityId(Options.CommunityIdSeed) is { } communityId)
                {
                    sample.Add(EvidenceField.CommunityIdName, communityId);
                }

                foreach (var (name, value) in flow.Values)
                {
                    sample.Add(name, value);
                }
            }

            if (sample.Flows > 0)
            {
                row.AttachEvidence(sample.Build());
                given++;
            }
        }

        lock (_gate)
        {
            _rowsWithEvidence += given;
        }

        return given;
    }

    /// <summary>Escapes a value as Zeek's ASCII writer prints text (control bytes, DEL and invalid UTF-8 as \xHH) and caps it.</summary>
    internal static string EscapeValue(ReadOnlySpan<byte> value, int maxLength)
    {
        var text = new StringBuilder(Math.Min(value.Length, maxLength) + 4);
        var bytes = 0;
        var rest = value;
        while (!rest.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(rest, out var rune, out var consumed);
            string? piece = null;
            int pieceBytes;
            if (status != System.Buffers.OperationStatus.Done)
            {
                piece = $"\\x{rest[0]:x2}";
                pieceBytes = 4;
                consumed = 1;
            }
            else if (rune.Value < 0x20 || rune.Value == 0x7F)
            {
                piece = $"\\x{rune.Value:x2}";
                pieceBytes = 4;
            }
            else
            {
                pieceBytes = consumed;
            }

            if (bytes + pieceBytes > maxLength - Ellipsis.Length && bytes + pieceBytes + (rest.Length > consumed ? Ellipsis.Length : 0) > maxLength)
            {
                text.Append(Ellipsis);
                break;
            }

            if (piece is null)
            {
                text.Append(rune.ToString());
            }
            else
            {
                text.Append(piece);
            }

            bytes += pieceBytes;
            rest = rest[consumed..];
        }

        return text.ToString();
    }

    /// <summary>Looks a flow id up without making a string of it where the runtime allows (an alternate lookup, .NET 9+).</summary>
    private bool Find(ReadOnlySpan<char> flowId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Flow? flow)
    {
#if NET9_0_OR_GREATER
        return _lookup.TryGetValue(flowId, out flow);
#else
        return _flows.TryGetValue(flowId.ToString(), out flow);
#endif
    }

    private static bool TryChars(ReadOnlySpan<byte> flowId, Span<char> chars, out int length)
    {
        length = 0;
        if (flowId.IsEmpty || flowId.Length > chars.Length || !Utf8.IsValid(flowId))
        {
            return false;
        }

        length = Encoding.UTF8.GetChars(flowId, chars);
        return true;
    }

    private string[] MismatchingValues(in FlowRecord record)
    {
        var values = new List<string>(2);
        var port = record.EffectiveDestinationPort;
        foreach (var value in record.Apps)
        {
            if (_evaluator.TryMatch(value, port, record.Transport, record.SourceAddress, record.DestinationAddress, out _))
            {
                values.Add(Encoding.UTF8.GetString(value));
            }
        }

        return [.. values];
    }

    /// <summary>One remembered flow: where and when, its mismatching app values, and the values the other logs gave it.</summary>
    private sealed class Flow(in FlowRecord record, string[] apps)
    {
        private readonly ushort? _sourcePort = record.SourcePort;
        private readonly ushort? _destinationPort = record.DestinationPort;
        private readonly Transport _transport = record.Transport;

        public IPAddressValue Source { get; } = record.SourceAddress;

        public IPAddressValue Destination { get; } = record.DestinationAddress;

        public int DestinationPort { get; } = record.EffectiveDestinationPort;

        public long Time { get; } = record.TimestampMicroseconds;

        public List<(string Name, string Value)> Values { get; } = [];

        /// <summary>Whether a row's app (one value, or several joined under <see cref="AppGrouping.AllValues"/>) names one of this flow's mismatching values.</summary>
        public bool HasApp(string app)
        {
            foreach (var value in apps)
            {
                if (string.Equals(value, app, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            foreach (var value in apps)
            {
                var at = app.IndexOf(value, StringComparison.OrdinalIgnoreCase);
                while (at >= 0)
                {
                    var end = at + value.Length;
                    if ((at == 0 || !char.IsLetterOrDigit(app[at - 1])) && (end == app.Length || !char.IsLetterOrDigit(app[end])))
                    {
                        return true;
                    }

                    at = app.IndexOf(value, at + 1, StringComparison.OrdinalIgnoreCase);
                }
            }

            return false;
        }

        public string? CommunityId(ushort seed)
        {
            var protocol = _transport switch
            {
                Transport.Tcp => (byte)6,
                Transport.Udp => (byte)17,
                _ => (byte)0,
            };
            return protocol == 0 || _sourcePort is not { } sourcePort || _destinationPort is not { } destinationPort
                || !Source.HasValue || !Destination.HasValue || Source.IsIPv4 != Destination.IsIPv4
                ? null
                : Detection.CommunityId.Compute(Source, Destination, protocol, sourcePort, destinationPort, seed);
        }
    }

    /// <summary>A row's sample while it is built: per field, the first distinct values counted, then a count of the rest.</summary>
    private sealed class Sample(int maxValues)
    {
        private readonly List<(string Name, List<(string Value, long Count)> Values, long[] Other)> _fields = [];

        public long Flows { get; set; }

        public void Add(string name, string value)
        {
            var field = -1;
            for (var i = 0; i < _fields.Count; i++)
            {
                if (ReferenceEquals(_fields[i].Name, name) || string.Equals(_fields[i].Name, name, StringComparison.Ordinal))
                {
                    field = i;
                    break;
                }
            }

            if (field < 0)
            {
                _fields.Add((name, [], [0]));
                field = _fields.Count - 1;
            }

            var (_, values, other) = _fields[field];
            for (var i = 0; i < values.Count; i++)
            {
                if (string.Equals(values[i].Value, value, StringComparison.Ordinal))
                {
                    values[i] = (value, values[i].Count + 1);
                    return;
                }
            }

            if (values.Count < maxValues)
            {
                values.Add((value, 1));
            }
            else
            {
                other[0]++;
            }
        }

        public MismatchEvidence Build()
        {
            EvidenceField? communityIds = null;
            var fields = ImmutableArray.CreateBuilder<EvidenceField>(_fields.Count);
            foreach (var (name, values, other) in _fields)
            {
                var kept = ImmutableArray.CreateBuilder<EvidenceValue>(values.Count);
                foreach (var (value, count) in values)
                {
                    kept.Add(new EvidenceValue(value, count));
                }

                var field = new EvidenceField(name, kept.MoveToImmutable(), other[0]);
                if (string.Equals(name, EvidenceField.CommunityIdName, StringComparison.Ordinal))
                {
                    communityIds = field;
                }
                else
                {
                    fields.Add(field);
                }
            }

            return new MismatchEvidence(Flows, communityIds, fields.ToImmutable());
        }
    }

    private sealed class TappedSource(IFlowSource source, EvidenceJoin join) : IFlowSource, IFlowRecordSink
    {
        private IFlowRecordSink? _sink;

        public string Name => source.Name;

        public InputCounters Counters => source.Counters;

        public Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
        {
            _sink = sink;
            return source.ReadAsync(this, cancellationToken);
        }

        public void OnRecord(in FlowRecord record)
        {
            join.Track(record);
            _sink!.OnRecord(record);
        }

        public override string ToString() => source.ToString() ?? source.Name;
    }
}
