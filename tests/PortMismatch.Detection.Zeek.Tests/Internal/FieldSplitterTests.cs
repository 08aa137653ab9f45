using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek.Tests.Internal;

/// <summary>
/// Every variant of the splitter this machine runs finds what a byte loop finds; a variant this machine lacks is reported
/// as skipped.
/// </summary>
public sealed class FieldSplitterTests
{
    private const int Seed = 20261126;

    public static TheoryData<string> Variants => [.. Enum.GetNames<SplitterVariant>()];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_variant_finds_dense_separators_in_lines_of_every_block_size(string name)
    {
        var variant = Enum.Parse<SplitterVariant>(name);
        // Tabs, ASCII and non-ASCII bytes at random, 0 to 299 bytes: scalar, 16-, 32- and 64-byte blocks, overlapped tails.
        Require(variant);
        var random = TestSeed(Seed + (int)variant);
        for (var n = 0; n < 5_000; n++)
        {
            var line = new byte[random.Next(300)];
            for (var i = 0; i < line.Length; i++)
            {
                line[i] = random.Next(4) switch { 0 => (byte)'\t', 1 => 0xC3, _ => (byte)('a' + random.Next(26)) };
            }

            Check(line, (byte)'\t', new int[random.Next(120)], variant);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_variant_finds_what_a_byte_loop_finds_in_random_bytes(string name)
    {
        var variant = Enum.Parse<SplitterVariant>(name);
        Require(variant);
        var random = TestSeed(Seed + 10 + (int)variant);
        for (var n = 0; n < 5_000; n++)
        {
            var line = new byte[random.Next(200)];
            random.NextBytes(line);
            var separator = random.Next(3) == 0 ? (byte)random.Next(256) : line.Length > 0 ? line[random.Next(line.Length)] : (byte)'\t';
            Check(line, separator, new int[random.Next(80)], variant);
        }
    }

    [Fact]
    public void The_line_finder_finds_the_line_and_the_separators_a_byte_loop_finds()
    {
        // Tabs, line feeds (rare, so lines of several blocks occur), ASCII and non-ASCII bytes at random, 0 to 399 bytes.
        Require(SplitterVariant.Vector256);
        var random = TestSeed(Seed);
        for (var n = 0; n < 10_000; n++)
        {
            var text = new byte[random.Next(400)];
            for (var i = 0; i < text.Length; i++)
            {
                text[i] = random.Next(40) switch { 0 => (byte)'\n', < 10 => (byte)'\t', < 14 => 0xC3, _ => (byte)('a' + random.Next(26)) };
            }

            var maxLength = 20 + (random.Next(256) * 2);
            var positions = new int[random.Next(100) + FieldSplitter.Slack];
            var at = FieldSplitter.FindLine(text, (byte)'\t', positions, maxLength, out var count, out var isAscii);

            var feed = Array.IndexOf(text, (byte)'\n');
            var line = feed < 0 ? text : text[..feed];
            var expected = Enumerable.Range(0, line.Length).Where(i => line[i] == (byte)'\t').ToArray();

            // It may decline (the caller then finds the line itself), but only when the feed is not within the whole
            // 64-byte blocks it reads and the length limit, or the separators do not fit.
            var within = feed >= 0 && ((feed / 64) + 1) * 64 <= Math.Min(text.Length, maxLength + 1);
            var fits = expected.Length <= positions.Length - 64;
            var ok = at < 0
                ? !within || !fits
                : at == feed && at <= maxLength && count == expected.Length && positions.AsSpan(0, count).SequenceEqual(expected)
                    && isAscii == line.All(b => b < 0x80);
            Assert.True(ok, $"{text.Length} bytes, feed at {feed}, {expected.Length} tabs, room {positions.Length}, limit {maxLength}: at {at}, count {count}, ascii {isAscii}");
        }
    }

    [Fact]
    public void Without_256_bit_vectors_the_line_finder_always_declines()
    {
        Assert.SkipWhen(FieldSplitter.IsSupported(SplitterVariant.Vector256), "256-bit vectors are supported here");
        var text = "a\tb\n"u8.ToArray();
        Assert.Equal(-1, FieldSplitter.FindLine(text, (byte)'\t', new int[FieldSplitter.Slack + 4], 100, out _, out _));
    }

    private static void Check(byte[] line, byte separator, int[] positions, SplitterVariant variant)
    {
        var expected = Enumerable.Range(0, line.Length).Where(i => line[i] == separator).ToArray();
        var count = FieldSplitter.FindSeparators(line, separator, positions, out var isAscii, variant);
        var ok = expected.Length > positions.Length
            ? count == -1
            : count == expected.Length && positions.AsSpan(0, count).SequenceEqual(expected) && isAscii == line.All(b => b < 0x80);
        Assert.True(ok, $"{variant}: {line.Length} bytes, {expected.Length} separators {separator:X2}, room {positions.Length}: count {count}, ascii {isAscii}");
    }

    private static void Require(SplitterVariant variant)
        => Assert.SkipUnless(FieldSplitter.IsSupported(variant), $"{variant} is not supported here");

    private static Random TestSeed(int seed)
    {
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed}");
        return new Random(seed);
    }
}
