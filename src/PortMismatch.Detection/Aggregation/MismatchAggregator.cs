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

    private readonly MismatchEvaluator _evaluator;
    private readonly IMismatchRowSink _sink;
    private readonly AppInternTable _apps;
    private readonly List<GroupTable> _open = [];
    private readonly long _window;
    private readonly long _lateness;
    private readonly int _maxGroups;
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

    /// <summary>Gets the number of selected records that arrived after their window was emitted (each value emitted at once in a late row).</summary>
    public long LateRecords { get; private set; }

    /// <summary>Gets the native memory the open and spare group tables' entries take (see <c>GroupTable.Allocate</c>).</summary>
    internal long TableEntryBytes
    {
        get
        {
            var bytes = _spare?.EntryBytes ?? 0;
            foreach (var table in _open)
            {
                bytes += table.EntryBytes;
            }

            return bytes;
        }
    }

    /// <summary>Gets the latest event time seen (Unix microseconds), or <see cref="long.MinValue"/> before the first record.</summary>
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
            _watermark = time;
            if (time >= _nextClose)
            {
                Advance(time);
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
        if (table.WindowStart == LateWindow)
        {
            EmitLate(record, value, port, transport, rule);
        }
        else
        {
            ref var known = ref _appIdsByName[nameId];
            if (known.Raw0 == raw0 && known.Raw1 == raw1 && known.Length == value.Length)
            {
                Enqueue(table, record, known.AppId, port, transport, rule);
            }
            else
            {
                CountNewSpelling(table, record, value, port, transport, rule, ref known, raw0, raw1);
            }

            RecordsSelected++; // CountSelected, without its test for the late marker
            return true;
        }

        CountSelected(table);
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

            CountSelected(table);
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

        CountSelected(target);
        return true;
    }

    private void CountSelected(GroupTable table)
    {
        RecordsSelected++;
        if (ReferenceEquals(table, _lateMarker))
        {
            LateRecords++;
        }
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
        foreach (var table in other._open)
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
                var target = _window == 0 ? TableFor(0) : OpenTable(table.WindowStart);
                switch (target.Merge(mine, stats, _groupCount < _maxGroups, out var full))
                {
                    case GroupTable.AddResult.Created:
                        _groupCount++;
                        break;
                    case GroupTable.AddResult.NoRoom:
                        EvictOldest();
                        _ = target.Merge(mine, stats, true, out _);
                        _groupCount++;
                        break;
                    case GroupTable.AddResult.Saturated:
                        Emit(target.WindowStart, mine, full, partial: true);
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
            || _open.Count != 1 || other._open.Count != 1 || _open[0].Count < parallelFrom || other._open[0].Count < parallelFrom
            || (long)_groupCount + other._groupCount > _maxGroups
            || (ulong)ValuesCounted + (ulong)other.ValuesCounted > Options.MaxCountPerGroup)
        {
            Merge(other);
            Complete();
            return;
        }

        var mine = _open[0];
        var theirs = other._open[0];

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
        _open.RemoveAt(0);
        NumberOpenTables();
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
        other._open.Clear();
        other.NumberOpenTables();
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
        other.RecordsAdded = other.RecordsSelected = other.ValuesCounted = other._rowsEmitted = 0;
        other._earlyEmissions = other.AppTableFlushes = other.LateRecords = 0;
        Advance(Math.Max(_watermark, other._watermark));
    }

    /// <summary>
    /// Moves event time forward without a record, closing (emitting) the windows whose end plus the allowed lateness it
    /// passes. A live source on a quiet network calls this from a clock so that its windows still close; a record that
    /// arrives later for a closed window is a late row, as always. Earlier times are ignored.
    /// </summary>
    /// <param name="eventTimeMicroseconds">The event time reached (Unix microseconds).</param>
    public void AdvanceTo(long eventTimeMicroseconds)
    {
        if (eventTimeMicroseconds > _watermark)
        {
            Advance(eventTimeMicroseconds);
        }
    }

    /// <summary>Emits every group that is still open (end of input), oldest window first. The aggregator can be used again.</summary>
    public void Complete()
    {
        Drain();
        while (_open.Count > 0)
        {
            CloseOldestWindow();
        }

        _apps.Clear();
        ForgetAppIds();
        _nextClose = long.MaxValue;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Count(GroupTable table, in FlowRecord record, ReadOnlySpan<byte> value, int port, Transport transport, int rule)
    {
        ValuesCounted++;
        if (table.WindowStart == LateWindow)
        {
            EmitLate(record, value, port, transport, rule);
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

            table = TableFor(record.TimestampMicroseconds);
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
        var table = _onlyTable ?? _open[pending.Table];
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
                _groupCount++;
                break;
            case GroupTable.AddResult.NoRoom:
                EvictOldest();
                _ = table.Add(pending.Key, hash, pending.Time, pending.Rule, pending.Transport, true, out _);
                _groupCount++;
                break;
            case GroupTable.AddResult.Saturated:
                Emit(table.WindowStart, pending.Key, full, partial: true);
                _earlyEmissions++;
                break;
        }
    }

    /// <summary>
    /// A count waiting for its group's slot to arrive in cache. The table is named by its index in <see cref="_open"/>
    /// (no object reference, so queuing a count needs no GC write barrier): the queue is drained before that list changes.
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

    private const long LateWindow = long.MinValue + 1;

    private GroupTable? _lateMarker;

    /// <summary>The table for a record's time: the single table, its open window, or a marker for "late".</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private GroupTable TableFor(long time) => _onlyTable ?? TableForWindow(time);

    // Out of line, as every path below the one-table case: inlined, they crowd the registers of Add's hot path.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private GroupTable TableForWindow(long time)
    {
        if (_window == 0)
        {
            if (_open.Count == 0)
            {
                Drain();
                _open.Add(RentTable(long.MinValue));
                NumberOpenTables();
            }

            return _open[0];
        }

        var start = FloorToWindow(time);
        if (start + _window + _lateness <= _watermark && !IsOpen(start))
        {
            return _lateMarker ??= new GroupTable(LateWindow, 1, 1);
        }

        return OpenTable(start);
    }

    private GroupTable OpenTable(long start)
    {
        var index = 0;
        while (index < _open.Count && _open[index].WindowStart < start)
        {
            index++;
        }

        if (index < _open.Count && _open[index].WindowStart == start)
        {
            return _open[index];
        }

        var table = RentTable(start);
        Drain();
        _open.Insert(index, table);
        NumberOpenTables();
        _nextClose = Math.Min(_nextClose, CloseTime(start));
        return table;
    }

    /// <summary>Tells each open table its index, by which queued counts name it (the queue is empty when this runs).</summary>
    private void NumberOpenTables()
    {
        for (var i = 0; i < _open.Count; i++)
        {
            _open[i].OpenIndex = i;
        }

        _onlyTable = _window == 0 && _open.Count == 1 ? _open[0] : null;
    }

    private bool IsOpen(long start)
    {
        foreach (var table in _open)
        {
            if (table.WindowStart == start)
            {
                return true;
            }
        }

        return false;
    }

    private void Advance(long time)
    {
        Drain();
        if (time > _watermark)
        {
            _watermark = time;
        }

        while (_window != 0 && _open.Count > 0 && CloseTime(_open[0].WindowStart) <= _watermark)
        {
            CloseOldestWindow();
        }

        _nextClose = _window != 0 && _open.Count > 0 ? CloseTime(_open[0].WindowStart) : long.MaxValue;
    }

    private long CloseTime(long start) => SaturatingAdd(SaturatingAdd(start, _window), _lateness);

    private static long SaturatingAdd(long a, long b) => b > 0 && a > long.MaxValue - b ? long.MaxValue : a + b;

    private long FloorToWindow(long time)
    {
        var remainder = time % _window;
        return remainder < 0 ? time - remainder - _window : time - remainder;
    }

    private void CloseOldestWindow()
    {
        Drain();
        var table = _open[0];
        _open.RemoveAt(0);
        NumberOpenTables();
        foreach (var (key, stats) in table.Groups())
        {
            Emit(table.WindowStart, key, stats, partial: false);
        }

        _groupCount -= table.Count;
        ReturnTable(table);
    }

    private void EvictOldest()
    {
        foreach (var table in _open)
        {
            if (table.Count > 0)
            {
                var (key, stats) = table.RemoveOldest();
                _groupCount--;
                Emit(table.WindowStart, key, stats, partial: true);
                _earlyEmissions++;
                return;
            }
        }
    }

    private bool TryMakeRoomForApp(ReadOnlySpan<byte> value, out int appId)
    {
        Drain();
        AppTableFlushes++;
        foreach (var table in _open)
        {
            foreach (var (key, stats) in table.Groups())
            {
                Emit(table.WindowStart, key, stats, partial: true);
                _earlyEmissions++;
            }

            _groupCount -= table.Count;
            table.Clear();
        }

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

    private void Emit(long windowStart, in GroupKey key, in GroupStats stats, bool partial)
    {
        _rowsEmitted++;
        _sink.OnRow(RowOf(windowStart, key, stats, partial));
    }

    /// <summary>A group's row, its app named from this aggregator's app table (which the row's key's id belongs to).</summary>
    private MismatchRow RowOf(long windowStart, in GroupKey key, in GroupStats stats, bool partial) => new(
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
    };

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
            return spare;
        }

        return new GroupTable(start, _maxGroups, Options.MaxCountPerGroup);
    }

    private void ReturnTable(GroupTable table)
    {
        table.Clear();
        _spare = table;
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
