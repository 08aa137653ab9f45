using System.Buffers;
using System.IO.Pipelines;

namespace PortMismatch.Detection.Internal;

/// <summary>
/// Opens input that may be gzip-compressed, recognised by its first two bytes (<c>1f 8b</c>), never by a file name
/// (rotated logs are <c>conn.00:00:00-01:00:00.log.gz</c>, captures <c>.pcap.gz</c>, and standard input has no name).
/// Damaged compressed input ends the read with the adapter's own <see cref="InputFormatException"/> (see
/// <see cref="GzipReadStream"/>); what was decompressed before the damage has been read.
/// </summary>
internal static class CompressedInput
{
    /// <summary>The size of the buffers of the pipes over decompressed input.</summary>
    public const int PipeBufferSize = 64 * 1024;

    /// <summary>Makes the <see cref="CompressedInputException"/>s of damaged gzip input, naming the input.</summary>
    /// <param name="inputName">The input's name, or <see langword="null"/>.</param>
    /// <returns>The factory for <see cref="GzipReadStream"/>.</returns>
    public static CompressedInputError Error(string? inputName) => (message, byteOffset) => new CompressedInputException(message, inputName, byteOffset);

    /// <summary>Whether <paramref name="head"/> starts with the gzip magic bytes.</summary>
    /// <param name="head">The first bytes of an input.</param>
    /// <returns>Whether it is gzip.</returns>
    public static bool IsGzip(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B;

    /// <summary>Whether <paramref name="head"/> starts with the gzip magic bytes.</summary>
    /// <param name="head">The first bytes of an input.</param>
    /// <returns>Whether it is gzip.</returns>
    public static bool IsGzip(ReadOnlySequence<byte> head)
    {
        Span<byte> magic = stackalloc byte[2];
        if (head.Length < 2)
        {
            return false;
        }

        head.Slice(0, 2).CopyTo(magic);
        return IsGzip(magic);
    }

    /// <summary>
    /// Reads the first bytes of <paramref name="source"/> and returns a stream of its content: decompressed when it is gzip,
    /// else the same bytes. Disposing the returned stream leaves <paramref name="source"/> open.
    /// </summary>
    /// <param name="source">The input, read from its current position.</param>
    /// <param name="error">Makes the adapter's exception for damaged compressed input.</param>
    /// <param name="cancellationToken">Cancels the first read.</param>
    /// <returns>The content.</returns>
    public static async ValueTask<Stream> OpenAsync(Stream source, CompressedInputError error, CancellationToken cancellationToken)
    {
        var magic = new byte[2];
        var read = await source.ReadAtLeastAsync(magic, 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var content = new PrefixedStream(magic, read, source);
        return IsGzip(magic.AsSpan(0, read)) ? new GzipReadStream(content, error, leaveOpen: false) : content;
    }

    /// <summary>Waits for the first two bytes of <paramref name="source"/> (or its end) and tells whether they are the gzip magic; consumes nothing.</summary>
    /// <param name="source">The input.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether the input is gzip.</returns>
    public static async ValueTask<bool> StartsWithGzipAsync(PipeReader source, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= 2 || result.IsCompleted || result.IsCanceled)
            {
                source.AdvanceTo(buffer.Start); // nothing consumed or examined: the reader sees these bytes again
                return IsGzip(buffer);
            }

            source.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Makes a pipe of the decompressed content of a gzip pipe. Complete the returned reader when done; that leaves
    /// <paramref name="source"/> as it is (not completed).
    /// </summary>
    /// <param name="source">The compressed input.</param>
    /// <param name="error">Makes the adapter's exception for damaged compressed input.</param>
    /// <returns>The decompressed input.</returns>
    public static PipeReader Decompress(PipeReader source, CompressedInputError error)
    {
        var gzip = new GzipReadStream(source.AsStream(leaveOpen: true), error, leaveOpen: false);
        return PipeReader.Create(gzip, new StreamPipeReaderOptions(bufferSize: PipeBufferSize, minimumReadSize: PipeBufferSize / 4, leaveOpen: false));
    }
}
