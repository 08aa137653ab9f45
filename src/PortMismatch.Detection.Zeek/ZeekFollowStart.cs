namespace PortMismatch.Detection.Zeek;

/// <summary>Where a <see cref="ZeekLogFollower"/> started reading.</summary>
public enum ZeekFollowStart
{
    /// <summary>It has not started yet.</summary>
    NotStarted = 0,

    /// <summary>There was no bookmark: the current log is read from its start.</summary>
    Beginning = 1,

    /// <summary>The bookmark named the current log: reading resumed at its offset.</summary>
    Bookmark = 2,

    /// <summary>
    /// The bookmark named a file that was rotated while the follower was stopped: it was found (by identity, or gzipped in
    /// an archive folder by its first bytes) and finished from the offset, then the current log is read from its start.
    /// </summary>
    BookmarkRotated = 3,

    /// <summary>
    /// The bookmark named a file that is no longer there (deleted, or rotated twice while stopped): the current log is read
    /// from its start, and the rest of the bookmarked file is not read.
    /// </summary>
    BookmarkLost = 4,
}
