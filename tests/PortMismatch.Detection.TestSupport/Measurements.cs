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
}
