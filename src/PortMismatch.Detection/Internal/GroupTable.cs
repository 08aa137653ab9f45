using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PortMismatch.Detection.Internal;

/// <summary>The grouping key of the search: (src_ip, dest_ip, app, dest_port), with the app as an interned id.</summary>
internal readonly record struct GroupKey(
    ulong SourceHigh, ulong SourceLow, ulong DestinationHigh, ulong DestinationLow, int App, ushort Port, byte SourceKind, byte DestinationKind)
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GroupKey Create(in IPAddressValue source, in IPAddressValue destination, int app, int port)
        => new(source.High, source.Low, destination.High, destination.Low, app, (ushort)port, source.Kind, destination.Kind);

    public IPAddressValue Source => IPAddressValue.FromParts(SourceHigh, SourceLow, SourceKind);

    public IPAddressValue Destination => IPAddressValue.FromParts(DestinationHigh, DestinationLow, DestinationKind);

    // Random per process, so that crafted keys cannot aim at one slot (as HashCode's seed; HashCode itself takes several
    // times the instructions of these multiplications for a key of this size).
    private static readonly ulong Seed0 = (ulong)Random.Shared.NextInt64() | 1;
    private static readonly ulong Seed1 = (ulong)Random.Shared.NextInt64() | 1;
    private static readonly ulong Seed2 = (ulong)Random.Shared.NextInt64() | 1;
    private static readonly ulong Seed3 = (ulong)Random.Shared.NextInt64() | 1;
    private static readonly ulong Seed4 = (ulong)Random.Shared.NextInt64() | 1;

    /// <summary>
    /// A well-mixed 32-bit hash, seeded per process: full 64x64-bit products of the seeded key words, folded (the mixing
    /// step of wyhash), so every key bit reaches the high bits that pick the slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Hash() => HashOf(SourceHigh, SourceLow, DestinationHigh, DestinationLow, App, Port, SourceKind, DestinationKind);

    /// <summary>The <see cref="Hash"/> of a key from its parts, for a caller that holds them in registers.</summary>
    /// <remarks>
    /// Each address word goes into a seeded product of its own before anything is combined: keys that differ only in
    /// words that cancel out when combined unseeded (the high words of two IPv6 addresses, joined by XOR) would otherwise
    /// collide whatever the seed, and a sender of spoofed flows could put any number of them in one probe sequence.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint HashOf(ulong sourceHigh, ulong sourceLow, ulong destinationHigh, ulong destinationLow, int app, ushort port, byte sourceKind, byte destinationKind)
    {
        var rest = (ulong)(uint)app | ((ulong)port << 32) | ((ulong)sourceKind << 48) | ((ulong)destinationKind << 56);
        var low = Mix(sourceLow ^ Seed0, destinationLow ^ Seed1);
        var high = Mix(sourceHigh ^ Seed2, destinationHigh ^ Seed3);
        var h = Mix(low ^ rest, high ^ Seed4);
        return (uint)(h ^ (h >> 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong a, ulong b)
    {
        // The high half from MULX and the low half from a second multiplication: Math.BigMul's out parameter makes the
        // JIT store the low half to the stack and load it back.
        if (Bmi2.X64.IsSupported)
        {
            return Bmi2.X64.MultiplyNoFlags(a, b) ^ (a * b);
        }

        var high = Math.BigMul(a, b, out var low);
        return high ^ low;
    }
}

/// <summary>The statistics of one group: count, min and max time, the lowest rule index seen (order-independent), transports seen.</summary>
internal struct GroupStats
{
    public long Count;
    public long First;
    public long Last;
    public int Rule;
    public byte Transports;
}

/// <summary>
/// Groups of one window. Entries are 64 bytes and live in an open-addressing table (linear probing); a tag byte per slot,
/// in an array of its own, lets <see cref="Prefetch"/> find the slot a key most likely has from 16 tags at once, so that
/// counting into a group touches one entry, one cache miss, started early. A ring of slot indices remembers creation
/// order, so the oldest group can be emitted first when the aggregator reaches its bound, and each slot knows its place
/// in the ring. At most 80 % of the slots are used, and the table never grows past what the group bound needs: at the
/// bound a group costs at most (64 + 1 + 4 + 4) / 0.8 = 91.25 bytes.
/// </summary>
/// <remarks>
/// A removed group leaves no tombstone: the entries after it in its probe run move back into the gap (backward-shift
/// deletion), so the table holds only live entries and empty slots. Past the group bound every new group first removes
/// the oldest, and that must not cost a pass over the table: a removal costs the rest of its probe run (a few slots at
/// 80 % load), and the table is rebuilt only when it grows.
/// </remarks>
internal sealed class GroupTable : IDisposable
{
    private const byte Empty = 0;
    private const byte Live = 1;

    /// <summary>Tags past the last slot repeat the first ones, so that 16 tags can be read from any slot without wrapping.</summary>
    private const int TagPadding = 15;

    /// <summary>
    /// Slots of a new table: small, as a window can hold a handful of groups and thousands of windows can be open (512
    /// bytes of entries each); a busy table grows by doubling, a few rehashes more than from 64.
    /// </summary>
    private const int InitialCapacity = 8;

    private readonly int _maxCapacity;
    private readonly uint _maxCount;
    private readonly TableBudget _budget;
    private unsafe Entry* _entries; // native, 64-byte aligned, zeroed (see Allocate); freed by Grow, Shrink, Dispose and the finalizer
    private int _capacity;
    private byte[] _tags; // per slot Empty or, when live, TagOf(its hash); then TagPadding more (see SetTag)
    private int[] _ring; // slots in creation order, from _ringHead, Count of them
    private int[] _ringPlace; // per live slot, its index in _ring
    private int _ringHead;
    private int _limit;

    /// <summary>Creates an empty table of <see cref="FirstCapacity"/> slots.</summary>
    /// <param name="windowStart">The window it holds.</param>
    /// <param name="maxGroups">The most groups it will hold (the aggregator's bound): it never grows past what they need.</param>
    /// <param name="maxCount">The largest count of one group.</param>
    /// <param name="budget">
    /// The slots beyond <see cref="FirstCapacity"/> that this table shares with others; <see langword="null"/> for one of
    /// its own, large enough for <paramref name="maxGroups"/>.
    /// </param>
    public GroupTable(long windowStart, int maxGroups, uint maxCount, TableBudget? budget = null)
    {
        WindowStart = windowStart;
        _maxCapacity = CapacityFor(maxGroups);
        _maxCount = maxCount;
        _budget = budget ?? new TableBudget(_maxCapacity);
        FirstCapacity = Math.Min(InitialCapacity, _maxCapacity);
        Reset(FirstCapacity);
    }

    /// <summary>Frees the entries: the table is unreachable, so nothing can read them any more.</summary>
    unsafe ~GroupTable()
    {
        Release(_entries, _capacity);
        _entries = null;
    }

    public enum AddResult
    {
        Counted,
        Created,
        NoRoom,
        Saturated,
    }

    public long WindowStart { get; set; }

    /// <summary>Gets or sets the table's index among its aggregator's open tables, by which queued counts name it.</summary>
    public int OpenIndex { get; set; }

    /// <summary>Gets or sets whether this is a late table: a window event time had closed, reopened by late records.</summary>
    public bool IsLate { get; set; }

    /// <summary>Gets or sets the aggregator's processing time when a record last reached this window (for the idle close).</summary>
    public long LastActive { get; set; }

    public int Count { get; private set; }

    /// <summary>Gets the slots the table starts with (and shrinks back to): they are not taken from the budget.</summary>
    internal int FirstCapacity { get; }

    /// <summary>Gets the slots the table has now.</summary>
    internal int Capacity => _capacity;

    /// <summary>
    /// Gets whether a new group fits: below the load limit, or the table can grow (it is below the bound's capacity and the
    /// budget has the slots that doubling adds). At the bound's capacity there is always room: the aggregator never holds
    /// more groups than the bound, which that capacity's limit allows.
    /// </summary>
    public bool HasRoomForNewGroup => Count < _limit || _capacity >= _maxCapacity || _budget.CanTake(NextCapacity - _capacity);

    /// <summary>The capacity the next growth gives: double, up to the bound's.</summary>
    private int NextCapacity => (int)Math.Min(_maxCapacity, (long)_capacity * 2);

    /// <summary>Gets how often the table was rebuilt (it grew); for the tests that bound the cost of a group past the bound.</summary>
    internal int Rehashes { get; private set; }

    /// <summary>Gets how many entries removals have moved back (see the remarks); for the same tests.</summary>
    internal long EntriesShifted { get; private set; }

    /// <summary>
    /// Counts one record into its group if the group is at <paramref name="slot"/> (from <see cref="Prefetch"/>: any value
    /// is safe) and its count is below the maximum, as almost always: this path is kept small so that it inlines into the
    /// caller. Otherwise changes nothing and returns <see langword="false"/>, and the caller takes the long way (<see cref="Add"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryCount(in GroupKey key, int slot, long time, int rule, Transport transport)
    {
        if ((uint)slot >= (uint)_capacity)
        {
            return false;
        }

        ref var entry = ref At(slot);
        if (!entry.IsLiveWith(key) || entry.Count >= _maxCount)
        {
            return false;
        }

        Increment(ref entry, time, rule, transport);
        return true;
    }

    /// <summary>
    /// Counts one record into its group. <see cref="AddResult.NoRoom"/>: the group is new and <paramref name="mayCreate"/> is
    /// false or there is no room for it (<see cref="HasRoomForNewGroup"/>). <see cref="AddResult.Saturated"/>: the group's count is at its maximum; <paramref name="full"/> holds its
    /// statistics, to be emitted, and the group starts again with this record.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public AddResult Add(in GroupKey key, uint hash, long time, int rule, Transport transport, bool mayCreate, out GroupStats full)
    {
        full = default;
        var slot = Find(key, hash, out var found);
        if (found)
        {
            ref var entry = ref At(slot);
            if (entry.Count >= _maxCount)
            {
                full = entry.Stats;
                entry.Count = 1;
                entry.First = time;
                entry.Last = time;
                entry.Rule = rule;
                entry.Transports = (byte)(1 << (int)transport);
                return AddResult.Saturated;
            }

            Increment(ref entry, time, rule, transport);
            return AddResult.Counted;
        }

        if (!mayCreate || !HasRoomForNewGroup)
        {
            return AddResult.NoRoom;
        }

        Insert(slot, key, hash, new GroupStats { Count = 1, First = time, Last = time, Rule = rule, Transports = (byte)(1 << (int)transport) });
        return AddResult.Created;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Increment(ref Entry entry, long time, int rule, Transport transport)
    {
        entry.Count++;
        if (time < entry.First)
        {
            entry.First = time;
        }

        if (time > entry.Last)
        {
            entry.Last = time;
        }

        if ((uint)rule < (uint)entry.Rule)
        {
            entry.Rule = rule;
        }

        entry.Transports |= (byte)(1 << (int)transport);
    }

    /// <summary>Merges a group in; see <see cref="Add"/> for the results (<paramref name="full"/> holds what must be emitted first).</summary>
    public AddResult Merge(in GroupKey key, in GroupStats stats, bool mayCreate, out GroupStats full)
    {
        full = default;
        var hash = key.Hash();
        var slot = Find(key, hash, out var found);
        if (found)
        {
            ref var entry = ref At(slot);
            if (entry.Count + stats.Count > _maxCount)
            {
                full = entry.Stats;
                entry.SetStats(stats);
                return AddResult.Saturated;
            }

            entry.SetStats(Combine(entry.Stats, stats));
            return AddResult.Counted;
        }

        if (!mayCreate || !HasRoomForNewGroup)
        {
            return AddResult.NoRoom;
        }

        Insert(slot, key, hash, stats);
        return AddResult.Created;
    }

    /// <summary>The statistics of one group counted in two places: counts added, the earliest first and latest last time, the first rule, every transport.</summary>
    public static GroupStats Combine(GroupStats mine, in GroupStats other)
    {
        mine.Count += other.Count;
        mine.First = Math.Min(mine.First, other.First);
        mine.Last = Math.Max(mine.Last, other.Last);
        mine.Rule = (uint)other.Rule < (uint)mine.Rule ? other.Rule : mine.Rule;
        mine.Transports |= other.Transports;
        return mine;
    }

    /// <summary>Finds a group without changing anything (safe beside other readers).</summary>
    public bool TryGet(in GroupKey key, out GroupStats stats)
    {
        var slot = Find(key, key.Hash(), out var found);
        stats = found ? At(slot).Stats : default;
        return found;
    }

    /// <summary>The sum over the groups of how far each is from its home slot (the probes a lookup takes, less one); for tests.</summary>
    internal long ProbeDistanceTotal()
    {
        var total = 0L;
        for (var i = 0; i < Count; i++)
        {
            var slot = _ring[RingIndex(i)];
            var home = HomeOf(At(slot).Key.Hash(), _capacity);
            total += slot >= home ? slot - home : slot + _capacity - home;
        }

        return total;
    }

    /// <summary>Gets a group by age (0 = the oldest), below <see cref="Count"/>.</summary>
    public (GroupKey Key, GroupStats Stats) GroupAt(int i)
    {
        ref var entry = ref At(_ring[RingIndex(i)]);
        return (entry.Key, entry.Stats);
    }

    /// <summary>Removes and returns the oldest group.</summary>
    public (GroupKey Key, GroupStats Stats) RemoveOldest()
    {
        var slot = _ring[_ringHead];
        _ringHead = _ringHead + 1 == _ring.Length ? 0 : _ringHead + 1;
        ref var entry = ref At(slot);
        var result = (entry.Key, entry.Stats);
        Count--;
        Remove(slot);
        return result;
    }

    /// <summary>
    /// Empties a slot without a tombstone: each later entry of the probe run that may live in the gap (its home slot is
    /// not between the gap and itself) moves back into it, leaving a gap where it was, until an empty slot ends the run.
    /// </summary>
    private void Remove(int gap)
    {
        var capacity = _capacity;
        var slot = gap;
        while (true)
        {
            slot = slot + 1 == capacity ? 0 : slot + 1;
            ref var entry = ref At(slot);
            if (entry.State == Empty)
            {
                break;
            }

            var hash = entry.Key.Hash();
            var home = HomeOf(hash, capacity);

            // Whether home lies cyclically in (gap, slot]: then the entry's probe never passes the gap, and it stays.
            var stays = gap <= slot ? gap < home && home <= slot : gap < home || home <= slot;
            if (stays)
            {
                continue;
            }

            At(gap) = entry;
            SetTag(gap, TagOf(hash));
            var place = _ringPlace[slot];
            _ring[place] = gap;
            _ringPlace[gap] = place;
            EntriesShifted++;
            gap = slot;
        }

        At(gap) = default;
        SetTag(gap, Empty);
    }

    /// <summary>Visits every group, oldest first.</summary>
    public IEnumerable<(GroupKey Key, GroupStats Stats)> Groups()
    {
        for (var i = 0; i < Count; i++)
        {
            var entry = At(_ring[RingIndex(i)]);
            yield return (entry.Key, entry.Stats);
        }
    }

    public void Clear()
    {
        unsafe
        {
            NativeMemory.Clear(_entries, (nuint)_capacity * (nuint)sizeof(Entry));
        }
        Array.Clear(_tags);
        _ringHead = 0;
        Count = 0;
    }

    /// <summary>Empties the table and gives its slots beyond <see cref="FirstCapacity"/> back to the budget.</summary>
    public void Shrink()
    {
        if (_capacity == FirstCapacity)
        {
            Clear();
            return;
        }

        _budget.Give(_capacity - FirstCapacity);
        unsafe
        {
            Release(_entries, _capacity);
            _entries = null;
        }

        Reset(FirstCapacity);
    }

    /// <summary>
    /// Frees the entries now, and gives the table's slots back to the budget: for a table that is not used again (the
    /// finalizer would free them only after a collection, and the budget would never get them back).
    /// </summary>
    public unsafe void Dispose()
    {
        if (_entries is null)
        {
            return; // disposed already
        }

        _budget.Give(_capacity - FirstCapacity);
        Release(_entries, _capacity);
        _entries = null;

        _capacity = 0;
        _tags = [];
        _ring = [];
        _ringPlace = [];
        _limit = 0;
        Count = 0;
        GC.SuppressFinalize(this); // no entries left to free
    }

    /// <summary>New, empty storage of <paramref name="capacity"/> slots (the old entries, if any, are freed by the caller).</summary>
    [MemberNotNull(nameof(_tags), nameof(_ring), nameof(_ringPlace))]
    private void Reset(int capacity)
    {
        unsafe
        {
            _entries = Allocate(capacity, _budget);
        }

        _capacity = capacity;
        _tags = new byte[capacity + TagPadding];
        _ring = new int[capacity];
        _ringPlace = new int[capacity];
        _ringHead = 0;
        _limit = LimitFor(capacity);
        Count = 0;
    }

    internal static int CapacityFor(int groups) => (int)Math.Min(Array.MaxLength, ((long)groups * 5 / 4) + 1);

    private static int LimitFor(int capacity) => (int)((long)capacity * 4 / 5);

    /// <summary>The slot a hash's probe starts at: the high bits of the hash, scaled to the capacity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int HomeOf(uint hash, int capacity) => (int)(((ulong)hash * (ulong)capacity) >> 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RingIndex(int i)
    {
        var index = _ringHead + i;
        return index >= _ring.Length ? index - _ring.Length : index;
    }

    /// <summary>
    /// Finds from the tags the slot that most likely holds the group with this hash (the first of its probe with the
    /// hash's tag, before an empty slot) and asks the processor to load that entry, so that <see cref="TryCount"/> a few
    /// records later finds it in cache. A hint, which <see cref="TryCount"/> checks: the slot may hold another key with the
    /// same tag, or change meanwhile. -1 when the probe meets an empty slot first (most likely a new group).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe int Prefetch(uint hash)
    {
        var capacity = _capacity;
        var tag = Vector128.Create(TagOf(hash));
        var start = HomeOf(hash, capacity);
        while (true)
        {
            // In range: start + 15 is below the tags' length. Bit i of each mask is slot start + i (modulo the capacity).
            var tags = Vector128.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_tags), (nuint)start);
            var matches = Vector128.Equals(tags, tag).ExtractMostSignificantBits();
            var empties = Vector128.Equals(tags, Vector128<byte>.Zero).ExtractMostSignificantBits();
            matches &= (empties & (0 - empties)) - 1; // those before the first empty slot (all, when there is none)
            if (matches != 0)
            {
                var slot = start + BitOperations.TrailingZeroCount(matches);
                slot = slot >= capacity ? slot % capacity : slot;
                if (Sse.IsSupported)
                {
                    Sse.Prefetch0(Unsafe.AsPointer(ref At(slot)));
                }

                return slot;
            }

            if (empties != 0)
            {
                return -1;
            }

            // 16 full slots: at 80 % load a key is that far from its home slot now and then (a few percent of keys).
            start = (start + 16) % capacity;
        }
    }

    /// <summary>
    /// Native memory for the entries of <paramref name="capacity"/> slots, aligned to 64 bytes: an entry then fills one
    /// cache line instead of straddling two, so a probe touches a line per slot and the prefetch of a slot brings all of it.
    /// Native rather than a pinned array, because a growing table allocates twice its final size on the way, which on the
    /// pinned object heap sets off blocking gen2 collections. The GC is told of the block (memory pressure) and the
    /// budget counts it (<see cref="TableBudget.NativeBytes"/>) until <see cref="Release"/>.
    /// </summary>
    /// <remarks>
    /// The block is written once before use: a probe reads a slot before writing it, so an untouched page would be mapped
    /// to the kernel's shared zero page first and copied on its first write, and that copy flushes the page from every
    /// core's TLB. Writing it first maps each page once.
    /// </remarks>
    private static unsafe Entry* Allocate(int capacity, TableBudget budget)
    {
        var bytes = (nuint)capacity * (nuint)sizeof(Entry);
        var entries = (Entry*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(entries, bytes);
        if (bytes > 0)
        {
            GC.AddMemoryPressure((long)bytes);
            budget.AddNativeBytes((long)bytes);
        }

        return entries;
    }

    /// <summary>Frees entries from <see cref="Allocate"/> (of <paramref name="capacity"/> slots; none when null).</summary>
    private unsafe void Release(Entry* entries, int capacity)
    {
        if (entries is null)
        {
            return;
        }

        var bytes = (long)capacity * sizeof(Entry);
        NativeMemory.AlignedFree(entries);
        if (bytes > 0)
        {
            GC.RemoveMemoryPressure(bytes);
            _budget.AddNativeBytes(-bytes);
        }
    }

    /// <summary>Gets the bytes of native memory the entries take (for the memory-per-group test).</summary>
    internal unsafe long EntryBytes => (long)_capacity * sizeof(Entry);

    /// <summary>Gets the size of an entry (for the layout test: one cache line).</summary>
    internal static unsafe int EntrySize => sizeof(Entry);

    /// <summary>The entry in a slot; unchecked: every slot passed is below the capacity (a home slot, the ring's, a probe's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe ref Entry At(int slot) => ref _entries[slot];

    /// <summary>The tag of a live entry: the low byte of its hash (the slot comes from the high bits), never Empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte TagOf(uint hash) => Math.Max((byte)hash, (byte)(Empty + 1));

    /// <summary>Sets a slot's tag and its copies past the last slot.</summary>
    private void SetTag(int slot, byte tag)
    {
        for (var at = slot; at < _tags.Length; at += _capacity)
        {
            _tags[at] = tag;
        }
    }

    /// <summary>The slot of the key, or where to insert it (the empty slot that ended the probe).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Find(in GroupKey key, uint hash, out bool found)
    {
        var capacity = _capacity;
        var slot = HomeOf(hash, capacity);
        while (true)
        {
            ref var entry = ref At(slot);
            if (entry.State == Live)
            {
                if (entry.SourceLow == key.SourceLow && entry.DestinationLow == key.DestinationLow && entry.App == key.App
                    && entry.Port == key.Port && entry.SourceHigh == key.SourceHigh && entry.DestinationHigh == key.DestinationHigh
                    && entry.Kinds == (byte)(key.SourceKind | (key.DestinationKind << 2)))
                {
                    found = true;
                    return slot;
                }
            }
            else
            {
                found = false;
                return slot;
            }

            slot = slot + 1 == capacity ? 0 : slot + 1;
        }
    }

    private void Insert(int slot, in GroupKey key, uint hash, in GroupStats stats)
    {
        // At the bound's capacity the aggregator never holds more groups than the limit (CapacityFor), so only a table
        // that can still grow reaches it, and HasRoomForNewGroup has made sure that the budget has the slots.
        if (Count + 1 > _limit && _capacity < _maxCapacity)
        {
            Grow();
            slot = Find(key, hash, out _);
        }

        ref var entry = ref At(slot);
        entry.SetKey(key);
        entry.SetStats(stats);
        entry.State = Live;
        SetTag(slot, TagOf(hash));
        var place = RingIndex(Count);
        _ring[place] = slot;
        _ringPlace[slot] = place;
        Count++;
    }

    /// <summary>Doubles the capacity (up to the bound's); keeps creation order.</summary>
    private unsafe void Grow()
    {
        var capacity = NextCapacity;
        _budget.Take(capacity - _capacity);
        Rehashes++;
        var old = _entries;
        var oldRing = _ring;
        var oldHead = _ringHead;
        var count = Count;
        var oldCapacity = _capacity;
        _entries = Allocate(capacity, _budget);
        _capacity = capacity;
        _tags = new byte[capacity + TagPadding];
        _ring = new int[capacity];
        _ringPlace = new int[capacity];
        _ringHead = 0;
        _limit = Math.Max(LimitFor(capacity), 1);
        Count = 0;
        for (var i = 0; i < count; i++)
        {
            var at = oldHead + i;
            ref var entry = ref old[oldRing[at >= oldRing.Length ? at - oldRing.Length : at]];
            var key = entry.Key;
            var hash = key.Hash();
            var slot = Find(key, hash, out _);
            At(slot) = entry;
            SetTag(slot, TagOf(hash));
            _ring[i] = slot;
            _ringPlace[slot] = i;
            Count++;
        }

        Release(old, oldCapacity); // nothing refers to it: every access goes through _entries
    }

    /// <summary>64 bytes: addresses 32, times 16, app id 4, count 4, rule 4, port 2, kinds and state 1, transports 1.</summary>
    private struct Entry
    {
        public ulong SourceHigh;
        public ulong SourceLow;
        public ulong DestinationHigh;
        public ulong DestinationLow;
        public long First;
        public long Last;
        public int App;
        public uint Count;
        public int Rule;
        public ushort Port;
        public byte Meta;        // source kind | destination kind << 2 | state << 4
        public byte Transports;

        public byte State
        {
            readonly get => (byte)(Meta >> 4);
            set => Meta = (byte)((Meta & 0x0F) | (value << 4));
        }

        public readonly byte Kinds => (byte)(Meta & 0x0F);

        public readonly GroupKey Key => new(SourceHigh, SourceLow, DestinationHigh, DestinationLow, App, Port, (byte)(Kinds & 3), (byte)(Kinds >> 2));

        public readonly GroupStats Stats => new() { Count = Count, First = First, Last = Last, Rule = Rule, Transports = Transports };

        /// <summary>Whether this is the live entry of <paramref name="key"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool IsLiveWith(in GroupKey key)
        {
            // The four address words lead both structs, in the same order: two 16-byte comparisons instead of four.
            // GroupTableTests checks the key's layout, so that reordering its fields fails a test.
            ref var mine = ref Unsafe.AsRef(in SourceHigh);
            ref var theirs = ref Unsafe.As<GroupKey, ulong>(ref Unsafe.AsRef(in key));
            var differences = (Vector128.LoadUnsafe(ref mine) ^ Vector128.LoadUnsafe(ref theirs))
                | (Vector128.LoadUnsafe(ref mine, 2) ^ Vector128.LoadUnsafe(ref theirs, 2));
            return differences == Vector128<ulong>.Zero && App == key.App && Port == key.Port
                && Meta == (byte)((Live << 4) | key.SourceKind | (key.DestinationKind << 2));
        }

        public void SetKey(in GroupKey key)
        {
            SourceHigh = key.SourceHigh;
            SourceLow = key.SourceLow;
            DestinationHigh = key.DestinationHigh;
            DestinationLow = key.DestinationLow;
            App = key.App;
            Port = key.Port;
            Meta = (byte)((Meta & 0xF0) | key.SourceKind | (key.DestinationKind << 2));
        }

        public void SetStats(in GroupStats stats)
        {
            Count = (uint)stats.Count;
            First = stats.First;
            Last = stats.Last;
            Rule = stats.Rule;
            Transports = stats.Transports;
        }
    }
}
