using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// Reads an input whose format is not known in advance: unwraps gzip (recognised by its magic bytes, never by a name),
/// reads the first <see cref="HeadLength"/> bytes of the content once, and hands the whole content to the first of the
/// given <see cref="InputFormat"/>s that recognises them. Hosts that take files of several formats (a folder of Zeek logs,
/// PAN-OS exports and IPFIX captures) need no sniffing of their own.
/// </summary>
public static class FlowInput
{
    /// <summary>How many bytes of content a format is recognised from.</summary>
    public const int HeadLength = 512;

    /// <summary>Makes a source of a file in one of <paramref name="formats"/>, plain or gzip.</summary>
    /// <param name="path">The file; it is opened when the source is read, shared for reading, writing and deletion (a log still written or being rotated).</param>
    /// <param name="formats">The formats to try, in order (the first that recognises the head reads the input).</param>
    /// <param name="diagnostics">Receives rejected and skipped records, or <see langword="null"/>.</param>
    /// <returns>The source; its <see cref="FlowInputSource.Format"/> is known once it has started reading.</returns>
    public static FlowInputSource FileSource(string path, IReadOnlyList<InputFormat> formats, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FlowInputSource(path, null, Check(formats), diagnostics);
    }

    /// <summary>Makes a source of a stream in one of <paramref name="formats"/>, plain or gzip; the stream is left open.</summary>
    /// <param name="stream">The input, read once from its current position.</param>
    /// <param name="name">The input's name, for the source and its diagnostics.</param>
    /// <param name="formats">The formats to try, in order (the first that recognises the head reads the input).</param>
    /// <param name="diagnostics">Receives rejected and skipped records, or <see langword="null"/>.</param>
    /// <returns>The source; its <see cref="FlowInputSource.Format"/> is known once it has started reading.</returns>
    public static FlowInputSource StreamSource(Stream stream, string name, IReadOnlyList<InputFormat> formats, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new FlowInputSource(name, stream, Check(formats), diagnostics);
    }

    /// <summary>
    /// Unwraps gzip and reads the head of the content: returns the content (which replays the head; disposing it leaves
    /// <paramref name="stream"/> open), the first of <paramref name="formats"/> that recognises it, or
    /// <see langword="null"/>, and the head itself (at most <see cref="HeadLength"/> bytes: for a check of another format,
    /// or the error of content that no format recognises, <see cref="UnrecognizedInputException(string, ReadOnlySpan{byte}, IReadOnlyList{InputFormat})"/>).
    /// For hosts that open inputs their own way.
    /// </summary>
    /// <param name="stream">The input, read from its current position.</param>
    /// <param name="name">The input's name, for the errors of damaged gzip.</param>
    /// <param name="formats">The formats to try, in order (the first that recognises the head reads the input).</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The content, its format and its head.</returns>
    /// <exception cref="CompressedInputException">The input is gzip and its start is damaged.</exception>
    public static async ValueTask<(Stream Content, InputFormat? Format, ReadOnlyMemory<byte> Head)> DetectAsync(
        Stream stream, string? name, IReadOnlyList<InputFormat> formats, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Check(formats);

        // The first read that brings two bytes tells gzip from the rest, so that a pipe of gzip is not waited on for more.
        var head = new byte[HeadLength];
        var length = await stream.ReadAtLeastAsync(head, 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var gzip = CompressedInput.IsGzip(head.AsSpan(0, length));
        Stream content = stream;
        if (gzip)
        {
            content = new GzipReadStream(new PrefixedStream(head, length, stream), CompressedInput.Error(name), leaveOpen: true);
            head = new byte[HeadLength];
            length = 0;
        }

        try
        {
            length += await content.ReadAtLeastAsync(head.AsMemory(length), head.Length - length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }
        catch when (gzip)
        {
            await content.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        InputFormat? match = null;
        foreach (var format in formats)
        {
            if (format.IsMatch(head.AsSpan(0, length)))
            {
                match = format;
                break;
            }
        }

        return (new PrefixedStream(head, length, content, ownsInner: gzip), match, head.AsMemory(0, length));
    }

    private static IReadOnlyList<InputFormat> Check(IReadOnlyList<InputFormat> formats)
    {
        ArgumentNullException.ThrowIfNull(formats);
        if (formats.Count == 0)
        {
            throw new ArgumentException("Give at least one format.", nameof(formats));
        }

        foreach (var format in formats)
        {
            ArgumentNullException.ThrowIfNull(format, nameof(formats));
        }

        return formats;
    }
}
