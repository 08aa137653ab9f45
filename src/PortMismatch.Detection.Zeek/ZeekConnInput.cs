using System.Buffers;
using System.IO.Pipelines;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek;

/// <summary>
/// Streams Zeek conn.log input (TSV or JSON, detected; plain or gzip) from a <see cref="PipeReader"/>, a
/// <see cref="Stream"/> or a file into an <see cref="IFlowRecordSink"/>, and returns what was read, accepted, rejected
/// and skipped. Memory stays bounded by <see cref="ZeekReaderOptions.MaxLineLength"/> whatever the input.
/// </summary>
public static class ZeekConnInput
{

    /// <summary>
    /// Reads an input from a pipe until it completes, decompressing it when it starts with the gzip magic bytes
    /// (<c>1f 8b</c>); concatenated gzip members are read in turn.
    /// </summary>
    /// <param name="input">The pipe to read; it is completed when this method ends.</param>
    /// <param name="sink">Receives each accepted record.</param>
    /// <param name="state">The input's state (options, name, diagnostics callback); its counters are returned.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The counters of <paramref name="state"/>.</returns>
    /// <exception cref="ZeekFormatException">The input is not Zeek output, or a header cannot be used.</exception>
    /// <exception cref="CompressedInputException">The input is gzip and damaged; the records before the damage have been read.</exception>
    public static async ValueTask<InputCounters> ReadAsync(PipeReader input, IFlowRecordSink sink, ZeekReaderState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(state);
        bool gzip;
        try
        {
            gzip = await CompressedInput.StartsWithGzipAsync(input, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            await input.CompleteAsync(exception).ConfigureAwait(false);
            throw;
        }

        if (!gzip)
        {
            return await ReadPipeAsync(input, sink, state, cancellationToken).ConfigureAwait(false);
        }

        Exception? failure = null;
        try
        {
            return await ReadPipeAsync(CompressedInput.Decompress(input, CompressedInput.Error(state.InputName)), sink, state, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            failure = exception;
            throw;
        }
        finally
        {
            await input.CompleteAsync(failure).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads an input from a stream until its end, decompressing it when it starts with the gzip magic bytes
    /// (<c>1f 8b</c>); concatenated gzip members are read in turn.
    /// </summary>
    /// <param name="input">The stream; left open.</param>
    /// <param name="sink">Receives each accepted record.</param>
    /// <param name="state">The input's state (options, name, diagnostics callback); its counters are returned.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The counters of <paramref name="state"/>.</returns>
    /// <exception cref="ZeekFormatException">The input is not Zeek output, or a header cannot be used.</exception>
    /// <exception cref="CompressedInputException">The input is gzip and damaged; the records before the damage have been read.</exception>
    public static async ValueTask<InputCounters> ReadStreamAsync(Stream input, IFlowRecordSink sink, ZeekReaderState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(state);
        var content = await CompressedInput.OpenAsync(input, CompressedInput.Error(state.InputName), cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            return await ReadStreamPipeAsync(content, sink, state, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a file, plain or gzip (detected by its first bytes, not its name: rotated logs are <c>conn.00:00:00-01:00:00.log.gz</c>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="sink">Receives each accepted record.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record (input name = <paramref name="path"/>), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The counters.</returns>
    /// <exception cref="ZeekFormatException">The file is not Zeek output, or a header cannot be used.</exception>
    /// <exception cref="CompressedInputException">The file is gzip and damaged; the records before the damage have been read.</exception>
    public static async ValueTask<InputCounters> ReadFileAsync(
        string path,
        IFlowRecordSink sink,
        ZeekReaderOptions? options = null,
        Action<InputDiagnostic>? diagnostics = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(sink);
        var state = new ZeekReaderState(options, path, diagnostics);
        var file = InputFile.Open(path);
        await using (file.ConfigureAwait(false))
        {
            return await ReadStreamAsync(file, sink, state, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes a source of a conn.log file (TSV or NDJSON, plain or gzip) for a <see cref="DetectionPipeline"/>; its counters
    /// are live while it is read.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives rejected and skipped lines, or <see langword="null"/>.</param>
    /// <returns>The source.</returns>
    public static IFlowSource FileSource(string path, ZeekReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var state = new ZeekReaderState(options, path, diagnostics);
        return FlowSource.Create(path, state.Counters, async (sink, ct) =>
        {
            var file = InputFile.Open(path);
            await using (file.ConfigureAwait(false))
            {
                await ReadStreamAsync(file, sink, state, ct).ConfigureAwait(false);
            }
        });
    }

    /// <summary>
    /// Makes a source of a stream of conn.log (TSV or NDJSON, plain or gzip) for a <see cref="DetectionPipeline"/>, read
    /// once from its current position to its end and left open; its counters are live while it is read.
    /// </summary>
    /// <param name="stream">The input.</param>
    /// <param name="name">The input's name, for the source and its diagnostics.</param>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives rejected and skipped lines, or <see langword="null"/>.</param>
    /// <returns>The source.</returns>
    public static IFlowSource StreamSource(Stream stream, string name, ZeekReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var state = new ZeekReaderState(options, name, diagnostics);
        return FlowSource.Create(name, state.Counters, async (sink, ct) => await ReadStreamAsync(stream, sink, state, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Gets the <see cref="InputFormat"/> by which <see cref="FlowInput"/> recognises Zeek conn.log content and reads it with
    /// <paramref name="options"/>: content whose first line (after any blank lines and byte order mark) is a Zeek TSV header
    /// directive (<c>#separator</c>, <c>#fields</c>, <c>#path</c>, ...), a JSON object with a Zeek log's keys (<c>_path</c>,
    /// <c>uid</c>, <c>id.orig_h</c>, ...), or headerless TSV: with <see cref="ZeekReaderOptions.FieldNames"/>, a line of that
    /// many columns; without, tab-separated values without spaces (zeek-cut output), which the reader then refuses with an
    /// error that asks for the field names.
    /// </summary>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <returns>The format, named <c>zeek</c>.</returns>
    public static InputFormat Format(ZeekReaderOptions? options = null) => new ZeekInputFormat(options);

    /// <summary>
    /// Makes sources that read one large uncompressed conn.log in parallel: up to <paramref name="maxParts"/> ranges that
    /// start at line starts, each read with the file's header (TSV) and reporting true line numbers and byte offsets. A
    /// <see cref="DetectionPipeline"/> reads them on as many cores and merges their groups, so the rows are those of one
    /// reader. Planning reads the header and checks the bytes before the last part for <c>#</c> lines (line numbers are
    /// counted only when a diagnostic needs one); a compressed file, a file under 16 MiB, or a file with a header directive
    /// other than <c>#close</c> between its first header block and its last part (a concatenated log) gives one source, as
    /// <see cref="FileSource"/> does. The parts read the file as it was when planned.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="maxParts">The most parts (the number of cores to use).</param>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives rejected and skipped lines (from several threads at once), or <see langword="null"/>.</param>
    /// <returns>The sources, one per part.</returns>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IReadOnlyList<IFlowSource> FileSources(string path, int maxParts, ZeekReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
        => Split(path, maxParts, options, diagnostics, FileSplitter.MinPartBytes, checkHeaders: true).Sources;

    /// <summary>
    /// Makes sources that read one large uncompressed conn.log in parallel, as <see cref="FileSources"/> does but without
    /// reading the bytes before the last part first to look for header lines: each part but the last watches its own lines
    /// instead, and <see cref="ZeekFileSplit.ReadAsOne"/> tells afterwards whether the parts read what one reader would. It
    /// is false only for a concatenated log with a header directive other than <c>#close</c> before its last part; then the
    /// parts after it have read with the file's first header, so discard what the sources produced (rows, counters and
    /// the later parts' diagnostics) and read the file again with <see cref="FileSources"/>, which reads it in one piece.
    /// Use it where a run can be discarded, as the console host does: it saves a read of most of the file.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="maxParts">The most parts (the number of cores to use).</param>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives rejected and skipped lines (from several threads at once), or <see langword="null"/>.</param>
    /// <returns>The sources and the check of what they read.</returns>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ZeekFileSplit SplitFile(string path, int maxParts, ZeekReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
        => Split(path, maxParts, options, diagnostics, FileSplitter.MinPartBytes, checkHeaders: false);

    internal static ZeekFileSplit Split(string path, int maxParts, ZeekReaderOptions? options, Action<InputDiagnostic>? diagnostics, long minPartBytes, bool checkHeaders)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParts, 1);
        FileSplitter.Plan? plan;
        using (var file = InputFile.OpenHandle(path))
        {
            plan = FileSplitter.TryPlan(file, maxParts, minPartBytes, checkHeaders);
        }

        if (plan is null)
        {
            return new ZeekFileSplit([FileSource(path, options, diagnostics)], []);
        }

        var sources = new IFlowSource[plan.Parts.Length];
        var watched = new List<ZeekReaderState>();
        for (var k = 0; k < sources.Length; k++)
        {
            var part = plan.Parts[k];
            var first = k == 0;
            var state = new ZeekReaderState(options, path, diagnostics);
            if (!checkHeaders && k + 1 < sources.Length)
            {
                // A part before the last may hold a new header block, which the parts after it would not have applied.
                state.WatchHeaderDirectives = plan.HeaderLines;
                watched.Add(state);
            }

            sources[k] = FlowSource.Create($"{path} [{part.Start}..{part.End})", state.Counters, async (sink, ct) =>
            {
                using var file = InputFile.OpenHandle(path);
                Stream range;
                if (first)
                {
                    range = new FileRangeStream(file, 0, part.End);
                }
                else
                {
                    // The header again, then the range; byte offsets continue from where the range starts in the file, and
                    // line numbers too once a diagnostic asks (then the lines before the range are counted, once).
                    var linesBefore = new Lazy<long?>(() => FileSplitter.CountLineEnds(path, part.Start) is var n and >= 0 ? n - plan.HeaderLines : null);
                    state.PlaceInFile(part.Start - plan.Header.Length, () => linesBefore.Value);
                    range = new PrefixedStream(plan.Header, plan.Header.Length, new FileRangeStream(file, part.Start, part.End));
                }

                await using (range.ConfigureAwait(false))
                {
                    await ReadStreamAsync(range, sink, state, ct).ConfigureAwait(false);
                }
            });
        }

        return new ZeekFileSplit(sources, [.. watched]);
    }

    private static ValueTask<InputCounters> ReadStreamPipeAsync(Stream input, IFlowRecordSink sink, ZeekReaderState state, CancellationToken cancellationToken)
    {
        var pipe = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: InputFile.BufferSize, minimumReadSize: InputFile.BufferSize / 4, leaveOpen: true));
        return ReadPipeAsync(pipe, sink, state, cancellationToken);
    }

    // Reads a pipe of uncompressed content to its end and completes it.
    private static async ValueTask<InputCounters> ReadPipeAsync(PipeReader input, IFlowRecordSink sink, ZeekReaderState state, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;

                // Handle what arrived before looking at IsCompleted: the last read can carry data.
                var consumed = ReadBlock(buffer, state, sink, result.IsCompleted);
                input.AdvanceTo(consumed, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    break;
                }
            }
        }
        catch (Exception exception)
        {
            failure = exception;
            throw;
        }
        finally
        {
            await input.CompleteAsync(failure).ConfigureAwait(false);
        }

        return state.Counters;
    }

    private static SequencePosition ReadBlock(ReadOnlySequence<byte> buffer, ZeekReaderState state, IFlowRecordSink sink, bool isFinalBlock)
    {
        var reader = new ZeekConnReader(buffer, state, isFinalBlock);
        while (reader.TryRead(out var record))
        {
            sink.OnRecord(record);
        }

        return reader.Position;
    }
}
