namespace PortMismatch.Detection.Adversarial.Tests;

/// <summary>
/// Tests that measure allocation run alone, after the parallel tests (as in PortMismatch.Detection.Tests): other tests'
/// garbage and the GCs it causes would shift the measurements.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasurementCollection
{
    public const string Name = "measurements";
}
