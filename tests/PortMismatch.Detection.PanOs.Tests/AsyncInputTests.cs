using System.IO.Compression;
using System.IO.Pipelines;
using System.Text;

namespace PortMismatch.Detection.PanOs.Tests;

public sealed class AsyncInputTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "panos-tests-" + Guid.NewGuid().ToString("N"));

    public AsyncInputTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Lines(int count)
        => string.Concat(Enumerable.Range(0, count).Select(i => new TrafficLine().With(destPort: (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)) + "\n"));

    [Fact]
    public async Task A_pipe_written_a_byte_at_a_time_gives_every_record_including_a_last_line_without_line_end()
    {
        var input = Encoding.UTF8.GetBytes(Lines(3) + new TrafficLine().With(app: "dns"));
        var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 64, pauseWriterThreshold: 0));
        var sink = new CollectingSink();
        var reading = PanOsTrafficInput.ReadAsync(pipe.Reader, sink, new PanOsReaderState(null, "pipe"), TestContext.Current.CancellationToken).AsTask();
        foreach (var b in input)
        {
            await pipe.Writer.WriteAsync(new[] { b }, TestContext.Current.CancellationToken);
        }

        await pipe.Writer.CompleteAsync();
        var counters = await reading;

        Assert.Equal([1000, 1001, 1002, 443], sink.Records.Select(r => r.DestinationPort ?? -1));
        Assert.Equal("dns", sink.Records[3].Apps);
        Assert.Equal((4L, 4L), (counters.Read, counters.Accepted));
    }

    [Fact]
    public async Task A_stream_without_any_line_end_is_bounded_by_the_maximum_line_length()
    {
        var options = PanOsReaderOptions.Default with { MaxLineLength = 4096 };
        var junk = new byte[3_000_000];
        junk.AsSpan().Fill((byte)'x');
        var input = junk.Concat(Encoding.UTF8.GetBytes("\n" + Lines(2))).ToArray();
        var diagnostics = new List<InputDiagnostic>();
        var sink = new CollectingSink();

        var counters = await PanOsTrafficInput.ReadStreamAsync(new MemoryStream(input), sink, new PanOsReaderState(options, "s", diagnostics.Add), TestContext.Current.CancellationToken);

        Assert.Equal(2, sink.Records.Count);
        Assert.Equal("line-too-long", Assert.Single(diagnostics).Reason);
        Assert.Equal((3L, 1L), (counters.Read, counters.Rejected));
        Assert.Equal(3, diagnostics.Count + sink.Records.Count);
    }

    [Fact]
    public async Task A_stream_source_counts_as_it_reads_and_keeps_what_it_read_when_the_stream_fails()
    {
        // The console host's path (a stream it opened and sniffed): the counters are the reader's own, live, and after an
        // I/O error part-way they still say what was read.
        var source = PanOsTrafficInput.StreamSource(new BreakingStream(Encoding.UTF8.GetBytes(Lines(3) + "bad line\n")), "s", null, null);
        var acceptedSeen = new List<long>();

        await Assert.ThrowsAsync<IOException>(() => source.ReadAsync(new CallbackSink(() => acceptedSeen.Add(source.Counters.Accepted)), TestContext.Current.CancellationToken));

        Assert.Equal([1L, 2L, 3L], acceptedSeen);
        Assert.Equal("read 4 = accepted 3 + rejected 1 + skipped 0", source.Counters.ToString());
    }

    [Fact]
    public async Task A_plain_file_is_read_and_named_in_diagnostics()
    {
        var path = Path.Combine(_directory, "traffic.log");
        await File.WriteAllTextAsync(path, Lines(5) + "bad line\n", TestContext.Current.CancellationToken);
        var diagnostics = new List<InputDiagnostic>();
        var sink = new CollectingSink();

        var counters = await PanOsTrafficInput.ReadFileAsync(path, sink, null, diagnostics.Add, TestContext.Current.CancellationToken);

        Assert.Equal(5, sink.Records.Count);
        Assert.Equal(path, Assert.Single(diagnostics).InputName);
        Assert.Equal(6, Assert.Single(diagnostics).LineNumber);
        Assert.True(counters.IsBalanced);
    }

    [Theory]
    [InlineData("traffic.log")]
    [InlineData("traffic.log.gz")]
    public async Task A_gzip_file_is_recognised_by_its_magic_bytes_and_every_member_is_read(string name)
    {
        var path = Path.Combine(_directory, name);
        await using (var file = File.Create(path))
        {
            foreach (var part in new[] { Lines(3), Lines(4) })
            {
                await using var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
                await gzip.WriteAsync(Encoding.UTF8.GetBytes(part), TestContext.Current.CancellationToken);
            }
        }

        var sink = new CollectingSink();
        var counters = await PanOsTrafficInput.ReadFileAsync(path, sink, null, null, TestContext.Current.CancellationToken);

        Assert.Equal(7, sink.Records.Count);
        Assert.Equal(7, counters.Accepted);
    }

    [Fact]
    public async Task A_corrupt_gzip_file_throws_the_package_exception()
    {
        var path = Path.Combine(_directory, "broken.gz");
        // A gzip header, then a deflate block of the reserved type 3 (BFINAL=1, BTYPE=11).
        var bytes = new byte[] { 0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 0xFF, 0x07 }.Concat(new byte[200]).ToArray();
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<CompressedInputException>(() => PanOsTrafficInput.ReadFileAsync(path, new CollectingSink(), null, null, TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("corrupt-compressed-input", e.ReasonCode);
        Assert.Equal("corrupt-compressed-input", e.ReasonCode);
        Assert.Equal(path, e.InputName);
    }

    [Fact]
    public async Task Cancellation_stops_a_read()
    {
        var pipe = new Pipe();
        using var cancel = new CancellationTokenSource();
        var reading = PanOsTrafficInput.ReadAsync(pipe.Reader, new CollectingSink(), new PanOsReaderState(), cancel.Token).AsTask();
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(Lines(1)), TestContext.Current.CancellationToken);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
    }
}

/// <summary>A stream of some bytes whose next read after them fails, as a disk or a pipe can.</summary>
internal sealed class BreakingStream(byte[] bytes) : MemoryStream(bytes)
{
    public override int Read(Span<byte> buffer) => base.Read(buffer) is > 0 and var n ? n : throw new IOException("The device is gone.");

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));
}

/// <summary>Calls back for each record.</summary>
internal sealed class CallbackSink(Action onRecord) : IFlowRecordSink
{
    public void OnRecord(in FlowRecord record) => onRecord();
}
