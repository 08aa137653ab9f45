using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.KeyValueStore;
using PortMismatch.Detection.Nats.Tests.Support;

namespace PortMismatch.Detection.Nats.Tests.DependencyInjection;

/// <summary>AddNatsWorker: a hosted service that runs the worker for the host's lifetime, its options validated at start.</summary>
[Collection(Measurements.Collection)]
public sealed class AddNatsWorkerTests
{
    [Fact]
    public async Task The_hosted_worker_writes_the_final_rows_to_the_registered_sink_and_gives_its_leases_back_at_stop()
    {
        await using var harness = await WorkerHarness.StartAsync(3_000, 4242);
        var expected = harness.Expected();
        var sink = new Sink();
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(sink);
        services.AddNatsWorker(o => harness.Options("hosted") with { Partitions = o.Partitions });
        services.AddNatsWorker(o => harness.Options("hosted") with { Partitions = o.Partitions }); // idempotent: one worker
        await using var provider = services.BuildServiceProvider();
        var hosted = Assert.Single(provider.GetServices<IHostedService>());

        await hosted.StartAsync(TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => sink.Total >= WorkerHarness.Total(expected), () => $"{sink.Total} of {WorkerHarness.Total(expected)}", TimeSpan.FromSeconds(90));
        await hosted.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(WorkerHarness.Total(expected), sink.Total);
        WorkerHarness.AssertEqual(expected, (await harness.FinalsAsync()).Sums);
        var leases = await new NatsKVContext(harness.JetStream).GetStoreAsync(NatsDetectionWorker.LeaseBucket, TestContext.Current.CancellationToken);
        var keys = new List<string>();
        await foreach (var key in leases.GetKeysAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            keys.Add(key);
        }

        Assert.Empty(keys);
    }

    [Fact]
    public async Task An_option_out_of_range_stops_the_host_at_start_naming_it()
    {
        var services = new ServiceCollection();
        services.AddNatsWorker(o => o with { Partitions = 0 });
        await using var provider = services.BuildServiceProvider();
        var hosted = Assert.Single(provider.GetServices<IHostedService>());
        var error = await Assert.ThrowsAsync<ArgumentException>(() => hosted.StartAsync(TestContext.Current.CancellationToken));
        Assert.Equal("Partitions", error.ParamName);
        Assert.Contains("Partitions is 0", error.Message, StringComparison.Ordinal);
    }

    private sealed class Sink : IMismatchRowSink
    {
        private long _total;

        public long Total => Interlocked.Read(ref _total);

        public void OnRow(MismatchRow row) => Interlocked.Add(ref _total, row.Count);

        public ValueTask OnCompletedAsync(DetectionCounters counters) => default;
    }
}
