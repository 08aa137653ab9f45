namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>
/// Allocation measurements run alone, after the parallel tests: a GC that another test's garbage causes during a
/// measurement shifts <see cref="GC.GetAllocatedBytesForCurrentThread"/> by up to an allocation quantum (seen: 3,888 and
/// 5,880 bytes in about one run of six).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasurementCollection
{
    public const string Name = "measurements";
}
