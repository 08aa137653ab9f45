using System.Globalization;
using System.Text;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection.Tests.Records;

/// <summary>
/// Every variant of the address parser this machine runs reads what the scalar reference reads, on fields with bytes of
/// the line after them (the block paths read past a field's end: what follows must not matter). A variant this machine
/// lacks is reported as skipped.
/// </summary>
public sealed class AddressVariantTests
{
    private const int Seed = 20261126;

    private static readonly string[] AddressPieces = ["0", "1", "2", "5", "9", "25", "255", "256", "00", "01", ".", ".", ".", ":", "a", "f", "::", " ", "-"];
    private static readonly string[] OctetPieces = ["0", "1", "9", "00", "01", "10", "25", "99", "100", "199", "255", "256", "999", "1000", "", "a", ":", "-"];
    private static readonly string[] ColonHexPieces = ["0", "1", "a", "F", "ff", "abc", "1234", "12345", "0000", ":", ":", "::", ":::", "g", "."];

    public static TheoryData<string> Variants => [.. Enum.GetNames<AddressVariant>()];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_variant_reads_fields_of_a_line_as_the_scalar_reference_reads_the_field_alone(string name)
    {
        var variant = Enum.Parse<AddressVariant>(name);
        Require(variant);
        var random = TestSeed.Random(Seed + (int)variant);
        for (var n = 0; n < 60_000; n++)
        {
            var text = (n % 3) switch
            {
                0 => Concat(random, AddressPieces, random.Next(17)),
                1 => DottedQuadLike(random),
                _ => Concat(random, ColonHexPieces, random.Next(13)),
            };
            var field = Encoding.ASCII.GetBytes(text);
            var before = random.Next(3);
            var line = new byte[before + field.Length + random.Next(48)];
            line.AsSpan().Fill((byte)"0.9\t:"[random.Next(5)]);
            field.CopyTo(line, before);

            var taken = AddressBlocks.TryParse(line, before, before + field.Length, variant, out var address);
            var expected = AddressReference.TryParse(field, out var reference);
            Assert.True(taken == expected && address == reference, $"'{text}' in {line.Length} bytes at {before}: {variant} {taken} {address}, reference {expected} {reference}");
        }
    }

    [Fact]
    public void The_public_parser_accepts_exactly_what_the_scalar_reference_accepts()
    {
        var random = TestSeed.Random(Seed);
        for (var n = 0; n < 60_000; n++)
        {
            var text = (n % 3) switch
            {
                0 => Concat(random, AddressPieces, random.Next(17)),
                1 => DottedQuadLike(random),
                _ => Concat(random, ColonHexPieces, random.Next(13)),
            };
            var field = Encoding.ASCII.GetBytes(text);
            var parsed = IPAddressValue.TryParse(field, out var address);
            var expected = AddressReference.TryParse(field, out var reference);
            Assert.True(parsed == expected && address == reference, $"'{text}': {parsed} {address}, reference {expected} {reference}");

            var line = new byte[field.Length + 40];
            field.CopyTo(line, 0);
            var inLine = IPAddressValue.TryParse(line, 0, field.Length, out var fromLine);
            Assert.True(inLine == expected && fromLine == reference, $"'{text}' in a line: {inLine} {fromLine}, reference {expected} {reference}");
        }
    }

    [Fact]
    public void The_IPv4_block_takes_every_dotted_quad_itself()
    {
        // Not only the reference's answer (a fallback would give that too): the block must read every valid dotted quad.
        Require(AddressVariant.Ssse3IPv4);
        var random = TestSeed.Random(Seed);
        for (var n = 0; n < 20_000; n++)
        {
            var octets = new[] { random.Next(256), random.Next(256), random.Next(256), random.Next(256) };
            var text = string.Join('.', octets);
            var line = new byte[16 + random.Next(8)];
            line.AsSpan().Fill((byte)"0.9\t:"[random.Next(5)]);
            Encoding.ASCII.GetBytes(text).CopyTo(line, 0);

            var taken = AddressBlocks.TryParseIPv4Block(ref line[0], text.Length, out var value);
            var expected = (uint)((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]);
            Assert.True(taken && value == expected, $"'{text}': block {taken} {value:X8}, expected {expected:X8}");
        }
    }

    [Fact]
    public void The_IPv6_block_takes_every_colon_hex_address_of_one_block_itself()
    {
        // Eight groups with a run of zero groups (often compressed to "::"), in either case and with or without leading
        // zeros; the block must read every one of them up to 32 characters, and give the reference's value.
        Require(AddressVariant.Vector256IPv6);
        var random = TestSeed.Random(Seed);
        var blockTaken = 0;
        for (var n = 0; n < 20_000; n++)
        {
            var groups = new ushort[8];
            for (var g = 0; g < 8; g++)
            {
                groups[g] = (ushort)random.Next(0x10000 >> (4 * random.Next(4)));
            }

            var runStart = random.Next(8);
            var runLength = random.Next(9 - runStart);
            Array.Clear(groups, runStart, runLength);
            var style = random.Next(6);
            string Group(ushort value) => (style % 3) switch
            {
                0 => value.ToString("x", CultureInfo.InvariantCulture),
                1 => value.ToString("X", CultureInfo.InvariantCulture),
                _ => value.ToString("x4", CultureInfo.InvariantCulture),
            };

            var text = runLength >= 1 && style % 2 == 0
                ? string.Join(':', groups[..runStart].Select(Group)) + "::" + string.Join(':', groups[(runStart + runLength)..].Select(Group))
                : string.Join(':', groups.Select(Group));
            if (text.Length > 32)
            {
                continue; // longer than one block: for the general parser
            }

            var line = new byte[36 + random.Next(8)];
            line.AsSpan().Fill((byte)"0.9\t:"[random.Next(5)]);
            Encoding.ASCII.GetBytes(text).CopyTo(line, 0);
            Assert.True(AddressReference.TryParse(line.AsSpan(0, text.Length), out var expected), text);

            var taken = AddressBlocks.TryParseIPv6Block(ref line[0], text.Length, out var high, out var low);
            Assert.True(taken && IPAddressValue.FromIPv6(high, low) == expected, $"'{text}': block {taken} {IPAddressValue.FromIPv6(high, low)}, expected {expected}");
            blockTaken++;
        }

        Assert.True(blockTaken > 10_000, $"only {blockTaken} addresses fitted one block");
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
    public void Group_counts_at_the_limits_read_as_the_reference_reads_them(string text)
    {
        var field = Encoding.ASCII.GetBytes(text);
        var line = new byte[field.Length + 40];
        field.CopyTo(line, 0);
        line[field.Length] = (byte)'\t';
        var expected = AddressReference.TryParse(field, out var reference);
        foreach (var variant in Enum.GetValues<AddressVariant>().Where(AddressBlocks.IsSupported))
        {
            Assert.Equal((expected, reference), (AddressBlocks.TryParse(line, 0, field.Length, variant, out var address), address));
        }
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(0, 17)]
    [InlineData(10, 7)]
    [InlineData(17, 0)]
    public void A_field_outside_the_line_is_an_argument_error(int start, int length)
    {
        var line = new byte[16];
        Assert.Throws<ArgumentOutOfRangeException>(() => IPAddressValue.TryParse(line, start, length, out _));
    }

    internal static void Require(AddressVariant variant)
        => Assert.SkipUnless(AddressBlocks.IsSupported(variant), $"{variant} is not supported here");

    private static string Concat(Random random, string[] pieces, int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.Append(pieces[random.Next(pieces.Length)]);
        }

        return text.ToString();
    }

    private static string DottedQuadLike(Random random)
    {
        var octets = new string[4];
        for (var i = 0; i < 4; i++)
        {
            octets[i] = OctetPieces[random.Next(OctetPieces.Length)];
        }

        var text = string.Join('.', octets);
        return random.Next(4) == 0 ? text.Insert(octets[0].Length, ".") : text;
    }
}
