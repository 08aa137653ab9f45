namespace PortMismatch.Detection.Nats.Tests.Cluster;

/// <summary>
/// The tests that start a three-node cluster and worker processes: they run alone, after the parallel tests, because
/// three servers, two workers and a million messages take this two-core machine whole, and timing-bound waits would
/// otherwise fail for want of CPU.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "nats-cluster";
}
