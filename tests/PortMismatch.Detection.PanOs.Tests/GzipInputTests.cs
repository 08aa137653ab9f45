using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>
/// Gzip on every path of the PAN-OS adapter (<see cref="AdapterGzipTests"/>): errors are <see cref="PanOsFormatException"/>;
/// the readers give their counters only when they end well.
/// </summary>
public sealed class GzipInputTests : AdapterGzipTests
{
    private const int FirstRecords = 300;
    private const int SecondRecords = 500;

    protected override GzipCase Case(string name)
        => GzipCases.Make(name, Lines(0, FirstRecords), FirstRecords, Lines(FirstRecords, SecondRecords), SecondRecords);

    protected override GzipRead ReadFile(string path) => new(sink => PanOsTrafficInput.ReadFileAsync(path, sink, cancellationToken: Ct));

    protected override GzipRead ReadStream(Stream input, string inputName)
        => new(sink => PanOsTrafficInput.ReadStreamAsync(input, sink, inputName: inputName, cancellationToken: Ct));

    protected override GzipRead ReadPipe(PipeReader input, string inputName)
        => new(sink => PanOsTrafficInput.ReadPipeAsync(input, sink, inputName: inputName, cancellationToken: Ct));

    protected override IFlowSource FileSource(string path) => PanOsTrafficInput.FileSource(path);

    protected override void AssertCorruptCompressedInput(InputFormatException error)
        => Assert.Equal(PanOsFormatError.CorruptCompressedInput, Assert.IsType<PanOsFormatException>(error).Reason);

    private static byte[] Lines(int first, int count)
        => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(first, count).Select(i =>
            $"<14>Nov 30 16:09:07 PA-220 {new TrafficLine().With(destPort: (1000 + i).ToString(CultureInfo.InvariantCulture))}\n")));
}
