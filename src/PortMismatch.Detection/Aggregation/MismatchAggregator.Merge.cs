using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

// Merging: the groups of another aggregator (of another source or thread) summed into this one.
public sealed partial class MismatchAggregator
{
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
}
