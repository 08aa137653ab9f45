namespace PortMismatch.Detection;

/// <summary>A source that could not be read to its end: its name and why (in <see cref="DetectionResult.Failures"/>).</summary>
public sealed class SourceFailure
{
    internal SourceFailure(string sourceName, Exception error)
    {
        SourceName = sourceName;
        Error = error;
    }

    /// <summary>Gets the source's <see cref="IFlowSource.Name"/>.</summary>
    public string SourceName { get; }

    /// <summary>Gets the error: an <see cref="InputFormatException"/>, an <see cref="IOException"/> or an <see cref="UnauthorizedAccessException"/>.</summary>
    public Exception Error { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{SourceName}: {Error.Message}";
}
