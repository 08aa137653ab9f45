namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// The collection of tests that measure allocation or heap size: they run alone, after the parallel tests, because other
/// tests' garbage and the GCs it causes shift the measurements (<see cref="GC.GetTotalMemory(bool)"/> counts the whole
/// heap; <see cref="GC.GetAllocatedBytesForCurrentThread"/> moved by up to an allocation quantum, 3,888 and 5,880 bytes
/// seen in about one run of six). xUnit reads a collection's definition only from the test assembly, so each test
/// project that has such tests declares it in one line:
/// <code>[CollectionDefinition(Measurements.Collection, DisableParallelization = true)] public sealed class MeasurementCollection;</code>
/// </summary>
public static class Measurements
{
    /// <summary>The collection's name, for <see cref="CollectionAttribute"/> and <see cref="CollectionDefinitionAttribute"/>.</summary>
    public const string Collection = "measurements";

    /// <summary>
    /// Runs <paramref name="measured"/> up to <paramref name="passes"/> times and returns the fewest bytes one pass
    /// allocated on this thread, stopping at the first pass that allocated none.
    /// </summary>
    /// <remarks>
    /// Even alone, one pass in a full test run is sometimes charged with bytes that are not its own: 1,392 and 7,320 bytes
    /// over a million records were seen in CI (the runtime's tiering or a GC retiring the thread's allocation context).
    /// Code that allocates per record allocates in every pass, so the least of five passes is still an exact test of
    /// "nothing per record": a zero from any pass is a pass that allocated nothing.
    /// </remarks>
    public static long LeastAllocatedBytes(Action measured, int passes = 5)
    {
        ArgumentNullException.ThrowIfNull(measured);
        var least = long.MaxValue;
        for (var pass = 0; pass < passes && least != 0; pass++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            measured();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
