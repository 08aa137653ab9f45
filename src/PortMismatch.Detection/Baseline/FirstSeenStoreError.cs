namespace PortMismatch.Detection;

/// <summary>Why a <see cref="FirstSeenStore"/> file could not be opened.</summary>
public enum FirstSeenStoreError
{
    /// <summary>The file does not start with the store's magic bytes: another kind of file.</summary>
    NotAStore,

    /// <summary>The file is a store of a format version this library does not read.</summary>
    UnsupportedVersion,

    /// <summary>The file's checksum does not match its content, or it ends early: a torn or damaged file.</summary>
    Corrupt,

    /// <summary>Another store object (in this or another process) has the file open: one writer at a time.</summary>
    Locked,
}
