using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek.Tests.Internal;

/// <summary>The adapter's short paths agree with the reference implementations they shortcut.</summary>
public sealed class ParserProperties
{
    private const string Replay = "(20261126,20261127)";

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
