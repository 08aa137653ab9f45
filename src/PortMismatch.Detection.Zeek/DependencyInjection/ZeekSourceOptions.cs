namespace PortMismatch.Detection.Zeek;

/// <summary>
/// The Zeek conn.log source registered by <c>AddZeek</c>: files read in order (TSV or NDJSON, plain or gzip), then, when
/// <see cref="FollowDirectory"/> is set, the log Zeek is writing there, followed through its rotations until the host
/// stops (<see cref="ZeekLogFollower"/>); and every <see cref="ZeekReaderOptions"/> and <see cref="ZeekFollowOptions"/>
/// value under the same name, so that all of them bind from configuration.
/// </summary>
public sealed class ZeekSourceOptions
{
    /// <summary>Gets the conn.log files to read.</summary>
    public IList<string> Files { get; } = [];

    /// <summary>
    /// Gets or sets the directory Zeek writes its logs to (zeekctl: <c>logs/current</c>), to follow after
    /// <see cref="Files"/> are read, or <see langword="null"/> (the default) to read the files alone.
    /// </summary>
    public string? FollowDirectory { get; set; }

    /// <summary>Gets or sets <see cref="ZeekFollowOptions.FileName"/>, the log followed in <see cref="FollowDirectory"/>.</summary>
    public string FollowFileName { get; set; } = ZeekFollowOptions.Default.FileName;

    /// <summary>Gets or sets <see cref="ZeekFollowOptions.PollInterval"/>.</summary>
    public TimeSpan PollInterval { get; set; } = ZeekFollowOptions.Default.PollInterval;

    /// <summary>
    /// Gets or sets <see cref="ZeekFollowOptions.BookmarkPath"/>: where the follower keeps its place, so that a restarted host
    /// resumes where it stopped and reads no record twice; <see langword="null"/> (the default) for none.
    /// </summary>
    public string? BookmarkPath { get; set; }

    /// <summary>Gets or sets <see cref="ZeekReaderOptions.MaxLineLength"/>.</summary>
    public int MaxLineLength { get; set; } = ZeekReaderOptions.Default.MaxLineLength;

    /// <summary>Gets or sets <see cref="ZeekReaderOptions.IncludeSpeculativeService"/>.</summary>
    public bool IncludeSpeculativeService { get; set; } = ZeekReaderOptions.Default.IncludeSpeculativeService;

    /// <summary>Gets or sets <see cref="ZeekReaderOptions.AcceptAnyPath"/>.</summary>
    public bool AcceptAnyPath { get; set; } = ZeekReaderOptions.Default.AcceptAnyPath;

    /// <summary>
    /// Gets the column names of headerless TSV input (<see cref="ZeekReaderOptions.FieldNames"/>); empty (the default) to
    /// require a <c>#fields</c> header.
    /// </summary>
    public IList<string> FieldNames { get; } = [];

    /// <summary>Gets or sets <see cref="ZeekReaderOptions.FieldSeparator"/>.</summary>
    public char FieldSeparator { get; set; } = ZeekReaderOptions.Default.FieldSeparator;

    /// <summary>The reader options these values make.</summary>
    internal ZeekReaderOptions ToReaderOptions() => ZeekReaderOptions.Default with
    {
        MaxLineLength = MaxLineLength,
        IncludeSpeculativeService = IncludeSpeculativeService,
        AcceptAnyPath = AcceptAnyPath,
        FieldNames = FieldNames.Count == 0 ? null : [.. FieldNames],
        FieldSeparator = FieldSeparator,
    };

    /// <summary>The follower options these values make.</summary>
    internal ZeekFollowOptions ToFollowOptions() => ZeekFollowOptions.Default with
    {
        ReaderOptions = ToReaderOptions(),
        FileName = FollowFileName,
        PollInterval = PollInterval,
        BookmarkPath = BookmarkPath,
    };
}
