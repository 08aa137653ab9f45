using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>
/// Gzip on every path of the IPFIX adapter (file, stream, pipe, file source in a pipeline): damaged gzip is an
/// <see cref="IpfixFormatException"/> (<c>corrupt-compressed-input</c>, no longer <c>unknown-format</c>) with the offset of
/// the damage, after the records before it; valid gzip of every shape is read whole.
/// </summary>
public sealed class GzipInputTests : IDisposable
{
    private const int RecordsPerMessage = 10;
    private const int FirstMessages = 30;
    private const int SecondMessages = 50;
    private readonly string _directory = Directory.CreateTempSubdirectory("ipfix-gzip-").FullName;

    public static TheoryData<string> Damaged => [.. GzipCases.DamagedNames];

    public static TheoryData<string> Valid => [.. GzipCases.ValidNames];

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static GzipCase Case(string name)
        => GzipCases.Make(name, Messages(0, FirstMessages), FirstMessages * RecordsPerMessage, Messages(FirstMessages, SecondMessages), SecondMessages * RecordsPerMessage);

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

    [Theory]
    [MemberData(nameof(Damaged))]
    public Task Damaged_gzip_is_a_typed_error_with_its_offset_on_every_path_after_the_records_before_it(string name) => CheckEveryPath(Case(name));

    [Theory]
    [MemberData(nameof(Valid))]
    public Task Valid_gzip_of_every_shape_is_read_whole_on_every_path(string name) => CheckEveryPath(Case(name));

    private async Task CheckEveryPath(GzipCase gzip)
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_directory, $"{gzip.Name}.ipfix.gz");
        await File.WriteAllBytesAsync(path, gzip.Bytes, ct);

        var fileDecoder = new IpfixDecoder();
        await GzipChecks.ExpectAsync(gzip, "file", sink => IpfixReader.ReadFileAsync(path, sink, fileDecoder, ct), () => fileDecoder.Counters, path);
        var streamDecoder = new IpfixDecoder(inputName: "stream");
        await GzipChecks.ExpectAsync(gzip, "stream", sink => IpfixReader.ReadStreamAsync(new ChunkedStream(gzip.Bytes, seed: 7), sink, streamDecoder, ct), () => streamDecoder.Counters, "stream");
        var pipeDecoder = new IpfixDecoder(inputName: "pipe");
        var pipe = await GzipChecks.PipeOfAsync(gzip.Bytes, seed: 8);
        await GzipChecks.ExpectAsync(gzip, "pipe", sink => IpfixReader.ReadAsync(pipe, sink, pipeDecoder, ct), () => pipeDecoder.Counters, "pipe");
        await GzipChecks.ExpectInPipelineAsync(gzip, IpfixReader.FileSource(path));
    }

    [Fact]
    public async Task A_gzip_file_with_bytes_after_its_last_member_is_refused_where_they_start()
    {
        var gzip = Case("trailing-garbage");
        var path = Path.Combine(_directory, "padded.ipfix.gz");
        await File.WriteAllBytesAsync(path, gzip.Bytes, TestContext.Current.CancellationToken);
        var sink = new CollectingSink();

        var e = await Assert.ThrowsAsync<IpfixFormatException>(() => IpfixReader.ReadFileAsync(path, sink, null, TestContext.Current.CancellationToken));

        Assert.Equal(IpfixFormatError.CorruptCompressedInput, e.Reason);
        Assert.Equal(gzip.Offset, e.ByteOffset);
        Assert.StartsWith($"unexpected data after the last gzip member at byte {gzip.Offset}", e.Message, StringComparison.Ordinal);
        Assert.Equal((FirstMessages + SecondMessages) * RecordsPerMessage, sink.Records.Count);
    }

    [Fact]
    public async Task Gzip_inside_gzip_is_refused_as_an_unknown_format()
    {
        var twice = GzipCases.Member(GzipCases.Member(Messages(0, 1)));

        var e = await Assert.ThrowsAsync<IpfixFormatException>(() => IpfixReader.ReadStreamAsync(new MemoryStream(twice), new CollectingSink(), null, TestContext.Current.CancellationToken));

        Assert.Equal(IpfixFormatError.UnknownFormat, e.Reason);
    }
}
