namespace PortMismatch.Detection;

/// <summary>Options of a <see cref="FirstSeenStore"/>.</summary>
public sealed record FirstSeenStoreOptions
{
    /// <summary>Gets the options with every default.</summary>
    public static FirstSeenStoreOptions Default { get; } = new();

    /// <summary>
    /// Gets the most entries the store holds (pairs and servers together; default 1,000,000, about 100 MB in memory and
    /// 80 MB on disk with short app values). When a new entry would exceed it, the least recently seen eighth of the entries
    /// (by the records' last seen time) is evicted first and counted in <see cref="FirstSeenStore.Evictions"/>.
    /// </summary>
    public int MaxEntries { get; init; } = 1_000_000;
}
