using System.Buffers;
using System.IO.Pipelines;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

/// <summary>
/// Reads export data from pipes, streams and files: RFC 5655 IPFIX files (concatenated messages), a NetFlow v9 or IPFIX
/// datagram payload saved to a file, pcap and pcapng captures of export traffic, each optionally gzip-compressed (recognised
/// by the magic bytes <c>1f 8b</c>, not by the file name). The format is recognised from the first bytes.
/// </summary>
public static class IpfixReader
{
    /// <summary>Reads a pipe to its end, delivering accepted records to <paramref name="sink"/>.</summary>
    /// <param name="reader">The pipe; it is read to its end but not completed.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="decoder">The decoder (its options, diagnostics callback, input name and state), or <see langword="null"/> for a new default one.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The decoder's counters.</returns>
    /// <exception cref="IpfixFormatException">The input is not in a format this reader knows, its capture header is damaged,
    /// or its gzip data is damaged (<see cref="IpfixFormatError.CorruptCompressedInput"/>; the records before the damage have been read).</exception>
    public static async Task<InputCounters> ReadAsync(PipeReader reader, IFlowRecordSink sink, IpfixDecoder? decoder = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sink);
        return await ReadCoreAsync(reader, sink, decoder ?? new IpfixDecoder(), compressed: false, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<InputCounters> ReadCoreAsync(PipeReader reader, IFlowRecordSink sink, IpfixDecoder decoder, bool compressed, CancellationToken cancellationToken)
    {
        var format = await DetectAsync(reader, cancellationToken).ConfigureAwait(false);
        switch (format)
        {
            case InputFormat.Empty:
                return decoder.Counters;
            case InputFormat.Gzip when compressed:
                throw new IpfixFormatException(IpfixFormatError.UnknownFormat, "the decompressed input is gzip again; gzip inside gzip is not read", decoder.InputName, 0);
            case InputFormat.Gzip:
                var inner = CompressedInput.Decompress(reader, (message, byteOffset) => new IpfixFormatException(IpfixFormatError.CorruptCompressedInput, message, decoder.InputName, byteOffset));
                try
                {
                    return await ReadCoreAsync(inner, sink, decoder, compressed: true, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await inner.CompleteAsync().ConfigureAwait(false);
                }

            case InputFormat.Unknown:
                var head = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var quoted = InputText.Escape(head.Buffer.Slice(0, Math.Min(16, head.Buffer.Length)).ToArray());
                reader.AdvanceTo(head.Buffer.Start);
                throw new IpfixFormatException(IpfixFormatError.UnknownFormat, $"the input is neither IPFIX, NetFlow v9, pcap, pcapng nor gzip; it starts with \"{quoted}\"", decoder.InputName, 0);
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

    /// <summary>Reads a stream to its end (see <see cref="ReadAsync"/>).</summary>
    /// <param name="stream">The stream; left open.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="decoder">The decoder, or <see langword="null"/> for a new default one.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The decoder's counters.</returns>
    /// <exception cref="IpfixFormatException">The input is not in a format this reader knows, its capture header is damaged, or its gzip data is damaged.</exception>
    public static async Task<InputCounters> ReadStreamAsync(Stream stream, IFlowRecordSink sink, IpfixDecoder? decoder = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 65536, leaveOpen: true));
        try
        {
            return await ReadAsync(reader, sink, decoder, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads a file (see <see cref="ReadAsync"/>); the decoder's input name defaults to the path.</summary>
    /// <param name="path">The file.</param>
    /// <param name="sink">Receives the accepted records.</param>
    /// <param name="decoder">The decoder, or <see langword="null"/> for a new default one.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The decoder's counters.</returns>
    /// <exception cref="IpfixFormatException">The input is not in a format this reader knows, its capture header is damaged, or its gzip data is damaged.</exception>
    public static async Task<InputCounters> ReadFileAsync(string path, IFlowRecordSink sink, IpfixDecoder? decoder = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        decoder ??= new IpfixDecoder();
        decoder.InputName ??= path;
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 65536, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            return await ReadStreamAsync(file, sink, decoder, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes a source of an IPFIX / NetFlow v9 file or capture (pcap, pcapng, plain or gzip) for a <see cref="DetectionPipeline"/>;
    /// its counters are the decoder's, live while it is read.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="decoder">The decoder (options, diagnostics); <see langword="null"/> for a default one.</param>
    /// <returns>The source.</returns>
    public static IFlowSource FileSource(string path, IpfixDecoder? decoder = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        decoder ??= new IpfixDecoder();
        decoder.InputName ??= path;
        return FlowSource.Create(path, decoder.Counters, (sink, ct) => ReadFileAsync(path, sink, decoder, ct));
    }

    private static async ValueTask<InputFormat> DetectAsync(PipeReader reader, CancellationToken cancellationToken)
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
}
