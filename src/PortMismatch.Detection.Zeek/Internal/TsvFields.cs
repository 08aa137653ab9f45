using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>
/// The fields of one TSV line whose separators have been found: field <c>k</c> is
/// <c>line[bounds[k] + 1 .. bounds[k + 1]]</c>, with <c>bounds[0] = -1</c> and <c>bounds[fieldCount]</c> the line's length.
/// Slicing checks the column once against the field count; the bounds themselves are in order and within the line by
/// construction (<see cref="FieldSplitter.FindSeparators(ReadOnlySpan{byte}, byte, Span{int}, out bool)"/>), so the slices need no further checks: the reader's
/// hottest code slices about twenty fields a line (measured: about 2 % of a whole scan's CPU time).
/// </summary>
internal readonly ref struct TsvFields
{
    private readonly ref byte _line;
    private readonly ref int _bounds;
    private readonly int _lineLength;
    private readonly int _fieldCount;
    private readonly byte[] _unset;

    public TsvFields(ReadOnlySpan<byte> line, int[] bounds, int fieldCount, byte[] unset)
    {
        if ((uint)fieldCount >= (uint)bounds.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(fieldCount));
        }

        _line = ref MemoryMarshal.GetReference(line);
        _bounds = ref MemoryMarshal.GetArrayDataReference(bounds);
        _lineLength = line.Length;
        _fieldCount = fieldCount;
        _unset = unset;
    }

    /// <summary>Gets the whole line.</summary>
    public ReadOnlySpan<byte> Line => MemoryMarshal.CreateReadOnlySpan(ref _line, _lineLength);

    /// <summary>Gets a field.</summary>
    /// <param name="column">The column, below the field count.</param>
    public ReadOnlySpan<byte> this[int column]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var (start, end) = Bounds(column);
            return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref _line, start), end - start);
        }
    }

    /// <summary>Gets where a field starts and ends in the line.</summary>
    /// <param name="column">The column, below the field count.</param>
    /// <returns>The start and the end (exclusive).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (int Start, int End) Bounds(int column)
    {
        if ((uint)column >= (uint)_fieldCount)
        {
            ThrowColumn(column);
        }

        return (Unsafe.Add(ref _bounds, column) + 1, Unsafe.Add(ref _bounds, column + 1));
    }

    /// <summary>Whether <c>line[start..end]</c> is the unset marker (<c>-</c> unless the header says otherwise).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsUnset(int start, int end)
        => end - start == _unset.Length
        && (_unset.Length == 1 ? Unsafe.Add(ref _line, start) == _unset[0] : Line[start..end].SequenceEqual(_unset));

    /// <summary>Whether a field is the unset marker.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsUnset(ReadOnlySpan<byte> field)
        => field.Length == _unset.Length && (field.Length == 1 ? field[0] == _unset[0] : field.SequenceEqual(_unset));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowColumn(int column) => throw new ArgumentOutOfRangeException(nameof(column), column, "The column is not below the field count.");
}
