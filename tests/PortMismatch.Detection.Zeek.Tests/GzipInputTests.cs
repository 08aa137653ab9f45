using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using PortMismatch.Detection.TestSupport;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary>Gzip on every path of the Zeek adapter (<see cref="AdapterGzipTests"/>): errors are <see cref="ZeekFormatException"/>.</summary>
public sealed class GzipInputTests : AdapterGzipTests
{
    private const int FirstRecords = 400;
    private const int SecondRecords = 600;

    protected override GzipCase Case(string name)
        => GzipCases.Make(name, Encoding.UTF8.GetBytes(ConnLog.Header() + Lines(FirstRecords, seed: 1)), FirstRecords, Encoding.UTF8.GetBytes(Lines(SecondRecords, seed: 2)), SecondRecords);

    protected override GzipRead ReadFile(string path) => new(sink => ZeekConnInput.ReadFileAsync(path, sink, cancellationToken: Ct).AsTask());

    protected override GzipRead ReadStream(Stream input, string inputName)
    {
        var state = new ZeekReaderState(inputName: inputName);
        return new(sink => ZeekConnInput.ReadStreamAsync(input, sink, state, Ct).AsTask(), () => state.Counters);
    }

    protected override GzipRead ReadPipe(PipeReader input, string inputName)
    {
        var state = new ZeekReaderState(inputName: inputName);
        return new(sink => ZeekConnInput.ReadAsync(input, sink, state, Ct).AsTask(), () => state.Counters);
    }

    protected override IFlowSource FileSource(string path) => ZeekConnInput.FileSource(path);

    protected override void AssertCorruptCompressedInput(InputFormatException error)
        => Assert.IsType<CompressedInputException>(error);

    private static string Lines(int rows, int seed)
    {
        var text = new StringBuilder();
        foreach (var r in ConnLog.GenerateRecords(rows, seed))
        {
            text.Append(ConnLog.Line(r.Ts, r.OrigH, r.OrigP.ToString(CultureInfo.InvariantCulture), r.RespH, r.RespP.ToString(CultureInfo.InvariantCulture), r.Proto, r.Service ?? "-", r.OrigBytes, r.RespBytes));
        }

        return text.ToString();
    }

    [Fact]
    public async Task A_corrupt_gzip_file_source_is_a_failure_of_the_pipeline_not_an_exception_out_of_it()
    {
        var gzip = Case("crc-mismatch");
        var path = await WriteAsync("crc.log.gz", gzip.Bytes);
        var pipeline = new DetectionPipeline(null, new CollectingRows());

        var result = await pipeline.RunAsync([ZeekConnInput.FileSource(path)], Ct);

        var failure = Assert.Single(result.Failures);
        var error = Assert.IsType<CompressedInputException>(failure.Error);
        Assert.Equal(path, error.InputName);
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
