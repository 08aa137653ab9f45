using PortMismatch.Detection.Internal;
using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek;

/// <summary>
/// Follows the conn.log that Zeek is writing in a directory, as <c>tail -F</c> does, for a <see cref="DetectionPipeline"/>:
/// it reads whole lines as they are written (a last line without its line feed waits for it), and when the log is
/// rotated (renamed to <c>conn.2024-11-26-08-00-00.log</c> by Zeek, moved into a dated archive folder and gzipped by
/// zeekctl, or replaced by another file) it finishes the old file through the handle it holds open, then reads the new
/// conn.log from its start, with the new file's own header: nothing is lost and nothing read twice. It checks the file
/// every <see cref="ZeekFollowOptions.PollInterval"/> when nothing new was read, and runs until cancelled.
/// </summary>
/// <remarks>
/// <para>
/// With <see cref="ZeekFollowOptions.BookmarkPath"/>, the follower writes a bookmark (a small JSON file: the file's device
/// and inode, the offset after the last whole line read, the line number, a SHA-256 of the file's first bytes) before each
/// batch of lines is handed to the sink, atomically (a temporary file renamed over the old one). A restart resumes exactly
/// after the last batch of the last run: if conn.log is still the bookmarked file it continues at the offset; if the file
/// was rotated while the follower was stopped, it is found in the directory or its subdirectories (by device and inode, or,
/// gzipped by zeekctl, by its first bytes) and finished first. No record is read twice across runs, even when the process
/// is killed; a kill can lose at most the batch being handed on, and, in a pipeline, the rows of the windows still open
/// (a cancelled run writes them). See <see cref="Start"/> for where a run began.
/// </para>
/// <para>
/// File identity (device and inode) is read with Linux's <c>statx</c>; elsewhere the follower tells a rotated log by its
/// first bytes (a Zeek TSV header holds the time it was opened; a JSON log's first record its time and uid). Logs rotated
/// more than once while the follower was stopped are not read, but the bookmarked one is: <see cref="ZeekFollowStart.BookmarkLost"/>.
/// </para>
/// </remarks>
public sealed class ZeekLogFollower : IFlowSource
{
    private readonly ZeekFollowOptions _options;
    private readonly Action<InputDiagnostic>? _diagnostics;
    private int _started;
    private int _start;
    private int _filesFinished;

    /// <summary>Creates a follower of <see cref="ZeekFollowOptions.FileName"/> in <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory Zeek writes its logs in (zeekctl: <c>spool/zeek</c>, or <c>logs/current</c>).</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="ZeekFollowOptions.Default"/>.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, with the file and line, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="ZeekFollowOptions.PollInterval"/> is not from 1 ms to 1 minute.</exception>
    /// <exception cref="ArgumentException"><see cref="ZeekFollowOptions.FileName"/> is empty or has a directory in it, or the reader options cannot be used.</exception>
    public ZeekLogFollower(string directory, ZeekFollowOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _options = options ?? ZeekFollowOptions.Default;
        if (_options.PollInterval < TimeSpan.FromMilliseconds(1) || _options.PollInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.PollInterval, "PollInterval must be from 1 ms to 1 minute.");
        }

        if (string.IsNullOrEmpty(_options.FileName) || _options.FileName != System.IO.Path.GetFileName(_options.FileName))
        {
            throw new ArgumentException("FileName must be a file name without a directory.", nameof(options));
        }

        _ = new ZeekReaderState(_options.ReaderOptions); // checks the reader options now, not at the first file
        _diagnostics = diagnostics;
        Directory = directory;
        Name = System.IO.Path.Combine(directory, _options.FileName);
    }

    /// <summary>Gets the directory followed.</summary>
    public string Directory { get; }

    /// <inheritdoc/>
    /// <remarks>The path of the followed log (<c>directory/conn.log</c>).</remarks>
    public string Name { get; }

    /// <inheritdoc/>
    /// <remarks>The sum over every file read, live while it runs.</remarks>
    public InputCounters Counters { get; } = new();

    /// <summary>Gets where the run started: at the start of the log, at the bookmark, in a rotated file.</summary>
    public ZeekFollowStart Start => (ZeekFollowStart)Volatile.Read(ref _start);

    /// <summary>Gets the number of files read to their end so far: rotated, replaced or truncated logs.</summary>
    public int FilesFinished => Volatile.Read(ref _filesFinished);

    /// <inheritdoc/>
    /// <remarks>Runs until <paramref name="cancellationToken"/> is cancelled, then returns normally. A follower is read once.</remarks>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="IOException">The bookmark cannot be read or written, or is not a bookmark (a DetectionPipeline reports it as the source's failure).</exception>
    /// <exception cref="ZeekFormatException">A file is not Zeek output.</exception>
    public async Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A follower is read once.");
        }

        if (!System.IO.Directory.Exists(Directory))
        {
            throw new DirectoryNotFoundException($"{Directory}: no such directory.");
        }

        var bookmark = _options.BookmarkPath is { } bookmarkPath ? FollowBookmark.Load(bookmarkPath) : null;
        Action<FollowedFile, long, long>? mark = _options.BookmarkPath is null ? null : Mark;
        var current = await StartAsync(bookmark, sink, mark, cancellationToken).ConfigureAwait(false);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                current ??= OpenLog();
                if (current is not null)
                {
                    if (current.Pump(sink, mark, cancellationToken))
                    {
                        continue;
                    }

                    if (Check(current) is var change and not Change.None)
                    {
                        if (change == Change.Rotated)
                        {
                            // What the rotated file still has comes through the handle held open.
                            current.Pump(sink, mark, cancellationToken);
                        }

                        current.Finish(mark);
                        current.Dispose();
                        current = null;
                        Interlocked.Increment(ref _filesFinished);
                        continue;
                    }
                }

                try
                {
                    await Task.Delay(_options.PollInterval, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            current?.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private async Task<FollowedFile?> StartAsync(FollowBookmark? bookmark, IFlowRecordSink sink, Action<FollowedFile, long, long>? mark, CancellationToken cancellationToken)
    {
        if (bookmark is null)
        {
            Volatile.Write(ref _start, (int)ZeekFollowStart.Beginning);
            return null;
        }

        var live = OpenLog();
        if (live is not null)
        {
            if (!(live.Identity is { } id && bookmark.Identity is { } was && id != was) && live.TryResume(bookmark))
            {
                Volatile.Write(ref _start, (int)ZeekFollowStart.Bookmark);
                return live;
            }

            live.Dispose();
        }

        foreach (var candidate in RotatedCandidates())
        {
            var rotated = await OpenRotatedAsync(candidate, bookmark, cancellationToken).ConfigureAwait(false);
            if (rotated is null)
            {
                continue;
            }

            using (rotated)
            {
                Volatile.Write(ref _start, (int)ZeekFollowStart.BookmarkRotated);
                rotated.Pump(sink, mark, cancellationToken);
                if (cancellationToken.IsCancellationRequested)
                {
                    return null;
                }

                rotated.Finish(mark);
                Interlocked.Increment(ref _filesFinished);
                return null;
            }
        }

        Volatile.Write(ref _start, (int)ZeekFollowStart.BookmarkLost);
        return null;
    }

    /// <summary>Opens the live log from its start, or returns null while it does not exist.</summary>
    private FollowedFile? OpenLog()
    {
        FileStream stream;
        try
        {
            stream = new FileStream(Name, FileMode.Open, FileAccess.Read, InputFile.Share, bufferSize: 0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        return new FollowedFile(Name, stream, null, FileIdentity.Of(stream.SafeFileHandle), NewState(Name));
    }

    /// <summary>Opens a rotated file placed at the bookmark, or returns null when it is not the bookmarked file.</summary>
    private async Task<FollowedFile?> OpenRotatedAsync(string path, FollowBookmark bookmark, CancellationToken cancellationToken)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, InputFile.Share, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var identity = FileIdentity.Of(file.SafeFileHandle);
        var head = new byte[2];
        var headLength = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        FollowedFile followed;
        if (CompressedInput.IsGzip(head.AsSpan(0, headLength)))
        {
            // A zeekctl archive: a new file, so no identity; its decompressed bytes are the log's, offsets included.
            var content = await CompressedInput.OpenAsync(file, CompressedInput.Error(path), cancellationToken).ConfigureAwait(false);
            followed = new FollowedFile(path, content, file, null, NewState(path));
        }
        else if (identity is { } id && bookmark.Identity is { } was && id != was)
        {
            await file.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        else
        {
            followed = new FollowedFile(path, file, null, identity, NewState(path));
        }

        try
        {
            if (followed.TryResume(bookmark))
            {
                return followed;
            }
        }
        catch (Exception e) when (e is IOException or InputFormatException)
        {
            // A damaged archive, or a file that is not a Zeek log, is not the file looked for.
        }

        followed.Dispose();
        return null;
    }

    /// <summary>
    /// The files the live log may have been rotated to: named like it (<c>conn.</c> and more) in the directory or one of its
    /// subdirectories (zeekctl's <c>2024-11-26/</c>), newest first, at most 256.
    /// </summary>
    private List<string> RotatedCandidates()
    {
        var stem = System.IO.Path.GetFileNameWithoutExtension(_options.FileName) + ".";
        var enumeration = new EnumerationOptions { IgnoreInaccessible = true, RecurseSubdirectories = false, AttributesToSkip = FileAttributes.ReparsePoint };
        var found = new List<FileInfo>();
        var directory = new DirectoryInfo(Directory);
        Add(directory);
        foreach (var sub in directory.EnumerateDirectories("*", enumeration))
        {
            Add(sub);
        }

        found.Sort((a, b) => b.LastWriteTimeUtc.CompareTo(a.LastWriteTimeUtc));
        var paths = new List<string>(Math.Min(found.Count, 256));
        for (var i = 0; i < found.Count && i < 256; i++)
        {
            paths.Add(found[i].FullName);
        }

        return paths;

        void Add(DirectoryInfo folder)
        {
            foreach (var file in folder.EnumerateFiles(stem + "*", enumeration))
            {
                if (file.Name.StartsWith(stem, StringComparison.Ordinal) && !SamePath(file.FullName, Name) && !SamePath(file.FullName, _options.BookmarkPath))
                {
                    found.Add(file);
                }
            }
        }

        static bool SamePath(string a, string? b) => b is not null && string.Equals(System.IO.Path.GetFullPath(a), System.IO.Path.GetFullPath(b), StringComparison.Ordinal);
    }

    /// <summary>
    /// Whether the live log is still the file being read (called only when a poll read nothing new): another file (or none)
    /// at its path is a rotation, whose old file still has to be finished through its handle; the same file shorter than
    /// what was read, or with other first bytes (truncated and written again in place, as copytruncate does: a new header
    /// has a new <c>#open</c> time), is rewritten, and its handle has nothing more of the old content. Without file
    /// identities, other first bytes count as a rotation.
    /// </summary>
    private Change Check(FollowedFile current)
    {
        if (current.Identity is { } id && (FileIdentity.Of(Name) is not { } now || now != id))
        {
            return Change.Rotated;
        }

        long length;
        try
        {
            length = new FileInfo(Name).Length;
        }
        catch (IOException)
        {
            return Change.Rotated;
        }

        if (length < current.ReadPosition || !SameFirstBytes(current))
        {
            if (current.Identity is { } same && FileIdentity.Of(Name) != same)
            {
                // Rotated while the length and first bytes were read by path: they were the new file's. Finish the old one
                // through its handle (taking this for a rewrite would drop its last lines).
                return Change.Rotated;
            }

            return current.Identity is null && length >= current.ReadPosition ? Change.Rotated : Change.Rewritten;
        }

        return Change.None;
    }

    private bool SameFirstBytes(FollowedFile current)
    {
        try
        {
            using var file = new FileStream(Name, FileMode.Open, FileAccess.Read, InputFile.Share, bufferSize: 0);
            var known = current.Prefix[..Math.Min(current.Prefix.Length, 4096)];
            var now = new byte[known.Length];
            return file.ReadAtLeast(now, now.Length, throwOnEndOfStream: false) == now.Length && known.SequenceEqual(now);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private ZeekReaderState NewState(string path) => new(_options.ReaderOptions, path, _diagnostics, Counters);

    private void Mark(FollowedFile file, long offset, long line)
    {
        var prefix = file.Prefix[..(int)Math.Min(file.Prefix.Length, offset)];
        new FollowBookmark(file.Path, file.Identity, offset, line, prefix.Length, FollowBookmark.Hash(prefix)).Write(_options.BookmarkPath!);
    }

    private enum Change
    {
        None,
        Rotated,
        Rewritten,
    }
}
