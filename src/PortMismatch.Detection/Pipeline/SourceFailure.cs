namespace PortMismatch.Detection;

/// <summary>A source that could not be read to its end: its name and why.</summary>
/// <param name="SourceName">The source's <see cref="IFlowSource.Name"/>.</param>
/// <param name="Error">The error: an <see cref="InputFormatException"/>, an <see cref="IOException"/> or an <see cref="UnauthorizedAccessException"/>.</param>
public sealed record SourceFailure(string SourceName, Exception Error)
{
    /// <inheritdoc/>
    public override string ToString() => $"{SourceName}: {Error.Message}";
}
