namespace PortMismatch.Detection.Zeek;

/// <summary>
/// The parts of one large conn.log made by <see cref="ZeekConnInput.SplitFile"/>, read in parallel without a check of the
/// file beforehand, and the check of what they read, made by the parts themselves as they read.
/// </summary>
public sealed class ZeekFileSplit
{
    private readonly ZeekReaderState[] _watched;

    internal ZeekFileSplit(IReadOnlyList<IFlowSource> sources, ZeekReaderState[] watched)
    {
        Sources = sources;
        _watched = watched;
    }

    /// <summary>Gets the sources, one per part (one source when the file is not split).</summary>
    public IReadOnlyList<IFlowSource> Sources { get; }

    /// <summary>
    /// Gets whether the parts read what one reader of the whole file would: false when a part before the last met a header
    /// directive other than <c>#close</c> after the file's first header block (a concatenated log), so that the parts
    /// after it read with the wrong header. Meaningful once every source has been read; then, when false, discard their
    /// rows, counters and diagnostics and read the file again with <see cref="ZeekConnInput.FileSources"/>.
    /// </summary>
    public bool ReadAsOne => !Array.Exists(_watched, state => state.MetHeaderDirective);
}
