using PortMismatch.Detection.Internal;

namespace PortMismatch.Cli;

/// <summary>
/// One input: a file, or a stream (standard input, or a FIFO or device named on the command line, read as it comes and
/// never split: <paramref name="IsStream"/>).
/// </summary>
internal sealed record Input(string Name, string? Path, long Length, bool Explicit, bool IsStream = false)
{
    /// <summary>
    /// Opens the input. A file is opened by <see cref="RegularFile"/>, which fails at once when it is no longer a regular
    /// file. A stream is opened on a thread of its own (opening a FIFO waits for a writer) and read through an
    /// <see cref="InterruptibleStream"/>, so that cancellation stops a scan that waits for a writer or for bytes.
    /// </summary>
    /// <returns>The input, or <see langword="null"/> for a file that is empty now.</returns>
    public async Task<Stream?> OpenAsync(ScanCommand.Run run, CancellationToken cancellationToken)
    {
        if (Path is null)
        {
            return new CountingStream(new InterruptibleStream(Console.OpenStandardInput()), run);
        }

        if (!IsStream)
        {
            return RegularFile.Open(Path) is { } file ? new CountingStream(file, run) : null;
        }

        var path = Path;
        var opening = Task.Factory.StartNew(
            () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        try
        {
            var opened = await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (opened.CanSeek && opened.Length == 0)
            {
                // An empty file taken for a stream (where the walk cannot tell a FIFO from a file): empty, as a file is.
                await opened.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            return new CountingStream(new InterruptibleStream(opened), run);
        }
        catch (OperationCanceledException)
        {
            // The open may still succeed once a writer comes: close what it opens then.
            _ = opening.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }
}

/// <summary>Finds inputs and tells their format from their first bytes.</summary>
internal static class Inputs
{
    /// <summary>
    /// Finds the inputs the command line names: files, folders (walked by <see cref="FolderWalk"/>: each file once, loops
    /// and entries that are not regular files reported and left out), and <c>-</c> for standard input.
    /// </summary>
    public static FolderWalk Find(List<string> paths, TextWriter stderr, bool quiet, CancellationToken cancellationToken)
    {
        var walk = new FolderWalk(stderr, quiet);
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            walk.Add(path, cancellationToken);
        }

        return walk;
    }

    /// <summary>How many bytes of the content the format is told from.</summary>
    public const int HeadLength = 512;

    private static readonly CompressedInputError GzipError = static (message, byteOffset) => new CompressedInputException(message, byteOffset);

    /// <summary>
    /// Unwraps gzip (by its magic bytes; damaged gzip data ends the read with a <see cref="CompressedInputException"/>) and
    /// detects the format from the first <see cref="HeadLength"/> bytes of the content, read once and replayed by the
    /// returned stream; returns <see cref="InputFormat.Auto"/> when unknown.
    /// </summary>
    public static async Task<(Stream Content, InputFormat Format)> DetectAsync(Stream stream, InputFormat requested, CancellationToken cancellationToken)
    {
        // The first read that brings two bytes tells gzip from the rest, so that a pipe of gzip is not waited on for more.
        var head = new byte[HeadLength];
        var length = await stream.ReadAtLeastAsync(head, 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        // The caller disposes its stream; a decompressor made here is disposed with the stream returned.
        var gzip = CompressedInput.IsGzip(head.AsSpan(0, length));
        if (gzip)
        {
            stream = new GzipReadStream(new PrefixedStream(head, length, stream), GzipError, leaveOpen: true);
            head = new byte[HeadLength];
            length = 0;
        }

        try
        {
            length += await stream.ReadAtLeastAsync(head.AsMemory(length), head.Length - length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }
        catch when (gzip)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return (new PrefixedStream(head, length, stream, ownsInner: gzip), requested != InputFormat.Auto ? requested : Detect(head.AsSpan(0, length)));
    }

    internal static InputFormat Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 4)
        {
            var magic = (uint)((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]);
            if (magic is 0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1 or 0x0A0D0D0A)
            {
                return InputFormat.Pcap;
            }

            if (head[0] == 0 && head[1] is 9 or 10)
            {
                return InputFormat.Ipfix;
            }
        }

        var text = head.TrimStart(" \t\r\n\uFEFF"u8.ToArray());
        if (text.StartsWith("\xEF\xBB\xBF"u8))
        {
            text = text[3..];
        }

        if (text.StartsWith("#separator"u8) || text.StartsWith("#fields"u8))
        {
            return InputFormat.Zeek;
        }

        if (text.StartsWith("{"u8))
        {
            return InputFormat.ZeekJson;
        }

        // Syslog (<pri>), RFC 6587 octet counting (digits, space, <pri>), or a bare PAN-OS CSV line (FUTURE_USE, receive time).
        var i = 0;
        while (i < text.Length && char.IsAsciiDigit((char)text[i]))
        {
            i++;
        }

        if (text.StartsWith("<"u8) || (i > 0 && i < text.Length && (text[i] == (byte)' ' || text[i] == (byte)',')))
        {
            return InputFormat.PanOs;
        }

        return InputFormat.Auto;
    }
}

/// <summary>Counts the bytes read from a file for the progress bar.</summary>
internal sealed class CountingStream(Stream inner, ScanCommand.Run run) : ReadOnlyStream(inner)
{
    public override int Read(Span<byte> buffer)
    {
        var n = Inner.Read(buffer);
        run.AddBytes(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        run.AddBytes(n);
        return n;
    }
}
