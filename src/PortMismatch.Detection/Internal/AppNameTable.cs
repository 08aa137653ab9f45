using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace PortMismatch.Detection.Internal;

/// <summary>
/// Open-addressing map from app names, compared ignoring ASCII case only, to dense ids. The key of a value is its length
/// plus two 64-bit words that cover it whole when it is at most 16 bytes (first and last 8 bytes, or overlapping smaller
/// reads), ASCII-lower-cased with SWAR arithmetic; longer names are confirmed by a full comparison.
/// </summary>
internal sealed class AppNameTable
{
    /// <summary>Values up to this length are identified by their key words alone.</summary>
    internal const int ShortKeyLength = 16;

    // Long names that share their first and last eight bytes and their length share a key, and probe one chain: up to
    // this many may (a pack has pairs); more, and the key of every long name also mixes in its middle bytes.
    private const int MaxSharedKey = 8;

    private readonly Entry[] _entries;
    private readonly int _mask;
    private readonly bool _mixMiddle;

    public AppNameTable(IReadOnlyList<string> names)
    {
        var capacity = 8;
        while (capacity < names.Count * 2)
        {
            capacity <<= 1;
        }

        _entries = new Entry[capacity];
        _mask = capacity - 1;
        var encoded = new byte[names.Count][];
        var sharing = new Dictionary<(ulong, ulong, int), int>();
        for (var id = 0; id < names.Count; id++)
        {
            var utf8 = encoded[id] = Encoding.UTF8.GetBytes(names[id]);
            if (utf8.Length > ShortKeyLength)
            {
                var (w0, w1) = RawWords(utf8);
                var key = (FoldAscii(w0), FoldAscii(w1), utf8.Length);
                _mixMiddle |= (sharing[key] = sharing.GetValueOrDefault(key) + 1) > MaxSharedKey;
            }
        }

        for (var id = 0; id < names.Count; id++)
        {
            var utf8 = encoded[id];
            var folded = utf8.Length > ShortKeyLength ? FoldAll(utf8) : null;
            var (w0, w1) = Key(utf8);
            var slot = (int)Hash(w0, w1, utf8.Length) & _mask;
            while (_entries[slot].Id != 0)
            {
                RuleWork.Count();
                ref readonly var entry = ref _entries[slot];
                if (entry.W0 == w0 && entry.W1 == w1 && entry.Length == utf8.Length
                    && (folded is null || entry.Folded.AsSpan().SequenceEqual(folded)))
                {
                    throw new ArgumentException($"The app name '{names[id]}' is listed twice.", nameof(names));
                }

                slot = (slot + 1) & _mask;
            }

            _entries[slot] = new Entry(w0, w1, utf8.Length, id + 1, folded);
        }
    }

    /// <summary>Finds the id of <paramref name="utf8"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return -1;
        }

        var (w0, w1) = Key(utf8);
        var length = utf8.Length;
        var entries = _entries;
        var slot = (int)Hash(w0, w1, length) & _mask;
        while (true)
        {
            ref readonly var entry = ref entries[slot];
            if (entry.Id == 0)
            {
                return -1;
            }

            if (entry.W0 == w0 && entry.W1 == w1 && entry.Length == length
                && (length <= ShortKeyLength || EqualsFolded(entry.Folded!, utf8)))
            {
                return entry.Id - 1;
            }

            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>
    /// The key words: <see cref="RawWords"/> folded. A name longer than <see cref="ShortKeyLength"/> is keyed by its first
    /// and last eight bytes and its length, two reads whatever its length. When more than <see cref="MaxSharedKey"/> long
    /// names of this table share such a key (<c>custom-app-000001-internal</c>, <c>custom-app-000002-internal</c>), they
    /// would all probe one chain, each insert and lookup comparing with every one before it; then the second word of every
    /// long name also mixes in its middle bytes (<see cref="MiddleHash"/>), which spreads them over the table, at the cost
    /// of a loop over the name in each lookup of a long value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (ulong W0, ulong W1) Key(ReadOnlySpan<byte> s)
    {
        var (w0, w1) = RawWords(s);
        return _mixMiddle && s.Length > ShortKeyLength ? (FoldAscii(w0), FoldAscii(w1) ^ MiddleHash(s)) : (FoldAscii(w0), FoldAscii(w1));
    }

    /// <summary>Mixes the folded words that cover bytes 8 to length - 8 of a value longer than 16 bytes (the last one overlapping).</summary>
    private static ulong MiddleHash(ReadOnlySpan<byte> s)
    {
        ref var start = ref MemoryMarshal.GetReference(s);
        var last = s.Length - 16;
        ulong h = 0;
        for (var i = 8; i < last; i += 8)
        {
            h = BitOperations.RotateLeft((h + FoldAscii(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)))) * 0x9E3779B97F4A7C15UL, 31);
        }

        return BitOperations.RotateLeft((h + FoldAscii(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, last)))) * 0xC2B2AE3D27D4EB4FUL, 29);
    }

    /// <summary>
    /// The key words before case folding: for 1 to 16 bytes they hold every byte of the value (with the length, they
    /// determine it), so a caller can compare values, or look for a byte in one, without reading it again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (ulong W0, ulong W1) RawWords(ReadOnlySpan<byte> s)
    {
        ref var start = ref MemoryMarshal.GetReference(s);
        var length = s.Length;
        if (length >= 8)
        {
            return (Unsafe.ReadUnaligned<ulong>(ref start), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, length - 8)));
        }

        if (length >= 4)
        {
            return (Unsafe.ReadUnaligned<uint>(ref start) | ((ulong)Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, length - 4)) << 32), 0);
        }

        return (start | ((ulong)Unsafe.Add(ref start, length >> 1) << 8) | ((ulong)Unsafe.Add(ref start, length - 1) << 16), 0);
    }

    /// <summary>
    /// Whether the value whose <see cref="RawWords"/> these are may contain <paramref name="separatorPlusOne"/> - 1 (0: no
    /// separator). Exact for separators other than byte 0, which the unused high bytes of short values hold: that one
    /// always answers "may", and the caller takes its general path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool MayContainSeparator(ulong raw0, ulong raw1, int separatorPlusOne)
    {
        if (separatorPlusOne <= 1)
        {
            return separatorPlusOne == 1;
        }

        var pattern = 0x0101010101010101UL * (uint)(separatorPlusOne - 1);
        return (HasZeroByte(raw0 ^ pattern) | HasZeroByte(raw1 ^ pattern)) != 0;
    }

    /// <summary>Finds the id of a value of 1 to <see cref="ShortKeyLength"/> bytes from its <see cref="RawWords"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindShort(ulong raw0, ulong raw1, int length)
    {
        // Logs mostly spell apps as the table stores them (lower case): compare the raw words first and fold only when
        // they differ from an entry of the same length. The hash does not need the fold (see Hash).
        var entries = _entries;
        var mask = _mask;
        var slot = (int)Hash(raw0, raw1, length) & mask;
        ref var first = ref MemoryMarshal.GetArrayDataReference(entries);
        while (true)
        {
            // In range: the mask is the length of the table minus one.
            ref readonly var entry = ref Unsafe.Add(ref first, slot);
            if (entry.W0 == raw0 && entry.W1 == raw1 && entry.Length == length)
            {
                return entry.Id - 1;
            }

            if (entry.Id == 0)
            {
                return -1;
            }

            if (entry.Length == length && entry.W0 == FoldAscii(raw0) && entry.W1 == FoldAscii(raw1))
            {
                return entry.Id - 1;
            }

            slot = (slot + 1) & mask;
        }
    }

    /// <summary>Lower-cases the ASCII letters A-Z of eight bytes at once; other bytes, non-ASCII included, are unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong FoldAscii(ulong x)
    {
        const ulong Low7 = 0x7F7F7F7F7F7F7F7FUL;
        const ulong High = 0x8080808080808080UL;
        var heptets = x & Low7;
        var atLeastA = heptets + 0x3F3F3F3F3F3F3F3FUL;     // high bit set where the byte is >= 'A'
        var pastZ = heptets + 0x2525252525252525UL;        // high bit set where the byte is > 'Z'
        var upper = atLeastA & ~pastZ & ~x & High;
        return x | (upper >> 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong HasZeroByte(ulong x) => (x - 0x0101010101010101UL) & ~x & 0x8080808080808080UL;

    /// <summary>
    /// Hashes the key words with bit 5 of every byte set: the same for a value and its ASCII-folded form (folding only
    /// sets that bit, on A-Z), so a lookup can hash the raw words. Bytes that differ only in that bit collide, and the
    /// comparison tells them apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Hash(ulong w0, ulong w1, int length)
    {
        const ulong CaseBits = 0x2020202020202020UL;
        var h = ((w0 | CaseBits) * 0x9E3779B97F4A7C15UL) + ((w1 | CaseBits) * 0xC2B2AE3D27D4EB4FUL) + (ulong)length;
        h ^= h >> 31;
        h *= 0x94D049BB133111EBUL;
        return h ^ (h >> 29);
    }

    private static byte[] FoldAll(byte[] utf8)
    {
        var folded = new byte[utf8.Length];
        for (var i = 0; i < utf8.Length; i++)
        {
            folded[i] = FoldByte(utf8[i]);
        }

        return folded;
    }

    private static bool EqualsFolded(byte[] folded, ReadOnlySpan<byte> utf8)
    {
        for (var i = 0; i < utf8.Length; i++)
        {
            if (folded[i] != FoldByte(utf8[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static byte FoldByte(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    private readonly record struct Entry(ulong W0, ulong W1, int Length, int Id, byte[]? Folded);
}
