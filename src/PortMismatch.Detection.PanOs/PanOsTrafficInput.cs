using System.Buffers;
using System.IO.Pipelines;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.PanOs.Internal;

namespace PortMismatch.Detection.PanOs;

/// <summary>
/// Streams PAN-OS TRAFFIC logs from a <see cref="PipeReader"/>, a <see cref="Stream"/> or a file, each plain or gzip
/// (recognised by the magic bytes <c>1f 8b</c>, whatever the name), into an <see cref="IFlowRecordSink"/>, with the
/// framing, mapping and diagnostics of <see cref="PanOsTrafficReader"/>. Memory is bounded by
/// <see cref="PanOsReaderOptions.MaxLineLength"/> whatever the input.
/// </summary>
public static class PanOsTrafficInput
{
    private const int FileBufferSize = 64 * 1024;

    /// <summary>
    /// Reads a pipe to its end, pushing each accepted record to <paramref name="sink"/>; gzip input is decompressed
    /// (concatenated members in turn). The pipe is not completed.
    /// </summary>
    /// <param name="reader">The input.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="PanOsReaderOptions.Default"/>.</param>
    /// <param name="diagnostics">Called for each rejected or skipped line, or <see langword="null"/>.</param>
    /// <param name="inputName">The input's name for diagnostics, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>The counts of the read.</returns>
    /// <exception cref="PanOsFormatException">The input is gzip and damaged (the records before the damage have been read).</exception>
    /// <exception cref="OperationCanceledException">The read was cancelled.</exception>
    public static async Task<InputCounters> ReadPipeAsync(
        PipeReader reader,
        IFlowRecordSink sink,
        PanOsReaderOptions? options = null,
        Action<InputDiagnostic>? diagnostics = null,
        string? inputName = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sink);
        var decoder = new TrafficDecoder(options, diagnostics, inputName);
        if (!await CompressedInput.StartsWithGzipAsync(reader, cancellationToken).ConfigureAwait(false))
        {
            return await ReadPipeCoreAsync(reader, sink, decoder, cancellationToken).ConfigureAwait(false);
        }

        var content = CompressedInput.Decompress(reader, GzipError(inputName));
        try
        {
            return await ReadPipeCoreAsync(content, sink, decoder, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await content.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes a source of a PAN-OS log file (plain or gzip) for a <see cref="DetectionPipeline"/>; its counters are live while it is read.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives rejected and skipped lines, or <see langword="null"/>.</param>
    /// <returns>The source.</returns>
    public static IFlowSource FileSource(string path, PanOsReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var decoder = new TrafficDecoder(options, diagnostics, path);
        return FlowSource.Create(path, decoder.Counters, (sink, ct) => ReadFileCoreAsync(path, sink, decoder, ct));
    }

    /// <summary>
    /// Makes a source of a stream (plain or gzip) that the caller has opened and disposes after the run, with the counters
    /// of <see cref="FileSource"/>: live while it is read, and keeping what was read when the read fails part-way.
    /// </summary>
    /// <param name="stream">The input, read once from its current position; left open.</param>
    /// <param name="name">The input's name, for the source and its diagnostics.</param>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <param name="diagnostics">Receives rejected and skipped lines, or <see langword="null"/>.</param>
    /// <returns>The source.</returns>
    public static IFlowSource StreamSource(Stream stream, string name, PanOsReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var decoder = new TrafficDecoder(options, diagnostics, name);
        return FlowSource.Create(name, decoder.Counters, (sink, ct) => ReadStreamCoreAsync(stream, sink, decoder, ct));
    }

    private static async Task<InputCounters> ReadPipeCoreAsync(PipeReader reader, IFlowRecordSink sink, TrafficDecoder decoder, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;

            // Everything buffered is handled before IsCompleted is looked at; a final line without LF is a line.
            var consumed = Process(decoder, buffer, result.IsCompleted, sink);
            reader.AdvanceTo(consumed, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return decoder.Counters;
            }
        }
    }

    /// <summary>
    /// Reads a stream to its end (the stream is left open); gzip input is decompressed (concatenated members in turn).
    /// </summary>
    /// <param name="stream">The input.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="PanOsReaderOptions.Default"/>.</param>
    /// <param name="diagnostics">Called for each rejected or skipped line, or <see langword="null"/>.</param>
    /// <param name="inputName">The input's name for diagnostics, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>The counts of the read.</returns>
    /// <exception cref="PanOsFormatException">The input is gzip and damaged (the records before the damage have been read).</exception>
    /// <exception cref="OperationCanceledException">The read was cancelled.</exception>
    public static async Task<InputCounters> ReadStreamAsync(
        Stream stream,
        IFlowRecordSink sink,
        PanOsReaderOptions? options = null,
        Action<InputDiagnostic>? diagnostics = null,
        string? inputName = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sink);
        return await ReadStreamCoreAsync(stream, sink, new TrafficDecoder(options, diagnostics, inputName), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<InputCounters> ReadStreamCoreAsync(Stream stream, IFlowRecordSink sink, TrafficDecoder decoder, CancellationToken cancellationToken)
    {
        var content = await CompressedInput.OpenAsync(stream, GzipError(decoder.InputName), cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            var reader = PipeReader.Create(content, new StreamPipeReaderOptions(bufferSize: FileBufferSize, minimumReadSize: FileBufferSize / 4, leaveOpen: true));
            try
            {
                return await ReadPipeCoreAsync(reader, sink, decoder, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await reader.CompleteAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Reads a file to its end. A file that starts with the gzip magic bytes (<c>1f 8b</c>) is decompressed, whatever its
    /// name; concatenated gzip members are read in turn.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="PanOsReaderOptions.Default"/>.</param>
    /// <param name="diagnostics">Called for each rejected or skipped line, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>The counts of the read; diagnostics name the input by <paramref name="path"/>.</returns>
    /// <exception cref="PanOsFormatException">The file is gzip and damaged (the records before the damage have been read).</exception>
    /// <exception cref="OperationCanceledException">The read was cancelled.</exception>
    public static async Task<InputCounters> ReadFileAsync(
        string path,
        IFlowRecordSink sink,
        PanOsReaderOptions? options = null,
        Action<InputDiagnostic>? diagnostics = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(sink);
        return await ReadFileCoreAsync(path, sink, new TrafficDecoder(options, diagnostics, path), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<InputCounters> ReadFileCoreAsync(string path, IFlowRecordSink sink, TrafficDecoder decoder, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileBufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            return await ReadStreamCoreAsync(file, sink, decoder, cancellationToken).ConfigureAwait(false);
        }
    }

    private static CompressedInputError GzipError(string? inputName)
        => (message, byteOffset) => new PanOsFormatException(PanOsFormatError.CorruptCompressedInput, message, inputName, 0, byteOffset);

    // Decodes frames until the buffer needs more data; returns where the unread input starts.
    private static SequencePosition Process(TrafficDecoder decoder, ReadOnlySequence<byte> buffer, bool isFinal, IFlowRecordSink sink)
    {
        while (true)
        {
            var status = decoder.NextFrame(buffer, isFinal, out var frame, out var consumed);
            buffer = buffer.Slice(consumed);
            switch (status)
            {
                case FrameStatus.Frame:
                    if (decoder.TryDecode(frame, decoder.FrameLineNumber, decoder.FrameByteOffset, out var traffic))
                    {
                        sink.OnRecord(traffic.Flow);
                    }

                    break;
                case FrameStatus.Consumed:
                    break;
                default:
                    return buffer.Start;
            }
        }
    }
}
