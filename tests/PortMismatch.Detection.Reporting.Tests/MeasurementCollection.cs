namespace PortMismatch.Detection.Reporting.Tests;

/// <summary>The Chromium tests run alone, so that their timings are not other tests' load (see <see cref="Measurements"/>).</summary>
[CollectionDefinition(Measurements.Collection, DisableParallelization = true)]
public sealed class MeasurementCollection;
