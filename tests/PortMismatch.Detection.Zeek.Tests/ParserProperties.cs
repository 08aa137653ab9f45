using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary>The adapter's short paths agree with the reference implementations they shortcut.</summary>
public sealed class ParserProperties
{
    private const string Replay = "(20261126,20261127)";

    private static Gen<string> AddressLike() =>
        Gen.Choose(0, 16).SelectMany(n => Gen.ListOf(Gen.Elements("0", "1", "2", "5", "9", "25", "255", "256", "00", "01", ".", ".", ".", ":", "a", "f", "::", " ", "-"), n))
            .Select(parts => string.Concat(parts));

    [Property(MaxTest = 20_000, Replay = Replay)]
    public Property The_address_short_path_accepts_exactly_what_the_core_parser_accepts()
        => Prop.ForAll(AddressLike().ToArbitrary(), text =>
        {
            var utf8 = Encoding.ASCII.GetBytes(text);
            var fast = ZeekText.TryParseAddress(utf8, out var a);
            var core = IPAddressValue.TryParse(utf8, out var b);
            return (fast == core && a == b).Label($"'{text}': short path {fast} {a}, core {core} {b}");
        });

    private static Gen<string> DottedQuadLike() =>
        Gen.Choose(0, 3).SelectMany(junk => Gen.ArrayOf(Gen.Elements("0", "1", "9", "00", "01", "10", "25", "99", "100", "199", "255", "256", "999", "1000", "", "a", ":", "-"), 4)
            .Select(octets => junk == 0 ? string.Join('.', octets).Insert(octets[0].Length, ".") : string.Join('.', octets)));

    [Property(MaxTest = 50_000, Replay = Replay)]
    public Property The_address_path_inside_a_line_accepts_exactly_what_the_core_parser_accepts(byte after, bool quad)
        => Prop.ForAll((quad ? DottedQuadLike() : AddressLike()).ToArbitrary(), text => LinePathAgreesWithCore(text, after % 20, after));

    /// <summary>
    /// The line path reads <paramref name="text"/>, a field at offset 1 with <paramref name="trailing"/> filler bytes after
    /// it, as the core parser reads the field alone. The block paths read past a field's end: what follows must not matter.
    /// </summary>
    private static Property LinePathAgreesWithCore(string text, int trailing, byte after)
    {
        var field = Encoding.ASCII.GetBytes(text);
        var line = new byte[1 + field.Length + trailing];
        line.AsSpan().Fill((byte)"0.9\t:"[after % 5]);
        field.CopyTo(line, 1);
        var fast = ZeekText.TryParseAddress(line, 1, 1 + field.Length, out var a);
        var core = IPAddressValue.TryParse(field, out var b);
        return (fast == core && a == b).Label($"'{text}' + {trailing} bytes: line path {fast} {a}, core {core} {b}");
    }

    [Property(MaxTest = 20_000, Replay = Replay)]
    public Property The_block_path_takes_every_dotted_quad_itself(byte a, byte b, byte c, byte d, byte after)
    {
        // Not only the same answer as the core parser (a fallback would give that too): the block path must read every
        // valid dotted quad without handing it on.
        if (!System.Runtime.Intrinsics.X86.Ssse3.IsSupported)
        {
            return true.Label("no SSSE3: the block path is not used");
        }

        var text = $"{a}.{b}.{c}.{d}";
        var line = new byte[16 + (after % 8)];
        line.AsSpan().Fill((byte)"0.9\t:"[after % 5]);
        Encoding.ASCII.GetBytes(text).CopyTo(line, 0);
        var taken = ZeekText.TryParseIPv4Block(ref line[0], text.Length, out var value);
        var expected = ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d;
        return (taken && value == expected).Label($"'{text}': block path {taken} {value:X8}, expected {expected:X8}");
    }

    [Property(MaxTest = 20_000, Replay = Replay)]
    public Property The_block_path_takes_every_colon_hex_IPv6_address_itself(ulong high, ulong low, byte zeroRun, byte style, byte after)
    {
        // Eight groups with a run of zero groups (often compressed to "::"), in either case and with or without leading
        // zeros; the block path must read every one of them up to 32 characters, and give the core parser's value.
        if (!System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
        {
            return true.Label("no 256-bit vectors: the block path is not used");
        }

        var groups = new ushort[8];
        for (var g = 0; g < 8; g++)
        {
            groups[g] = (ushort)((g < 4 ? high : low) >> (16 * (3 - (g % 4))));
        }

        var runStart = zeroRun % 8;
        var runLength = (zeroRun / 8) % (9 - runStart);
        for (var g = runStart; g < runStart + runLength; g++)
        {
            groups[g] = 0;
        }

        string Group(ushort value) => (style % 3) switch
        {
            0 => value.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
            1 => value.ToString("X", System.Globalization.CultureInfo.InvariantCulture),
            _ => value.ToString("x4", System.Globalization.CultureInfo.InvariantCulture),
        };

        var text = runLength >= 1 && style % 2 == 0
            ? string.Join(':', groups[..runStart].Select(Group)) + "::" + string.Join(':', groups[(runStart + runLength)..].Select(Group))
            : string.Join(':', groups.Select(Group));
        var line = new byte[Math.Max(36, text.Length) + (after % 8)];
        line.AsSpan().Fill((byte)"0.9\t:"[after % 5]);
        Encoding.ASCII.GetBytes(text).CopyTo(line, 0);

        var core = IPAddressValue.TryParse(line.AsSpan(0, text.Length), out var expected);
        if (text.Length > 32)
        {
            // Longer than one block: the line path hands it to the general parser.
            var parsed = ZeekText.TryParseAddress(line, 0, text.Length, out var address);
            return (core && parsed && address == expected).Label($"'{text}': line path {parsed} {address}, core {core} {expected}");
        }

        var taken = ZeekText.TryParseIPv6Block(ref line[0], text.Length, out var h, out var l);
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, h);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), l);
        var ok = core && taken && IPAddressValue.FromBytes(bytes) == expected;
        return ok.Label($"'{text}': block path {taken} {IPAddressValue.FromBytes(bytes)}, core {core} {expected}");
    }

    [Theory]
    [InlineData("1::2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6:7::")]
    [InlineData("::1:2:3:4:5:6:7")]
    [InlineData("1:2:3:4:5:6:7:8::")]
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("1:2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("12345::")]
    [InlineData(":1::")]
    [InlineData("::")]
    [InlineData("FFFF:ffff:0:00:000:0000:aBcD:9")]
    public void Group_counts_at_the_limits_read_as_the_core_parser_reads_them(string text)
    {
        var field = Encoding.ASCII.GetBytes(text);
        var line = new byte[field.Length + 40];
        field.CopyTo(line, 0);
        line[field.Length] = (byte)'\t';
        Assert.Equal(IPAddressValue.TryParse(field, out var core), ZeekText.TryParseAddress(line, 0, field.Length, out var address));
        Assert.Equal(core, address);
    }

    private static Gen<string> ColonHexLike() =>
        Gen.Choose(0, 12).SelectMany(n => Gen.ListOf(Gen.Elements("0", "1", "a", "F", "ff", "abc", "1234", "12345", "0000", ":", ":", "::", ":::", "g", "."), n))
            .Select(parts => string.Concat(parts));

    [Property(MaxTest = 50_000, Replay = Replay)]
    public Property The_address_path_inside_a_line_reads_colon_hex_text_as_the_core_parser_does(byte after)
        => Prop.ForAll(ColonHexLike().ToArbitrary(), text => LinePathAgreesWithCore(text, 36 + (after % 8), after));

    [Property(MaxTest = 30_000, Replay = Replay)]
    public Property Two_fields_in_one_vector_step_read_as_each_alone(NonNegativeInt a, NonNegativeInt b, byte digitsA, byte digitsB, byte junk, byte after)
    {
        // Fields of 1 to 10 digits (sometimes with a non-digit), a tab between, random bytes after: when the pair path
        // answers, each value is the one-field parser's; it must answer for two plain fields of up to eight digits.
        string Field(int n, byte digits, bool spoil)
        {
            var text = ((long)n % (long)Math.Pow(10, 1 + (digits % 10))).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(1 + (digits % 3), '0');
            return spoil ? text.Insert(junk % (text.Length + 1), junk == 0 ? "x" : ((char)junk).ToString()) : text;
        }

        var first = Field(a.Get, digitsA, junk % 7 == 0);
        var second = Field(b.Get, digitsB, junk % 7 == 1);
        var text = first + "\t" + second;
        var line = new byte[text.Length + (after % 12)];
        line.AsSpan().Fill((byte)"0.9\t:"[after % 5]);
        Encoding.Latin1.GetBytes(text).CopyTo(line, 0);
        var start1 = first.Length + 1;

        var taken = ZeekNumbers.TryParseDigitPair(line, 0, first.Length, start1, text.Length, out var value0, out var value1);
        var status0 = ZeekNumbers.TryParseCount(line.AsSpan(0, first.Length), out var expected0);
        var status1 = ZeekNumbers.TryParseCount(line.AsSpan(start1, second.Length), out var expected1);
        var plain = status0 == NumberStatus.Ok && status1 == NumberStatus.Ok && first.Length <= 8 && second.Length <= 8
            && start1 + 8 <= line.Length && first.All(char.IsAsciiDigit) && second.All(char.IsAsciiDigit);
        var ok = taken
            ? status0 == NumberStatus.Ok && status1 == NumberStatus.Ok && value0 == expected0 && value1 == expected1
            : !plain || !System.Runtime.Intrinsics.X86.Avx2.IsSupported;
        var ports = ZeekNumbers.TryParsePortPair(line, 0, first.Length, start1, text.Length, out var port0, out var port1);
        ok &= ports ? taken && value0 <= ushort.MaxValue && value1 <= ushort.MaxValue && port0 == value0 && port1 == value1
            : !taken || value0 > ushort.MaxValue || value1 > ushort.MaxValue;
        return ok.Label($"'{first}' '{second}' + {line.Length - text.Length} bytes: pair {taken} {value0} {value1}, alone {status0} {expected0} {status1} {expected1}, ports {ports}");
    }

    [Property(MaxTest = 20_000, Replay = Replay)]
    public Property Counts_parse_like_long_TryParse(NonNegativeInt n, bool big, byte junkAt)
    {
        var value = big ? (long)n.Get * 1_000_000_007L : n.Get;
        var text = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (junkAt % 4 == 0)
        {
            text = text.Insert(junkAt % (text.Length + 1), "x");
        }

        var status = ZeekNumbers.TryParseCount(Encoding.ASCII.GetBytes(text), out var parsed);
        var expected = long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var reference);
        return ((status == NumberStatus.Ok) == expected && (!expected || parsed == reference)).Label($"'{text}': {status} {parsed}");
    }

    [Property(MaxTest = 20_000, Replay = Replay)]
    public Property Counts_inside_a_line_parse_like_the_field_alone(NonNegativeInt n, byte digits, byte junkAt, byte junk, byte after)
    {
        // The word-wide path reads eight bytes from the field's start, past its end: what follows must not matter.
        var value = (long)n.Get % (long)Math.Pow(10, 1 + (digits % 10));
        var text = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (junkAt % 3 == 0)
        {
            text = text.Insert(junkAt % (text.Length + 1), ((char)junk).ToString());
        }

        var field = Encoding.Latin1.GetBytes(text);
        var line = new byte[1 + field.Length + (after % 12)];
        line.AsSpan().Fill((byte)(after + '0'));
        field.CopyTo(line, 1);
        var status = ZeekNumbers.TryParseCount(line, 1, 1 + field.Length, out var parsed);
        var expected = ZeekNumbers.TryParseCount(field, out var reference);
        return (status == expected && parsed == reference).Label($"'{text}' + {line.Length - field.Length - 1} bytes: {status} {parsed}, alone {expected} {reference}");
    }

    [Property(MaxTest = 20_000, Replay = Replay)]
    public Property The_ten_dot_six_path_takes_every_zeek_timestamp_itself(uint seconds, uint micros)
    {
        // Not only the same answer as the general parser (a fallback would give that too): the short path must read every
        // ten-digit, six-decimal timestamp in range without handing it on.
        var text = FormattableString.Invariant($"{1_000_000_000L + (seconds % 9_000_000_000L)}.{micros % 1_000_000:D6}");
        var reference = long.Parse(text.Remove(10, 1), System.Globalization.CultureInfo.InvariantCulture);
        var taken = ZeekTime.TryParseTenDotSix(Encoding.ASCII.GetBytes(text), out var parsed);
        return (taken == FlowTime.IsValid(reference) && (!taken || parsed == reference)).Label($"'{text}': {taken} {parsed}, expected {reference}");
    }

    [Property(MaxTest = 20_000, Replay = Replay)]
    public Property Zeek_timestamps_parse_like_seconds_and_micros(uint seconds, uint micros, byte junkAt, byte junk)
    {
        var text = FormattableString.Invariant($"{1_000_000_000L + (seconds % 9_000_000_000L)}.{micros % 1_000_000:D6}");
        if (junkAt % 3 == 0)
        {
            var chars = text.ToCharArray();
            chars[junkAt % chars.Length] = junk == (byte)'-' ? 'x' : (char)junk; // a sign is a different shape
            text = new string(chars);
        }

        var utf8 = Encoding.Latin1.GetBytes(text);
        var ok = ZeekTime.TryParseEpochSeconds(utf8, out var parsed);
        var expected = text[10] == '.' && text.Remove(10, 1).All(char.IsAsciiDigit);
        var reference = expected ? long.Parse(text.Remove(10, 1), System.Globalization.CultureInfo.InvariantCulture) : 0;
        return (ok == (expected && FlowTime.IsValid(reference)) && (!ok || parsed == reference)).Label($"'{text}': {ok} {parsed}, expected {expected} {reference}");
    }

    [Property(MaxTest = 5_000, Replay = Replay)]
    public Property The_splitter_finds_dense_separators_in_lines_of_every_block_size(PositiveInt length, int seed, byte capacity)
    {
        // Tabs, ASCII and non-ASCII bytes at random, 0 to 299 bytes: scalar, 32-byte and 64-byte blocks, overlapped tails.
        var random = new Random(seed);
        var line = new byte[length.Get % 300];
        for (var i = 0; i < line.Length; i++)
        {
            line[i] = (random.Next(4)) switch { 0 => (byte)'\t', 1 => 0xC3, _ => (byte)('a' + random.Next(26)) };
        }

        var expected = Enumerable.Range(0, line.Length).Where(i => line[i] == (byte)'\t').ToArray();
        var positions = new int[capacity % 120];
        var count = FieldSplitter.FindSeparators(line, (byte)'\t', positions, out var isAscii);
        var ok = expected.Length > positions.Length
            ? count == -1
            : count == expected.Length && positions.AsSpan(0, count).SequenceEqual(expected) && isAscii == line.All(b => b < 0x80);
        return ok.Label($"{line.Length} bytes, {expected.Length} tabs, room {positions.Length}: count {count}, ascii {isAscii}");
    }

    [Property(MaxTest = 5_000, Replay = Replay)]
    public Property The_vectorized_splitter_finds_what_a_byte_loop_finds(byte[] bytes, byte separator, byte capacity)
    {
        var line = bytes ?? [];
        var expected = Enumerable.Range(0, line.Length).Where(i => line[i] == separator).ToArray();
        var positions = new int[capacity % 80];
        var count = FieldSplitter.FindSeparators(line, separator, positions, out var isAscii);
        var ok = expected.Length > positions.Length
            ? count == -1
            : count == expected.Length && positions.AsSpan(0, count).SequenceEqual(expected) && isAscii == line.All(b => b < 0x80);
        return ok.Label($"count {count} expected {expected.Length}, ascii {isAscii}");
    }

    [Property(MaxTest = 10_000, Replay = Replay)]
    public Property The_line_finder_finds_the_line_and_the_separators_a_byte_loop_finds(PositiveInt length, int seed, byte capacity, byte limit)
    {
        // Tabs, line feeds (rare, so lines of several blocks occur), ASCII and non-ASCII bytes at random, 0 to 399 bytes.
        var random = new Random(seed);
        var text = new byte[length.Get % 400];
        for (var i = 0; i < text.Length; i++)
        {
            text[i] = random.Next(40) switch { 0 => (byte)'\n', < 10 => (byte)'\t', < 14 => 0xC3, _ => (byte)('a' + random.Next(26)) };
        }

        var maxLength = 20 + (limit * 2);
        var positions = new int[(capacity % 100) + FieldSplitter.Slack];
        var at = FieldSplitter.FindLine(text, (byte)'\t', positions, maxLength, out var count, out var isAscii);

        var feed = Array.IndexOf(text, (byte)'\n');
        var line = feed < 0 ? text : text[..feed];
        var expected = Enumerable.Range(0, line.Length).Where(i => line[i] == (byte)'\t').ToArray();

        // It may decline (the caller then finds the line itself), but only when the feed is not within the whole
        // 64-byte blocks it reads and the length limit, or the separators do not fit.
        var within = feed >= 0 && ((feed / 64) + 1) * 64 <= Math.Min(text.Length, maxLength + 1);
        var fits = expected.Length <= positions.Length - 64;
        var ok = at < 0
            ? !System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated || !within || !fits
            : at == feed && at <= maxLength && count == expected.Length && positions.AsSpan(0, count).SequenceEqual(expected)
                && isAscii == line.All(b => b < 0x80);
        return ok.Label($"{text.Length} bytes, feed at {feed}, {expected.Length} tabs, room {positions.Length}, limit {maxLength}: at {at}, count {count}, ascii {isAscii}");
    }

    [Theory]
    [InlineData("18446744073709551616", 2)]
    [InlineData("9223372036854775807", 0)]
    [InlineData("", 1)]
    [InlineData("-1", 2)]
    [InlineData("+1", 1)]
    [InlineData(" 1", 1)]
    public void Count_edge_cases(string text, int expected)
    {
        Assert.Equal((NumberStatus)expected, ZeekNumbers.TryParseCount(Encoding.ASCII.GetBytes(text), out _));
    }
}
