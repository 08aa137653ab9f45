using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

/// <summary>
/// Reads export data from pipes, streams and files: RFC 5655 IPFIX files (concatenated messages), a NetFlow v9 or IPFIX
/// datagram payload saved to a file, pcap and pcapng captures of export traffic, each optionally gzip-compressed (recognised
/// by the magic bytes <c>1f 8b</c>, not by the file name). The format is recognised from the first bytes.
/// </summary>
/// <remarks>
/// NetFlow v5 (saved packets, or in a capture) is read too, but only counted: v5 has no application field, so each of its
/// records is skipped with the reason <c>netflow-v5</c>.
/// </remarks>
public static class IpfixInput
{
    private const int BufferSize = 65536;

    /// <summary>Reads a pipe to its end, delivering accepted records to <paramref name="sink"/>.</summary>
    /// <param name="input">The pipe; it is read to its end but not completed.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="decoder">The decoder: its options, input name, diagnostics callback, counters and template state.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The decoder's counters.</returns>
    /// <exception cref="IpfixFormatException">The input is not in a format this reader knows, or its capture header is damaged.</exception>
    /// <exception cref="CompressedInputException">The input is gzip and damaged; the records before the damage have been read.</exception>
    public static async ValueTask<InputCounters> ReadAsync(PipeReader input, IFlowRecordSink sink, IpfixDecoder decoder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(decoder);
        if (!await CompressedInput.StartsWithGzipAsync(input, cancellationToken).ConfigureAwait(false))
        {
            return await ReadContentAsync(input, sink, decoder, compressed: false, cancellationToken).ConfigureAwait(false);
        }

        var content = CompressedInput.Decompress(input, CompressedInput.Error(decoder.InputName));
        try
        {
            return await ReadContentAsync(content, sink, decoder, compressed: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await content.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads a stream to its end (see <see cref="ReadAsync"/>).</summary>
    /// <param name="input">The stream; left open.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="decoder">The decoder: its options, input name, diagnostics callback, counters and template state.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The decoder's counters.</returns>
    /// <exception cref="IpfixFormatException">The input is not in a format this reader knows, or its capture header is damaged.</exception>
    /// <exception cref="CompressedInputException">The input is gzip and damaged; the records before the damage have been read.</exception>
    public static async ValueTask<InputCounters> ReadStreamAsync(Stream input, IFlowRecordSink sink, IpfixDecoder decoder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var reader = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: BufferSize, leaveOpen: true));
        try
        {
            return await ReadAsync(reader, sink, decoder, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads a file (see <see cref="ReadAsync"/>) with a new decoder whose input name is the path.</summary>
    /// <param name="path">The file.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="IpfixReaderOptions.Default"/>.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The counters of the file.</returns>
    /// <exception cref="IpfixFormatException">The input is not in a format this reader knows, or its capture header is damaged.</exception>
    /// <exception cref="CompressedInputException">The input is gzip and damaged; the records before the damage have been read.</exception>
    public static ValueTask<InputCounters> ReadFileAsync(
        string path, IFlowRecordSink sink, IpfixReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(sink);
        return ReadFileAsync(path, sink, new IpfixDecoder(options, path, diagnostics), cancellationToken);
    }

    /// <summary>
    /// Makes a source of an IPFIX / NetFlow v9 file or capture (pcap, pcapng, plain or gzip) for a <see cref="DetectionPipeline"/>;
    /// its counters are live while it is read.
    /// </summary>
    /// <param name="path">The file; it is opened when the source is read.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="IpfixReaderOptions.Default"/>.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, or <see langword="null"/>.</param>
    /// <returns>The source.</returns>
    public static IFlowSource FileSource(string path, IpfixReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var decoder = new IpfixDecoder(options, path, diagnostics);
        return FlowSource.Create(path, decoder.Counters, (sink, ct) => ReadFileAsync(path, sink, decoder, ct).AsTask());
    }

    /// <summary>
    /// Makes a source of an IPFIX / NetFlow v9 stream (messages, a saved datagram, pcap or pcapng; plain or gzip) for a
    /// <see cref="DetectionPipeline"/>, read once from its current position and left open; its counters are live while it is read.
    /// </summary>
    /// <param name="stream">The input.</param>
    /// <param name="name">The input's name, for the source and its diagnostics.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="IpfixReaderOptions.Default"/>.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, or <see langword="null"/>.</param>
    /// <returns>The source.</returns>
    public static IFlowSource StreamSource(Stream stream, string name, IpfixReaderOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var decoder = new IpfixDecoder(options, name, diagnostics);
        return FlowSource.Create(name, decoder.Counters, (sink, ct) => ReadStreamAsync(stream, sink, decoder, ct).AsTask());
    }

    /// <summary>
    /// Gets the format by which <see cref="FlowInput"/> recognises IPFIX and NetFlow v9 content (a message or packet header,
    /// or a pcap or pcapng file header) and reads it with <paramref name="options"/>; NetFlow v5 packets too, whose records
    /// are counted and skipped (<c>netflow-v5</c>: v5 has no application field).
    /// </summary>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="IpfixReaderOptions.Default"/>.</param>
    /// <returns>The format, named <c>ipfix</c>.</returns>
    public static InputFormat Format(IpfixReaderOptions? options = null) => new IpfixInputFormat(options);

    /// <summary>Reads a file with a decoder of the caller's (tests read its state afterwards).</summary>
    internal static async ValueTask<InputCounters> ReadFileAsync(string path, IFlowRecordSink sink, IpfixDecoder decoder, CancellationToken cancellationToken)
    {
        var file = InputFile.Open(path);
        await using (file.ConfigureAwait(false))
        {
            return await ReadStreamAsync(file, sink, decoder, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async ValueTask<InputCounters> ReadContentAsync(PipeReader reader, IFlowRecordSink sink, IpfixDecoder decoder, bool compressed, CancellationToken cancellationToken)
    {
        var format = await DetectAsync(reader, cancellationToken).ConfigureAwait(false);
        switch (format)
        {
            case FrameFormat.Empty:
                return decoder.Counters;
            case FrameFormat.Unknown:
                var head = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var start = head.Buffer.Slice(0, Math.Min(16, head.Buffer.Length)).ToArray();
                reader.AdvanceTo(head.Buffer.Start);
                throw compressed && CompressedInput.IsGzip(start)
                    ? new IpfixFormatException(IpfixFormatError.UnknownFormat, "the decompressed input is gzip again; gzip inside gzip is not read", decoder.InputName, 0)
                    : new IpfixFormatException(IpfixFormatError.UnknownFormat, $"the input is neither IPFIX, NetFlow v9 or v5, pcap, pcapng nor gzip; it starts with \"{InputText.Escape(start)}\"", decoder.InputName, 0);
            default:
                var framer = new Framer(format, decoder, sink);
                while (true)
                {
                    var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    var stop = framer.Process(ref buffer, result.IsCompleted);
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    if (stop || result.IsCompleted)
                    {
                        decoder.Flush();
                        return decoder.Counters;
                    }
                }
        }
    }

    private static async ValueTask<FrameFormat> DetectAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= 4 || result.IsCompleted)
            {
                var format = Framer.Detect(buffer);
                reader.AdvanceTo(buffer.Start); // nothing consumed or examined: the framer reads these bytes again
                return format;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The <see cref="InputFormat"/> of <see cref="Format"/>.</summary>
    private sealed class IpfixInputFormat(IpfixReaderOptions? options) : InputFormat("ipfix")
    {
        // Four bytes at least, as a message, packet or capture header is longer: two bytes 00 0a alone are not taken for IPFIX.
        public override bool IsMatch(ReadOnlySpan<byte> head)
            => head.Length >= 4 && Framer.Detect(head) is not (FrameFormat.Empty or FrameFormat.Unknown);

        public override string ExplainMismatch(ReadOnlySpan<byte> head)
        {
            if (IsMatch(head))
            {
                return "it is";
            }

            if (head.Length < 4)
            {
                return "shorter than a message header";
            }

            // The version field of a NetFlow / IPFIX header is the first two bytes, big-endian.
            var version = (head[0] << 8) | head[1];
            return version is 1 or 7 or 8
                ? string.Create(CultureInfo.InvariantCulture, $"NetFlow v{version}, which is not read (only IPFIX, NetFlow v9 and v5)")
                : string.Create(CultureInfo.InvariantCulture, $"the first bytes {head[0]:x2} {head[1]:x2} {head[2]:x2} {head[3]:x2} are no IPFIX (00 0a), NetFlow v9 (00 09) or v5 (00 05) header nor a pcap or pcapng magic");
        }

        public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
            => IpfixInput.StreamSource(content, name, options, diagnostics);
    }
}
