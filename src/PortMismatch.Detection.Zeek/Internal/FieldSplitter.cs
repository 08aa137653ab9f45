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
    /// </summary>
    public static int FindSeparators(ReadOnlySpan<byte> line, byte separator, Span<int> positions)
    {
        var count = 0;
        var i = 0;
        ref var start = ref MemoryMarshal.GetReference(line);
        if (Vector256.IsHardwareAccelerated && line.Length >= Vector256<byte>.Count)
        {
            var needle = Vector256.Create(separator);
            for (; i <= line.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                var mask = Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)i), needle).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    if ((uint)count >= (uint)positions.Length)
                    {
                        return -1;
                    }

                    positions[count++] = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                }
            }
        }
        else if (Vector128.IsHardwareAccelerated && line.Length >= Vector128<byte>.Count)
        {
            var needle = Vector128.Create(separator);
            for (; i <= line.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var mask = Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)i), needle).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    if ((uint)count >= (uint)positions.Length)
                    {
                        return -1;
                    }

                    positions[count++] = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                }
            }
        }

        for (; (uint)i < (uint)line.Length; i++)
        {
            if (line[i] == separator)
            {
                if ((uint)count >= (uint)positions.Length)
                {
                    return -1;
                }

                positions[count++] = i;
            }
        }

        return count;
    }
}
