using System.Text;

namespace PortMismatch.Detection.PanOs.Tests;

public sealed class BadInputTests
{
    private static readonly string Good = new TrafficLine() + "\n";

    public static TheoryData<string, string> BadLines() => new()
    {
        { "1,2018/11/30 16:09:07,0128,TRAFFIC,end,2049,2018/11/30 16:09:07,1.2.3.4,5.6.7.8", "too-few-fields" },
        { "just some text without commas", "too-few-fields" },
        { new TrafficLine().Set(7, "192.168.1.300").ToString(), "bad-address" },
        { new TrafficLine().Set(8, "host.example").ToString(), "bad-address" },
        { new TrafficLine().Set(25, "65536").ToString(), "port-out-of-range" },
        { new TrafficLine().Set(24, "99999999999999").ToString(), "port-out-of-range" },
        { new TrafficLine().Set(25, "8o").ToString(), "bad-port" },
        { new TrafficLine().Set(24, "-1").ToString(), "bad-port" },
        { new TrafficLine().Set(6, "2018/13/30 16:09:07").ToString(), "bad-timestamp" },
        { new TrafficLine().Set(6, "2018/02/30 16:09:07").ToString(), "bad-timestamp" },
        { new TrafficLine().Set(6, "yesterday").ToString(), "bad-timestamp" },
        { new TrafficLine().Set(6, "").ToString(), "bad-timestamp" },
        { new TrafficLine().Set(6, "2021-05-26T16:26:47.1234567890Z").ToString(), "bad-timestamp" },
        { new TrafficLine().Set(6, "2021-05-26T16:26:47+25:00").ToString(), "bad-timestamp" },
        { new TrafficLine().SetVerbatim(11, "\"unterminated").ToString(), "unterminated-quote" },
        { new TrafficLine(105).SetVerbatim(90, "\"unterminated late").ToString(), "unterminated-quote" },
        { new TrafficLine().SetVerbatim(11, "\"closed\"tail").ToString(), "bad-quote" },
        { new TrafficLine().Set(31, "12x").ToString(), "bad-number" },
        { new TrafficLine().Set(22, "0x10").ToString(), "bad-number" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public void A_bad_line_is_rejected_with_its_reason_and_position_and_the_rest_is_read(string bad, string reason)
    {
        var text = Good + bad + "\n" + Good;

        var result = ReadResult.Of(text);

        Assert.Equal(2, result.Records.Count);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(reason, diagnostic.Reason);
        Assert.Equal(RecordOutcome.Rejected, diagnostic.Outcome);
        Assert.Equal(2, diagnostic.LineNumber);
        Assert.Equal(Encoding.UTF8.GetByteCount(Good), diagnostic.ByteOffset);
        Assert.Equal(1, result.Counters.RejectedByReason[reason]);
        Assert.Equal((3L, 2L, 1L, 0L), (result.Counters.Read, result.Counters.Accepted, result.Counters.Rejected, result.Counters.Skipped));
        Assert.True(diagnostic.Message.Length < 200, diagnostic.Message);
    }

    [Fact]
    public void Invalid_UTF8_is_rejected_and_quoted_escaped()
    {
        var bad = Encoding.UTF8.GetBytes(new TrafficLine().Set(12, "ZZ").ToString());
        var at = Array.IndexOf(bad, (byte)'Z');
        bad[at] = 0xC3;
        bad[at + 1] = 0x28;
        var input = Encoding.UTF8.GetBytes(Good).Concat(bad).Concat(Encoding.UTF8.GetBytes("\n" + Good)).ToArray();

        var result = ReadResult.Of(input);

        Assert.Equal(2, result.Records.Count);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("invalid-utf8", diagnostic.Reason);
        Assert.Contains("\\xc3", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains($"byte {at}", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_quote_input_escaped_and_capped()
    {
        var result = ReadResult.Of(new TrafficLine().Set(7, new string('A', 500) + "\u0001\\") + "\n");

        var message = Assert.Single(result.Diagnostics).Message;
        Assert.True(message.Length < 200, message);
        Assert.DoesNotContain('\u0001', message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_over_long_line_is_rejected_and_reading_resumes_after_its_end(bool lastLineHasNoLineEnd)
    {
        var options = PanOsReaderOptions.Default with { MaxLineLength = 1024 };
        var longLine = new TrafficLine().Set(11, new string('x', 5000)).ToString();
        var text = Good + longLine + "\n" + Good + longLine + (lastLineHasNoLineEnd ? "" : "\n");

        var result = ReadResult.Of(text, options);

        Assert.Equal(2, result.Records.Count);
        Assert.Equal(2, result.Counters.RejectedByReason["line-too-long"]);
        Assert.Equal([2L, 4], result.Diagnostics.Select(d => d.LineNumber));
        Assert.Equal(3, result.Extras[1].Line);
    }

    [Fact]
    public void A_line_of_exactly_the_maximum_length_is_read()
    {
        var line = new TrafficLine().ToString();
        var options = PanOsReaderOptions.Default with { MaxLineLength = line.Length };

        var result = ReadResult.Of(line + "\r\n" + line + "x\n" + line, options);

        Assert.Equal(2, result.Records.Count);
        Assert.Equal(1, result.Counters.RejectedByReason["line-too-long"]);
    }

    [Fact]
    public void An_over_long_octet_counted_frame_is_skipped_by_its_count()
    {
        var options = PanOsReaderOptions.Default with { MaxLineLength = 1024 };
        var message = "<14>Nov 30 16:09:08 fw " + new TrafficLine().Set(11, new string('y', 3000) + "\n" + new string('z', 10));
        var text = Good + $"{Encoding.UTF8.GetByteCount(message)} {message}" + Good;

        var result = ReadResult.Of(text, options);

        Assert.Equal(2, result.Records.Count);
        Assert.Equal(1, result.Counters.RejectedByReason["line-too-long"]);
        Assert.Equal(3, result.Extras[1].Line);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(PanOsReaderOptions.MaxMaxLineLength + 1)]
    public void An_out_of_range_maximum_line_length_is_refused(int max)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new PanOsReaderState(PanOsReaderOptions.Default with { MaxLineLength = max }));

    [Fact]
    public void Binary_garbage_never_throws_and_keeps_the_counters_balanced()
    {
        var random = new Random(20261126);
        for (var round = 0; round < 200; round++)
        {
            var bytes = new byte[random.Next(0, 4000)];
            random.NextBytes(bytes);
            var result = ReadResult.Of(bytes, PanOsReaderOptions.Default with { MaxLineLength = 512 });
            Assert.True(result.Counters.IsBalanced, $"round {round}: {result.Counters}");
        }
    }
}
