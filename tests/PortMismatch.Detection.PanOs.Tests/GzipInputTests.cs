using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>
/// Gzip on every path of the PAN-OS adapter (<see cref="AdapterGzipTests"/>): errors are the core's <see cref="CompressedInputException"/>;
/// the readers give their counters only when they end well.
/// </summary>
public sealed class GzipInputTests : AdapterGzipTests
{
    private const int FirstRecords = 300;
    private const int SecondRecords = 500;

    protected override GzipCase Case(string name)
        => GzipCases.Make(name, Lines(0, FirstRecords), FirstRecords, Lines(FirstRecords, SecondRecords), SecondRecords);

    protected override GzipRead ReadFile(string path) => new(sink => PanOsTrafficInput.ReadFileAsync(path, sink, cancellationToken: Ct).AsTask());

    protected override GzipRead ReadStream(Stream input, string inputName)
        => new(sink => PanOsTrafficInput.ReadStreamAsync(input, sink, new PanOsReaderState(inputName: inputName), Ct).AsTask());

    protected override GzipRead ReadPipe(PipeReader input, string inputName)
        => new(sink => PanOsTrafficInput.ReadAsync(input, sink, new PanOsReaderState(inputName: inputName), Ct).AsTask());

    protected override IFlowSource FileSource(string path) => PanOsTrafficInput.FileSource(path);

    protected override void AssertCorruptCompressedInput(InputFormatException error)
        => Assert.Equal("corrupt-compressed-input", Assert.IsType<CompressedInputException>(error).ReasonCode);

    private static byte[] Lines(int first, int count)
        => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(first, count).Select(i =>
            $"<14>Nov 30 16:09:07 PA-220 {new TrafficLine().With(destPort: (1000 + i).ToString(CultureInfo.InvariantCulture))}\n")));
}
