using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// The <c>stats count min(_time) max(_time) by src_ip, dest_ip, app, dest_port</c> of the search, over the records it
/// selects, in bounded memory. Rows go to an <see cref="IMismatchRowSink"/> when a window closes, when a bound forces an
/// early (partial) row, and at <see cref="Complete"/>. Adding a record to an existing group allocates nothing.
/// Not thread-safe: aggregate on each thread, then <see cref="Merge"/>; the result does not depend on the order of merges.
/// It is an <see cref="IFlowRecordSink"/>, so a reader's push API can feed it directly.
/// To hide memory latency, the count of a record is applied up to 8 records after <see cref="Add(in FlowRecord)"/> (its
/// group's slot is prefetched meanwhile); reading a counter, <see cref="Merge"/>, <see cref="Complete"/> and every window
/// close apply the waiting counts first, so nothing observable is out of order.
/// The groups live in native memory, which the GC is told of; <see cref="Dispose"/> frees it at once (a finalizer frees
/// what an aggregator never disposed, later).
/// </summary>
public sealed partial class MismatchAggregator : IFlowRecordSink, IDisposable
{
    /// <summary>The <see cref="_candidate"/> when there is none: no record's time is below every event time.</summary>
    private const long NoCandidate = long.MinValue;

    private readonly MismatchEvaluator _evaluator;
    private readonly IMismatchRowSink _sink;
    private readonly AppInternTable _apps;
    private readonly long _window;
    private readonly long _lateness;
    private readonly int _maxGroups;
    private readonly int _maxWindows;

    /// <summary>
    /// The slots all tables may take beyond the first ones each starts with: twice what one table of MaxGroups groups has.
    /// Tables double as they grow, so groups spread over windows need up to that; only tables left part-empty (their oldest
    /// groups evicted) can need more, and then the window farthest from event time gives its slots back (see <see cref="MakeRoom"/>).
    /// </summary>
    private readonly TableBudget _budget;

    /// <summary>
    /// How far past event time a record may be and still move it alone: the window plus the lateness (unbounded without
    /// windows, where event time closes nothing). A record further ahead becomes the <see cref="_candidate"/>.
    /// </summary>
    private readonly ulong _maxStep;

    // Windows: each open window's table by its start; the starts in order (the first closes first); the starts of those
    // that hold a group (the group bound evicts from the one farthest from event time); every open table by its
    // OpenIndex, which is how a queued count names its table (so indices stay put while a table is open).
    private readonly Dictionary<long, GroupTable> _windows = [];
    private readonly SortedSet<long> _starts = [];
    private readonly SortedSet<long> _filled = [];
    private GroupTable?[] _tables = new GroupTable?[4];
    private readonly Stack<int> _freeIndices = new();
    private int _nextIndex;
    private GroupTable? _lastTable; // with windows: the table the previous record reached, and its start
    private long _lastStart;
    private GroupTable? _ownLateRow;    // markers: the value becomes a row of its own, late or partial
    private GroupTable? _ownPartialRow;

    /// <summary>
    /// A record time further than <see cref="_maxStep"/> past event time that no later record has confirmed yet (the
    /// smallest such time), or <see cref="NoCandidate"/>.
    /// </summary>
    private long _candidate = NoCandidate;
    private readonly bool _allValues;
    private GroupTable? _spare;
    private GroupTable? _onlyTable; // without windows: the one table, once open
    private byte[] _lastApp = [];
    private int _lastAppId = -1;

    // Per rule-set name id (see MismatchEvaluator.TryMatchShort): the spelling of that app seen last, as its key words,
    // and its id in _apps; a record whose value is one short mismatching app finds its id here without hashing its bytes.
    private readonly ShortAppId[] _appIdsByName;
    private long _watermark = long.MinValue;
    private int _groupCount;
    private long _rowsEmitted;
    private long _earlyEmissions;
    private long _windowEvictions;
    private long _eventTimeJumpsHeld;
    private long _nextClose = long.MaxValue;

    /// <summary>Creates an aggregator.</summary>
    /// <param name="evaluator">The compiled rules.</param>
    /// <param name="sink">Where rows go.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="AggregatorOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public MismatchAggregator(MismatchEvaluator evaluator, IMismatchRowSink sink, AggregatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(sink);
        options ??= AggregatorOptions.Default;
        options.Validate();
        _evaluator = evaluator;
        _sink = sink;
        Options = options;
        _apps = new AppInternTable(options.MaxAppValues, options.MaxAppBytes);
        _window = (options.Window?.Ticks ?? 0) / TimeSpan.TicksPerMicrosecond;
        _lateness = options.AllowedLateness.Ticks / TimeSpan.TicksPerMicrosecond;
        _maxGroups = options.MaxGroups;
        _maxWindows = options.MaxOpenWindows;
        _budget = new TableBudget(2L * GroupTable.CapacityFor(_maxGroups));
        _maxStep = _window == 0 ? ulong.MaxValue : (ulong)SaturatingAdd(_window, _lateness);
        _allValues = options.Grouping == AppGrouping.AllValues;
        _appIdsByName = new ShortAppId[evaluator.NameCount];
    }

    /// <summary>Gets the options.</summary>
    public AggregatorOptions Options { get; }

    /// <summary>Gets the rules this aggregator evaluates with.</summary>
    public RuleSet Rules => _evaluator.Rules;

    /// <summary>Gets the number of groups held now.</summary>
    public int GroupCount
    {
        get
        {
            Drain();
            return _groupCount;
        }

        private set => _groupCount = value;
    }

    /// <summary>Gets the number of records added.</summary>
    public long RecordsAdded { get; private set; }

    /// <summary>Gets the number of records the rules selected.</summary>
    public long RecordsSelected { get; private set; }

    /// <summary>Gets the number of (record, app value) pairs counted into groups; the counts of all rows emitted add up to it.</summary>
    public long ValuesCounted { get; private set; }

    /// <summary>Gets the number of rows emitted.</summary>
    public long RowsEmitted
    {
        get
        {
            Drain();
            return _rowsEmitted;
        }

        private set => _rowsEmitted = value;
    }

    /// <summary>Gets the number of rows emitted early because of <see cref="AggregatorOptions.MaxGroups"/> or the app-value bounds.</summary>
    public long EarlyEmissions
    {
        get
        {
            Drain();
            return _earlyEmissions;
        }

        private set => _earlyEmissions = value;
    }

    /// <summary>Gets how often the app-value table was full and every group was emitted early to start it again.</summary>
    public long AppTableFlushes { get; private set; }

    /// <summary>
    /// Gets the number of selected records that arrived after their window was emitted. They are counted into a late table
    /// for that window, whose rows (<see cref="MismatchRow.IsLate"/>) are emitted when the next window closes.
    /// </summary>
    public long LateRecords { get; private set; }

    /// <summary>Gets the number of windows open now (with <see cref="AggregatorOptions.Window"/>; late tables included).</summary>
    public int OpenWindowCount => _window == 0 ? 0 : _windows.Count;

    /// <summary>
    /// Gets how often a window was emitted early (partial rows): to stay within <see cref="AggregatorOptions.MaxOpenWindows"/>,
    /// or to give its table's memory to a window whose table must grow (see <see cref="AggregatorOptions.MaxGroups"/>).
    /// </summary>
    public long WindowEvictions
    {
        get => _windowEvictions;
        private set => Volatile.Write(ref _windowEvictions, value); // rare: the pipeline's meter reads it from another thread
    }

    /// <summary>
    /// Gets the number of records whose time was too far past event time to move it alone (more than the window plus the
    /// lateness): each waited for a later record to confirm it. A record no later one confirms (a clock years ahead, a
    /// forged time) never moves event time, so it cannot make the other records late. Records held before there is any
    /// event time (the first record, which a second one confirms, or the first few when they disagree) are not counted.
    /// </summary>
    public long EventTimeJumpsHeld
    {
        get => _eventTimeJumpsHeld;
        private set => Volatile.Write(ref _eventTimeJumpsHeld, value); // as WindowEvictions
    }

    /// <summary>Gets <see cref="WindowEvictions"/> from any thread (a recent value, for metrics).</summary>
    internal long WindowEvictionsNow => Volatile.Read(ref _windowEvictions);

    /// <summary>Gets <see cref="EventTimeJumpsHeld"/> from any thread (a recent value, for metrics).</summary>
    internal long EventTimeJumpsHeldNow => Volatile.Read(ref _eventTimeJumpsHeld);

    /// <summary>Gets the native memory this aggregator's tables hold now, freed or not yet finalized ones included (for the tests of <see cref="Dispose"/>).</summary>
    internal long NativeBytes => _budget.NativeBytes;

    /// <summary>Gets the native memory the open and spare group tables' entries take (see <c>GroupTable.Allocate</c>).</summary>
    internal long TableEntryBytes
    {
        get
        {
            var bytes = _spare?.EntryBytes ?? 0;
            foreach (var table in _tables)
            {
                bytes += table?.EntryBytes ?? 0;
            }

            return bytes;
        }
    }

    /// <summary>
    /// Gets or sets the processing time (any unit that grows; the pipeline uses milliseconds) that is stamped on a window's
    /// table when a record reaches it, for <see cref="CloseIdleWindows"/>. A clock sets it now and then: records read no clock.
    /// </summary>
    internal long ProcessingTime { get; set; }

    /// <summary>
    /// Gets the event time (Unix microseconds): the latest record time, except that a record more than the window plus the
    /// lateness ahead of it moves it only once a later record confirms the jump. <see cref="long.MinValue"/> before that.
    /// </summary>
    public long Watermark => _watermark;

    /// <summary>Evaluates a record and counts it into its groups when it is selected.</summary>
    /// <param name="record">The record.</param>
    /// <returns>Whether the rules selected it.</returns>
    public bool Add(in FlowRecord record)
    {
        RecordsAdded++;
        var time = record.TimestampMicroseconds;
        if (time > _watermark)
        {
            // Exact: time is above the watermark, so the difference fits in 64 unsigned bits.
            if ((ulong)(time - _watermark) <= _maxStep)
            {
                _watermark = time;
                if (time >= _nextClose)
                {
                    Advance(time);
                }
            }
            else
            {
                Jump(time);
            }
        }

        // The common record: one app value of at most 16 bytes (the evaluator's fast path); MismatchingValues and AllValues agree on it.
        var apps = record.Apps;
        var data = apps.Data;
        if (MismatchEvaluator.TryGetShortValue(data, apps.SeparatorPlusOne, out var raw0, out var raw1))
        {
            return AddShortValue(record, data, raw0, raw1);
        }

        if (data.IsEmpty)
        {
            return false; // no app value: not selected, in either grouping
        }

        return AddValues(record);
    }

    // Inlined into Add, the common record's only caller: no call frame of its own per record.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool AddShortValue(in FlowRecord record, ReadOnlySpan<byte> value, ulong raw0, ulong raw1)
    {
        var port = record.EffectiveDestinationPort;
        var transport = record.Transport;
        if (!_evaluator.TryMatchShort(raw0, raw1, value.Length, port, transport, out var rule, out var nameId)
            || (_evaluator.HasAddressExemptions && !TryMatchWithAddresses(record, value, ref rule)))
        {
            return false;
        }

        var table = TableFor(record.TimestampMicroseconds);
        ValuesCounted++;
        if (table.WindowStart == OwnRowWindow)
        {
            EmitOwnRow(table, record, value, port, transport, rule);
            RecordsSelected++;
            return true;
        }

        ref var known = ref _appIdsByName[nameId];
        if (known.Raw0 == raw0 && known.Raw1 == raw1 && known.Length == value.Length)
        {
            Enqueue(table, record, known.AppId, port, transport, rule);
        }
        else
        {
            CountNewSpelling(table, record, value, port, transport, rule, ref known, raw0, raw1);
        }

        RecordsSelected++;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryMatchWithAddresses(in FlowRecord record, ReadOnlySpan<byte> value, ref int rule)
        => _evaluator.TryMatch(value, record.EffectiveDestinationPort, record.Transport, record.SourceAddress, record.DestinationAddress, out rule);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CountNewSpelling(GroupTable table, in FlowRecord record, ReadOnlySpan<byte> value, int port, Transport transport, int rule, ref ShortAppId known, ulong raw0, ulong raw1)
    {
        if (_apps.TryIntern(value, out var appId))
        {
            known = new ShortAppId(raw0, raw1, value.Length, appId);
            Enqueue(table, record, appId, port, transport, rule);
        }
        else
        {
            CountInto(table, record, value, port, transport, rule);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool AddValues(in FlowRecord record)
    {
        var time = record.TimestampMicroseconds;
        var port = record.EffectiveDestinationPort;
        var transport = record.Transport;
        if (_allValues)
        {
            if (!_evaluator.IsMismatch(record))
            {
                return false;
            }

            var table = TableFor(time);
            var at = 0;
            foreach (var value in record.Apps)
            {
                _ = _evaluator.TryMatchInRecord(record.Apps, at++, value, port, transport, record.SourceAddress, record.DestinationAddress, out var rule);
                Count(table, record, value, port, transport, rule);
            }

            RecordsSelected++;
            return true;
        }

        GroupTable? target = null;
        var index = 0;
        foreach (var value in record.Apps)
        {
            if (_evaluator.TryMatchInRecord(record.Apps, index++, value, port, transport, record.SourceAddress, record.DestinationAddress, out var rule))
            {
                target ??= TableFor(time);
                Count(target, record, value, port, transport, rule);
            }
        }

        if (target is null)
        {
            return false;
        }

        RecordsSelected++;
        return true;
    }

    /// <summary>Adds a record pushed by a reader (the same as <see cref="Add(in FlowRecord)"/>).</summary>
    /// <param name="record">The record.</param>
    void IFlowRecordSink.OnRecord(in FlowRecord record) => Add(record);

    /// <summary>
    /// Closes (emits) every window, late tables included, that no record has reached since <see cref="ProcessingTime"/>
    /// was <paramref name="lastActiveBefore"/> or earlier: a quiet source still gets its rows, whatever its records' times.
    /// A record that arrives later for such a window opens it again; its rows add to the earlier ones. Event time is not changed.
    /// </summary>
    /// <param name="lastActiveBefore">The processing time before which a window's last record must have arrived.</param>
    /// <returns>The number of windows closed.</returns>
    internal int CloseIdleWindows(long lastActiveBefore)
    {
        if (_window == 0 || _windows.Count == 0)
        {
            return 0;
        }

        Drain();
        var closed = 0;
        for (var i = 0; i < _tables.Length; i++)
        {
            if (_tables[i] is { } table && table.LastActive < lastActiveBefore)
            {
                Close(table, partial: false);
                closed++;
            }
        }

        // _nextClose may now be earlier than the first open window's close: the next Advance finds that out, no harm.
        return closed;
    }

    /// <summary>
    /// Frees the native memory of the group tables now. Groups not emitted yet are dropped: call <see cref="Complete"/>
    /// first to get their rows. The aggregator is not to be used afterwards.
    /// </summary>
    public void Dispose()
    {
        _pendingCount = 0;
        ForgetTables();
        _spare?.Dispose();
        _spare = null;
        _ownLateRow?.Dispose();
        _ownLateRow = null;
        _ownPartialRow?.Dispose();
        _ownPartialRow = null;
        _groupCount = 0;
    }

    /// <summary>Emits every group that is still open (end of input), oldest window first. The aggregator can be used again.</summary>
    public void Complete()
    {
        Drain();
        if (_onlyTable is { } only)
        {
            Close(only, partial: false);
        }

        while (_starts.Count > 0)
        {
            Close(_windows[_starts.Min], partial: false);
        }

        _apps.Clear();
        ForgetAppIds();
        _nextClose = long.MaxValue;
    }
}
