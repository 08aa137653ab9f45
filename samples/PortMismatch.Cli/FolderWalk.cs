using System.Globalization;

namespace PortMismatch.Cli;

/// <summary>
/// Finds the files of the paths on the command line. A folder is walked recursively, following symbolic links, and each
/// file and folder is taken once by its identity (<see cref="FileStatus"/>: device and inode), so a link back to an
/// enclosing folder is reported as a loop instead of read again and again, and a file reached twice (a link, a hard link)
/// is read once. A folder entry that is not a regular file (a FIFO, a socket, a device, or a link to one) is left out
/// with its reason: opening a FIFO waits for a writer and a device may never end. A FIFO or device named on the command
/// line is read as a stream (<c>scan &lt;(zcat x.gz)</c>). Names starting with a dot (hidden files and folders) are left
/// out.
/// </summary>
internal sealed class FolderWalk(TextWriter stderr, bool quiet)
{
    private const int MaxShown = 10;

    private readonly Dictionary<FileIdentity, string> _files = [];
    private readonly Dictionary<FileIdentity, string> _folders = [];
    private readonly HashSet<string> _named = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _notRead = new(StringComparer.Ordinal);
    private bool _standardInput;
    private bool _warned;
    private int _shown;

    /// <summary>Gets the inputs found, in command-line order; a folder's files sorted by path.</summary>
    public List<Input> Inputs { get; } = [];

    /// <summary>Gets the number of paths on the command line that could not be used (missing, a broken link).</summary>
    public int Missing { get; private set; }

    /// <summary>Gets the entries left out, by reason (<see cref="NotReadReason"/>).</summary>
    public IReadOnlyDictionary<string, int> NotRead => _notRead;

    /// <summary>Adds one path of the command line.</summary>
    public void Add(string path, CancellationToken cancellationToken)
    {
        if (path == "-")
        {
            if (!_standardInput)
            {
                _standardInput = true;
                Inputs.Add(new Input("stdin", null, -1, true, IsStream: true));
            }
            else
            {
                Skip("-", NotReadReason.SameFile, "standard input is named twice; it is read once", named: true);
            }

            return;
        }

        var entry = Look(path, realParent: null);
        switch (entry.Kind)
        {
            case EntryKind.Directory:
                Walk(path, entry, cancellationToken);
                break;
            case EntryKind.RegularFile:
                AddFile(path, entry.Identity, explicitly: true);
                break;
            case null:
                Missing++;
                stderr.WriteLine(entry.Error == StatError.NotFound
                    ? $"portmismatch: {path}: no such file or folder."
                    : $"portmismatch: {path}: {entry.Message}.");
                break;
            default:
                // Named on the command line: read as a stream, as the user asked (a FIFO, /dev/stdin, a process substitution).
                if (_files.TryAdd(entry.Identity, path))
                {
                    Inputs.Add(new Input(path, path, -1, true, IsStream: true));
                }
                else
                {
                    Skip(path, NotReadReason.SameFile, $"the same stream as {_files[entry.Identity]}, which is read once", named: true);
                }

                break;
        }
    }

    private void Walk(string root, Entry rootEntry, CancellationToken cancellationToken)
    {
        if (!_folders.TryAdd(rootEntry.Identity, root))
        {
            var first = _folders[rootEntry.Identity];
            Skip(root, NotReadReason.SameFile, first == root ? "named twice; it is read once" : $"the same folder as {first}, which is read once", named: true);
            return;
        }

        var found = new List<Input>();
        var pending = new Stack<Folder>();
        pending.Push(new Folder(root, rootEntry.Identity, rootEntry.RealPath, null));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var folder = pending.Pop();
            List<string> names;
            try
            {
                names = [.. Directory.EnumerateFileSystemEntries(folder.Path, "*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false })
                    .Select(System.IO.Path.GetFileName)
                    .OfType<string>()];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Skip(folder.Path, NotReadReason.Unreadable, $"cannot be listed: {e.Message}");
                continue;
            }

            names.Sort(StringComparer.Ordinal);
            var subfolders = new List<Folder>();
            foreach (var name in names)
            {
                if (name.StartsWith('.'))
                {
                    continue;
                }

                var path = System.IO.Path.Join(folder.Path, name);
                var entry = Look(path, folder.RealPath);
                switch (entry.Kind)
                {
                    case EntryKind.RegularFile:
                        if (AddFile(path, entry.Identity, explicitly: false) is { } input)
                        {
                            found.Add(input);
                        }

                        break;
                    case EntryKind.Directory:
                        if (_folders.TryGetValue(entry.Identity, out var first))
                        {
                            if (folder.Encloses(entry.Identity))
                            {
                                Skip(path, NotReadReason.SymlinkLoop, $"a symbolic link loop: it leads back to {first}");
                            }
                            else
                            {
                                Skip(path, NotReadReason.SameFile, $"the same folder as {first}");
                            }
                        }
                        else
                        {
                            _folders.Add(entry.Identity, path);
                            subfolders.Add(new Folder(path, entry.Identity, entry.RealPath, folder));
                        }

                        break;
                    case EntryKind.Fifo:
                        Skip(path, NotReadReason.Fifo, "a named pipe (FIFO); name it on the command line to read it as a stream");
                        break;
                    case EntryKind.Socket:
                        Skip(path, NotReadReason.Socket, "a socket");
                        break;
                    case EntryKind.CharacterDevice or EntryKind.BlockDevice:
                        Skip(path, NotReadReason.Device, "a device, not a file");
                        break;
                    case EntryKind.Other:
                        Skip(path, NotReadReason.Device, "not a regular file");
                        break;
                    default:
                        switch (entry.Error)
                        {
                            case StatError.Loop:
                                Skip(path, NotReadReason.SymlinkLoop, "a symbolic link loop: its links never reach a file");
                                break;
                            case StatError.NotFound:
                                // Listed a moment ago: a link to nothing (or the file went away).
                                Skip(path, NotReadReason.BrokenLink, "a symbolic link to nothing");
                                break;
                            default:
                                Skip(path, NotReadReason.Unreadable, entry.Message ?? "cannot be read");
                                break;
                        }

                        break;
                }
            }

            // Depth first, in name order.
            for (var i = subfolders.Count - 1; i >= 0; i--)
            {
                pending.Push(subfolders[i]);
            }
        }

        found.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        Inputs.AddRange(found);
    }

    private Input? AddFile(string path, FileIdentity identity, bool explicitly)
    {
        if (!_files.TryAdd(identity, path))
        {
            // Named twice, or by two paths to one file (a link, a hard link): read once, and said so.
            var first = _files[identity];
            Skip(path, NotReadReason.SameFile, (first == path, explicitly) switch
            {
                (true, true) => _named.Contains(path) ? "named twice; it is read once" : "also in a folder named before; it is read once",
                (false, true) => $"the same file as {first}, which is read once",
                (true, false) => "named on the command line already",
                (false, false) => $"the same file as {first}",
            }, named: explicitly);
            return null;
        }

        long length;
        try
        {
            // The size of a link is that of its target's name.
            var info = new FileInfo(path);
            length = (info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            length = -1;
        }

        var input = new Input(path, path, length, explicitly);
        if (explicitly)
        {
            _named.Add(path);
            Inputs.Add(input);
        }

        return input;
    }

    /// <summary>
    /// Leaves an entry out and says why: the first ten of a walk's entries, and always one the command line names
    /// (<paramref name="named"/>: a file named twice is a warning the user should see).
    /// </summary>
    private void Skip(string path, string reason, string why, bool named = false)
    {
        _notRead[reason] = _notRead.GetValueOrDefault(reason) + 1;
        if (quiet)
        {
            return;
        }

        if (named)
        {
            stderr.WriteLine($"portmismatch: {path}: {why}.");
            return;
        }

        if (_shown < MaxShown)
        {
            stderr.WriteLine($"portmismatch: {path}: not read: {why}.");
        }
        else if (_shown == MaxShown)
        {
            stderr.WriteLine("portmismatch: more entries not read; the summary counts them by reason.");
        }

        _shown++;
    }

    /// <summary>Looks a path up, following links: its kind and identity, or why it cannot be read (<see cref="Entry.Kind"/> null).</summary>
    private Entry Look(string path, string? realParent)
    {
        if (FileStatus.TryStat(path, out var identity, out var kind, out var error, out var message))
        {
            return error == StatError.None ? new Entry(kind, identity, null, error, null) : new Entry(null, default, null, error, message);
        }

        if (!_warned && FileStatus.UnavailableReason is { } reason && !quiet)
        {
            _warned = true;
            stderr.WriteLine($"portmismatch: {reason}: files are told apart by their paths (a hard link is read again); FIFOs, sockets and devices in folders count as empty files.");
        }

        return LookPortably(path, realParent);
    }

    /// <summary>
    /// Where <see cref="FileStatus"/> cannot tell (not Linux, the call refused, a file system that does not say): folders
    /// and files by <see cref="FileSystemInfo"/>, identified by their path with links resolved. Hard links and bind mounts
    /// then count as different files. A FIFO, socket or device in a folder is taken for a file of size 0: counted as empty,
    /// not opened (and <see cref="RegularFile"/> checks what it opens). Named on the command line, an entry of size 0 (a FIFO,
    /// <c>&lt;(zcat x.gz)</c>, or an empty file) is read as a stream.
    /// </summary>
    private static Entry LookPortably(string path, string? realParent)
    {
        try
        {
            FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
            var real = realParent is null ? System.IO.Path.GetFullPath(path) : System.IO.Path.Join(realParent, info.Name);
            if (info.LinkTarget is not null)
            {
                real = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? real;
            }

            if (!info.Exists)
            {
                return new Entry(null, default, null, StatError.NotFound, null);
            }

            // FIFOs, sockets and devices have no size, so a named entry of size 0 is read as a stream (and opened the way
            // a FIFO is); opening it here to look would connect to a FIFO's writer and leave it writing to no reader.
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
            var kind = info is DirectoryInfo ? EntryKind.Directory
                : realParent is null && target is FileInfo { Length: 0 } ? EntryKind.Other
                : EntryKind.RegularFile;
            var key = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? real.ToUpperInvariant() : real;
            return new Entry(kind, new FileIdentity(0, 0, key), real, StatError.None, null);
        }
        catch (IOException e)
        {
            // Resolving a link chain that never ends.
            return new Entry(null, default, null, StatError.Loop, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            return new Entry(null, default, null, StatError.Other, e.Message);
        }
    }

    private readonly record struct Entry(EntryKind? Kind, FileIdentity Identity, string? RealPath, StatError Error, string? Message);

    /// <summary>A folder being walked, with the chain of folders that enclose it (to tell a loop from a second link).</summary>
    private sealed record Folder(string Path, FileIdentity Identity, string? RealPath, Folder? Parent)
    {
        public bool Encloses(FileIdentity identity)
        {
            for (var folder = this; folder is not null; folder = folder.Parent)
            {
                if (folder.Identity == identity)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>Why a folder entry was not read; the keys of the summary's "not read" lines.</summary>
internal static class NotReadReason
{
    /// <summary>A symbolic link to an enclosing folder, or a chain of links that never ends.</summary>
    public const string SymlinkLoop = "symlink-loop";

    /// <summary>A file or folder reached before by another path (a link, a hard link, named twice).</summary>
    public const string SameFile = "same-file";

    /// <summary>A named pipe: opening it waits for a writer.</summary>
    public const string Fifo = "fifo";

    /// <summary>A Unix socket.</summary>
    public const string Socket = "socket";

    /// <summary>A character or block device (<c>/dev/zero</c> never ends), or another entry that is not a regular file.</summary>
    public const string Device = "device";

    /// <summary>A symbolic link to nothing.</summary>
    public const string BrokenLink = "broken-link";

    /// <summary>A folder that cannot be listed or an entry that cannot be looked up.</summary>
    public const string Unreadable = "unreadable";

    /// <summary>Formats the counts as the summary's lines.</summary>
    public static IEnumerable<string> SummaryLines(IReadOnlyDictionary<string, int> counts)
        => counts.OrderByDescending(c => c.Value).Select(c => string.Create(CultureInfo.InvariantCulture, $"  not read {c.Value,10:N0}  {c.Key}"));
}
