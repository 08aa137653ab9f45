using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

// The prefetch queue: a count waits a few records while its group's slot is loaded, then is applied.
public sealed partial class MismatchAggregator
{
    /// <summary>
    /// How many counts wait between the prefetch of their group's slot and the update: enough for several cache misses
    /// to overlap when groups are spread over a table larger than the caches.
    /// </summary>
    private const int PipelineDepth = 8;

    private readonly Pending[] _pending = new Pending[PipelineDepth];
    private int _pendingHead;
    private int _pendingCount;

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
}
