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

/// <summary>Finds the inputs of a scan.</summary>
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
