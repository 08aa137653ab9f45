using System.IO.Compression;
using System.Text;

namespace PortMismatch.Detection.Tests.Input;

public sealed class FlowInputTests
{
    /// <summary>A format of lines that start with its tag; each line is one record read and accepted (none reaches the sink).</summary>
    private sealed class LinesFormat(string tag, bool explains = false) : InputFormat(tag)
    {
        public override bool IsMatch(ReadOnlySpan<byte> head) => head.StartsWith(Encoding.ASCII.GetBytes(Name));

        public override string ExplainMismatch(ReadOnlySpan<byte> head) => explains ? $"no line starts with {Name}" : base.ExplainMismatch(head);

        public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
        {
            var counters = new InputCounters();
            return FlowSource.Create(name, counters, async (sink, ct) =>
            {
                using var text = new StreamReader(content, Encoding.UTF8, false, 1024, leaveOpen: true);
                while (await text.ReadLineAsync(ct) is { } line)
                {
                    Assert.StartsWith(Name, line, StringComparison.Ordinal);
                    counters.CountRead();
                    counters.CountAccepted();
                }
            });
        }
    }

    private sealed class NoSink : IFlowRecordSink
    {
        public void OnRecord(in FlowRecord record) => throw new InvalidOperationException("no records expected");
    }

    private static readonly LinesFormat Alpha = new("alpha", explains: true);
    private static readonly LinesFormat Beta = new("beta");

    private static byte[] Lines(string tag, int count)
        => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, count).Select(i => $"{tag} {i}\n")));

    private static byte[] Gzip(byte[] content)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_first_format_that_recognises_the_head_reads_the_whole_content(bool gzip)
    {
        // 10,000 lines: far more than the head, so the content after the replayed head must reach the reader too.
        var content = Lines("beta", 10_000);
        using var stream = new MemoryStream(gzip ? Gzip(content) : content);
        var source = FlowInput.StreamSource(stream, "input", [new LinesFormat("alpha"), new LinesFormat("beta"), new LinesFormat("bet")]);
        Assert.Null(source.Format);

        await source.ReadAsync(new NoSink(), TestContext.Current.CancellationToken);

        Assert.Equal("beta", source.Format!.Name);
        Assert.Equal(10_000, source.Counters.Read);
        Assert.Equal(10_000, source.Counters.Accepted);
        Assert.True(stream.CanRead, "the caller's stream is left open");
    }

    [Fact]
    public async Task A_file_source_opens_the_file_when_read_and_closes_it_after()
    {
        var path = Path.Combine(Path.GetTempPath(), $"flowinput-{Guid.NewGuid():N}.gz");
        try
        {
            await File.WriteAllBytesAsync(path, Gzip(Lines("alpha", 3)), TestContext.Current.CancellationToken);
            var source = FlowInput.FileSource(path, [Alpha, Beta]);
            Assert.Equal(path, source.Name);

            await source.ReadAsync(new NoSink(), TestContext.Current.CancellationToken);

            Assert.Same(Alpha, source.Format);
            Assert.Equal(3, source.Counters.Accepted);
            File.Delete(path); // closed: deleting works on every platform
            Assert.False(File.Exists(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("gamma 1\n")]
    public async Task Content_no_format_recognises_is_a_typed_error_naming_the_input_and_the_formats(string text)
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(text));
        var source = FlowInput.StreamSource(stream, "mystery.log", [Alpha, Beta]);

        var error = await Assert.ThrowsAsync<UnrecognizedInputException>(() => source.ReadAsync(new NoSink(), TestContext.Current.CancellationToken));

        Assert.Equal("mystery.log", error.InputName);
        Assert.Equal("unrecognized-format", error.ReasonCode);
        Assert.StartsWith("The input is none of alpha, beta: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(
            text.Length == 0 ? "it is empty." : $"it starts with \"gamma 1\\x0a\"; alpha: {Alpha.ExplainMismatch(stream.ToArray())}; beta: {Beta.ExplainMismatch(stream.ToArray())}.",
            error.Message,
            StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Null(source.Format);
    }

    [Fact]
    public void The_description_of_unrecognised_content_quotes_its_start_escaped_and_capped_and_each_formats_reason()
    {
        var head = Encoding.ASCII.GetBytes("\x01\x02 " + new string('x', 600) + "\n");

        var description = UnrecognizedInputException.Describe(head, [Alpha, Beta]);

        Assert.Equal($"it starts with \"\\x01\\x02 {new string('x', InputText.MaxQuotedLength - 9)}...\"; alpha: no line starts with alpha; beta: not recognised", description);
        Assert.True(description.Length < 200, description);
    }

    [Fact]
    public async Task Damaged_gzip_is_a_compressed_input_error_with_the_offset_after_the_records_before_it_were_read()
    {
        var gzip = Gzip(Lines("alpha", 50_000));
        gzip[^5] ^= 0xFF; // the length in the trailer
        using var stream = new MemoryStream(gzip);
        var source = FlowInput.StreamSource(stream, "rotated.log.gz", [Alpha]);

        var error = await Assert.ThrowsAsync<CompressedInputException>(() => source.ReadAsync(new NoSink(), TestContext.Current.CancellationToken));

        Assert.Equal("rotated.log.gz", error.InputName);
        Assert.Equal("corrupt-compressed-input", error.ReasonCode);
        Assert.InRange(error.ByteOffset, gzip.Length - 8, gzip.Length);
        Assert.Equal(50_000, source.Counters.Accepted);
    }

    [Fact]
    public void Formats_are_required()
    {
        using var stream = new MemoryStream();
        Assert.Throws<ArgumentException>(() => FlowInput.StreamSource(stream, "x", []));
        Assert.Throws<ArgumentNullException>(() => FlowInput.StreamSource(stream, "x", [Alpha, null!]));
        Assert.Throws<ArgumentException>(() => FlowInput.FileSource("", [Alpha]));
    }
}
