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
    private const int ShortKeyLength = 16;

    private readonly Entry[] _entries;
    private readonly int _mask;

    public AppNameTable(IReadOnlyList<string> names)
    {
        var capacity = 8;
        while (capacity < names.Count * 2)
        {
            capacity <<= 1;
        }

        _entries = new Entry[capacity];
        _mask = capacity - 1;
        for (var id = 0; id < names.Count; id++)
        {
            var utf8 = Encoding.UTF8.GetBytes(names[id]);
            if (Find(utf8) >= 0)
            {
                throw new ArgumentException($"The app name '{names[id]}' is listed twice.", nameof(names));
            }

            var (w0, w1) = Key(utf8);
            var slot = (int)Hash(w0, w1, utf8.Length) & _mask;
            while (_entries[slot].Id != 0)
            {
                slot = (slot + 1) & _mask;
            }

            _entries[slot] = new Entry(w0, w1, utf8.Length, id + 1, utf8.Length > ShortKeyLength ? FoldAll(utf8) : null);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (ulong W0, ulong W1) Key(ReadOnlySpan<byte> s)
    {
        ref var start = ref MemoryMarshal.GetReference(s);
        var length = s.Length;
        ulong w0, w1;
        if (length >= 8)
        {
            w0 = Unsafe.ReadUnaligned<ulong>(ref start);
            w1 = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, length - 8));
        }
        else if (length >= 4)
        {
            w0 = Unsafe.ReadUnaligned<uint>(ref start) | ((ulong)Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, length - 4)) << 32);
            w1 = 0;
        }
        else
        {
            w0 = start | ((ulong)Unsafe.Add(ref start, length >> 1) << 8) | ((ulong)Unsafe.Add(ref start, length - 1) << 16);
            w1 = 0;
        }

        return (FoldAscii(w0), FoldAscii(w1));
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
    private static ulong Hash(ulong w0, ulong w1, int length)
    {
        var h = (w0 * 0x9E3779B97F4A7C15UL) + (w1 * 0xC2B2AE3D27D4EB4FUL) + (ulong)length;
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
