namespace PortMismatch.Detection;

/// <summary>
/// A source of flow records for a <see cref="DetectionPipeline"/>: a file, a stream, a socket. The adapter packages make
/// them (<c>ZeekConnInput.FileSource</c>, <c>PanOsTrafficInput.FileSource</c>, <c>IpfixInput.FileSource</c>,
/// <c>IpfixUdpCollector</c>, <c>PanOsSyslogUdpCollector</c>, <c>PanOsSyslogTcpCollector</c>); <see cref="FlowSource.Create"/> wraps any reader. A source is read once.
/// </summary>
public interface IFlowSource
{
    /// <summary>Gets the name used in diagnostics and summaries (a path, <c>udp://host:port</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Gets the source's counters. The reading thread updates them; other threads may watch them while it runs
    /// (see <see cref="InputCounters"/>), which is how the pipeline's meter reports a live source.
    /// </summary>
    InputCounters Counters { get; }

    /// <summary>
    /// Reads every record into <paramref name="sink"/> until the input ends or <paramref name="cancellationToken"/> is
    /// cancelled. A malformed record is counted and reported, not thrown.
    /// </summary>
    /// <param name="sink">Where records go; called on one thread at a time.</param>
    /// <param name="cancellationToken">Stops reading; a live source returns normally, a file source may throw <see cref="OperationCanceledException"/>.</param>
    /// <returns>A task that completes when the source is done.</returns>
    /// <exception cref="InputFormatException">The input cannot be read at all (not this format, a corrupt container).</exception>
    /// <exception cref="IOException">The file or socket failed.</exception>
    Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken);
}
