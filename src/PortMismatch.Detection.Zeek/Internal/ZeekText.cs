using System.Buffers.Binary;
using System.Numerics;
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

/// <summary>Parsers for the scalar values of Zeek logs, on UTF-8 spans, allocation-free.</summary>
internal static class ZeekText
{
    private const long MicrosPerSecond = 1_000_000;

    /// <summary>Parses <c>ts</c>: epoch seconds with an optional fraction (<c>1300475167.096535</c>) or ISO 8601.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseTimestamp(ReadOnlySpan<byte> text, out long micros)
        => TryParseTenDotSix(text, out micros) || TryParseEpochSeconds(text, out micros) || TryParseIso8601(text, out micros);

    /// <summary>Parses <c>[-]digits[.digits]</c> seconds since the epoch; digits after the sixth decimal are truncated.</summary>
    public static bool TryParseEpochSeconds(ReadOnlySpan<byte> text, out long micros)
    {
        if (TryParseTenDotSix(text, out micros))
        {
            return true;
        }

        micros = 0;
        var i = 0;
        var negative = false;
        if (!text.IsEmpty && text[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }

        long seconds = 0;
        var integerDigits = 0;
        for (; (uint)i < (uint)text.Length; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit > 9)
            {
                break;
            }

            if (++integerDigits > 12)
            {
                return false;
            }

            seconds = (seconds * 10) + digit;
        }

        if (integerDigits == 0)
        {
            return false;
        }

        long fraction = 0;
        var fractionDigits = 0;
        if ((uint)i < (uint)text.Length)
        {
            if (text[i] != (byte)'.' || i == text.Length - 1)
            {
                return false;
            }

            for (i++; (uint)i < (uint)text.Length; i++)
            {
                var digit = (uint)(text[i] - '0');
                if (digit > 9)
                {
                    return false;
                }

                if (fractionDigits < 6)
                {
                    fraction = (fraction * 10) + digit;
                    fractionDigits++;
                }
            }
        }

        for (; fractionDigits < 6; fractionDigits++)
        {
            fraction *= 10;
        }

        micros = (seconds * MicrosPerSecond) + fraction;
        if (negative)
        {
            micros = -micros;
        }

        return FlowTime.IsValid(micros);
    }

    /// <summary>
    /// Parses <c>yyyy-MM-ddTHH:mm:ss[.fraction][Z|±HH[:MM]|±HHMM]</c> (a space may replace the <c>T</c>; no zone means UTC)
    /// as Zeek's <c>json_timestamps=JSON::TS_ISO8601</c> and <c>zeek-cut -d</c> write it.
    /// </summary>
    public static bool TryParseIso8601(ReadOnlySpan<byte> text, out long micros)
    {
        micros = 0;
        if (text.Length < 19
            || text[4] != (byte)'-' || text[7] != (byte)'-' || (text[10] != (byte)'T' && text[10] != (byte)'t' && text[10] != (byte)' ')
            || text[13] != (byte)':' || text[16] != (byte)':'
            || !TryDigits(text.Slice(0, 4), out var year) || !TryDigits(text.Slice(5, 2), out var month)
            || !TryDigits(text.Slice(8, 2), out var day) || !TryDigits(text.Slice(11, 2), out var hour)
            || !TryDigits(text.Slice(14, 2), out var minute) || !TryDigits(text.Slice(17, 2), out var second)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var i = 19;
        long fraction = 0;
        if (i < text.Length && text[i] == (byte)'.')
        {
            var digits = 0;
            for (i++; i < text.Length && (uint)(text[i] - '0') <= 9; i++, digits++)
            {
                if (digits < 6)
                {
                    fraction = (fraction * 10) + (text[i] - '0');
                }
            }

            if (digits == 0)
            {
                return false;
            }

            for (; digits < 6; digits++)
            {
                fraction *= 10;
            }
        }

        var offsetMinutes = 0;
        var zone = text[i..];
        if (zone.Length == 1 && (zone[0] | 0x20) == 'z')
        {
            // UTC
        }
        else if (!zone.IsEmpty)
        {
            if ((zone[0] != (byte)'+' && zone[0] != (byte)'-') || !TryParseZone(zone[1..], out offsetMinutes))
            {
                return false;
            }

            if (zone[0] == (byte)'-')
            {
                offsetMinutes = -offsetMinutes;
            }
        }

        var ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks;
        micros = (ticks / TimeSpan.TicksPerMicrosecond) + fraction - (offsetMinutes * 60 * MicrosPerSecond);
        return FlowTime.IsValid(micros);
    }

    /// <summary>
    /// What Zeek writes for the next two centuries: ten digits, a point, six digits, in one vector step (or as three
    /// word-wide digit runs without SSSE3; inlined into the TSV path; anything else goes to the general parser).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryParseTenDotSix(ReadOnlySpan<byte> text, out long micros)
    {
        if (text.Length == 17 && text[10] == (byte)'.')
        {
            ref var start = ref MemoryMarshal.GetReference(text);
            if (Ssse3.IsSupported)
            {
                // The sixteen digits in one vector (bytes 0-9 of the field, then 11-16 from a load one byte on), as one
                // sixteen-digit number: seconds times a million plus the microseconds.
                var digits = Vector128.ConditionalSelect(
                    Vector128.Create((byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0),
                    Vector128.LoadUnsafe(ref start),
                    Vector128.LoadUnsafe(ref start, 1)) - Vector128.Create((byte)'0');
                if (Vector128.LessThanOrEqualAll(digits, Vector128.Create((byte)9)))
                {
                    var pairs = Ssse3.MultiplyAddAdjacent(digits, Vector128.Create((sbyte)10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
                    var fours = Sse2.MultiplyAddAdjacent(pairs, Vector128.Create((short)100, 1, 100, 1, 100, 1, 100, 1));
                    var eights = Sse2.MultiplyAddAdjacent(Sse2.PackSignedSaturate(fours, fours), Vector128.Create((short)10_000, 1, 10_000, 1, 10_000, 1, 10_000, 1));
                    micros = ((long)eights.GetElement(0) * 100_000_000) + eights.GetElement(1);
                    return FlowTime.IsValid(micros);
                }

                micros = 0;
                return false;
            }

            var last = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, 9));
            if (TryParseDigits(Unsafe.ReadUnaligned<ulong>(ref start), 8, out var high)
                && TryParseDigits(last, 1, out var ninth)
                && TryParseDigits((ulong)text[8], 1, out var eighth)
                && TryParseDigits(last >> 16, 6, out var micro))
            {
                micros = (((high * 100L) + (eighth * 10) + ninth) * MicrosPerSecond) + micro;
                return FlowTime.IsValid(micros);
            }
        }

        micros = 0;
        return false;
    }

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

    /// <summary>
    /// Parses an address: a strict IPv4 dotted quad here (the common case, kept short), anything else by
    /// <see cref="IPAddressValue.TryParse(ReadOnlySpan{byte}, out IPAddressValue)"/>, which accepts the same dotted quads.
    /// </summary>
    public static bool TryParseAddress(ReadOnlySpan<byte> text, out IPAddressValue address)
    {
        if (text.Length is >= 7 and <= 15 && TryParseIPv4(text, out var v4))
        {
            address = IPAddressValue.FromIPv4(v4);
            return true;
        }

        return IPAddressValue.TryParse(text, out address);
    }

    /// <summary>
    /// <see cref="TryParseAddress(ReadOnlySpan{byte}, out IPAddressValue)"/> of <c>line[start..end]</c>. When 16 bytes of
    /// <paramref name="line"/> follow <paramref name="start"/> (a field with more fields after it), a dotted quad is read
    /// from one 16-byte block without a branch per digit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseAddress(ReadOnlySpan<byte> line, int start, int end, out IPAddressValue address)
    {
        if (Ssse3.IsSupported
            && (uint)(end - start - 7) <= 8
            && start <= line.Length - 16
            && TryParseIPv4Block(ref Unsafe.Add(ref MemoryMarshal.GetReference(line), start), end - start, out var v4))
        {
            address = IPAddressValue.FromIPv4(v4);
            return true;
        }

        if (Vector256.IsHardwareAccelerated
            && (uint)(end - start - 2) <= 30
            && start <= line.Length - 36
            && TryParseIPv6Field(ref Unsafe.Add(ref MemoryMarshal.GetReference(line), start), end - start, out address))
        {
            return true;
        }

        return TryParseAddress(line[start..end], out address);
    }

    /// <summary>
    /// <see cref="TryParseIPv6Block"/> made an address. Not inlined: its buffer would put a stack guard in the line
    /// parser's frame, which costs every line (measured) for the few addresses that are IPv6.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryParseIPv6Field(ref byte text, int length, out IPAddressValue address)
    {
        if (!TryParseIPv6Block(ref text, length, out var high, out var low))
        {
            address = IPAddressValue.None;
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, high);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], low);
        address = IPAddressValue.FromBytes(bytes);
        return true;
    }

    /// <summary>
    /// An IPv6 address of hex groups and colons only (no embedded dotted quad, no zone) in the first
    /// <paramref name="length"/> (2-32) bytes at <paramref name="text"/>, 36 of which must be readable, with the core
    /// parser's rules: one to four hex digits a group, eight groups, or at most seven with one <c>::</c>. The character
    /// classes and the groups' places come from one 32-byte block's masks, each group's value from one 4-byte word. False
    /// for anything else (the caller then tries the general parser).
    /// </summary>
    internal static bool TryParseIPv6Block(ref byte text, int length, out ulong high, out ulong low)
    {
        high = 0;
        low = 0;
        var block = Vector256.LoadUnsafe(ref text);
        var inField = length == 32 ? uint.MaxValue : (1u << length) - 1;
        var colons = Vector256.Equals(block, Vector256.Create((byte)':')).ExtractMostSignificantBits() & inField;
        var digit = Vector256.LessThanOrEqual(block - Vector256.Create((byte)'0'), Vector256.Create((byte)9));
        var letter = Vector256.LessThanOrEqual((block | Vector256.Create((byte)0x20)) - Vector256.Create((byte)'a'), Vector256.Create((byte)5));
        var hex = (digit | letter).ExtractMostSignificantBits() & inField;

        // Only hex digits and colons; no ":::", at most one "::"; a colon at either end only as part of a "::".
        var pairs = colons & (colons >> 1);
        var last = 1u << (length - 1);
        if (((hex | colons) != inField)
            | ((pairs & (pairs >> 1)) != 0)
            | (BitOperations.PopCount(pairs) > 1)
            | (((colons & 1) != 0) & ((colons & 2) == 0))
            | (((colons & last) != 0) & ((colons & (last >> 1)) == 0)))
        {
            return false;
        }

        var starts = hex & ~(hex << 1);
        var ends = hex & ~(hex >> 1);
        var groups = BitOperations.PopCount(starts);
        var head = pairs == 0 ? groups : BitOperations.PopCount(starts & (pairs - 1));
        if (pairs == 0 ? groups != 8 : groups > 7)
        {
            return false;
        }

        // Group k goes to place k before the "::" and to place k + (8 - groups) after it; place 0 is the top 16 bits.
        for (var k = 0; k < groups; k++)
        {
            var first = BitOperations.TrailingZeroCount(starts);
            var digits = BitOperations.TrailingZeroCount(ends) - first + 1;
            starts &= starts - 1;
            ends &= ends - 1;
            if (digits > 4)
            {
                return false;
            }

            // Each character's value in its byte ('0'-'9': low nibble; letters: low nibble + 9), the group's digits then
            // moved to the top bytes (the last digit in byte 3) and their nibbles gathered, the first digit highest.
            var word = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref text, first));
            var values = (word & 0x0F0F0F0Fu) + (9 * ((word >> 6) & 0x01010101u));
            values <<= 8 * (4 - digits);
            var value = ((values & 0xFF) << 12) | (((values >> 8) & 0xFF) << 8) | (((values >> 16) & 0xFF) << 4) | (values >> 24);
            var place = k < head ? k : k + (8 - groups);
            if (place < 4)
            {
                high |= (ulong)value << (16 * (3 - place));
            }
            else
            {
                low |= (ulong)value << (16 * (7 - place));
            }
        }

        return true;
    }

    /// <summary>
    /// The dotted quad of <see cref="TryParseIPv4"/> in the first <paramref name="length"/> (7-15) bytes at
    /// <paramref name="text"/>, 16 of which must be readable, in SIMD: the dots and digits come from vector compares, one
    /// shuffle (picked by the four octets' lengths) puts each octet's digits right-aligned in a 32-bit lane, and two
    /// multiply-adds make the lanes' values. No branch depends on an octet's length. False for anything else (the caller
    /// then tries the general parsers).
    /// </summary>
    internal static bool TryParseIPv4Block(ref byte text, int length, out uint address)
    {
        address = 0;
        var block = Vector128.LoadUnsafe(ref text);
        var inField = (1u << length) - 1;
        var values = block - Vector128.Create((byte)'0');
        var dots = Vector128.Equals(block, Vector128.Create((byte)'.')).ExtractMostSignificantBits() & inField;
        var digits = Vector128.LessThanOrEqual(values, Vector128.Create((byte)9)).ExtractMostSignificantBits() & inField;
        var zeros = Vector128.Equals(values, Vector128<byte>.Zero).ExtractMostSignificantBits() & inField;
        var first = BitOperations.TrailingZeroCount(dots);
        var rest = dots & (dots - 1);
        var second = BitOperations.TrailingZeroCount(rest);
        rest &= rest - 1;
        var third = BitOperations.TrailingZeroCount(rest);

        // Each octet's length less one, which must be 0-2; a zero that starts an octet must be all of it.
        var a = first - 1;
        var b = second - first - 2;
        var c = third - second - 2;
        var d = length - third - 2;
        var bad = ((dots | digits) != inField) | (BitOperations.PopCount(dots) != 3)
            | ((uint)a > 2) | ((uint)b > 2) | ((uint)c > 2) | ((uint)d > 2)
            | ((zeros & (1 | (dots << 1)) & (digits >> 1)) != 0);
        if (bad)
        {
            return false;
        }

        var shuffle = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(OctetShuffles), (nuint)((((((a * 3) + b) * 3) + c) * 3) + d) * 16);
        var pairs = Ssse3.MultiplyAddAdjacent(Ssse3.Shuffle(values, shuffle), Vector128.Create((sbyte)0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1));
        var octets = Sse2.MultiplyAddAdjacent(pairs, Vector128.Create((short)1));
        if (Vector128.GreaterThanAny(octets, Vector128.Create(255)))
        {
            return false;
        }

        // The four values' low bytes, first octet highest.
        address = Ssse3.Shuffle(octets.AsByte(), Vector128.Create((byte)12, 8, 4, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80)).AsUInt32().ToScalar();
        return true;
    }

    /// <summary>
    /// For each of the 81 combinations of octet lengths (1-3 each; index <c>((a * 3 + b) * 3 + c) * 3 + d</c> of the
    /// lengths less one), the <c>pshufb</c> pattern that moves octet k's digits from a dotted quad's bytes to the end of
    /// 32-bit lane k, zeros (0x80) before them.
    /// </summary>
    private static ReadOnlySpan<byte> OctetShuffles =>
    [
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x80, 0x80, 0x06,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x80, 0x06, 0x07,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x06, 0x07, 0x08,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x80, 0x80, 0x07,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x80, 0x07, 0x08,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x07, 0x08, 0x09,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x80, 0x80, 0x08,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x80, 0x08, 0x09,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x08, 0x09, 0x0A,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x02, 0x03, 0x80, 0x80, 0x80, 0x05, 0x80, 0x80, 0x80, 0x07,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x02, 0x03, 0x80, 0x80, 0x80, 0x05, 0x80, 0x80, 0x07, 0x08,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x02, 0x03, 0x80, 0x80, 0x80, 0x05, 0x80, 0x07, 0x08, 0x09,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x02, 0x03, 0x80, 0x80, 0x05, 0x06, 0x80, 0x80, 0x80, 0x08,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x02, 0x03, 0x80, 0x80, 0x05, 0x06, 0x80, 0x80, 0x08, 0x09,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x02, 0x03, 0x80, 0x80, 0x05, 0x06, 0x80, 0x08, 0x09, 0x0A,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x02, 0x03, 0x80, 0x05, 0x06, 0x07, 0x80, 0x80, 0x80, 0x09,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x02, 0x03, 0x80, 0x05, 0x06, 0x07, 0x80, 0x80, 0x09, 0x0A,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x02, 0x03, 0x80, 0x05, 0x06, 0x07, 0x80, 0x09, 0x0A, 0x0B,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x02, 0x03, 0x04, 0x80, 0x80, 0x80, 0x06, 0x80, 0x80, 0x80, 0x08,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x02, 0x03, 0x04, 0x80, 0x80, 0x80, 0x06, 0x80, 0x80, 0x08, 0x09,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x02, 0x03, 0x04, 0x80, 0x80, 0x80, 0x06, 0x80, 0x08, 0x09, 0x0A,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x02, 0x03, 0x04, 0x80, 0x80, 0x06, 0x07, 0x80, 0x80, 0x80, 0x09,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x02, 0x03, 0x04, 0x80, 0x80, 0x06, 0x07, 0x80, 0x80, 0x09, 0x0A,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x02, 0x03, 0x04, 0x80, 0x80, 0x06, 0x07, 0x80, 0x09, 0x0A, 0x0B,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x02, 0x03, 0x04, 0x80, 0x06, 0x07, 0x08, 0x80, 0x80, 0x80, 0x0A,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x02, 0x03, 0x04, 0x80, 0x06, 0x07, 0x08, 0x80, 0x80, 0x0A, 0x0B,
        0x80, 0x80, 0x80, 0x00, 0x80, 0x02, 0x03, 0x04, 0x80, 0x06, 0x07, 0x08, 0x80, 0x0A, 0x0B, 0x0C,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x80, 0x03, 0x80, 0x80, 0x80, 0x05, 0x80, 0x80, 0x80, 0x07,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x80, 0x03, 0x80, 0x80, 0x80, 0x05, 0x80, 0x80, 0x07, 0x08,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x80, 0x03, 0x80, 0x80, 0x80, 0x05, 0x80, 0x07, 0x08, 0x09,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x80, 0x03, 0x80, 0x80, 0x05, 0x06, 0x80, 0x80, 0x80, 0x08,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x80, 0x03, 0x80, 0x80, 0x05, 0x06, 0x80, 0x80, 0x08, 0x09,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x80, 0x03, 0x80, 0x80, 0x05, 0x06, 0x80, 0x08, 0x09, 0x0A,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x80, 0x03, 0x80, 0x05, 0x06, 0x07, 0x80, 0x80, 0x80, 0x09,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x80, 0x03, 0x80, 0x05, 0x06, 0x07, 0x80, 0x80, 0x09, 0x0A,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x80, 0x03, 0x80, 0x05, 0x06, 0x07, 0x80, 0x09, 0x0A, 0x0B,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x03, 0x04, 0x80, 0x80, 0x80, 0x06, 0x80, 0x80, 0x80, 0x08,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x03, 0x04, 0x80, 0x80, 0x80, 0x06, 0x80, 0x80, 0x08, 0x09,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x03, 0x04, 0x80, 0x80, 0x80, 0x06, 0x80, 0x08, 0x09, 0x0A,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x03, 0x04, 0x80, 0x80, 0x06, 0x07, 0x80, 0x80, 0x80, 0x09,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x03, 0x04, 0x80, 0x80, 0x06, 0x07, 0x80, 0x80, 0x09, 0x0A,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x03, 0x04, 0x80, 0x80, 0x06, 0x07, 0x80, 0x09, 0x0A, 0x0B,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x03, 0x04, 0x80, 0x06, 0x07, 0x08, 0x80, 0x80, 0x80, 0x0A,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x03, 0x04, 0x80, 0x06, 0x07, 0x08, 0x80, 0x80, 0x0A, 0x0B,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x80, 0x03, 0x04, 0x80, 0x06, 0x07, 0x08, 0x80, 0x0A, 0x0B, 0x0C,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x03, 0x04, 0x05, 0x80, 0x80, 0x80, 0x07, 0x80, 0x80, 0x80, 0x09,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x03, 0x04, 0x05, 0x80, 0x80, 0x80, 0x07, 0x80, 0x80, 0x09, 0x0A,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x03, 0x04, 0x05, 0x80, 0x80, 0x80, 0x07, 0x80, 0x09, 0x0A, 0x0B,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x03, 0x04, 0x05, 0x80, 0x80, 0x07, 0x08, 0x80, 0x80, 0x80, 0x0A,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x03, 0x04, 0x05, 0x80, 0x80, 0x07, 0x08, 0x80, 0x80, 0x0A, 0x0B,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x03, 0x04, 0x05, 0x80, 0x80, 0x07, 0x08, 0x80, 0x0A, 0x0B, 0x0C,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x03, 0x04, 0x05, 0x80, 0x07, 0x08, 0x09, 0x80, 0x80, 0x80, 0x0B,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x03, 0x04, 0x05, 0x80, 0x07, 0x08, 0x09, 0x80, 0x80, 0x0B, 0x0C,
        0x80, 0x80, 0x00, 0x01, 0x80, 0x03, 0x04, 0x05, 0x80, 0x07, 0x08, 0x09, 0x80, 0x0B, 0x0C, 0x0D,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x80, 0x80, 0x06, 0x80, 0x80, 0x80, 0x08,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x80, 0x80, 0x06, 0x80, 0x80, 0x08, 0x09,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x80, 0x80, 0x06, 0x80, 0x08, 0x09, 0x0A,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x80, 0x06, 0x07, 0x80, 0x80, 0x80, 0x09,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x80, 0x06, 0x07, 0x80, 0x80, 0x09, 0x0A,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x80, 0x06, 0x07, 0x80, 0x09, 0x0A, 0x0B,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x06, 0x07, 0x08, 0x80, 0x80, 0x80, 0x0A,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x06, 0x07, 0x08, 0x80, 0x80, 0x0A, 0x0B,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80, 0x04, 0x80, 0x06, 0x07, 0x08, 0x80, 0x0A, 0x0B, 0x0C,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x80, 0x80, 0x07, 0x80, 0x80, 0x80, 0x09,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x80, 0x80, 0x07, 0x80, 0x80, 0x09, 0x0A,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x80, 0x80, 0x07, 0x80, 0x09, 0x0A, 0x0B,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x80, 0x07, 0x08, 0x80, 0x80, 0x80, 0x0A,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x80, 0x07, 0x08, 0x80, 0x80, 0x0A, 0x0B,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x80, 0x07, 0x08, 0x80, 0x0A, 0x0B, 0x0C,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x07, 0x08, 0x09, 0x80, 0x80, 0x80, 0x0B,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x07, 0x08, 0x09, 0x80, 0x80, 0x0B, 0x0C,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x80, 0x04, 0x05, 0x80, 0x07, 0x08, 0x09, 0x80, 0x0B, 0x0C, 0x0D,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x80, 0x80, 0x08, 0x80, 0x80, 0x80, 0x0A,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x80, 0x80, 0x08, 0x80, 0x80, 0x0A, 0x0B,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x80, 0x80, 0x08, 0x80, 0x0A, 0x0B, 0x0C,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x80, 0x08, 0x09, 0x80, 0x80, 0x80, 0x0B,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x80, 0x08, 0x09, 0x80, 0x80, 0x0B, 0x0C,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x80, 0x08, 0x09, 0x80, 0x0B, 0x0C, 0x0D,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x08, 0x09, 0x0A, 0x80, 0x80, 0x80, 0x0C,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x08, 0x09, 0x0A, 0x80, 0x80, 0x0C, 0x0D,
        0x80, 0x00, 0x01, 0x02, 0x80, 0x04, 0x05, 0x06, 0x80, 0x08, 0x09, 0x0A, 0x80, 0x0C, 0x0D, 0x0E,
    ];

    /// <summary>Four decimal octets of 1-3 digits, at most 255, without leading zeros (the core's rule).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseIPv4(ReadOnlySpan<byte> text, out uint address)
    {
        // One octet per turn, its digits unrolled: a few instructions per character.
        address = 0;
        var value = 0u;
        var i = 0;
        for (var octet = 0; octet < 4; octet++)
        {
            if (octet > 0)
            {
                if ((uint)i >= (uint)text.Length || text[i] != (byte)'.')
                {
                    return false;
                }

                i++;
            }

            if ((uint)i >= (uint)text.Length)
            {
                return false;
            }

            var part = (uint)(text[i] - '0');
            if (part > 9)
            {
                return false;
            }

            i++;
            if ((uint)i < (uint)text.Length && (uint)(text[i] - '0') is var second and <= 9)
            {
                if (part == 0)
                {
                    return false; // a leading zero
                }

                part = (part * 10) + second;
                i++;
                if ((uint)i < (uint)text.Length && (uint)(text[i] - '0') is var third and <= 9)
                {
                    part = (part * 10) + third;
                    i++;
                    if (part > 255)
                    {
                        return false;
                    }
                }
            }

            value = (value << 8) | part;
        }

        address = value;
        return i == text.Length;
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

    /// <summary>Whether the text holds a backslash escape that <see cref="Unescape"/> would change.</summary>
    public static bool HasEscape(ReadOnlySpan<byte> text) => text.Contains((byte)'\\');

    /// <summary>
    /// Decodes Zeek's <c>\xHH</c> escapes into <paramref name="destination"/> (at least as long as the text); a backslash
    /// that does not start a valid escape is copied as is. Returns the decoded length.
    /// </summary>
    public static int Unescape(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            if (b == (byte)'\\' && i + 3 < text.Length && text[i + 1] == (byte)'x'
                && TryHex(text[i + 2], out var high) && TryHex(text[i + 3], out var low))
            {
                destination[written++] = (byte)((high << 4) | low);
                i += 3;
            }
            else
            {
                destination[written++] = b;
            }
        }

        return written;
    }

    private static bool TryHex(byte b, out int value)
    {
        value = b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }

    private static bool TryParseZone(ReadOnlySpan<byte> zone, out int minutes)
    {
        minutes = 0;
        int hours, mins = 0;
        switch (zone.Length)
        {
            case 2:
                if (!TryDigits(zone, out hours))
                {
                    return false;
                }

                break;
            case 4:
                if (!TryDigits(zone[..2], out hours) || !TryDigits(zone[2..], out mins))
                {
                    return false;
                }

                break;
            case 5:
                if (zone[2] != (byte)':' || !TryDigits(zone[..2], out hours) || !TryDigits(zone[3..], out mins))
                {
                    return false;
                }

                break;
            default:
                return false;
        }

        if (hours > 23 || mins > 59)
        {
            return false;
        }

        minutes = (hours * 60) + mins;
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var b in text)
        {
            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                return false;
            }

            value = (value * 10) + (int)digit;
        }

        return true;
    }
}
