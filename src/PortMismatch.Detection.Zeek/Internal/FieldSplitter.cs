using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>The vector widths of <see cref="FieldSplitter"/>, each with the byte loop as its scalar twin.</summary>
internal enum SplitterVariant
{
    /// <summary>The byte loop alone: what every machine runs, and the reference of the others.</summary>
    Scalar = 0,

    /// <summary>16-byte blocks, then the byte loop for the tail.</summary>
    Vector128 = 1,

    /// <summary>64-byte blocks (two 256-bit vectors) or, for lines of 32-63 bytes, one 32-byte block; overlapped tails.</summary>
    Vector256 = 2,
}

/// <summary>Finds every separator of a TSV line in one vectorized pass (Sep's habit), so fields are then sliced by index.</summary>
internal static class FieldSplitter
{
    /// <summary>The most separators one block (two vectors) can hold.</summary>
    public const int Slack = 64;

    /// <summary>
    /// Writes the index of each <paramref name="separator"/> in <paramref name="line"/> into <paramref name="positions"/>
    /// and returns how many there are, or -1 when there are more than <paramref name="positions"/> can hold.
    /// <paramref name="isAscii"/> tells whether every byte of the line is ASCII (then it is valid UTF-8 without a second pass);
    /// it is only meaningful when the result is not -1. Give <paramref name="positions"/> <see cref="Slack"/> more entries
    /// than the separators expected: a block of the line then stores its separators without a bounds check each.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // one call per line, as a body this size always was
    public static int FindSeparators(ReadOnlySpan<byte> line, byte separator, Span<int> positions, out bool isAscii)
        => FindSeparators(line, separator, positions, out isAscii, Widest);

    /// <summary>The widest variant this machine runs (a constant once the JIT has compiled it).</summary>
    public static SplitterVariant Widest
        => Vector256.IsHardwareAccelerated ? SplitterVariant.Vector256 : Vector128.IsHardwareAccelerated ? SplitterVariant.Vector128 : SplitterVariant.Scalar;

    /// <summary>Whether this machine runs <paramref name="variant"/>.</summary>
    public static bool IsSupported(SplitterVariant variant) => variant <= Widest;

    /// <summary>
    /// <see cref="FindSeparators(ReadOnlySpan{byte}, byte, Span{int}, out bool)"/> with vectors no wider than
    /// <paramref name="widest"/> (which this machine must run): the tests run each variant against a byte loop. Inlined,
    /// so that the constant <see cref="Widest"/> leaves only its own branches.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FindSeparators(ReadOnlySpan<byte> line, byte separator, Span<int> positions, out bool isAscii, SplitterVariant widest)
    {
        var count = 0;
        var i = 0;
        var high = 0u;
        ref var start = ref MemoryMarshal.GetReference(line);
        if (widest >= SplitterVariant.Vector256 && line.Length >= 2 * Vector256<byte>.Count)
        {
            // 64 bytes a turn, their separators in one 64-bit mask: half as many store loops (and their mispredicted
            // exits) per line as 32-byte blocks.
            var needle = Vector256.Create(separator);
            var any = Vector256<byte>.Zero;
            for (; i < line.Length; i += 2 * Vector256<byte>.Count)
            {
                var at = Math.Min(i, line.Length - (2 * Vector256<byte>.Count));
                var low = Vector256.LoadUnsafe(ref start, (nuint)at);
                var high2 = Vector256.LoadUnsafe(ref start, (nuint)at + (nuint)Vector256<byte>.Count);
                any |= low | high2;
                var mask = (Vector256.Equals(low, needle).ExtractMostSignificantBits()
                    | ((ulong)Vector256.Equals(high2, needle).ExtractMostSignificantBits() << 32)) >> (i - at);
                if (!TryStore(mask, i, positions, ref count, 2 * Vector256<byte>.Count))
                {
                    isAscii = false;
                    return -1;
                }
            }

            high = any.ExtractMostSignificantBits();
        }
        else if (widest >= SplitterVariant.Vector256 && line.Length >= Vector256<byte>.Count)
        {
            var needle = Vector256.Create(separator);
            var any = Vector256<byte>.Zero;
            for (; i < line.Length; i += Vector256<byte>.Count)
            {
                // The last block overlaps the one before so that no byte is left to a scalar loop; its bits for bytes
                // already seen are shifted out.
                var at = Math.Min(i, line.Length - Vector256<byte>.Count);
                var block = Vector256.LoadUnsafe(ref start, (nuint)at);
                any |= block;
                var mask = Vector256.Equals(block, needle).ExtractMostSignificantBits() >> (i - at);
                if (!TryStore(mask, i, positions, ref count, Vector256<byte>.Count))
                {
                    isAscii = false;
                    return -1;
                }
            }

            high = any.ExtractMostSignificantBits();
        }
        else if (widest >= SplitterVariant.Vector128 && line.Length >= Vector128<byte>.Count)
        {
            var needle = Vector128.Create(separator);
            var any = Vector128<byte>.Zero;
            for (; i <= line.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var block = Vector128.LoadUnsafe(ref start, (nuint)i);
                any |= block;
                var mask = Vector128.Equals(block, needle).ExtractMostSignificantBits();
                if (!TryStore(mask, i, positions, ref count, Vector128<byte>.Count))
                {
                    isAscii = false;
                    return -1;
                }
            }

            high = any.ExtractMostSignificantBits();
        }

        for (; (uint)i < (uint)line.Length; i++)
        {
            high |= line[i] & 0x80u;
            if (line[i] == separator)
            {
                if ((uint)count >= (uint)positions.Length)
                {
                    isAscii = false;
                    return -1;
                }

                positions[count++] = i;
            }
        }

        isAscii = high == 0;
        return count;
    }

    /// <summary>
    /// Finds the first line of <paramref name="text"/> and its separators in one pass: returns the index of the line feed
    /// that ends the line, with the index of each <paramref name="separator"/> before it in <paramref name="positions"/>
    /// (<paramref name="count"/> of them) and whether every byte before it is ASCII. Returns -1, with nothing meaningful in
    /// the outputs, when this pass cannot tell: no 256-bit vectors, no line feed within the whole 64-byte blocks of
    /// <paramref name="text"/> or within <paramref name="maxLength"/> bytes, or more separators than
    /// <paramref name="positions"/> holds. The caller then finds the line and splits it apart. Give
    /// <paramref name="positions"/> <see cref="Slack"/> more entries than the separators expected.
    /// </summary>
    public static int FindLine(ReadOnlySpan<byte> text, byte separator, Span<int> positions, int maxLength, out int count, out bool isAscii)
    {
        count = 0;
        isAscii = false;
        if (!Vector256.IsHardwareAccelerated)
        {
            return -1;
        }

        // The count in a local (a register), not in the out parameter's memory: each store would otherwise wait on the
        // one before it through that memory.
        var stored = 0;

        // The line feed search of the line and the separator search of its fields share each block's loads (the line
        // is not read twice), and no block is read again at the line's end.
        ref var start = ref MemoryMarshal.GetReference(text);
        var needle = Vector256.Create(separator);
        var feed = Vector256.Create((byte)'\n');
        var any = Vector256<byte>.Zero;
        var last = (int)Math.Min(text.Length, maxLength + 1L) - (2 * Vector256<byte>.Count);
        for (var i = 0; i <= last; i += 2 * Vector256<byte>.Count)
        {
            var low = Vector256.LoadUnsafe(ref start, (nuint)i);
            var high = Vector256.LoadUnsafe(ref start, (nuint)i + (nuint)Vector256<byte>.Count);
            var separators = Vector256.Equals(low, needle).ExtractMostSignificantBits()
                | ((ulong)Vector256.Equals(high, needle).ExtractMostSignificantBits() << 32);
            var feeds = Vector256.Equals(low, feed).ExtractMostSignificantBits()
                | ((ulong)Vector256.Equals(high, feed).ExtractMostSignificantBits() << 32);
            if (feeds != 0)
            {
                var at = BitOperations.TrailingZeroCount(feeds);
                var before = (1UL << at) - 1;
                var nonAscii = (low.ExtractMostSignificantBits() | ((ulong)high.ExtractMostSignificantBits() << 32)) & before;
                if (!TryStore(separators & before, i, positions, ref stored, 2 * Vector256<byte>.Count))
                {
                    return -1;
                }

                count = stored;
                isAscii = nonAscii == 0 && any.ExtractMostSignificantBits() == 0;
                return i + at;
            }

            any |= low | high;
            if (!TryStore(separators, i, positions, ref stored, 2 * Vector256<byte>.Count))
            {
                return -1;
            }
        }

        return -1;
    }

    /// <summary>
    /// Stores <paramref name="offset"/> plus the index of each set bit of a block's <paramref name="mask"/> from
    /// <c>positions[count]</c> on; false when <paramref name="positions"/> runs out. With room for a whole block of
    /// <paramref name="blockSize"/> bytes, the stores need no bounds check each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryStore(ulong mask, int offset, Span<int> positions, ref int count, int blockSize)
    {
        if (count <= positions.Length - blockSize)
        {
            ref var next = ref MemoryMarshal.GetReference(positions);
            while (mask != 0)
            {
                Unsafe.Add(ref next, count++) = offset + BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
            }

            return true;
        }

        while (mask != 0)
        {
            if ((uint)count >= (uint)positions.Length)
            {
                return false;
            }

            positions[count++] = offset + BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
        }

        return true;
    }
}
