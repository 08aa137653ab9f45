using System.IO.Pipelines;

namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// Gzip on every path of an adapter (file, stream, pipe, file source in a pipeline): damaged gzip is the adapter's
/// <see cref="InputFormatException"/> (<c>corrupt-compressed-input</c>) with the offset of the damage, after the records
/// before it; valid gzip of every shape is read whole. Each adapter's tests derive from this class and give its readers,
/// its content and its exception type.
/// </summary>
public abstract class AdapterGzipTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gzip-input-").FullName;

    /// <summary>Gets the names of the damaged cases.</summary>
    public static TheoryData<string> Damaged => [.. GzipCases.DamagedNames];

    /// <summary>Gets the names of the valid cases.</summary>
    public static TheoryData<string> Valid => [.. GzipCases.ValidNames];

    /// <summary>Gets the cancellation token of the test.</summary>
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <inheritdoc/>
    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Makes a case of the adapter's content (two parts of records, see <see cref="GzipCases.Make"/>).</summary>
    protected abstract GzipCase Case(string name);

    /// <summary>A read of a file by its path (the error's input name is the path).</summary>
    protected abstract GzipRead ReadFile(string path);

    /// <summary>A read of a stream named <paramref name="inputName"/>.</summary>
    protected abstract GzipRead ReadStream(Stream input, string inputName);

    /// <summary>A read of a pipe named <paramref name="inputName"/>.</summary>
    protected abstract GzipRead ReadPipe(PipeReader input, string inputName);

    /// <summary>A file source of the file at <paramref name="path"/>.</summary>
    protected abstract IFlowSource FileSource(string path);

    /// <summary>Checks that <paramref name="error"/> is the adapter's own exception type with its corrupt-compressed-input reason.</summary>
    protected abstract void AssertCorruptCompressedInput(InputFormatException error);

    /// <summary>Writes <paramref name="bytes"/> to a file of the test's folder and returns its path.</summary>
    protected async Task<string> WriteAsync(string name, byte[] bytes)
    {
        var path = Path.Combine(_directory, name);
        await File.WriteAllBytesAsync(path, bytes, Ct);
        return path;
    }

    [Theory]
    [MemberData(nameof(Damaged), MemberType = typeof(AdapterGzipTests))]
    public Task Damaged_gzip_is_a_typed_error_with_its_offset_on_every_path_after_the_records_before_it(string name) => CheckEveryPath(Case(name));

    [Theory]
    [MemberData(nameof(Valid), MemberType = typeof(AdapterGzipTests))]
    public Task Valid_gzip_of_every_shape_is_read_whole_on_every_path(string name) => CheckEveryPath(Case(name));

    [Fact]
    public async Task Input_cut_at_a_flush_point_reports_the_byte_where_it_ends_after_the_records_before_it()
    {
        var gzip = Case("cut-at-flush");
        var file = await WriteAsync("cut.gz", gzip.Bytes);
        foreach (var (path, inputName, read) in new[] { ("file", file, ReadFile(file)), ("stream", "s", ReadStream(new MemoryStream(gzip.Bytes), "s")) })
        {
            var sink = new GzipChecks.CountingSink();

            var e = await Assert.ThrowsAnyAsync<InputFormatException>(() => read.Run(sink));

            AssertCorruptCompressedInput(e);
            Assert.Equal(gzip.Bytes.Length, e.ByteOffset);
            Assert.Equal(inputName, e.InputName);
            Assert.Contains($"the gzip stream ends before its trailer at byte {gzip.Bytes.Length}", e.Message, StringComparison.Ordinal);
            Assert.True(gzip.MinRecords == sink.Records, $"{path}: {sink.Records} records, expected {gzip.MinRecords}");
        }
    }

    private async Task CheckEveryPath(GzipCase gzip)
    {
        var path = await WriteAsync($"{gzip.Name}.gz", gzip.Bytes);

        var file = ReadFile(path);
        await GzipChecks.ExpectAsync(gzip, "file", file.Run, file.Counters, path);
        var stream = ReadStream(new ChunkedStream(gzip.Bytes, seed: 7), "stream");
        await GzipChecks.ExpectAsync(gzip, "stream", stream.Run, stream.Counters, "stream");
        var pipe = ReadPipe(await GzipChecks.PipeOfAsync(gzip.Bytes, seed: 8), "pipe");
        await GzipChecks.ExpectAsync(gzip, "pipe", pipe.Run, pipe.Counters, "pipe");
        await GzipChecks.ExpectInPipelineAsync(gzip, FileSource(path));
    }

    /// <summary>One read of one path of an adapter.</summary>
    /// <param name="Run">Reads the input into the sink.</param>
    /// <param name="Counters">The read's counters, asked after it ended (also after an exception), or <see langword="null"/> where the adapter does not give them then.</param>
    protected sealed record GzipRead(Func<IFlowRecordSink, Task> Run, Func<InputCounters?> Counters)
    {
        /// <summary>A read whose counters are not known after an exception.</summary>
        public GzipRead(Func<IFlowRecordSink, Task> run)
            : this(run, static () => null)
        {
        }
    }
}
