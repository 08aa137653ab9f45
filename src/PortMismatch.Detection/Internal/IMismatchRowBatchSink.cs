namespace PortMismatch.Detection.Internal;

/// <summary>A row sink that takes many rows at once (the pipeline's, which then takes its lock once for them).</summary>
internal interface IMismatchRowBatchSink : IMismatchRowSink
{
    /// <summary>Receives rows in order; null entries are passed over.</summary>
    /// <param name="rows">The rows.</param>
    void OnRows(ReadOnlySpan<MismatchRow?> rows);
}
