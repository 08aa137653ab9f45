using System.Buffers;
using System.IO.Pipelines;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.Suricata.Internal;

namespace PortMismatch.Detection.Suricata;

/// <summary>
/// Streams Suricata EVE JSON (eve.json, one event per line; plain or gzip) from a <see cref="PipeReader"/>, a
/// <see cref="Stream"/> or a file into an <see cref="IFlowRecordSink"/>, and returns what was read, accepted, rejected
/// and skipped. Memory stays bounded by <see cref="SuricataReaderOptions.MaxLineLength"/> whatever the input.
/// </summary>
public static class SuricataEveInput
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
    /// <exception cref="CompressedInputException">The input is gzip and damaged; the records before the damage have been read.</exception>
    public static async ValueTask<InputCounters> ReadAsync(PipeReader input, IFlowRecordSink sink, SuricataReaderState state, CancellationToken cancellationToken = default)
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
    /// <exception cref="CompressedInputException">The input is gzip and damaged; the records before the damage have been read.</exception>
    public static async ValueTask<InputCounters> ReadStreamAsync(Stream input, IFlowRecordSink sink, SuricataReaderState state, CancellationToken cancellationToken = default)
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

    /// <summary>Reads a file, plain or gzip (detected by its first bytes, not its name: logrotate's <c>eve.json.1.gz</c> and <c>eve.json-20241126</c> alike).</summary>
    /// <param name="path">The file.</param>
    /// <param name="sink">Receives each accepted record.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record (input name = <paramref name="path"/>), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The counters.</returns>
    /// <exception cref="CompressedInputException">The file is gzip and damaged; the records before the damage have been read.</exception>
    public static async ValueTask<InputCounters> ReadFileAsync(
        string path,
        IFlowRecordSink sink,
        SuricataReaderOptions? options = null,
        Action<InputDiagnostic>? diagnostics = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(sink);
        var state = new SuricataReaderState(options, path, diagnostics);
        var file = InputFile.Open(path);
        await using (file.ConfigureAwait(false))
        {
            return await ReadStreamAsync(file, sink, state, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes a source of an eve.json file (plain or gzip) for a <see cref="DetectionPipeline"/>; its counters
    /// are live while it is read.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives rejected and skipped events, or <see langword="null"/>.</param>
    /// <returns>The source.</returns>
    public static IFlowSource FileSource(string path, SuricataReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var state = new SuricataReaderState(options, path, diagnostics);
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
    /// Makes a source of a stream of EVE JSON (plain or gzip) for a <see cref="DetectionPipeline"/>, read
    /// once from its current position to its end and left open; its counters are live while it is read.
    /// </summary>
    /// <param name="stream">The input.</param>
    /// <param name="name">The input's name, for the source and its diagnostics.</param>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives rejected and skipped events, or <see langword="null"/>.</param>
    /// <returns>The source.</returns>
    public static IFlowSource StreamSource(Stream stream, string name, SuricataReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var state = new SuricataReaderState(options, name, diagnostics);
        return FlowSource.Create(name, state.Counters, async (sink, ct) => await ReadStreamAsync(stream, sink, state, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Gets the <see cref="InputFormat"/> by which <see cref="FlowInput"/> recognises Suricata EVE JSON and reads it with
    /// <paramref name="options"/>: content whose first line (after any blank lines and byte order mark) is a JSON object
    /// with a string <c>event_type</c> and a string <c>timestamp</c>, whatever the event type (an eve.json starts with
    /// whichever event came first).
    /// </summary>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <returns>The format, named <c>suricata</c>.</returns>
    public static InputFormat Format(SuricataReaderOptions? options = null) => new SuricataInputFormat(options);

    private static ValueTask<InputCounters> ReadStreamPipeAsync(Stream input, IFlowRecordSink sink, SuricataReaderState state, CancellationToken cancellationToken)
    {
        var pipe = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: InputFile.BufferSize, minimumReadSize: InputFile.BufferSize / 4, leaveOpen: true));
        return ReadPipeAsync(pipe, sink, state, cancellationToken);
    }

    // Reads a pipe of uncompressed content to its end and completes it.
    private static async ValueTask<InputCounters> ReadPipeAsync(PipeReader input, IFlowRecordSink sink, SuricataReaderState state, CancellationToken cancellationToken)
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

    private static SequencePosition ReadBlock(ReadOnlySequence<byte> buffer, SuricataReaderState state, IFlowRecordSink sink, bool isFinalBlock)
    {
        var reader = new SuricataEveReader(buffer, state, isFinalBlock);
        while (reader.TryRead(out var record))
        {
            sink.OnRecord(record);
        }

        return reader.Position;
    }
}
