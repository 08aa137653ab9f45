namespace PortMismatch.Detection;

/// <summary>The outcome of <see cref="DetectionPipeline.RunAsync"/>.</summary>
public sealed class DetectionResult
{
    internal DetectionResult(DetectionCounters counters, IReadOnlyList<SourceFailure> failures, bool cancelled)
    {
        Counters = counters;
        Failures = failures;
        Cancelled = cancelled;
    }

    /// <summary>Gets the counters of this run alone.</summary>
    public DetectionCounters Counters { get; }

    /// <summary>Gets the sources that could not be read, in the order they failed.</summary>
    public IReadOnlyList<SourceFailure> Failures { get; }

    /// <summary>Gets whether the run was cancelled (what had been read was still aggregated and emitted).</summary>
    public bool Cancelled { get; }
}
