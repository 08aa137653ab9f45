using System.IO.Pipelines;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>
/// Gzip on every path of the IPFIX adapter (<see cref="AdapterGzipTests"/>): damaged gzip is the core's
/// <see cref="CompressedInputException"/> (<c>corrupt-compressed-input</c>), gzip inside gzip an <see cref="IpfixFormatException"/>.
/// </summary>
public sealed class GzipInputTests : AdapterGzipTests
{
    private const int RecordsPerMessage = 10;
    private const int FirstMessages = 30;
    private const int SecondMessages = 50;

    protected override GzipCase Case(string name)
        => GzipCases.Make(name, Messages(0, FirstMessages), FirstMessages * RecordsPerMessage, Messages(FirstMessages, SecondMessages), SecondMessages * RecordsPerMessage);

    protected override GzipRead ReadFile(string path)
    {
        var decoder = new IpfixDecoder(inputName: path);
        return new(sink => IpfixInput.ReadFileAsync(path, sink, decoder, Ct).AsTask(), () => decoder.Counters);
    }

    protected override GzipRead ReadStream(Stream input, string inputName)
    {
        var decoder = new IpfixDecoder(inputName: inputName);
        return new(sink => IpfixInput.ReadStreamAsync(input, sink, decoder, Ct).AsTask(), () => decoder.Counters);
    }

    protected override GzipRead ReadPipe(PipeReader input, string inputName)
    {
        var decoder = new IpfixDecoder(inputName: inputName);
        return new(sink => IpfixInput.ReadAsync(input, sink, decoder, Ct).AsTask(), () => decoder.Counters);
    }

    protected override IFlowSource FileSource(string path) => IpfixInput.FileSource(path);

    protected override void AssertCorruptCompressedInput(InputFormatException error)
        => Assert.IsType<CompressedInputException>(error);

    // RFC 5655 file content: messages of a template and RecordsPerMessage data records each.
    private static byte[] Messages(int first, int count)
    {
        var file = new List<byte>();
        for (var m = first; m < first + count; m++)
        {
            var data = new List<byte>();
            for (var i = 0; i < RecordsPerMessage; i++)
            {
                data.AddRange(DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000 + i, 1000 + m));
            }

            file.AddRange(new IpfixBuilder(sequence: (uint)(m * RecordsPerMessage)).Template(256, DecoderTests.V4Fields).Data(256, [.. data]).Build());
        }

        return [.. file];
    }

    [Fact]
    public async Task A_gzip_file_with_bytes_after_its_last_member_is_refused_where_they_start()
    {
        var gzip = Case("trailing-garbage");
        var path = await WriteAsync("padded.ipfix.gz", gzip.Bytes);
        var sink = new CollectingSink();

        var e = await Assert.ThrowsAsync<CompressedInputException>(() => IpfixInput.ReadFileAsync(path, sink, cancellationToken: Ct).AsTask());

        Assert.Equal("corrupt-compressed-input", e.ReasonCode);
        Assert.Equal(path, e.InputName);
        Assert.Equal(gzip.Offset, e.ByteOffset);
        Assert.StartsWith($"unexpected data after the last gzip member at byte {gzip.Offset}", e.Message, StringComparison.Ordinal);
        Assert.Equal((FirstMessages + SecondMessages) * RecordsPerMessage, sink.Records.Count);
    }

    [Fact]
    public async Task Gzip_inside_gzip_is_refused_as_an_unknown_format()
    {
        var twice = GzipCases.Member(GzipCases.Member(Messages(0, 1)));

        var e = await Assert.ThrowsAsync<IpfixFormatException>(() => IpfixInput.ReadStreamAsync(new MemoryStream(twice), new CollectingSink(), new IpfixDecoder(), Ct).AsTask());

        Assert.Equal(IpfixFormatError.UnknownFormat, e.Reason);
    }
}
