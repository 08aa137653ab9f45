namespace PortMismatch.Detection.Zeek.Tests.Support;

/// <summary>Tests that measure process-wide allocation run alone, so other tests' allocations do not count against them.</summary>
[CollectionDefinition(nameof(SerialTests), DisableParallelization = true)]
public sealed class SerialTests
{
}
