using System.Buffers;
using System.IO.Pipelines;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.PanOs.Internal;

namespace PortMismatch.Detection.PanOs;

/// <summary>
/// Streams PAN-OS TRAFFIC logs from a <see cref="PipeReader"/>, a <see cref="Stream"/> or a file, each plain or gzip
/// (recognised by the magic bytes <c>1f 8b</c>, whatever the name), into an <see cref="IFlowRecordSink"/>, with the
/// framing, mapping and diagnostics of <see cref="PanOsTrafficReader"/>. Memory is bounded by
/// <see cref="PanOsReaderOptions.MaxLineLength"/> whatever the input. Damaged gzip ends the read with a
/// <see cref="CompressedInputException"/> after the records before the damage; bad lines are only ever counted.
/// </summary>
public static class PanOsTrafficInput
{

    /// <summary>
    /// Reads a pipe to its end, pushing each accepted record to <paramref name="sink"/>; gzip input is decompressed
    /// (concatenated members in turn). The pipe is not completed.
    /// </summary>
    /// <param name="input">The input.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="state">The state of this input: options, name, diagnostics callback, counters.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>The counters of the input (<paramref name="state"/>'s).</returns>
    /// <exception cref="CompressedInputException">The input is gzip and damaged (the records before the damage have been read).</exception>
    /// <exception cref="OperationCanceledException">The read was cancelled.</exception>
    public static async ValueTask<InputCounters> ReadAsync(PipeReader input, IFlowRecordSink sink, PanOsReaderState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(state);
        if (!await CompressedInput.StartsWithGzipAsync(input, cancellationToken).ConfigureAwait(false))
        {
            return await ReadPipeCoreAsync(input, sink, state, cancellationToken).ConfigureAwait(false);
        }

        var content = CompressedInput.Decompress(input, CompressedInput.Error(state.InputName));
        try
        {
            return await ReadPipeCoreAsync(content, sink, state, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await content.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads a stream to its end (the stream is left open); gzip input is decompressed (concatenated members in turn).
    /// </summary>
    /// <param name="input">The input, read from its current position.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="state">The state of this input: options, name, diagnostics callback, counters.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>The counters of the input (<paramref name="state"/>'s).</returns>
    /// <exception cref="CompressedInputException">The input is gzip and damaged (the records before the damage have been read).</exception>
    /// <exception cref="OperationCanceledException">The read was cancelled.</exception>
    public static async ValueTask<InputCounters> ReadStreamAsync(Stream input, IFlowRecordSink sink, PanOsReaderState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(state);
        return await ReadStreamCoreAsync(input, sink, state, cancellationToken).ConfigureAwait(false);
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
    /// <returns>The counters of the file; diagnostics name the input by <paramref name="path"/>.</returns>
    /// <exception cref="CompressedInputException">The file is gzip and damaged (the records before the damage have been read).</exception>
    /// <exception cref="OperationCanceledException">The read was cancelled.</exception>
    public static async ValueTask<InputCounters> ReadFileAsync(
        string path,
        IFlowRecordSink sink,
        PanOsReaderOptions? options = null,
        Action<InputDiagnostic>? diagnostics = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(sink);
        return await ReadFileCoreAsync(path, sink, new PanOsReaderState(options, path, diagnostics), cancellationToken).ConfigureAwait(false);
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
        var state = new PanOsReaderState(options, path, diagnostics);
        return FlowSource.Create(path, state.Counters, async (sink, ct) => await ReadFileCoreAsync(path, sink, state, ct).ConfigureAwait(false));
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
        var state = new PanOsReaderState(options, name, diagnostics);
        return FlowSource.Create(name, state.Counters, async (sink, ct) => await ReadStreamCoreAsync(stream, sink, state, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Gets the format by which <see cref="FlowInput"/> recognises PAN-OS logs and reads them with
    /// <paramref name="options"/>: content (after gzip) that starts, past blanks and a byte order mark, with a syslog PRI
    /// (<c>&lt;14&gt;</c>), an RFC 6587 octet count (digits and a space) or a bare PAN-OS CSV line (digits and a comma).
    /// </summary>
    /// <param name="options">Reader options; <see langword="null"/> for the defaults.</param>
    /// <returns>The format, named <c>panos</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (as <see cref="PanOsReaderState"/> checks).</exception>
    public static InputFormat Format(PanOsReaderOptions? options = null)
    {
        options ??= PanOsReaderOptions.Default;
        PanOsReaderState.Validate(options);
        return new PanOsInputFormat(options);
    }

    private static async ValueTask<InputCounters> ReadPipeCoreAsync(PipeReader reader, IFlowRecordSink sink, PanOsReaderState state, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;

            // Everything buffered is handled before IsCompleted is looked at; a final line without LF is a line.
            var consumed = Process(state.Framer, state.Decoder, buffer, result.IsCompleted, sink);
            reader.AdvanceTo(consumed, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return state.Counters;
            }
        }
    }

    private static async ValueTask<InputCounters> ReadStreamCoreAsync(Stream stream, IFlowRecordSink sink, PanOsReaderState state, CancellationToken cancellationToken)
    {
        var content = await CompressedInput.OpenAsync(stream, CompressedInput.Error(state.InputName), cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            var reader = PipeReader.Create(content, new StreamPipeReaderOptions(bufferSize: InputFile.BufferSize, minimumReadSize: InputFile.BufferSize / 4, leaveOpen: true));
            try
            {
                return await ReadPipeCoreAsync(reader, sink, state, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await reader.CompleteAsync().ConfigureAwait(false);
            }
        }
    }

    private static async ValueTask<InputCounters> ReadFileCoreAsync(string path, IFlowRecordSink sink, PanOsReaderState state, CancellationToken cancellationToken)
    {
        var file = InputFile.Open(path);
        await using (file.ConfigureAwait(false))
        {
            return await ReadStreamCoreAsync(file, sink, state, cancellationToken).ConfigureAwait(false);
        }
    }

    // Decodes frames until the buffer needs more data; returns where the unread input starts.
    private static SequencePosition Process(SyslogFramer framer, TrafficDecoder decoder, ReadOnlySequence<byte> buffer, bool isFinal, IFlowRecordSink sink)
    {
        while (true)
        {
            var status = framer.NextFrame(buffer, isFinal, out var frame, out var consumed);
            buffer = buffer.Slice(consumed);
            switch (status)
            {
                case FrameStatus.Frame:
                    if (decoder.TryDecode(frame, framer.FrameLineNumber, framer.FrameByteOffset, out var traffic))
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
