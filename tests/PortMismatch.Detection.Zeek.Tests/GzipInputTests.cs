using System.Globalization;
using System.Text;
using PortMismatch.Detection.TestSupport;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary>
/// Gzip on every path of the Zeek adapter (file, stream, pipe, file source in a pipeline): damaged gzip is a
/// <see cref="ZeekFormatException"/> (<c>corrupt-compressed-input</c>) with the offset of the damage, after the records
/// before it; valid gzip of every shape is read whole.
/// </summary>
public sealed class GzipInputTests : IDisposable
{
    private const int FirstRecords = 400;
    private const int SecondRecords = 600;
    private readonly string _directory = Directory.CreateTempSubdirectory("zeek-gzip-").FullName;

    public static TheoryData<string> Damaged => [.. GzipCases.DamagedNames];

    public static TheoryData<string> Valid => [.. GzipCases.ValidNames];

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static GzipCase Case(string name)
        => GzipCases.Make(name, Encoding.UTF8.GetBytes(ConnLog.Header() + Lines(FirstRecords, seed: 1)), FirstRecords, Encoding.UTF8.GetBytes(Lines(SecondRecords, seed: 2)), SecondRecords);

    private static string Lines(int rows, int seed)
    {
        var text = new StringBuilder();
        foreach (var r in ConnLog.GenerateRecords(rows, seed))
        {
            text.Append(ConnLog.Line(r.Ts, r.OrigH, r.OrigP.ToString(CultureInfo.InvariantCulture), r.RespH, r.RespP.ToString(CultureInfo.InvariantCulture), r.Proto, r.Service ?? "-", r.OrigBytes, r.RespBytes));
        }

        return text.ToString();
    }

    [Theory]
    [MemberData(nameof(Damaged))]
    public Task Damaged_gzip_is_a_typed_error_with_its_offset_on_every_path_after_the_records_before_it(string name) => CheckEveryPath(Case(name));

    [Theory]
    [MemberData(nameof(Valid))]
    public Task Valid_gzip_of_every_shape_is_read_whole_on_every_path(string name) => CheckEveryPath(Case(name));

    private async Task CheckEveryPath(GzipCase gzip)
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_directory, $"{gzip.Name}.log.gz");
        await File.WriteAllBytesAsync(path, gzip.Bytes, ct);

        await GzipChecks.ExpectAsync(gzip, "file", sink => ZeekConnLog.ReadFileAsync(path, sink, cancellationToken: ct).AsTask(), () => null, path);

        var streamState = new ZeekReaderState(inputName: "stream");
        await GzipChecks.ExpectAsync(gzip, "stream", sink => ZeekConnLog.ReadStreamAsync(new ChunkedStream(gzip.Bytes, seed: 7), sink, streamState, ct).AsTask(), () => streamState.Counters, "stream");

        var pipeState = new ZeekReaderState(inputName: "pipe");
        var pipe = await GzipChecks.PipeOfAsync(gzip.Bytes, seed: 8);
        await GzipChecks.ExpectAsync(gzip, "pipe", sink => ZeekConnLog.ReadAsync(pipe, sink, pipeState, ct).AsTask(), () => pipeState.Counters, "pipe");

        await GzipChecks.ExpectInPipelineAsync(gzip, ZeekConnLog.FileSource(path));
    }

    [Fact]
    public async Task A_file_cut_at_a_flush_point_reports_the_byte_where_the_stream_ends()
    {
        var gzip = Case("cut-at-flush");
        var path = Path.Combine(_directory, "cut.log.gz");
        await File.WriteAllBytesAsync(path, gzip.Bytes, TestContext.Current.CancellationToken);
        var sink = new CollectingSink();

        var e = await Assert.ThrowsAsync<ZeekFormatException>(() => ZeekConnLog.ReadFileAsync(path, sink, cancellationToken: TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(ZeekFormatError.CorruptCompressedInput, e.Error);
        Assert.Equal(gzip.Bytes.Length, e.ByteOffset);
        Assert.Contains($"the gzip stream ends before its trailer at byte {gzip.Bytes.Length}", e.Message, StringComparison.Ordinal);
        Assert.Equal(FirstRecords, sink.Rows.Count);
    }

    [Fact]
    public async Task A_corrupt_gzip_file_source_is_a_failure_of_the_pipeline_not_an_exception_out_of_it()
    {
        var gzip = Case("crc-mismatch");
        var path = Path.Combine(_directory, "crc.log.gz");
        await File.WriteAllBytesAsync(path, gzip.Bytes, TestContext.Current.CancellationToken);
        var pipeline = new DetectionPipeline(null, new CollectingRows());

        var result = await pipeline.RunAsync([ZeekConnLog.FileSource(path)], TestContext.Current.CancellationToken);

        var failure = Assert.Single(result.Failures);
        var error = Assert.IsType<ZeekFormatException>(failure.Error);
        Assert.Equal(ZeekFormatError.CorruptCompressedInput, error.Error);
        Assert.Equal(gzip.Offset, error.ByteOffset);
        Assert.Equal(FirstRecords + SecondRecords, result.Counters.Input.Accepted);
        Assert.Equal(1, result.Counters.SourcesFailed);
    }

    private sealed class CollectingRows : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
        }
    }
}
