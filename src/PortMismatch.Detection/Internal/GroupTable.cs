using System.Runtime.CompilerServices;

namespace PortMismatch.Detection.Internal;

/// <summary>The grouping key of the search: (src_ip, dest_ip, app, dest_port), with the app as an interned id.</summary>
internal readonly record struct GroupKey(
    ulong SourceHigh, ulong SourceLow, ulong DestinationHigh, ulong DestinationLow, int App, ushort Port, byte SourceKind, byte DestinationKind)
{
    public static GroupKey Create(IPAddressValue source, IPAddressValue destination, int app, int port)
        => new(source.High, source.Low, destination.High, destination.Low, app, (ushort)port, source.Kind, destination.Kind);

    public IPAddressValue Source => IPAddressValue.FromParts(SourceHigh, SourceLow, SourceKind);

    public IPAddressValue Destination => IPAddressValue.FromParts(DestinationHigh, DestinationLow, DestinationKind);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Hash() => HashCode.Combine(SourceHigh ^ (SourceLow * 31), DestinationHigh ^ (DestinationLow * 31), App | (Port << 16) | (SourceKind << 24) | (DestinationKind << 28)) & int.MaxValue;
}

/// <summary>
/// The statistics of one group: count, min and max time, the lowest rule index seen (order-independent) and the transports
/// seen as a bit mask.
/// </summary>
internal struct GroupStats
{
    public long Count;
    public long First;
    public long Last;
    public int Rule;
    public byte Transports;

    public static GroupStats Of(long time, int rule, Transport transport)
        => new() { Count = 1, First = time, Last = time, Rule = rule, Transports = (byte)(1 << (int)transport) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(long time, int rule, Transport transport)
    {
        Count++;
        if (time < First)
        {
            First = time;
        }

        if (time > Last)
        {
            Last = time;
        }

        if ((uint)rule < (uint)Rule)
        {
            Rule = rule;
        }

        Transports |= (byte)(1 << (int)transport);
    }

    public void Merge(in GroupStats other)
    {
        Count += other.Count;
        First = Math.Min(First, other.First);
        Last = Math.Max(Last, other.Last);
        if ((uint)other.Rule < (uint)Rule)
        {
            Rule = other.Rule;
        }

        Transports |= other.Transports;
    }
}

/// <summary>
/// Groups of one window in a chained hash table whose entries live in a ring buffer in creation order, so the oldest
/// group is always at the head and can be emitted first when the aggregator reaches its group bound.
/// 80 bytes an entry plus 4 to 8 bytes of buckets; the ring never grows past the group bound.
/// </summary>
internal sealed class GroupTable
{
    private Entry[] _entries;
    private int[] _buckets; // slot + 1, 0 = end of chain
    private int _head;

    public GroupTable(long windowStart, int initialCapacity)
    {
        WindowStart = windowStart;
        _entries = new Entry[initialCapacity];
        _buckets = new int[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)initialCapacity)];
    }

    public long WindowStart { get; set; }

    public int Count { get; private set; }

    /// <summary>Adds one record to its group; returns false when the group is new and <paramref name="mayCreate"/> is false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAdd(in GroupKey key, long time, int rule, Transport transport, bool mayCreate, int maxCapacity)
    {
        var hash = key.Hash();
        var entries = _entries;
        var slot = _buckets[hash & (_buckets.Length - 1)] - 1;
        while (slot >= 0)
        {
            ref var entry = ref entries[slot];
            if (entry.Hash == hash && entry.Key == key)
            {
                entry.Stats.Add(time, rule, transport);
                return true;
            }

            slot = entry.Next - 1;
        }

        if (!mayCreate)
        {
            return false;
        }

        if (Count == _entries.Length)
        {
            Grow(maxCapacity);
        }

        Append(key, hash, GroupStats.Of(time, rule, transport));
        return true;
    }

    /// <summary>Merges a group in (used by merge); false when it is new and <paramref name="mayCreate"/> is false.</summary>
    public bool TryMerge(in GroupKey key, in GroupStats stats, bool mayCreate, int maxCapacity)
    {
        var hash = key.Hash();
        var slot = _buckets[hash & (_buckets.Length - 1)] - 1;
        while (slot >= 0)
        {
            ref var entry = ref _entries[slot];
            if (entry.Hash == hash && entry.Key == key)
            {
                entry.Stats.Merge(stats);
                return true;
            }

            slot = entry.Next - 1;
        }

        if (!mayCreate)
        {
            return false;
        }

        if (Count == _entries.Length)
        {
            Grow(maxCapacity);
        }

        Append(key, hash, stats);
        return true;
    }

    /// <summary>Removes and returns the oldest group.</summary>
    public (GroupKey Key, GroupStats Stats) RemoveOldest()
    {
        var slot = _head;
        ref var entry = ref _entries[slot];
        ref var link = ref _buckets[entry.Hash & (_buckets.Length - 1)];
        while (link - 1 != slot)
        {
            link = ref _entries[link - 1].Next;
        }

        link = entry.Next;
        var result = (entry.Key, entry.Stats);
        entry = default;
        _head = _head + 1 == _entries.Length ? 0 : _head + 1;
        Count--;
        return result;
    }

    /// <summary>Visits every group, oldest first.</summary>
    public IEnumerable<(GroupKey Key, GroupStats Stats)> Groups()
    {
        for (var i = 0; i < Count; i++)
        {
            var entry = _entries[Slot(i)];
            yield return (entry.Key, entry.Stats);
        }
    }

    public void Clear()
    {
        Array.Clear(_entries);
        Array.Clear(_buckets);
        _head = 0;
        Count = 0;
    }

    private void Append(in GroupKey key, int hash, in GroupStats stats)
    {
        var slot = Slot(Count);
        ref var bucket = ref _buckets[hash & (_buckets.Length - 1)];
        _entries[slot] = new Entry { Key = key, Hash = hash, Stats = stats, Next = bucket };
        bucket = slot + 1;
        Count++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(int index)
    {
        var slot = _head + index;
        return slot >= _entries.Length ? slot - _entries.Length : slot;
    }

    /// <summary>Doubles the ring, but never past the aggregator's group bound, so a full table has no slack.</summary>
    private void Grow(int maxCapacity)
    {
        var capacity = Math.Max(_entries.Length + 1, Math.Min(_entries.Length * 2, maxCapacity));
        var old = _entries;
        var oldHead = _head;
        var count = Count;
        _entries = new Entry[capacity];
        var buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        if (buckets != _buckets.Length)
        {
            _buckets = new int[buckets];
        }
        else
        {
            Array.Clear(_buckets);
        }

        _head = 0;
        Count = 0;
        for (var i = 0; i < count; i++)
        {
            var at = oldHead + i;
            ref var entry = ref old[at >= old.Length ? at - old.Length : at];
            Append(entry.Key, entry.Hash, entry.Stats);
        }
    }

    private struct Entry
    {
        public GroupKey Key;
        public GroupStats Stats;
        public int Hash;
        public int Next; // slot + 1, 0 = end of chain
    }
}
