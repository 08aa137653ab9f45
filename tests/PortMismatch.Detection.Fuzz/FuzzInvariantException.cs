namespace PortMismatch.Detection.Fuzz;

/// <summary>A reader broke an invariant the fuzz targets check (counters that do not add up); a crash for the fuzzer.</summary>
public sealed class FuzzInvariantException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FuzzInvariantException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What broke.</param>
    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What broke.</param>
    /// <param name="innerException">The cause.</param>
    public FuzzInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
