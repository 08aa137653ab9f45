using System.Text;
using NATS.Client.KeyValueStore;
using PortMismatch.Detection.Nats.Internal;
using PortMismatch.Detection.Nats.Tests.Support;
using PortMismatch.Detection.Siem.Internal;

namespace PortMismatch.Detection.Nats.Tests;

/// <summary>
/// Workers against a real nats-server: the final rows on <c>findings.final</c>, summed by window and key, equal one
/// in-process aggregation of the same records, with two workers sharing the partitions, with a worker stopped dead in
/// the middle of a commit, after a lease expires, and when a commit's revision is stale.
/// </summary>
[Collection(Measurements.Collection)]
public sealed class NatsDetectionWorkerTests
{
    private const int Seed = 20_2011;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Two_workers_share_eight_partitions_and_their_final_rows_equal_one_aggregation()
    {
        TestContext.Current.SendDiagnosticMessage($"seed {Seed}");
        await using var harness = await WorkerHarness.StartAsync(20_000, Seed);
        var expected = harness.Expected();
        var sink = new CollectingSink();
        await using var a = new NatsDetectionWorker(harness.Options("a") with { FinalRows = sink });
        await using var b = new NatsDetectionWorker(harness.Options("b") with { FinalRows = sink });
        using var stop = new CancellationTokenSource();
        var runA = a.RunAsync(stop.Token);
        var runB = b.RunAsync(stop.Token);

        await Poll.UntilAsync(() => a.Partitions.Count == 4 && b.Partitions.Count == 4, () => $"a holds {string.Join(",", a.Partitions)}, b holds {string.Join(",", b.Partitions)}", Deadline);
        await WaitForTotalAsync(harness, WorkerHarness.Total(expected), runA, runB);
        await stop.CancelAsync();
        await Task.WhenAll(runA, runB).WaitAsync(Deadline, TestContext.Current.CancellationToken);

        var (finals, messages, ids) = await harness.FinalsAsync();
        WorkerHarness.AssertEqual(expected, finals);
        Assert.Equal(messages, ids.Distinct().Count());
        Assert.Equal(harness.Lines.Length, a.MessagesRead + b.MessagesRead);
        Assert.True(a.IsMerger ^ b.IsMerger || (!a.IsMerger && !b.IsMerger), "one merger at a time");
        Assert.Equal(messages, sink.Rows.Count); // no merger restarted, so the sink saw each row once
        Assert.All(sink.Rows, r => Assert.NotNull(r.WindowStartMicroseconds));

        // each message's Nats-Msg-Id is its row's finding id (with :late:<sequence> for a late row)
        var findingIds = sink.Rows.Select(FindingId.Compute).ToHashSet(StringComparer.Ordinal);
        Assert.All(ids, id => Assert.Contains(id.Split(":late:")[0], findingIds));
        Assert.Equal(sink.Rows.Count(r => r.IsLate), ids.Count(id => id.Contains(":late:", StringComparison.Ordinal)));

        // the leases were given back at the end
        var leases = await new NatsKVContext(harness.JetStream).GetStoreAsync(NatsDetectionWorker.LeaseBucket, TestContext.Current.CancellationToken);
        var keys = new List<string>();
        await foreach (var key in leases.GetKeysAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            keys.Add(key);
        }

        Assert.Empty(keys);
    }

    [Fact]
    public async Task Records_that_come_after_their_window_is_final_come_out_as_late_rows_that_add_to_it()
    {
        await using var harness = await WorkerHarness.StartAsync(2_000, Seed + 4);
        await using var worker = new NatsDetectionWorker(harness.Options("late"));
        using var stop = new CancellationTokenSource();
        var run = worker.RunAsync(stop.Token);
        await WaitForTotalAsync(harness, WorkerHarness.Total(harness.Expected()), run);

        // every partition went idle, so every window is final; these records are of the same day: their windows are final
        var late = Zeek.Tests.Support.ConnLog.GenerateJson(300, Seed + 5).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await harness.PublishMoreAsync(late);
        var expected = harness.Expected();
        await WaitForTotalAsync(harness, WorkerHarness.Total(expected), run);
        await stop.CancelAsync();
        await run.WaitAsync(Deadline, TestContext.Current.CancellationToken);

        var (finals, messages, ids) = await harness.FinalsAsync();
        WorkerHarness.AssertEqual(expected, finals);
        Assert.Equal(messages, ids.Distinct().Count());
        Assert.Contains(ids, id => id.Contains(":late:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("AfterIntent")]
    [InlineData("AfterHalfRows")]
    public async Task A_worker_stopped_dead_in_a_commit_and_another_taking_over_its_partitions_is_still_exact(string where)
    {
        var point = Enum.Parse<WorkerKillPoint>(where);
        TestContext.Current.SendDiagnosticMessage($"seed {Seed}, kill {point}");
        await using var harness = await WorkerHarness.StartAsync(20_000, Seed + 1);
        var expected = harness.Expected();
        var calls = 0;
        var killed = false;
        await using var doomed = new NatsDetectionWorker(harness.Options("doomed") with
        {
            KillAt = (partition, at) =>
            {
                if (at == point && Interlocked.Increment(ref calls) == 5)
                {
                    Volatile.Write(ref killed, true);
                    throw new WorkerKilledException();
                }
            },
        });
        using var stop = new CancellationTokenSource();
        var runDoomed = doomed.RunAsync(stop.Token);
        await runDoomed.WaitAsync(Deadline, TestContext.Current.CancellationToken);
        Assert.True(Volatile.Read(ref killed));

        // the dead worker's pending intent is still in its checkpoint for the survivor to replay
        var checkpoints = await new NatsKVContext(harness.JetStream).GetStoreAsync(NatsDetectionWorker.CheckpointBucket, TestContext.Current.CancellationToken);
        var pending = 0;
        for (var p = 0; p < 8; p++)
        {
            var entry = await checkpoints.TryGetEntryAsync<byte[]>($"partition.{p}", cancellationToken: TestContext.Current.CancellationToken);
            if (entry.Success && PartitionCheckpoint.Parse(entry.Value.Value).PendingEnd is not null)
            {
                pending++;
            }
        }

        Assert.True(pending >= 1, "the killed commit left its intent");

        await using var survivor = new NatsDetectionWorker(harness.Options("survivor"));
        var runSurvivor = survivor.RunAsync(stop.Token);
        await WaitForTotalAsync(harness, WorkerHarness.Total(expected), runSurvivor);
        await stop.CancelAsync();
        await runSurvivor.WaitAsync(Deadline, TestContext.Current.CancellationToken);

        var (finals, messages, ids) = await harness.FinalsAsync();
        WorkerHarness.AssertEqual(expected, finals);
        Assert.Equal(messages, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_lease_is_taken_over_after_its_time_to_live()
    {
        await using var harness = await WorkerHarness.StartAsync(200, Seed + 2);
        var leases = await new NatsKVContext(harness.JetStream).CreateStoreAsync(
            new NatsKVConfig(NatsDetectionWorker.LeaseBucket) { MaxAge = TimeSpan.FromSeconds(2) }, TestContext.Current.CancellationToken);

        // a worker that died holding partition 0 and the merger: its lease entries are never renewed
        await leases.CreateAsync("lease.0", Encoding.UTF8.GetBytes("dead"), cancellationToken: TestContext.Current.CancellationToken);
        await leases.CreateAsync("merger", Encoding.UTF8.GetBytes("dead"), cancellationToken: TestContext.Current.CancellationToken);
        await using var worker = new NatsDetectionWorker(harness.Options("heir"));
        using var stop = new CancellationTokenSource();
        var run = worker.RunAsync(stop.Token);

        await Poll.UntilAsync(() => worker.Partitions.Count == 7, () => $"holds {string.Join(",", worker.Partitions)}", Deadline);
        Assert.DoesNotContain(0, worker.Partitions);
        Assert.False(worker.IsMerger);
        await Poll.UntilAsync(() => worker.Partitions.Count == 8 && worker.IsMerger, () => $"holds {string.Join(",", worker.Partitions)}, merger {worker.IsMerger}", Deadline);

        await stop.CancelAsync();
        await run.WaitAsync(Deadline, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_worker_whose_checkpoint_was_written_by_another_cannot_commit_and_the_segment_is_replayed_exactly()
    {
        await using var harness = await WorkerHarness.StartAsync(5_000, Seed + 3);
        var expected = harness.Expected();
        var checkpoints = await new NatsKVContext(harness.JetStream).CreateStoreAsync(new NatsKVConfig(NatsDetectionWorker.CheckpointBucket), TestContext.Current.CancellationToken);
        var stolen = 0;
        await using var worker = new NatsDetectionWorker(harness.Options("fenced") with
        {
            KillAt = (partition, at) =>
            {
                if (at == WorkerKillPoint.AfterIntent && partition == 3 && Interlocked.Increment(ref stolen) == 1)
                {
                    // another owner writes the same intent (as a takeover does): this worker's revision is stale now
                    var entry = checkpoints.GetEntryAsync<byte[]>("partition.3").AsTask().GetAwaiter().GetResult();
                    checkpoints.UpdateAsync("partition.3", entry.Value!, entry.Revision).AsTask().GetAwaiter().GetResult();
                }
            },
        });
        using var stop = new CancellationTokenSource();
        var run = worker.RunAsync(stop.Token);
        await WaitForTotalAsync(harness, WorkerHarness.Total(expected), run);
        await stop.CancelAsync();
        await run.WaitAsync(Deadline, TestContext.Current.CancellationToken);

        // the commit on the stale revision was refused, the partition dropped and taken again, its pending segment replayed
        Assert.True(stolen >= 2, $"partition 3 committed {stolen} intents"); // the stolen one and the replay
        Assert.Equal(1, worker.CommitsRefused);
        var (finals, _, _) = await harness.FinalsAsync();
        WorkerHarness.AssertEqual(expected, finals);
    }

    private static async Task WaitForTotalAsync(WorkerHarness harness, long total, params Task[] runs)
    {
        long seen = 0;
        await Poll.UntilAsync(
            () =>
            {
                if (runs.FirstOrDefault(r => r.IsCompleted) is { } ended)
                {
                    ended.GetAwaiter().GetResult();
                    Assert.Fail("a worker stopped by itself");
                }

                seen = WorkerHarness.Total(harness.FinalsAsync().GetAwaiter().GetResult().Sums);
                return seen >= total;
            },
            () => $"final rows count {seen} of {total} records' rows",
            Deadline);
    }

    private sealed class CollectingSink : IMismatchRowSink
    {
        public List<MismatchRow> Rows { get; } = [];

        public void OnRow(MismatchRow row)
        {
            lock (Rows)
            {
                Rows.Add(row);
            }
        }

        public ValueTask OnCompletedAsync(DetectionCounters counters) => default;
    }
}
