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
/// </summary>
public sealed class MismatchAggregator : IFlowRecordSink
{
    /// <summary>
    /// How many counts wait between the prefetch of their group's slot and the update: enough for several cache misses
    /// to overlap when groups are spread over a table larger than the caches.
    /// </summary>
    private const int PipelineDepth = 8;

    private static readonly ImmutableArray<Transport>[] TransportSets = CreateTransportSets();

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
    private readonly Pending[] _pending = new Pending[PipelineDepth];
    private int _pendingHead;
    private int _pendingCount;
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

        // The common record: one app value of at most 16 bytes (as in IsMismatch); MismatchingValues and AllValues agree on it.
        var apps = record.Apps;
        var data = apps.Data;
        if ((uint)(data.Length - 1) < AppNameTable.ShortKeyLength)
        {
            var (raw0, raw1) = AppNameTable.RawWords(data);
            if (!AppNameTable.MayContainSeparator(raw0, raw1, apps.SeparatorPlusOne))
            {
                return AddShortValue(record, data, raw0, raw1);
            }
        }
        else if (data.IsEmpty)
        {
            return false; // no app value: not selected, in either grouping
        }

        return AddValues(record);
    }

    // Inlined into Add, the common record's only caller: one call frame (six saved registers) fewer per record.
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
            foreach (var value in record.Apps)
            {
                _ = _evaluator.TryMatch(value, port, transport, record.SourceAddress, record.DestinationAddress, out var rule);
                Count(table, record, value, port, transport, rule);
            }

            RecordsSelected++;
            return true;
        }

        GroupTable? target = null;
        foreach (var value in record.Apps)
        {
            if (_evaluator.TryMatch(value, port, transport, record.SourceAddress, record.DestinationAddress, out var rule))
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
    /// Moves every group of <paramref name="other"/> into this aggregator (summing counts, keeping the earliest first and
    /// latest last time) and adds its counters; <paramref name="other"/> is left empty. Both must use the same rule set and options.
    /// </summary>
    /// <param name="other">The aggregator to merge in.</param>
    /// <exception cref="ArgumentException">The rule sets or the options differ.</exception>
    public void Merge(MismatchAggregator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this))
        {
            return;
        }

        if (!ReferenceEquals(other.Rules, Rules) || other.Options != Options)
        {
            throw new ArgumentException("Only aggregators with the same rule set and the same options can be merged.", nameof(other));
        }

        Drain();
        other.Drain();

        // The other's app ids mapped to this aggregator's, each interned once (0 = not yet; an id + 1 otherwise); a flush
        // of this app table (when it is full) renumbers the apps and empties the map.
        var appIds = new int[other._apps.Count];
        var flushes = AppTableFlushes;
        foreach (var table in other.OpenTablesInOrder())
        {
            foreach (var (key, stats) in table.Groups())
            {
                var appId = appIds[key.App] - 1;
                if (appId < 0)
                {
                    appId = Intern(other._apps.GetBytes(key.App));
                    if (AppTableFlushes != flushes)
                    {
                        Array.Clear(appIds);
                        flushes = AppTableFlushes;
                    }

                    appIds[key.App] = appId + 1;
                }

                var mine = key with { App = appId };
                var target = _window == 0 ? OnlyTable() : WindowTable(table.WindowStart, table.IsLate);
                if (target is null)
                {
                    // No room for its window (the farthest from event time, at the window bound): a partial row now.
                    Emit(table.WindowStart, mine, stats, partial: true, late: table.IsLate);
                    _earlyEmissions++;
                    continue;
                }

                switch (target.Merge(mine, stats, _groupCount < _maxGroups, out var full))
                {
                    case GroupTable.AddResult.Created:
                        GroupCreated(target);
                        break;
                    case GroupTable.AddResult.NoRoom:
                        MakeRoom(target);
                        _ = target.Merge(mine, stats, true, out _);
                        GroupCreated(target);
                        break;
                    case GroupTable.AddResult.Saturated:
                        Emit(target.WindowStart, mine, full, partial: true, late: target.IsLate);
                        _earlyEmissions++;
                        break;
                }
            }

            table.Clear();
        }

        TakeOver(other);
    }

    /// <summary>
    /// <see cref="Merge"/> then <see cref="Complete"/>, with the rows made on two threads when both hold at least
    /// <paramref name="parallelFrom"/> groups: this aggregator's groups (each merged with the other's same group) on one,
    /// the other's groups that this one lacks on the other; the rows are then emitted in the order Merge and Complete
    /// emit them, and both aggregators end as they would. Used when nothing can make the two differ: no windows, the
    /// groups of both within <see cref="AggregatorOptions.MaxGroups"/> (no eviction), the values counted by both within
    /// <see cref="AggregatorOptions.MaxCountPerGroup"/> (no group can fill up); otherwise it merges and completes as usual.
    /// </summary>
    internal void MergeAndComplete(MismatchAggregator other, int parallelFrom)
    {
        ArgumentNullException.ThrowIfNull(other);
        Drain();
        other.Drain();
        if (ReferenceEquals(other, this) || !ReferenceEquals(other.Rules, Rules) || other.Options != Options || _window != 0
            || _onlyTable is null || other._onlyTable is null || _onlyTable.Count < parallelFrom || other._onlyTable.Count < parallelFrom
            || (long)_groupCount + other._groupCount > _maxGroups
            || (ulong)ValuesCounted + (ulong)other.ValuesCounted > Options.MaxCountPerGroup)
        {
            Merge(other);
            Complete();
            return;
        }

        var mine = _onlyTable!;
        var theirs = other._onlyTable!;

        // The app ids of each table in the other's (-1: not there), found before the threads start: lookups only.
        var toTheirs = new int[_apps.Count];
        for (var id = 0; id < toTheirs.Length; id++)
        {
            toTheirs[id] = other._apps.Find(_apps.GetBytes(id));
        }

        var toMine = new int[other._apps.Count];
        int newApps = 0, newBytes = 0;
        for (var id = 0; id < toMine.Length; id++)
        {
            toMine[id] = _apps.Find(other._apps.GetBytes(id));
            if (toMine[id] < 0)
            {
                newApps++;
                newBytes += other._apps.GetBytes(id).Length;
            }
        }

        if (_apps.Count + newApps > Options.MaxAppValues || _apps.Bytes + newBytes > Options.MaxAppBytes)
        {
            Merge(other); // interning the other's apps would flush this app table: that path emits early
            Complete();
            return;
        }

        // Each thread reads both tables and writes only its own rows and its own app table's string cache.
        var merged = new MismatchRow[mine.Count];
        var added = new MismatchRow?[theirs.Count];
        Parallel.Invoke(
            () =>
            {
                for (var i = 0; i < merged.Length; i++)
                {
                    var (key, stats) = mine.GroupAt(i);
                    if (toTheirs[key.App] is var app and >= 0 && theirs.TryGet(key with { App = app }, out var more))
                    {
                        stats = GroupTable.Combine(stats, more);
                    }

                    merged[i] = RowOf(mine.WindowStart, key, stats, partial: false);
                }
            },
            () =>
            {
                for (var i = 0; i < added.Length; i++)
                {
                    var (key, stats) = theirs.GroupAt(i);
                    if (toMine[key.App] is not (var app and >= 0) || !mine.TryGet(key with { App = app }, out _))
                    {
                        added[i] = other.RowOf(theirs.WindowStart, key, stats, partial: false);
                    }
                }
            });

        // As Merge leaves them (the other's table emptied, its counters taken over, this one holding every group), then as
        // Complete goes on: the table out of the open list, its rows emitted, then returned.
        theirs.Clear();
        TakeOver(other);
        _groupCount = merged.Length + added.Count(row => row is not null);
        Unregister(mine);
        _rowsEmitted += _groupCount;
        if (_sink is IMismatchRowBatchSink batch)
        {
            batch.OnRows(merged);
            batch.OnRows(added);
        }
        else
        {
            foreach (var row in merged.Concat(added))
            {
                if (row is not null)
                {
                    _sink.OnRow(row);
                }
            }
        }

        _groupCount = 0;
        ReturnTable(mine);
        _apps.Clear();
        ForgetAppIds();
        _nextClose = long.MaxValue;
    }

    /// <summary>The end of a merge: the other is left empty, its counters added to these, event time the later of both.</summary>
    private void TakeOver(MismatchAggregator other)
    {
        other.ForgetTables();
        other._groupCount = 0;
        other._apps.Clear();
        other.ForgetAppIds();
        RecordsAdded += other.RecordsAdded;
        RecordsSelected += other.RecordsSelected;
        ValuesCounted += other.ValuesCounted;
        _rowsEmitted += other._rowsEmitted;
        _earlyEmissions += other._earlyEmissions;
        AppTableFlushes += other.AppTableFlushes;
        LateRecords += other.LateRecords;
        WindowEvictions += other.WindowEvictions;
        EventTimeJumpsHeld += other.EventTimeJumpsHeld;
        other.RecordsAdded = other.RecordsSelected = other.ValuesCounted = other._rowsEmitted = 0;
        other._earlyEmissions = other.AppTableFlushes = other.LateRecords = other.WindowEvictions = other.EventTimeJumpsHeld = 0;
        if (other._candidate != NoCandidate && (_candidate == NoCandidate || other._candidate < _candidate))
        {
            _candidate = other._candidate; // the smaller unconfirmed jump of the two
        }

        other._candidate = NoCandidate;
        Advance(Math.Max(_watermark, other._watermark));
    }

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Count(GroupTable table, in FlowRecord record, ReadOnlySpan<byte> value, int port, Transport transport, int rule)
    {
        ValuesCounted++;
        if (table.WindowStart == OwnRowWindow)
        {
            EmitOwnRow(table, record, value, port, transport, rule);
            return;
        }

        CountInto(table, record, value, port, transport, rule);
    }

    /// <summary>Counts a value into an open window's table: finds (or makes room for) its app id, then queues the count.</summary>
    private void CountInto(GroupTable table, in FlowRecord record, ReadOnlySpan<byte> value, int port, Transport transport, int rule)
    {
        int appId;
        if (value.SequenceEqual(_lastApp))
        {
            appId = _lastAppId;
        }
        else if (!_apps.TryIntern(value, out appId))
        {
            if (!TryMakeRoomForApp(value, out appId))
            {
                EmitLate(record, value, port, transport, rule, late: false);
                return;
            }
        }
        else
        {
            _lastApp = _apps.GetBytes(appId);
            _lastAppId = appId;
        }

        Enqueue(table, record, appId, port, transport, rule);
    }

    /// <summary>Queues the count and prefetches its group's entry; the oldest queued count is applied first when the queue is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Enqueue(GroupTable table, in FlowRecord record, int appId, int port, Transport transport, int rule)
    {
        // Applied first, the oldest count frees its place for this one, and no part of this record's key is live across it.
        if (_pendingCount == PipelineDepth)
        {
            ApplyOldestPending();
        }

        // In range: the index is masked to the queue's length (a power of two). The key is built in place.
        ref var pending = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_pending), (_pendingHead + _pendingCount) & (PipelineDepth - 1));
        var source = record.SourceAddress;
        var destination = record.DestinationAddress;
        pending.Key = GroupKey.Create(source, destination, appId, port);
        pending.Slot = table.Prefetch(GroupKey.HashOf(source.High, source.Low, destination.High, destination.Low, appId, (ushort)port, source.Kind, destination.Kind));
        pending.Time = record.TimestampMicroseconds;
        pending.Rule = rule;
        pending.Transport = transport;
        pending.Table = table.OpenIndex;
        _pendingCount++;
    }

    private void ForgetAppIds()
    {
        _lastApp = [];
        Array.Clear(_appIdsByName);
    }

    /// <summary>Applies every waiting count: before anything reads or clears the tables or the app table.</summary>
    private void Drain()
    {
        while (_pendingCount > 0)
        {
            ApplyOldestPending();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ApplyOldestPending()
    {
        ref var pending = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_pending), _pendingHead);
        _pendingHead = (_pendingHead + 1) & (PipelineDepth - 1);
        _pendingCount--;
        var table = _onlyTable ?? _tables[pending.Table]!;
        if (!table.TryCount(pending.Key, pending.Slot, pending.Time, pending.Rule, pending.Transport))
        {
            ApplyNewOrFull(table, pending);
        }
    }

    /// <summary>
    /// Applies a count the short path left: its group is new (with or without room), its group's count is full, or the
    /// slot guessed for it was stale or another group's.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ApplyNewOrFull(GroupTable table, in Pending pending)
    {
        var hash = pending.Key.Hash();
        switch (table.Add(pending.Key, hash, pending.Time, pending.Rule, pending.Transport, _groupCount < _maxGroups, out var full))
        {
            case GroupTable.AddResult.Created:
                GroupCreated(table);
                break;
            case GroupTable.AddResult.NoRoom:
                MakeRoom(table);
                _ = table.Add(pending.Key, hash, pending.Time, pending.Rule, pending.Transport, true, out _);
                GroupCreated(table);
                break;
            case GroupTable.AddResult.Saturated:
                Emit(table.WindowStart, pending.Key, full, partial: true, late: table.IsLate);
                _earlyEmissions++;
                break;
        }
    }

    /// <summary>
    /// A count waiting for its group's slot to arrive in cache. The table is named by its index in <see cref="_tables"/>
    /// (no object reference, so queuing a count needs no GC write barrier): the queue is drained before a table leaves it.
    /// </summary>
    private struct Pending
    {
        public GroupKey Key;
        public long Time;
        public int Slot; // where the group most likely is (see GroupTable.Prefetch)
        public int Rule;
        public int Table;
        public Transport Transport; // last, so that the struct is 64 bytes
    }

    /// <summary>The id in the app table of one spelling of a rule-set app name, with that spelling's key words.</summary>
    private readonly record struct ShortAppId(ulong Raw0, ulong Raw1, int Length, int AppId);

    /// <summary>The <see cref="GroupTable.WindowStart"/> of the markers that send a value to a row of its own.</summary>
    private const long OwnRowWindow = long.MinValue + 1;

    /// <summary>The table for a record's time: the single table, its window's (open, or late), or a marker (no room).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private GroupTable TableFor(long time) => _onlyTable ?? TableForWindow(time);

    // Out of line, as every path below the one-table case: inlined, they crowd the registers of Add's hot path.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private GroupTable TableForWindow(long time)
    {
        if (_window == 0)
        {
            return OnlyTable();
        }

        // Most records fall in the window of the one before: no division, no lookup. Exact: when time is below the
        // start the difference wraps to a value above any window.
        if (_lastTable is { } last && (ulong)(time - _lastStart) < (ulong)_window)
        {
            last.LastActive = ProcessingTime;
            if (last.IsLate)
            {
                LateRecords++;
            }

            return last;
        }

        return FindWindow(time);
    }

    /// <summary>The table of a record's window: open, opened (late if event time has closed it), or a marker when there is no room.</summary>
    private GroupTable FindWindow(long time)
    {
        var start = FloorToWindow(time);
        if (!_windows.TryGetValue(start, out var table))
        {
            var late = CloseTime(start) <= _watermark;
            if (OpenWindow(start, late) is not { } opened)
            {
                if (late)
                {
                    LateRecords++;
                    return _ownLateRow ??= new GroupTable(OwnRowWindow, 1, 1) { IsLate = true };
                }

                return _ownPartialRow ??= new GroupTable(OwnRowWindow, 1, 1);
            }

            table = opened;
        }

        table.LastActive = ProcessingTime;
        if (table.IsLate)
        {
            LateRecords++;
        }

        _lastTable = table;
        _lastStart = start;
        return table;
    }

    /// <summary>The one table without windows, made when the first record needs it.</summary>
    private GroupTable OnlyTable()
    {
        if (_onlyTable is null)
        {
            var table = RentTable(long.MinValue);
            Register(table);
            _onlyTable = table;
        }

        return _onlyTable;
    }

    /// <summary>The table of a window, for a merge: open, or opened (late if either side had closed it); null when there is no room.</summary>
    private GroupTable? WindowTable(long start, bool late)
        => _windows.TryGetValue(start, out var table) ? table : OpenWindow(start, late || CloseTime(start) <= _watermark);

    /// <summary>
    /// Opens a window (a late table when <paramref name="late"/>: a window event time has closed, which late records reopen
    /// and the next close emits again). At <see cref="AggregatorOptions.MaxOpenWindows"/> the window farthest from event
    /// time is emitted early to make room, unless it is this one: then null, and its records become rows of their own.
    /// </summary>
    private GroupTable? OpenWindow(long start, bool late)
    {
        if (_windows.Count >= _maxWindows && !MakeRoomForWindow(start))
        {
            return null;
        }

        var table = RentTable(start);
        table.IsLate = late;
        table.LastActive = ProcessingTime;
        Register(table);
        _windows.Add(start, table);
        _starts.Add(start);
        if (!late && CloseTime(start) < _nextClose)
        {
            _nextClose = CloseTime(start);
        }

        return table;
    }

    /// <summary>
    /// Emits the open window farthest from event time as partial rows, when the new window at <paramref name="start"/> is
    /// nearer. Records far ahead of event time (a forged or broken clock) or far behind it open the farthest windows, so
    /// those go first, and the windows that ordinary traffic fills, around event time, stay; among ordinary windows the
    /// farthest is the oldest, the next to close anyway.
    /// </summary>
    private bool MakeRoomForWindow(long start)
    {
        // The queued counts first: one of them may empty a window, which then closes by itself.
        Drain();
        if (_windows.Count < _maxWindows)
        {
            return true;
        }

        var farthest = Farthest(_starts);
        if (Distance(start) >= Distance(farthest))
        {
            return false;
        }

        var table = _windows[farthest];
        WindowEvictions++;
        Close(table, partial: true);
        return true;
    }

    /// <summary>Of a set of window starts, the one farthest from event time (or, before there is one, from the jump waiting).</summary>
    private long Farthest(SortedSet<long> starts)
    {
        var min = starts.Min;
        var max = starts.Max;
        return Distance(min) >= Distance(max) ? min : max;
    }

    private ulong Distance(long start)
    {
        var now = _watermark != long.MinValue ? _watermark : _candidate != NoCandidate ? _candidate : 0;
        return start >= now ? (ulong)(start - now) : (ulong)(now - start);
    }

    /// <summary>Gives a table an index by which queued counts name it, kept while it is open.</summary>
    private void Register(GroupTable table)
    {
        int index;
        if (_freeIndices.Count > 0)
        {
            index = _freeIndices.Pop();
        }
        else
        {
            index = _nextIndex++;
            if (index == _tables.Length)
            {
                Array.Resize(ref _tables, _tables.Length * 2);
            }
        }

        _tables[index] = table;
        table.OpenIndex = index;
    }

    /// <summary>Removes a table from every index (no count may be queued for it: drain first).</summary>
    private void Unregister(GroupTable table)
    {
        _tables[table.OpenIndex] = null;
        _freeIndices.Push(table.OpenIndex);
        if (ReferenceEquals(table, _onlyTable))
        {
            _onlyTable = null;
            return;
        }

        _windows.Remove(table.WindowStart);
        _starts.Remove(table.WindowStart);
        _filled.Remove(table.WindowStart);
        if (ReferenceEquals(table, _lastTable))
        {
            _lastTable = null;
        }
    }

    /// <summary>Frees every table (their groups were moved or emitted): a merged aggregator starts empty.</summary>
    private void ForgetTables()
    {
        foreach (var table in _tables)
        {
            table?.Free();
        }

        _windows.Clear();
        _starts.Clear();
        _filled.Clear();
        Array.Clear(_tables);
        _freeIndices.Clear();
        _nextIndex = 0;
        _onlyTable = null;
        _lastTable = null;
        _nextClose = long.MaxValue;
    }

    /// <summary>The tables open now, oldest window first.</summary>
    private List<GroupTable> OpenTablesInOrder()
    {
        var tables = new List<GroupTable>(_windows.Count + 1);
        if (_onlyTable is { } only)
        {
            tables.Add(only);
        }

        foreach (var start in _starts)
        {
            tables.Add(_windows[start]);
        }

        return tables;
    }

    /// <summary>A group was created in <paramref name="table"/>: counted, and its window noted as holding groups.</summary>
    private void GroupCreated(GroupTable table)
    {
        _groupCount++;
        if (table.Count == 1 && !ReferenceEquals(table, _onlyTable))
        {
            _filled.Add(table.WindowStart);
        }
    }

    /// <summary>
    /// A record far past event time (more than a window plus the lateness). It moves event time only when a later record
    /// confirms it, by reaching at least a step before it; until then it is the candidate, and of two the smaller is kept,
    /// so that one far-future record cannot hold back or displace a real jump, and sparse records still move event time
    /// (each confirms the one before). A candidate that event time has come near is forgotten: it no longer jumps.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Jump(long time)
    {
        if (_candidate != NoCandidate && (_candidate <= _watermark || (ulong)(_candidate - _watermark) <= _maxStep))
        {
            _candidate = NoCandidate;
        }

        if (_candidate != NoCandidate && (time >= _candidate || (ulong)(_candidate - time) <= _maxStep))
        {
            // Confirmed: event time moves to the candidate, then on to this record's time unless that jumps again.
            var confirmed = _candidate;
            _candidate = NoCandidate;
            MoveTo(confirmed);
            if (time <= _watermark)
            {
                return;
            }

            if ((ulong)(time - _watermark) <= _maxStep)
            {
                MoveTo(time);
                return;
            }
        }

        // Held: the first jump, one well before the candidate (which may be the outlier), or a jump past the confirmed one.
        // Before the first event time every record is held (there is nothing to measure the step from): not a jump.
        _candidate = time;
        if (_watermark != long.MinValue)
        {
            EventTimeJumpsHeld++;
        }
    }

    private void MoveTo(long time)
    {
        _watermark = time;
        if (time >= _nextClose)
        {
            Advance(time);
        }
    }

    private void Advance(long time)
    {
        Drain();
        if (time > _watermark)
        {
            _watermark = time;
        }

        // Late tables sort first (their windows are older than every open one): the first close emits them too.
        while (_starts.Count > 0 && CloseTime(_starts.Min) <= _watermark)
        {
            Close(_windows[_starts.Min], partial: false);
        }

        _nextClose = _starts.Count > 0 ? CloseTime(_starts.Min) : long.MaxValue;
    }

    private long CloseTime(long start) => SaturatingAdd(SaturatingAdd(start, _window), _lateness);

    private static long SaturatingAdd(long a, long b) => b > 0 && a > long.MaxValue - b ? long.MaxValue : a + b;

    /// <summary>The start of the window holding <paramref name="time"/>; the first window begins at <see cref="long.MinValue"/>.</summary>
    private long FloorToWindow(long time)
    {
        var remainder = time % _window;
        if (remainder >= 0)
        {
            return time - remainder;
        }

        // Below zero the window starts one window below time - remainder; near long.MinValue that does not exist.
        var up = time - remainder;
        return up < long.MinValue + _window ? long.MinValue : up - _window;
    }

    /// <summary>
    /// Emits a table's groups (oldest first) and removes it: a window closing, or emitted early (partial). The caller has
    /// applied the queued counts (<see cref="Drain"/>) before it chose the table: applying one can close a window.
    /// </summary>
    private void Close(GroupTable table, bool partial)
    {
        Unregister(table);
        foreach (var (key, stats) in table.Groups())
        {
            Emit(table.WindowStart, key, stats, partial, table.IsLate);
        }

        if (partial)
        {
            _earlyEmissions += table.Count;
        }

        _groupCount -= table.Count;
        ReturnTable(table);
    }

    /// <summary>
    /// Makes room in <paramref name="into"/> for a new group: at the group bound the oldest group of the window farthest
    /// from event time goes (<see cref="EvictOldest"/>); then, while the table is full and the budget lacks the slots its
    /// growth needs, the window farthest from event time that holds groups gives all of them up as partial rows and its
    /// slots back (<see cref="WindowEvictions"/>), or, when that is this window, its oldest group goes.
    /// </summary>
    private void MakeRoom(GroupTable into)
    {
        if (_groupCount >= _maxGroups)
        {
            EvictOldest(into);
        }

        while (!into.HasRoomForNewGroup)
        {
            var farthest = _windows[Farthest(_filled)];
            if (ReferenceEquals(farthest, into))
            {
                EvictOldest(into);
                return;
            }

            WindowEvictions++;
            _earlyEmissions += farthest.Count;
            _groupCount -= farthest.Count;
            foreach (var (key, stats) in farthest.Groups())
            {
                Emit(farthest.WindowStart, key, stats, partial: true, farthest.IsLate);
            }

            Emptied(farthest, into);
        }
    }

    /// <summary>
    /// At the group bound: emits the oldest group of the window farthest from event time that holds one, as a partial row
    /// (without windows, of the one table). So that groups in windows far ahead or behind go before those of the present.
    /// </summary>
    /// <param name="into">The table the new group goes into, which stays open (see <see cref="Emptied"/>).</param>
    private void EvictOldest(GroupTable into)
    {
        var table = _onlyTable ?? _windows[Farthest(_filled)];
        var (start, late) = (table.WindowStart, table.IsLate);
        var (key, stats) = table.RemoveOldest();
        _groupCount--;
        if (table.Count == 0 && !ReferenceEquals(table, _onlyTable))
        {
            Emptied(table, into);
        }

        Emit(start, key, stats, partial: true, late);
        _earlyEmissions++;
    }

    /// <summary>
    /// A window's table has no group left (its groups were evicted or flushed): the window is closed, with no row to
    /// emit, and its table freed, so that drained windows do not hold their memory until event time closes them; a later
    /// record opens the window again. A table something still refers to (the record being added, a count queued for it,
    /// the target of a new group) stays open instead, shrunk to its first slots.
    /// </summary>
    private void Emptied(GroupTable table, GroupTable? into)
    {
        _filled.Remove(table.WindowStart);
        if (IsHeld(table, into))
        {
            table.Shrink();
            return;
        }

        Unregister(table);
        ReturnTable(table);
    }

    /// <summary>Whether a table must stay open: the record being added or a new group goes into it, or a queued count names it.</summary>
    private bool IsHeld(GroupTable table, GroupTable? into)
    {
        if (ReferenceEquals(table, into) || ReferenceEquals(table, _lastTable))
        {
            return true;
        }

        for (var i = 0; i < _pendingCount; i++)
        {
            if (_pending[(_pendingHead + i) & (PipelineDepth - 1)].Table == table.OpenIndex)
            {
                return true;
            }
        }

        return false;
    }

    private bool TryMakeRoomForApp(ReadOnlySpan<byte> value, out int appId)
    {
        Drain();
        AppTableFlushes++;
        foreach (var table in OpenTablesInOrder())
        {
            foreach (var (key, stats) in table.Groups())
            {
                Emit(table.WindowStart, key, stats, partial: true, table.IsLate);
                _earlyEmissions++;
            }

            // Without windows the one table stays as it is, empty: callers hold it for the record in hand. A window's table
            // is closed unless it is that record's (nothing is queued: drained above).
            _groupCount -= table.Count;
            if (ReferenceEquals(table, _onlyTable))
            {
                table.Clear();
            }
            else
            {
                Emptied(table, into: null);
            }
        }

        _filled.Clear();
        _apps.Clear();
        ForgetAppIds();
        return _apps.TryIntern(value, out appId);
    }

    private int Intern(ReadOnlySpan<byte> value)
    {
        if (_apps.TryIntern(value, out var id) || TryMakeRoomForApp(value, out id))
        {
            return id;
        }

        throw new InvalidOperationException("An app value is larger than MaxAppBytes.");
    }

    private void Emit(long windowStart, in GroupKey key, in GroupStats stats, bool partial, bool late = false)
    {
        _rowsEmitted++;
        _sink.OnRow(RowOf(windowStart, key, stats, partial, late));
    }

    /// <summary>A group's row, its app named from this aggregator's app table (which the row's key's id belongs to).</summary>
    private MismatchRow RowOf(long windowStart, in GroupKey key, in GroupStats stats, bool partial, bool late = false) => new(
        key.Source,
        key.Destination,
        _apps.GetString(key.App),
        key.Port,
        stats.Count,
        stats.First,
        stats.Last,
        stats.Rule >= 0 ? Rules[stats.Rule] : null,
        TransportSets[stats.Transports & 0xF])
    {
        WindowStartMicroseconds = _window == 0 ? null : windowStart,
        WindowEndMicroseconds = _window == 0 ? null : SaturatingAdd(windowStart, _window),
        IsPartial = partial,
        IsLate = late,
    };

    /// <summary>A value whose window has no room (see <see cref="OpenWindow"/>): a row of its own, late or partial as its marker says.</summary>
    private void EmitOwnRow(GroupTable marker, in FlowRecord record, ReadOnlySpan<byte> value, int port, Transport transport, int rule)
        => EmitLate(record, value, port, transport, rule, late: marker.IsLate);

    /// <summary>A record that cannot join a group (late, or an app value beyond every bound) still becomes a row of its own.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EmitLate(in FlowRecord record, ReadOnlySpan<byte> value, int port, Transport transport, int rule, bool late = true)
    {
        if (!late)
        {
            _earlyEmissions++;
        }

        var time = record.TimestampMicroseconds;
        var start = _window == 0 ? 0 : FloorToWindow(time);
        _rowsEmitted++;
        _sink.OnRow(new MismatchRow(
            record.SourceAddress,
            record.DestinationAddress,
            AppText.FromUtf8(value),
            port,
            1,
            time,
            time,
            rule >= 0 ? Rules[rule] : null,
            TransportSets[1 << (int)transport])
        {
            WindowStartMicroseconds = _window == 0 ? null : start,
            WindowEndMicroseconds = _window == 0 ? null : SaturatingAdd(start, _window),
            IsLate = late,
            IsPartial = !late,
        });
    }

    private GroupTable RentTable(long start)
    {
        if (_spare is { } spare)
        {
            _spare = null;
            spare.WindowStart = start;
            spare.IsLate = false;
            return spare;
        }

        return new GroupTable(start, _maxGroups, Options.MaxCountPerGroup, _budget);
    }

    /// <summary>
    /// A closed table: kept as the spare for the next window when it is small (its first slots) and there is none, freed
    /// at once otherwise, so that a closed table's memory and slots never wait for a collection.
    /// </summary>
    private void ReturnTable(GroupTable table)
    {
        if (_spare is null && table.Capacity == table.FirstCapacity)
        {
            table.Clear();
            _spare = table;
            return;
        }

        table.Free();
    }

    private static ImmutableArray<Transport>[] CreateTransportSets()
    {
        var sets = new ImmutableArray<Transport>[16];
        for (var mask = 0; mask < 16; mask++)
        {
            var builder = ImmutableArray.CreateBuilder<Transport>();
            for (var t = 0; t < 4; t++)
            {
                if ((mask & (1 << t)) != 0)
                {
                    builder.Add((Transport)t);
                }
            }

            sets[mask] = builder.ToImmutable();
        }

        return sets;
    }
}
