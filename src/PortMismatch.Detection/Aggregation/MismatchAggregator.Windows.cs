using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

// Windows: the table of a record's time, event time, closing and evicting windows, and the tables' lifetime.
public sealed partial class MismatchAggregator
{
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
                    return _ownLateRow ??= new GroupTable(OwnRowWindow, 1, 1, _budget) { IsLate = true };
                }

                return _ownPartialRow ??= new GroupTable(OwnRowWindow, 1, 1, _budget);
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
            table?.Dispose();
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

        table.Dispose();
    }
}
