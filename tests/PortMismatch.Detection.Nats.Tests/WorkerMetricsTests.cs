using System.Diagnostics.Metrics;
using NATS.Client.KeyValueStore;
using PortMismatch.Detection.Nats.Tests.Support;

namespace PortMismatch.Detection.Nats.Tests;

/// <summary>
/// What a worker reports about itself: the lag (messages of its partitions not read yet) as a property and on its meter,
/// and the checkpoint writes with their durations; and that the lease bucket's time to live is every worker's.
/// </summary>
[Collection(Measurements.Collection)]
public sealed class WorkerMetricsTests
{
    private const int Seed = 20_3011;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_lag_is_the_messages_not_read_yet_and_falls_to_zero_and_every_checkpoint_write_is_measured()
    {
        const int records = 4_000;
        await using var harness = await WorkerHarness.StartAsync(records, Seed);
        var lagSeen = new List<long>();
        var durations = new List<double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == NatsDetectionWorker.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "portmismatch.nats.lag")
            {
                lock (lagSeen)
                {
                    lagSeen.Add(value);
                }
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "portmismatch.nats.checkpoint.duration")
            {
                lock (durations)
                {
                    durations.Add(value);
                }
            }
        });
        listener.Start();

        // one message a fetch: the worker is behind the stream for a while, and the lag says by how much
        await using var worker = new NatsDetectionWorker(harness.Options("lagging") with { BatchSize = 1 });
        using var stop = new CancellationTokenSource();
        var run = worker.RunAsync(stop.Token);
        long behind = 0;
        await Poll.UntilAsync(
            () =>
            {
                listener.RecordObservableInstruments();
                behind = Math.Max(behind, worker.Lag);
                return behind > 0 || run.IsCompleted;
            },
            () => $"lag {worker.Lag}, read {worker.MessagesRead}",
            Deadline);
        Assert.InRange(behind, 1, records - 1);
        lock (lagSeen)
        {
            Assert.Contains(lagSeen, v => v > 0); // the gauge reports what the property does
        }

        // caught up: every message read, nothing pending
        await Poll.UntilAsync(() => worker.MessagesRead == records && worker.Lag == 0, () => $"read {worker.MessagesRead}, lag {worker.Lag}", Deadline);
        listener.RecordObservableInstruments();
        lock (lagSeen)
        {
            Assert.Equal(0, lagSeen[^1]);
        }

        await stop.CancelAsync();
        await run.WaitAsync(Deadline, TestContext.Current.CancellationToken);

        // two writes a segment (intent and commit) and the merger's; each one measured once
        Assert.True(worker.CheckpointWrites >= 2 * worker.SegmentsCommitted, $"{worker.CheckpointWrites} writes for {worker.SegmentsCommitted} segments");
        lock (durations)
        {
            Assert.Equal(worker.CheckpointWrites, durations.Count);
            Assert.All(durations, d => Assert.True(d > 0, $"a checkpoint write of {d} s"));
            Assert.Equal(worker.CheckpointTime.TotalSeconds, durations.Sum(), tolerance: 1e-6); // sums in another order differ in the last bits
        }
    }

    [Fact]
    public async Task A_worker_whose_lease_time_to_live_differs_from_the_buckets_refuses_to_start_naming_both()
    {
        await using var harness = await WorkerHarness.StartAsync(10, Seed + 1);
        await new NatsKVContext(harness.JetStream).CreateStoreAsync(
            new NatsKVConfig(NatsDetectionWorker.LeaseBucket) { MaxAge = TimeSpan.FromSeconds(2) }, TestContext.Current.CancellationToken);

        await using var worker = new NatsDetectionWorker(harness.Options("other-ttl") with { LeaseTtl = TimeSpan.FromSeconds(5) });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.RunAsync(TestContext.Current.CancellationToken));
        Assert.Contains("time to live of 2 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("LeaseTtl is 5 s", error.Message, StringComparison.Ordinal);

        // the bucket kept its time to live, and a worker that agrees with it runs
        var status = await (await new NatsKVContext(harness.JetStream).GetStoreAsync(NatsDetectionWorker.LeaseBucket, TestContext.Current.CancellationToken)).GetStatusAsync(TestContext.Current.CancellationToken);
        Assert.Equal(TimeSpan.FromSeconds(2), status.Info.Config.MaxAge);
        await using var agreeing = new NatsDetectionWorker(harness.Options("same-ttl"));
        using var stop = new CancellationTokenSource();
        var run = agreeing.RunAsync(stop.Token);
        await Poll.UntilAsync(() => agreeing.Partitions.Count == 8 || run.IsCompleted, () => $"holds {string.Join(",", agreeing.Partitions)}", Deadline);
        await stop.CancelAsync();
        await run.WaitAsync(Deadline, TestContext.Current.CancellationToken);
    }
}
