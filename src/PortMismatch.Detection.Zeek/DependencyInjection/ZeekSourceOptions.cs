namespace PortMismatch.Detection.Zeek;

/// <summary>The Zeek conn.log source registered by <c>AddZeek</c>: files read in order (TSV or NDJSON, plain or gzip).</summary>
public sealed class ZeekSourceOptions
{
    /// <summary>Gets the conn.log files to read.</summary>
    public IList<string> Files { get; } = [];

    /// <summary>Gets or sets the longest line accepted, in bytes (see <see cref="ZeekReaderOptions"/>).</summary>
    public int MaxLineLength { get; set; } = ZeekReaderOptions.Default.MaxLineLength;
}
