using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>Finds every separator of a TSV line in one vectorized pass (Sep's habit), so fields are then sliced by index.</summary>
internal static class FieldSplitter
{
    /// <summary>
    /// Writes the index of each <paramref name="separator"/> in <paramref name="line"/> into <paramref name="positions"/>
    /// and returns how many there are, or -1 when there are more than <paramref name="positions"/> can hold.
    /// <paramref name="isAscii"/> tells whether every byte of the line is ASCII (then it is valid UTF-8 without a second pass);
    /// it is only meaningful when the result is not -1.
    /// </summary>
    public static int FindSeparators(ReadOnlySpan<byte> line, byte separator, Span<int> positions, out bool isAscii)
    {
        var count = 0;
        var i = 0;
        var high = 0u;
        ref var start = ref MemoryMarshal.GetReference(line);
        if (Vector256.IsHardwareAccelerated && line.Length >= Vector256<byte>.Count)
        {
            var needle = Vector256.Create(separator);
            var any = Vector256<byte>.Zero;
            for (; i <= line.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                var block = Vector256.LoadUnsafe(ref start, (nuint)i);
                any |= block;
                var mask = Vector256.Equals(block, needle).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    if ((uint)count >= (uint)positions.Length)
                    {
                        isAscii = false;
                        return -1;
                    }

                    positions[count++] = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                }
            }

            high = any.ExtractMostSignificantBits();
        }
        else if (Vector128.IsHardwareAccelerated && line.Length >= Vector128<byte>.Count)
        {
            var needle = Vector128.Create(separator);
            var any = Vector128<byte>.Zero;
            for (; i <= line.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var block = Vector128.LoadUnsafe(ref start, (nuint)i);
                any |= block;
                var mask = Vector128.Equals(block, needle).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    if ((uint)count >= (uint)positions.Length)
                    {
                        isAscii = false;
                        return -1;
                    }

                    positions[count++] = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
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
}
