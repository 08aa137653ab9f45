namespace PortMismatch.Detection.Nats.Tests;

/// <summary>Declares <see cref="Measurements.Collection"/> in this assembly, where xUnit looks for it: its tests run alone.</summary>
[CollectionDefinition(Measurements.Collection, DisableParallelization = true)]
public sealed class MeasurementCollection;
