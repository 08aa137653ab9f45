namespace PortMismatch.Detection;

/// <summary>Receives result rows: the aggregator emits into one, the allow-list filter and the writers are ones.</summary>
/// <remarks>
/// A sink that buffers (a file, a batch for a SIEM's API) flushes in <see cref="OnCompletedAsync"/>, which a
/// <see cref="DetectionPipeline"/> calls once when a run has written its last row. Most sinks have nothing to flush, so it
/// has a default that does nothing, and they implement <see cref="OnRow"/> alone.
/// </remarks>
public interface IMismatchRowSink
{
    /// <summary>Handles one row.</summary>
    /// <param name="row">The row.</param>
    void OnRow(MismatchRow row);

    /// <summary>
    /// Called once by <see cref="DetectionPipeline.RunAsync"/> after the last row of a run, whether the run ended because
    /// every source was read, because it was cancelled (a host stopping: the open windows were written first), or because
    /// a source failed; not when this sink itself threw (the run throws that exception instead). Flush here what the sink
    /// holds. Rows do not come after it within the run; a pipeline run again calls it again at the end of that run.
    /// </summary>
    /// <remarks>
    /// It takes no cancellation token: the run's token is usually cancelled by then (a host stopping), and the rows must
    /// still be flushed, as in <see cref="IAsyncDisposable.DisposeAsync"/>. An exception thrown here is thrown by
    /// <see cref="DetectionPipeline.RunAsync"/>.
    /// </remarks>
    /// <param name="counters">The run's final counters (what was read, emitted, removed by the allow-list and written).</param>
    /// <returns>A task that completes when the sink is flushed. The default does nothing.</returns>
    ValueTask OnCompletedAsync(DetectionCounters counters) => ValueTask.CompletedTask;
}
