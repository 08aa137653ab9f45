namespace PortMismatch.Detection.Tests;

/// <summary>
/// Tests that measure allocation or heap size run alone, after the parallel tests: other tests' garbage and the GCs it
/// causes would shift <see cref="GC.GetTotalMemory(bool)"/> (which counts the whole heap) and, by a few hundred bytes,
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/>.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasurementCollection
{
    public const string Name = "measurements";
}
