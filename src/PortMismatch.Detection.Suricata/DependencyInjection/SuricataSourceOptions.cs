namespace PortMismatch.Detection.Suricata;

/// <summary>
/// The Suricata EVE source registered by <c>AddSuricata</c>: eve.json files read in order (plain or gzip), and every
/// <see cref="SuricataReaderOptions"/> value under the same name, so that all of them bind from configuration.
/// </summary>
public sealed class SuricataSourceOptions
{
    /// <summary>Gets the eve.json files to read.</summary>
    public IList<string> Files { get; } = [];

    /// <summary>Gets or sets <see cref="SuricataReaderOptions.MaxLineLength"/>.</summary>
    public int MaxLineLength { get; set; } = SuricataReaderOptions.Default.MaxLineLength;

    /// <summary>Gets or sets <see cref="SuricataReaderOptions.IncludeReplies"/>.</summary>
    public bool IncludeReplies { get; set; } = SuricataReaderOptions.Default.IncludeReplies;

    /// <summary>The reader options these values make.</summary>
    internal SuricataReaderOptions ToReaderOptions() => SuricataReaderOptions.Default with
    {
        MaxLineLength = MaxLineLength,
        IncludeReplies = IncludeReplies,
    };
}
