using System.IO.Pipelines;
using System.Text;
using PortMismatch.Detection.Suricata.Tests.Support;

namespace PortMismatch.Detection.Suricata.Tests;

/// <summary>Gzip on every path of the Suricata adapter (<see cref="AdapterGzipTests"/>): damaged gzip is <see cref="CompressedInputException"/>.</summary>
public sealed class GzipInputTests : AdapterGzipTests
{
    private const int FirstRecords = 400;
    private const int SecondRecords = 600;

    protected override GzipCase Case(string name)
        => GzipCases.Make(name, Encoding.UTF8.GetBytes(Flows(FirstRecords, seed: 1)), FirstRecords, Encoding.UTF8.GetBytes(Flows(SecondRecords, seed: 2)), SecondRecords);

    protected override GzipRead ReadFile(string path) => new(sink => SuricataEveInput.ReadFileAsync(path, sink, cancellationToken: Ct).AsTask());

    protected override GzipRead ReadStream(Stream input, string inputName)
    {
        var state = new SuricataReaderState(inputName: inputName);
        return new(sink => SuricataEveInput.ReadStreamAsync(input, sink, state, Ct).AsTask(), () => state.Counters);
    }

    protected override GzipRead ReadPipe(PipeReader input, string inputName)
    {
        var state = new SuricataReaderState(inputName: inputName);
        return new(sink => SuricataEveInput.ReadAsync(input, sink, state, Ct).AsTask(), () => state.Counters);
    }

    protected override IFlowSource FileSource(string path) => SuricataEveInput.FileSource(path);

    protected override void AssertCorruptCompressedInput(InputFormatException error)
        => Assert.IsType<CompressedInputException>(error);

    // Flow events only: every line is a record, as the gzip cases count them.
    private static string Flows(int count, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.Append(Eve.Flow(srcPort: random.Next(1024, 65536), destPort: random.Next(1, 65536), flowId: i)).Append('\n');
        }

        return text.ToString();
    }
}
