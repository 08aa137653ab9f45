namespace PortMismatch.Detection.Zeek;

/// <summary>
/// How a <see cref="ZeekLogFollower"/> follows a Zeek log directory. Immutable; change with <c>with</c>. The values are
/// checked when a follower is made from them.
/// </summary>
public sealed record ZeekFollowOptions
{
    /// <summary>The defaults: conn.log, polled every 250 ms, no bookmark.</summary>
    public static ZeekFollowOptions Default { get; } = new();

    /// <summary>Gets the options of the reader each file is read with (a file's own header is read for each file).</summary>
    public ZeekReaderOptions ReaderOptions { get; init; } = ZeekReaderOptions.Default;

    /// <summary>
    /// Gets the name of the log being written in the directory (default <c>conn.log</c>). Rotated files are looked for, on
    /// a restart, under names that start with its name before the extension and a dot (<c>conn.</c>), in the directory and
    /// in its subdirectories (zeekctl's dated archive folders).
    /// </summary>
    public string FileName { get; init; } = "conn.log";

    /// <summary>
    /// Gets how often the file is checked for new lines and for rotation when nothing new was read (default 250 ms; from
    /// 1 ms to 1 minute). Polling works on every file system, network ones included, where change notifications do not.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Gets the bookmark file, or <see langword="null"/> (the default) for none: then a follower starts at the start of the
    /// current log. With one, a follower resumes where the last run stopped and writes the bookmark as it reads (see
    /// <see cref="ZeekLogFollower"/>).
    /// </summary>
    public string? BookmarkPath { get; init; }
}
