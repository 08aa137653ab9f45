namespace PortMismatch.Detection;

/// <summary>Receives result rows: the aggregator emits into one, the allow-list filter and the writers are ones.</summary>
public interface IMismatchRowSink
{
    /// <summary>Handles one row.</summary>
    /// <param name="row">The row.</param>
    void OnRow(MismatchRow row);
}
