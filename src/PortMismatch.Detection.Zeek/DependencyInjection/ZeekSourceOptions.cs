namespace PortMismatch.Detection.Zeek;

/// <summary>
/// The Zeek conn.log source registered by <c>AddZeek</c>: files read in order (TSV or NDJSON, plain or gzip), and every
/// <see cref="ZeekReaderOptions"/> value under the same name, so that all of them bind from configuration.
/// </summary>
public sealed class ZeekSourceOptions
{
    /// <summary>Gets the conn.log files to read.</summary>
    public IList<string> Files { get; } = [];

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
}
