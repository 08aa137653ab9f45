using System.Globalization;
using System.Text;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>
/// Gzip on every path of the PAN-OS adapter (file, stream, pipe, file source in a pipeline): damaged gzip is a
/// <see cref="PanOsFormatException"/> (<c>corrupt-compressed-input</c>) with the offset of the damage, after the records
/// before it; valid gzip of every shape is read whole, on streams and pipes too.
/// </summary>
public sealed class GzipInputTests : IDisposable
{
    private const int FirstRecords = 300;
    private const int SecondRecords = 500;
    private readonly string _directory = Directory.CreateTempSubdirectory("panos-gzip-").FullName;

    public static TheoryData<string> Damaged => [.. GzipCases.DamagedNames];

    public static TheoryData<string> Valid => [.. GzipCases.ValidNames];

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static GzipCase Case(string name)
        => GzipCases.Make(name, Lines(0, FirstRecords), FirstRecords, Lines(FirstRecords, SecondRecords), SecondRecords);

    private static byte[] Lines(int first, int count)
        => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(first, count).Select(i =>
            $"<14>Nov 30 16:09:07 PA-220 {new TrafficLine().With(destPort: (1000 + i).ToString(CultureInfo.InvariantCulture))}\n")));

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

        await GzipChecks.ExpectAsync(gzip, "file", sink => PanOsTrafficInput.ReadFileAsync(path, sink, cancellationToken: ct), () => null, path);
        await GzipChecks.ExpectAsync(gzip, "stream", sink => PanOsTrafficInput.ReadStreamAsync(new ChunkedStream(gzip.Bytes, seed: 7), sink, inputName: "stream", cancellationToken: ct), () => null, "stream");
        var pipe = await GzipChecks.PipeOfAsync(gzip.Bytes, seed: 8);
        await GzipChecks.ExpectAsync(gzip, "pipe", sink => PanOsTrafficInput.ReadPipeAsync(pipe, sink, inputName: "pipe", cancellationToken: ct), () => null, "pipe");
        await GzipChecks.ExpectInPipelineAsync(gzip, PanOsTrafficInput.FileSource(path));
    }

    [Fact]
    public async Task A_gzip_stream_cut_at_a_flush_point_reports_the_byte_where_it_ends_after_its_records()
    {
        var gzip = Case("cut-at-flush");
        var sink = new CollectingSink();

        var e = await Assert.ThrowsAsync<PanOsFormatException>(() => PanOsTrafficInput.ReadStreamAsync(new MemoryStream(gzip.Bytes), sink, inputName: "s", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(PanOsFormatError.CorruptCompressedInput, e.Reason);
        Assert.Equal(gzip.Bytes.Length, e.ByteOffset);
        Assert.Equal("s", e.InputName);
        Assert.StartsWith($"the gzip stream ends before its trailer at byte {gzip.Bytes.Length}", e.Message, StringComparison.Ordinal);
        Assert.Equal(FirstRecords, sink.Records.Count);
    }
}
