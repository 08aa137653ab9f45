using System.Diagnostics;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace PortMismatch.Detection.Nats.Tests.Cluster;

/// <summary>
/// What the exactness tests share, made once: a three-node cluster, an R3 FLOWS stream over 8 partitions holding a
/// generated Zeek JSON log of a million records (fixed seed), and the expected rows of that log. Each test then runs
/// workers against it from an empty FINDINGS and empty buckets.
/// </summary>
public sealed class PublishedCluster : IAsyncLifetime
{
    public const int Seed = 20_2026;
    public const long Records = 1_000_000;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private NatsCluster? _cluster;
    private NatsConnection? _connection;

    internal NatsCluster Cluster => _cluster!;

    internal NatsJSContext JetStream { get; private set; } = null!;

    internal FlowLog Log { get; } = new(Seed);

    internal RowTotals Expected { get; private set; } = null!;

    internal double PublishedPerSecond { get; private set; }

    internal TimeSpan ExpectedTime { get; private set; }

    public async ValueTask InitializeAsync()
    {
        _cluster = await NatsCluster.StartOrSkip();
        _connection = new NatsConnection(new NatsOpts { Url = _cluster.Url, Name = "cluster-tests" });
        await _connection.ConnectAsync();
        JetStream = new NatsJSContext(_connection);
        await FlowStream.CreateFlowsAsync(JetStream, replicas: 3);
        PublishedPerSecond = await FlowStream.PublishAsync(JetStream, Log, Records);
        var clock = Stopwatch.StartNew();
        Expected = RowTotals.Expected(Log, Records, Window);
        ExpectedTime = clock.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
