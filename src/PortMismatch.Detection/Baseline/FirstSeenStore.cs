using System.Numerics;
using System.Runtime.InteropServices;

namespace PortMismatch.Detection;

/// <summary>
/// A persistent record of the pairs (source, server, port, app) and servers (server, port, app) that result rows have shown,
/// with their first and last seen times, record counts and the UTC days they were seen on, across runs: the learned baseline
/// behind <see cref="MismatchRow.FirstSeenMicroseconds"/>, <see cref="MismatchRow.IsNew"/> and
/// <see cref="DetectionPipelineOptions.SuppressSeenOnDays"/>. An embedded file, no server.
/// </summary>
/// <remarks>
/// <para>
/// Times are the records' times, never the wall clock: a day is the UTC day of a row's first or last time, so a re-run of
/// old logs gives the same answers. Days are kept exactly for the 64 days up to the latest day seen of an entry; a day older
/// than that, reported after a later one, is not counted (so re-reading very old logs cannot count a day twice).
/// </para>
/// <para>
/// The file is written whole by <see cref="Save"/>: to <c>&lt;path&gt;.tmp</c>, flushed to disk, then renamed over the store,
/// so a process killed while it writes leaves the previous store or the new one, never a mix. A SHA-256 checksum ends the
/// file: a torn, damaged or foreign file is a <see cref="FirstSeenStoreException"/> naming it. One store object holds the
/// file at a time, in any process: <see cref="Open"/> locks <c>&lt;path&gt;.lock</c> (an advisory lock the system drops when the
/// process ends, even when killed) and refuses a file another holds (<see cref="FirstSeenStoreError.Locked"/>).
/// </para>
/// <para>Thread-safe: its members may be called from several threads.</para>
/// </remarks>
public sealed partial class FirstSeenStore : IDisposable
{
    private const long MicrosecondsPerDay = 86_400_000_000;

    private readonly Dictionary<StoreKey, StoreEntry> _entries = [];
    private readonly object _lock = new();
    private readonly FileStream? _lockFile;
    private bool _dirty;
    private bool _disposed;

    private FirstSeenStore(string? path, FirstSeenStoreOptions options, FileStream? lockFile)
    {
        Path = path;
        Options = options;
        _lockFile = lockFile;
    }

    /// <summary>Gets the store's file, or <see langword="null"/> for a store in memory only.</summary>
    public string? Path { get; }

    /// <summary>Gets the options.</summary>
    public FirstSeenStoreOptions Options { get; }

    /// <summary>Gets the number of entries (pairs and servers).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Gets the number of entries evicted since the store was opened (to stay within <see cref="FirstSeenStoreOptions.MaxEntries"/>).</summary>
    public long Evictions { get; private set; }

    /// <summary>Creates an empty store that lives in memory only (<see cref="Save"/> does nothing).</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <returns>The store.</returns>
    public static FirstSeenStore CreateInMemory(FirstSeenStoreOptions? options = null)
        => new(null, Validate(options), null);

    /// <summary>Opens the store at <paramref name="path"/>, or an empty one when the file does not exist yet (it is written by <see cref="Save"/>).</summary>
    /// <param name="path">The store's file.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <returns>The store; dispose it to release the file.</returns>
    /// <exception cref="FirstSeenStoreException">The file is not a store, is damaged, or another store object holds it.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static FirstSeenStore Open(string path, FirstSeenStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var checkedOptions = Validate(options);
        var full = System.IO.Path.GetFullPath(path);
        FileStream lockFile;
        try
        {
            // FileShare.None takes flock(LOCK_EX | LOCK_NB) on Unix and a share lock on Windows: the system releases it
            // when the process ends, however it ends, so no stale lock outlives a crash.
            lockFile = new FileStream(full + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new FirstSeenStoreException(full, FirstSeenStoreError.Locked, $"The first-seen store '{full}' is in use by another process or store object ('{full}.lock' is locked); one writer at a time.", e);
        }

        var store = new FirstSeenStore(full, checkedOptions, lockFile);
        try
        {
            if (File.Exists(full))
            {
                store.Load(full);
            }

            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Looks up a row's pair, then adds the row to its pair and its server: first and last seen, the count, and the UTC days
    /// of the row's first and last times.
    /// </summary>
    /// <param name="row">The row.</param>
    /// <returns>What was known of the pair before the row.</returns>
    public FirstSeenObservation Observe(MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var rowDay = Day(row.LastTimeMicroseconds);
        var firstDay = Day(row.FirstTimeMicroseconds);
        var pair = new StoreKey(true, row.SourceAddress, row.DestinationAddress, row.DestinationPort, row.App);
        var server = new StoreKey(false, IPAddressValue.None, row.DestinationAddress, row.DestinationPort, row.App);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            FirstSeenObservation observation;
            if (_entries.TryGetValue(pair, out var known))
            {
                observation = new FirstSeenObservation(
                    Math.Min(known.First, row.FirstTimeMicroseconds), known.First >= row.FirstTimeMicroseconds, known.EarlierDays(rowDay));
            }
            else
            {
                observation = new FirstSeenObservation(row.FirstTimeMicroseconds, true, 0);
            }

            Add(server, row, firstDay, rowDay);
            Add(pair, row, firstDay, rowDay);
            _dirty = true;
            return observation;
        }
    }

    /// <summary>Gets what the store knows of a pair.</summary>
    /// <param name="source">src_ip.</param>
    /// <param name="server">dest_ip.</param>
    /// <param name="port">dest_port.</param>
    /// <param name="app">The app value's text (<see cref="MismatchRow.App"/>).</param>
    /// <param name="entry">The entry, when known.</param>
    /// <returns>Whether the pair is known.</returns>
    public bool TryGetPair(IPAddressValue source, IPAddressValue server, int port, string app, out FirstSeenEntry entry)
        => TryGet(new StoreKey(true, source, server, port, app ?? throw new ArgumentNullException(nameof(app))), out entry);

    /// <summary>Gets what the store knows of a server (from every source together).</summary>
    /// <param name="server">dest_ip.</param>
    /// <param name="port">dest_port.</param>
    /// <param name="app">The app value's text (<see cref="MismatchRow.App"/>).</param>
    /// <param name="entry">The entry, when known.</param>
    /// <returns>Whether the server is known.</returns>
    public bool TryGetServer(IPAddressValue server, int port, string app, out FirstSeenEntry entry)
        => TryGet(new StoreKey(false, IPAddressValue.None, server, port, app ?? throw new ArgumentNullException(nameof(app))), out entry);

    /// <summary>
    /// Writes the store to its file when it changed since it was opened or last saved: a new file beside it, flushed to disk,
    /// then renamed over it. Does nothing for a store in memory.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written (the old store is left as it was).</exception>
    public void Save()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Path is null || !_dirty)
            {
                return;
            }

            Write(Path);
            _dirty = false;
        }
    }

    /// <summary>Releases the file's lock. Does not save: call <see cref="Save"/> first.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _lockFile?.Dispose();
        }
    }

    internal static long Day(long microseconds) => microseconds >= 0 ? microseconds / MicrosecondsPerDay : ((microseconds + 1) / MicrosecondsPerDay) - 1;

    private static FirstSeenStoreOptions Validate(FirstSeenStoreOptions? options)
    {
        options ??= FirstSeenStoreOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxEntries, 2, "options.MaxEntries");
        return options;
    }

    private bool TryGet(StoreKey key, out FirstSeenEntry entry)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var found))
            {
                entry = new FirstSeenEntry(found.First, found.Last, found.Count, found.DaysSeen);
                return true;
            }
        }

        entry = default;
        return false;
    }

    private void Add(StoreKey key, MismatchRow row, long firstDay, long lastDay)
    {
        if (!_entries.ContainsKey(key) && _entries.Count >= Options.MaxEntries)
        {
            Evict(Options.MaxEntries - Math.Max(1, Options.MaxEntries / 8));
        }

        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out var exists);
        if (!exists)
        {
            entry.First = row.FirstTimeMicroseconds;
            entry.Last = row.LastTimeMicroseconds;
        }
        else
        {
            entry.First = Math.Min(entry.First, row.FirstTimeMicroseconds);
            entry.Last = Math.Max(entry.Last, row.LastTimeMicroseconds);
        }

        entry.Count += row.Count;
        entry.MarkDay(firstDay);
        entry.MarkDay(lastDay);
    }

    /// <summary>Evicts the least recently seen entries (by record time; ties in key order) until <paramref name="keep"/> are left.</summary>
    private void Evict(int keep)
    {
        var all = new List<KeyValuePair<StoreKey, StoreEntry>>(_entries);
        all.Sort(static (a, b) => a.Value.Last != b.Value.Last ? a.Value.Last.CompareTo(b.Value.Last) : a.Key.CompareTo(b.Key));
        var remove = all.Count - keep;
        for (var i = 0; i < remove; i++)
        {
            _entries.Remove(all[i].Key);
        }

        Evictions += Math.Max(0, remove);
    }

    /// <summary>An entry's key: a pair (with its source) or a server (source None).</summary>
    private readonly record struct StoreKey(bool IsPair, IPAddressValue Source, IPAddressValue Server, int Port, string App) : IComparable<StoreKey>
    {
        public int CompareTo(StoreKey other)
        {
            var order = IsPair.CompareTo(other.IsPair);
            if (order == 0)
            {
                order = Server.CompareTo(other.Server);
            }

            if (order == 0)
            {
                order = Port.CompareTo(other.Port);
            }

            if (order == 0)
            {
                order = string.CompareOrdinal(App, other.App);
            }

            return order != 0 ? order : Source.CompareTo(other.Source);
        }
    }

    /// <summary>An entry's values. Bit i of <see cref="DayBits"/> is the day <see cref="LastDay"/> - i.</summary>
    private struct StoreEntry
    {
        public long First;
        public long Last;
        public long Count;
        public long LastDay;
        public ulong DayBits;
        public int DaysSeen;

        public void MarkDay(long day)
        {
            if (DaysSeen == 0)
            {
                LastDay = day;
                DayBits = 1;
                DaysSeen = 1;
                return;
            }

            if (day > LastDay)
            {
                var shift = day - LastDay;
                DayBits = shift >= 64 ? 1 : (DayBits << (int)shift) | 1;
                LastDay = day;
                DaysSeen++;
                return;
            }

            var offset = LastDay - day;
            if (offset < 64 && (DayBits & (1UL << (int)offset)) == 0)
            {
                DayBits |= 1UL << (int)offset;
                DaysSeen++;
            }
        }

        /// <summary>The days seen before <paramref name="day"/>; days older than the 64-day range all count as earlier.</summary>
        public readonly int EarlierDays(long day)
        {
            if (DaysSeen == 0)
            {
                return 0;
            }

            if (day > LastDay)
            {
                return DaysSeen;
            }

            var older = DaysSeen - BitOperations.PopCount(DayBits);
            var offset = LastDay - day;
            return offset >= 63 ? older : older + BitOperations.PopCount(DayBits >> (int)(offset + 1));
        }
    }
}
