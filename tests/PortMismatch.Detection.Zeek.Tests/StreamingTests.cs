using System.IO.Compression;
using System.IO.Pipelines;
using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

public sealed class StreamingTests
{
    private static readonly byte[] Tsv = Encoding.UTF8.GetBytes(ConnLog.GenerateTsv(300, seed: 11) + ConnLog.Header() + "garbage line\n" + ConnLog.Line("3.5", "10.0.0.1", "1", "10.0.0.2", "8081", "tcp", "http").TrimEnd('\n'));
    private static readonly byte[] Json = Encoding.UTF8.GetBytes(ConnLog.GenerateJson(300, seed: 12) + "{\"ts\":1,\n" + """{"ts":2,"service":"dns","id.resp_p":5355}""");

    public static TheoryData<string> Inputs => ["tsv", "json"];

    private static byte[] Input(string name) => name == "tsv" ? Tsv : Json;

    [Theory]
    [MemberData(nameof(Inputs))]
    public void A_sequence_of_one_byte_segments_reads_like_one_span(string name)
    {
        var input = Input(name);
        var expected = ZeekInput.Read(input);
        var state = new ZeekReaderState(inputName: "test.log");
        var rows = new List<Row>();

        var reader = new ZeekConnReader(Sequences.Cut(input, Enumerable.Range(1, input.Length)), state);
        while (reader.TryRead(out var record))
        {
            rows.Add(Row.From(record));
        }

        Assert.Equal(expected.Rows, rows);
        Assert.Equal(expected.Counters.ToString(), state.Counters.ToString());
        Assert.Equal(input.Length, reader.BytesConsumed);
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task A_pipe_fed_in_small_random_chunks_reads_like_one_span(string name)
    {
        var input = Input(name);
        var expected = ZeekInput.Read(input);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0));
        var random = new Random(20261126);
        for (var at = 0; at < input.Length;)
        {
            var n = Math.Min(random.Next(1, 97), input.Length - at);
            await pipe.Writer.WriteAsync(input.AsMemory(at, n), TestContext.Current.CancellationToken);
            at += n;
        }

        await pipe.Writer.CompleteAsync();
        var sink = new CollectingSink();
        var counters = await ZeekConnInput.ReadAsync(pipe.Reader, sink, new ZeekReaderState(), TestContext.Current.CancellationToken);

        Assert.Equal(expected.Rows, sink.Rows);
        Assert.Equal(expected.Counters.ToString(), counters.ToString());
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Files_are_read_plain_or_gzip_by_their_magic_bytes_not_their_name(string name)
    {
        var input = Input(name);
        var expected = ZeekInput.Read(input);
        var plain = Path.Combine(Path.GetTempPath(), $"zeek-{Guid.NewGuid():N}.log.gz");
        var gzip = Path.Combine(Path.GetTempPath(), $"zeek-{Guid.NewGuid():N}.log");
        try
        {
            await File.WriteAllBytesAsync(plain, input, TestContext.Current.CancellationToken);
            await File.WriteAllBytesAsync(gzip, Compress(input), TestContext.Current.CancellationToken);
            var diagnostics = new List<InputDiagnostic>();
            foreach (var path in new[] { plain, gzip })
            {
                var sink = new CollectingSink();
                var counters = await ZeekConnInput.ReadFileAsync(path, sink, diagnostics: diagnostics.Add, cancellationToken: TestContext.Current.CancellationToken);
                Assert.Equal(expected.Rows, sink.Rows);
                Assert.Equal(expected.Counters.ToString(), counters.ToString());
            }

            Assert.Equal(2 * expected.Diagnostics.Count, diagnostics.Count);
            Assert.Equal([plain, gzip], diagnostics.Select(d => d.InputName).Distinct());
        }
        finally
        {
            File.Delete(plain);
            File.Delete(gzip);
        }
    }

    [Fact]
    public async Task A_non_seekable_stream_of_concatenated_gzip_members_is_read()
    {
        var half = ConnLog.GenerateTsv(50, seed: 3);
        var bytes = Compress(Encoding.UTF8.GetBytes(half)).Concat(Compress(Encoding.UTF8.GetBytes(half))).ToArray();
        var sink = new CollectingSink();

        var counters = await ZeekConnInput.ReadStreamAsync(new EndlessLineStream(bytes, 0, []), sink, new ZeekReaderState(), TestContext.Current.CancellationToken);

        Assert.Equal(100, counters.Accepted);
        Assert.Equal(ZeekInput.Read(half).Rows.Concat(ZeekInput.Read(half).Rows), sink.Rows);
    }

    [Fact]
    public void An_over_long_line_is_rejected_whether_or_not_its_newline_is_in_the_same_block()
    {
        var text = Encoding.UTF8.GetBytes(ConnLog.Header() + new string('x', 5000) + "\n" + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "53", "udp", "dns"));
        var options = new ZeekReaderOptions { MaxLineLength = 1000 };

        var whole = ZeekInput.Read(text, options);
        var blocks = ZeekInput.ReadInBlocks(text, [text.Length - 4500, text.Length - 3000, text.Length - 200], options);

        Assert.Equal("read 2 = accepted 1 + rejected 1 + skipped 0", whole.Counters.ToString());
        Assert.Equal(whole.Rows, blocks.Rows);
        Assert.Equal(whole.Counters.ToString(), blocks.Counters.ToString());
    }

    [Fact]
    public async Task A_format_error_surfaces_from_the_async_api_and_cancellation_is_honoured()
    {
        var notZeek = new MemoryStream(Encoding.UTF8.GetBytes("timestamp,src,dst\n1,2,3\n"));
        var error = await Assert.ThrowsAsync<ZeekFormatException>(async () =>
            await ZeekConnInput.ReadStreamAsync(notZeek, new CollectingSink(), new ZeekReaderState(inputName: "x.csv"), TestContext.Current.CancellationToken));
        Assert.Equal(("x.csv", 1L), (error.InputName, error.LineNumber));

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await ZeekConnInput.ReadStreamAsync(new MemoryStream(Tsv), new CollectingSink(), new ZeekReaderState(), cancelled.Token));
    }

    private static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}

/// <summary>The bounded-memory test, alone: it measures allocation of the whole process.</summary>
[Collection(nameof(SerialTests))]
public sealed class BoundedMemoryTests
{
    [Fact]
    public async Task A_huge_line_without_a_newline_is_rejected_in_bounded_memory_and_reading_resumes_after_it()
    {
        var header = Encoding.UTF8.GetBytes(ConnLog.Header() + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "53", "udp", "dns"));
        var after = Encoding.UTF8.GetBytes("\n" + ConnLog.Line("2.0", "10.0.0.1", "1", "10.0.0.2", "5353", "udp", "dns"));
        var diagnostics = new List<InputDiagnostic>();
        var state = new ZeekReaderState(new ZeekReaderOptions { MaxLineLength = 4096 }, "huge", diagnostics.Add);
        var sink = new CollectingSink();
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var counters = await ZeekConnInput.ReadStreamAsync(new EndlessLineStream(header, 64L << 20, after), sink, state, TestContext.Current.CancellationToken);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 8 << 20, $"{allocated} bytes allocated to read 64 MiB");
        Assert.Equal([53, 5353], sink.Rows.Select(r => r.DestinationPort ?? -1));
        Assert.Equal("read 3 = accepted 2 + rejected 1 + skipped 0", counters.ToString());
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(("line-too-long", 10L, (long)header.Length), (diagnostic.Reason, diagnostic.LineNumber, diagnostic.ByteOffset));
        Assert.Equal(header.Length + (64L << 20) + after.Length, state.BytesConsumed);
    }
}
