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

    [Property(MaxTest = 20_000, Replay = Replay)]
    public Property Counts_parse_like_long_TryParse(NonNegativeInt n, bool big, byte junkAt)
    {
        var value = big ? (long)n.Get * 1_000_000_007L : n.Get;
        var text = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (junkAt % 4 == 0)
        {
            text = text.Insert(junkAt % (text.Length + 1), "x");
        }

        var status = ZeekText.TryParseCount(Encoding.ASCII.GetBytes(text), out var parsed);
        var expected = long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var reference);
        return ((status == NumberStatus.Ok) == expected && (!expected || parsed == reference)).Label($"'{text}': {status} {parsed}");
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

    [Theory]
    [InlineData("18446744073709551616", 2)]
    [InlineData("9223372036854775807", 0)]
    [InlineData("", 1)]
    [InlineData("-1", 2)]
    [InlineData("+1", 1)]
    [InlineData(" 1", 1)]
    public void Count_edge_cases(string text, int expected)
    {
        Assert.Equal((NumberStatus)expected, ZeekText.TryParseCount(Encoding.ASCII.GetBytes(text), out _));
    }
}
