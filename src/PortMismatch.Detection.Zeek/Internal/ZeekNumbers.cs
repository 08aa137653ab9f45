using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>Outcome of parsing a number field.</summary>
internal enum NumberStatus
{
    Ok = 0,
    NotANumber = 1,
    OutOfRange = 2,
}

/// <summary>Zeek's <c>count</c> and <c>port</c> fields, on UTF-8 spans; fields of a line in one word or vector step when the line allows.</summary>
internal static class ZeekNumbers
{
    /// <summary>
    /// Parses 1 to 8 ASCII digits held in the low bytes of a little-endian word (the first digit in the lowest byte; the
    /// bytes above them are ignored) with a few multiplications instead of a loop. False when one of them is not a digit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryParseDigits(ulong word, int count, out uint value)
    {
        // A byte is a digit when neither byte - '0' nor byte + ('9' ^ 0x7F) sets its high bit. Borrows and carries only
        // move up, from the digits into the ignored bytes, so the test is exact for the digits.
        var shift = (8 - count) * 8;
        var nonDigits = ((word - 0x3030303030303030UL) | (word + 0x4646464646464646UL)) & 0x8080808080808080UL;
        if ((nonDigits & (ulong.MaxValue >> shift)) != 0)
        {
            value = 0;
            return false;
        }

        // Move the digits to the top: the zero bytes below them read as leading zeros.
        var v = (word << shift) & 0x0F0F0F0F0F0F0F0FUL;
        v = (v * 2561) >> 8;
        v = ((v & 0x00FF00FF00FF00FFUL) * 6553601) >> 16;
        v = ((v & 0x0000FFFF0000FFFFUL) * 42949672960001) >> 32;
        value = (uint)v;
        return true;
    }

    /// <summary>
    /// <see cref="TryParseCount(ReadOnlySpan{byte}, out long)"/> of <c>line[start..end]</c>; when eight bytes can be read
    /// from <paramref name="start"/> within the line, a field of up to eight digits is parsed in one step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NumberStatus TryParseCount(ReadOnlySpan<byte> line, int start, int end, out long value)
    {
        var length = end - start;
        if ((uint)(length - 1) < 8 && start <= line.Length - 8)
        {
            if (TryParseDigits(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(line), start)), length, out var digits))
            {
                value = digits;
                return NumberStatus.Ok;
            }
        }

        return TryParseCount(line[start..end], out value);
    }

    /// <summary><see cref="TryParsePort(ReadOnlySpan{byte}, out ushort)"/> of <c>line[start..end]</c> (see <see cref="TryParseCount(ReadOnlySpan{byte}, int, int, out long)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NumberStatus TryParsePort(ReadOnlySpan<byte> line, int start, int end, out ushort port)
        => ToPort(TryParseCount(line, start, end, out var value), value, out port);

    /// <summary>
    /// Two ports, <c>line[start0..end0]</c> and <c>line[start1..end1]</c>, in one vector step (<see cref="TryParseDigitPair"/>)
    /// when both are at most 65535; false says nothing about the fields: the caller parses them one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParsePortPair(ReadOnlySpan<byte> line, int start0, int end0, int start1, int end1, out ushort port0, out ushort port1)
    {
        var ok = TryParseDigitPair(line, start0, end0, start1, end1, out var value0, out var value1) && (value0 | value1) <= ushort.MaxValue;
        port0 = (ushort)value0;
        port1 = (ushort)value1;
        return ok;
    }

    /// <summary>
    /// Two fields of plain digits, <c>line[start0..end0]</c> and <c>line[start1..end1]</c>, in one vector step: true only
    /// when each is one to eight digits with eight bytes of the line readable from its start (the usual line); then the
    /// values are those of <see cref="TryParseCount(ReadOnlySpan{byte}, int, int, out long)"/>. False says nothing about
    /// the fields: the caller parses them one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseDigitPair(ReadOnlySpan<byte> line, int start0, int end0, int start1, int end1, out uint value0, out uint value1)
    {
        value0 = 0;
        value1 = 0;
        var length0 = end0 - start0;
        var length1 = end1 - start1;
        if (!Avx2.IsSupported || ((uint)(length0 - 1) >= 8) | ((uint)(length1 - 1) >= 8) | (start0 > line.Length - 8) | (start1 > line.Length - 8))
        {
            return false;
        }

        ref var at = ref MemoryMarshal.GetReference(line);
        var words = Vector128.Create(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, start0)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, start1)));

        // Digits as 0-9, each field moved to the top of its 8-byte lane (the first digit highest; the zeros shifted in
        // below read as leading zeros, the bytes past the field go out at the top), then pairs, fours and eights of them.
        var digits = Avx2.ShiftLeftLogicalVariable((words.AsByte() - Vector128.Create((byte)'0')).AsUInt64(), Vector128.Create((ulong)(64 - (8 * length0)), (ulong)(64 - (8 * length1)))).AsByte();
        if (!Vector128.LessThanOrEqualAll(digits, Vector128.Create((byte)9)))
        {
            return false;
        }

        var pairs = Ssse3.MultiplyAddAdjacent(digits, Vector128.Create((sbyte)10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
        var fours = Sse2.MultiplyAddAdjacent(pairs, Vector128.Create((short)100, 1, 100, 1, 100, 1, 100, 1));
        value0 = ((uint)fours.GetElement(0) * 10_000) + (uint)fours.GetElement(1);
        value1 = ((uint)fours.GetElement(2) * 10_000) + (uint)fours.GetElement(3);
        return true;
    }

    /// <summary>Parses a port: decimal digits, at most 65535.</summary>
    public static NumberStatus TryParsePort(ReadOnlySpan<byte> text, out ushort port)
        => ToPort(TryParseCount(text, out var value), value, out port);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static NumberStatus ToPort(NumberStatus status, long value, out ushort port)
    {
        port = status == NumberStatus.Ok && value <= ushort.MaxValue ? (ushort)value : (ushort)0;
        return status != NumberStatus.Ok ? status : value > ushort.MaxValue ? NumberStatus.OutOfRange : NumberStatus.Ok;
    }

    /// <summary>Parses a non-negative decimal integer (Zeek <c>count</c>). A minus sign before digits is out of range.</summary>
    public static NumberStatus TryParseCount(ReadOnlySpan<byte> text, out long value)
    {
        if ((uint)(text.Length - 1) < 18)
        {
            // Up to 18 digits cannot overflow: the common case, one test per digit.
            long fast = 0;
            foreach (var b in text)
            {
                var digit = (uint)(b - '0');
                if (digit > 9)
                {
                    goto Slow;
                }

                fast = (fast * 10) + digit;
            }

            value = fast;
            return NumberStatus.Ok;
        }

    Slow:
        value = 0;
        var negative = !text.IsEmpty && text[0] == (byte)'-';
        var digits = negative ? text[1..] : text;
        if (digits.IsEmpty)
        {
            return NumberStatus.NotANumber;
        }

        var overflow = false;
        foreach (var b in digits)
        {
            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                return NumberStatus.NotANumber;
            }

            if (overflow || value > (long.MaxValue - digit) / 10)
            {
                overflow = true;
            }
            else
            {
                value = (value * 10) + digit;
            }
        }

        if (negative && value == 0 && !overflow)
        {
            return NumberStatus.Ok;
        }

        return negative || overflow ? NumberStatus.OutOfRange : NumberStatus.Ok;
    }
}
