using System.Runtime.CompilerServices;

namespace PortMismatch.Detection.Internal;

/// <summary>
/// Interns app values (exact bytes, case-sensitive as stats groups) to dense ids, within a bound on the number of values and
/// their total bytes. When a new value does not fit, <see cref="TryIntern"/> says so and the caller flushes and clears.
/// Hashing uses <see cref="HashCode"/>, which is seeded per process, so crafted values cannot aim at one bucket.
/// </summary>
internal sealed class AppInternTable
{
    private readonly int _maxValues;
    private readonly long _maxBytes;
    private int[] _slots;       // id + 1, 0 = empty
    private int[] _hashes;      // per id
    private byte[][] _values;   // per id
    private string?[] _strings; // per id, decoded on first use
    private long _bytes;

    public AppInternTable(int maxValues, long maxBytes)
    {
        _maxValues = maxValues;
        _maxBytes = maxBytes;
        _slots = new int[16];
        _hashes = new int[8];
        _values = new byte[8][];
        _strings = new string?[8];
    }

    public int Count { get; private set; }

    public long Bytes => _bytes;

    /// <summary>Finds or adds <paramref name="value"/>; false when it is new and the bound is reached.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryIntern(ReadOnlySpan<byte> value, out int id)
    {
        var hash = Hash(value);
        id = Find(value, hash);
        if (id >= 0)
        {
            return true;
        }

        if (Count >= _maxValues || _bytes + value.Length > _maxBytes)
        {
            id = -1;
            return false;
        }

        id = Add(value.ToArray(), hash);
        return true;
    }

    /// <summary>Finds <paramref name="value"/> without adding it: its id, or -1.</summary>
    public int Find(ReadOnlySpan<byte> value) => Find(value, Hash(value));

    public byte[] GetBytes(int id) => _values[id];

    /// <summary>The value's text for rows (<see cref="AppText"/>: injective, so distinct values never share a row's app).</summary>
    public string GetString(int id) => _strings[id] ??= AppText.FromUtf8(_values[id]);

    public void Clear()
    {
        Array.Clear(_slots);
        Array.Clear(_values, 0, Count);
        Array.Clear(_strings, 0, Count);
        Count = 0;
        _bytes = 0;
    }

    private int Add(byte[] value, int hash)
    {
        if (Count == _values.Length)
        {
            Array.Resize(ref _values, Count * 2);
            Array.Resize(ref _hashes, Count * 2);
            Array.Resize(ref _strings, Count * 2);
        }

        var id = Count++;
        _values[id] = value;
        _hashes[id] = hash;
        _bytes += value.Length;
        if (Count * 2 > _slots.Length)
        {
            _slots = new int[_slots.Length * 2];
            for (var i = 0; i < Count; i++)
            {
                Place(i);
            }
        }
        else
        {
            Place(id);
        }

        return id;
    }

    private void Place(int id)
    {
        var mask = _slots.Length - 1;
        var slot = _hashes[id] & mask;
        while (_slots[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _slots[slot] = id + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Find(ReadOnlySpan<byte> value, int hash)
    {
        var mask = _slots.Length - 1;
        for (var slot = hash & mask; ; slot = (slot + 1) & mask)
        {
            var candidate = _slots[slot] - 1;
            if (candidate < 0 || (_hashes[candidate] == hash && value.SequenceEqual(_values[candidate])))
            {
                return candidate;
            }
        }
    }

    private static int Hash(ReadOnlySpan<byte> value)
    {
        var hash = default(HashCode);
        hash.AddBytes(value);
        return hash.ToHashCode() & int.MaxValue;
    }
}
