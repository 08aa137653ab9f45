using System.Globalization;
using System.Text;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.Tests.Aggregation;

namespace PortMismatch.Detection.Tests.Output;

/// <summary>
/// The text of an app value in rows: printed as Zeek's ASCII writer prints it (UTF-8 kept; backslash, C0, DEL and ill-formed
/// bytes as <c>\xHH</c>), so that distinct values never share a row.
/// </summary>
public sealed class AppTextTests
{
    /// <summary>The inverse written for the test: each <c>\xHH</c> is its byte, every other character its UTF-8 bytes.</summary>
    private static byte[] Decode(string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                Assert.True(i + 3 < text.Length && text[i + 1] == 'x', $"a backslash that starts no escape in '{text}'");
                bytes.Add(byte.Parse(text.AsSpan(i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                i += 3;
            }
            else
            {
                var length = char.IsHighSurrogate(text[i]) ? 2 : 1;
                bytes.AddRange(Encoding.UTF8.GetBytes(text.Substring(i, length)));
                i += length - 1;
            }
        }

        return [.. bytes];
    }

    [Theory]
    [InlineData(new byte[] { 0xFF }, "\\xff")]
    [InlineData(new byte[] { 0xFE }, "\\xfe")]
    [InlineData(new byte[] { (byte)'\\', (byte)'x', (byte)'f', (byte)'f' }, "\\x5cxff")]
    [InlineData(new byte[] { 0x1B, (byte)'[', (byte)'2', (byte)'J' }, "\\x1b[2J")]
    [InlineData(new byte[] { (byte)'a', 0x7F, (byte)'\t', 0x00 }, "a\\x7f\\x09\\x00")]
    [InlineData(new byte[] { 0xC3, 0xA9, (byte)'t', 0xC3, 0xA9 }, "été")]
    [InlineData(new byte[] { 0xE2, 0x82 }, "\\xe2\\x82")] // a truncated sequence
    [InlineData(new byte[] { 0xC0, 0xAF }, "\\xc0\\xaf")] // an overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "\\xed\\xa0\\x80")] // an encoded surrogate
    [InlineData(new byte[] { 0xC2, 0x9B, 0xE2, 0x80, 0xAE }, "\u009B\u202E")] // well-formed: kept here, made visible by the table
    public void Values_print_as_zeeks_ascii_writer_prints_them(byte[] value, string text)
    {
        Assert.Equal(text, AppText.FromUtf8(value));
        Assert.Equal(value, Decode(text));
    }

    [Fact]
    public void Distinct_byte_strings_never_print_the_same_and_the_text_gives_the_bytes_back()
    {
        // Bytes drawn mostly from the ones that could confuse a printer: the escape's own characters, ill-formed and partial
        // UTF-8, controls; plus random bytes.
        const int Seed = 20261216;
        var random = new Random(Seed);
        byte[] tricky = [(byte)'\\', (byte)'x', (byte)'f', (byte)'F', (byte)'0', (byte)'5', (byte)'c', 0xFF, 0xFE, 0xC3, 0xA9, 0xE2, 0x80, 0xAE, 0xF0, 0x9F, 0x98, 0x80, 0x00, 0x1B, 0x7F, 0x20, (byte)'a'];
        var texts = new Dictionary<string, byte[]>();
        for (var i = 0; i < 50_000; i++)
        {
            var value = new byte[random.Next(1, 9)];
            for (var j = 0; j < value.Length; j++)
            {
                value[j] = random.Next(4) == 0 ? (byte)random.Next(256) : tricky[random.Next(tricky.Length)];
            }

            var text = AppText.FromUtf8(value);
            Assert.True(value.AsSpan().SequenceEqual(Decode(text)), $"seed {Seed}: {Convert.ToHexString(value)} printed '{text}'");
            if (texts.TryGetValue(text, out var other))
            {
                Assert.True(other.AsSpan().SequenceEqual(value), $"seed {Seed}: {Convert.ToHexString(other)} and {Convert.ToHexString(value)} both print '{text}'");
            }

            texts[text] = value;
        }
    }

    [Fact]
    public void Printable_names_are_their_own_text()
    {
        // Every printable ASCII character but the backslash, and any non-ASCII letter, prints as itself.
        var ascii = new string(Enumerable.Range(0x20, 0x5F).Select(c => (char)c).Where(c => c != '\\').ToArray());
        foreach (var name in new[] { ascii, "ssl", "ms-rdp", "HTTP.Google", "ftp-data", "Ünicode café 日本 😀" })
        {
            Assert.Equal(name, AppText.FromUtf8(Encoding.UTF8.GetBytes(name)));
        }
    }

    [Fact]
    public void Values_that_differ_only_in_ill_formed_bytes_get_rows_of_their_own()
    {
        // Zeek's \xff and \xfe both decoded to U+FFFD and merged into one row text; a literal "\xff" must stay apart too.
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), sink, AggregatorOptions.Default with { Grouping = AppGrouping.AllValues });
        byte[][] values = [[0xFF], [0xFE], "\\xff"u8.ToArray(), [0xFF]];
        foreach (var value in values)
        {
            // dns on 5353 selects the record; with all values grouped, the other value gets a row of its own.
            aggregator.Add(new FlowRecord
            {
                TimestampMicroseconds = 1,
                DestinationPort = 5353,
                Transport = Transport.Udp,
                Apps = AppValues.Split([.. "dns,"u8, .. value], (byte)','),
            });
        }

        aggregator.Complete();

        var counts = sink.Rows.ToDictionary(r => r.App, r => r.Count);
        Assert.Equal(new Dictionary<string, long> { ["dns"] = 4, ["\\xff"] = 2, ["\\xfe"] = 1, ["\\x5cxff"] = 1 }, counts);
    }

    [Fact]
    public void A_value_that_fits_no_bound_gets_its_row_text_the_same_way()
    {
        // Larger than MaxAppBytes: the value cannot be interned and becomes a row of its own, printed by the same function.
        var sink = new ListSink();
        var options = AggregatorOptions.Default with { Grouping = AppGrouping.AllValues, MaxAppBytes = 8 };
        var aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), sink, options);
        aggregator.Add(new FlowRecord
        {
            TimestampMicroseconds = 1,
            DestinationPort = 5353,
            Transport = Transport.Udp,
            Apps = AppValues.Split([.. "dns,"u8, .. Enumerable.Repeat((byte)0xFE, 9)], (byte)','),
        });
        aggregator.Complete();

        Assert.Contains(sink.Rows, r => r.App == string.Concat(Enumerable.Repeat("\\xfe", 9)));
    }
}
