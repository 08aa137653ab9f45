using System.Diagnostics;
using System.Globalization;
using NATS.Client.JetStream.Models;

namespace PortMismatch.Detection.Nats.Tests.Cluster;

/// <summary>
/// The proof of issue #20, item 3: a million Zeek JSON records in an R3 FLOWS stream of a three-node cluster, two
/// <c>portmismatch worker</c> processes, and the final rows on <c>findings.final</c>, summed by window and key, equal the
/// single-process aggregate of the same records exactly: in a plain run, with a worker SIGKILLed mid-run and restarted,
/// and with the streams' leader node stopped mid-run and restarted. A worker's peak memory stays bounded while the stream
/// holds all of it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ExactnessTests(PublishedCluster published) : IClassFixture<PublishedCluster>
{
    /// <summary>
    /// The most resident memory a worker may reach. The stream holds about 300 MB of payload; a worker holds one bounded
    /// batch per partition it reads, the open windows of its segment and the merger's open windows, on a .NET runtime
    /// that alone takes some 60 MB.
    /// </summary>
    private const long MaxWorkerResidentBytes = 256L << 20;

    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task The_published_stream_holds_every_record_on_every_replica_and_the_expected_rows_count_them()
    {
        var info = await published.JetStream.GetStreamAsync(FlowStream.Flows, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(PublishedCluster.Records, info.Info.State.Messages);
        Assert.Equal(3, info.Info.Config.NumReplicas);
        for (var node = 0; node < NatsCluster.Size; node++)
        {
            var replica = node;
            await Poll.UntilAsync(
                () => published.Cluster.ReplicaMessagesAsync(replica, FlowStream.Flows).GetAwaiter().GetResult(),
                messages => messages == PublishedCluster.Records,
                $"{NatsCluster.NameOf(replica)}'s replica of FLOWS holds every message");
        }

        Assert.True(published.Expected.Records > 40_000, $"expected mismatching records: {published.Expected.Records}");
        var window = (long)PublishedCluster.Window.TotalMicroseconds;
        var lastTime = FlowLog.StartMicroseconds + ((PublishedCluster.Records - 1) * FlowLog.StepMicroseconds);
        Assert.Equal((lastTime / window) - (FlowLog.StartMicroseconds / window) + 1, published.Expected.Windows);
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seed {PublishedCluster.Seed}: {PublishedCluster.Records:N0} records published to R3 FLOWS at {published.PublishedPerSecond:N0} msg/s; expected {published.Expected.Keys:N0} keys, {published.Expected.Records:N0} mismatching records, computed in {published.ExpectedTime.TotalSeconds:0.00} s"));
    }

    [Fact]
    public async Task Two_workers_give_exactly_the_single_process_rows_and_stay_within_their_memory_bound()
    {
        WorkerProcess.SkipUnlessAvailable();
        var peaks = await RunAsync(midRun: null);
        foreach (var (name, peak) in peaks)
        {
            Assert.True(peak < MaxWorkerResidentBytes, $"worker {name}'s peak resident memory {peak >> 20} MiB is over {MaxWorkerResidentBytes >> 20} MiB");
        }
    }

    [Fact]
    public async Task A_worker_killed_mid_run_and_restarted_changes_nothing()
    {
        WorkerProcess.SkipUnlessAvailable();
        await RunAsync(async workers =>
        {
            await workers[0].KillAsync();
            workers[0].Dispose();
            workers[0] = WorkerProcess.Start(workers[0].Name, published.Cluster.Url, PublishedCluster.Window);
            return "w1 SIGKILLed and restarted";
        });
    }

    [Fact]
    public async Task The_stream_leader_node_stopped_mid_run_and_restarted_changes_nothing()
    {
        WorkerProcess.SkipUnlessAvailable();
        await RunAsync(async _ =>
        {
            var cluster = published.Cluster;
            var what = string.Empty;
            foreach (var stream in (string[])[FlowStream.Flows, FlowStream.Findings])
            {
                // One node at a time: two of three down would lose the quorum, JetStream's own limit.
                var leader = await cluster.WaitForStreamLeaderAsync(stream);
                await cluster.StopNode(leader);
                var next = await cluster.WaitForStreamLeaderAsync(stream, notIndex: leader);
                await cluster.StartNode(leader);
                what += $"{stream} leader {NatsCluster.NameOf(leader)} stopped, {NatsCluster.NameOf(next)} took over, {NatsCluster.NameOf(leader)} restarted; ";
            }

            return what;
        });
    }

    // Runs two workers from empty worker state until the final rows cover every expected record, doing midRun once a
    // fifth of them are final; stops the workers (SIGTERM, exit 0), reads the rest and compares exactly. Returns each
    // worker's peak resident memory, read just before it is stopped.
    private async Task<List<(string Name, long Peak)>> RunAsync(Func<WorkerProcess[], Task<string>>? midRun)
    {
        var output = TestContext.Current.TestOutputHelper;
        await FlowStream.ResetWorkerStateAsync(published.JetStream);
        var expected = published.Expected;
        var actual = new RowTotals(PublishedCluster.Window);
        var reader = new FlowStream.FinalRowReader(published.JetStream, actual);
        var workers = new[]
        {
            WorkerProcess.Start("w1", published.Cluster.Url, PublishedCluster.Window),
            WorkerProcess.Start("w2", published.Cluster.Url, PublishedCluster.Window),
        };
        try
        {
            var clock = Stopwatch.StartNew();
            var done = midRun is null;
            while (actual.Records < expected.Records)
            {
                Assert.True(clock.Elapsed < RunLimit, $"final rows cover {actual.Records:N0} of {expected.Records:N0} records after {RunLimit}:\n{Outputs(workers)}");
                foreach (var worker in workers)
                {
                    Assert.False(worker.HasExited, $"worker {worker.Name} exited:\n{worker.Output}");
                }

                if (await reader.ReadNewAsync() == 0)
                {
                    await Task.Delay(100, TestContext.Current.CancellationToken);
                }

                if (!done && actual.Records * 5 >= expected.Records)
                {
                    done = true;
                    var what = await midRun!(workers);
                    output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds:0.0} s, {actual.Records:N0} of {expected.Records:N0} records final: {what}"));
                }
            }

            output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"every record final after {clock.Elapsed.TotalSeconds:0.0} s ({PublishedCluster.Records / clock.Elapsed.TotalSeconds:N0} records/s through two workers, seed {PublishedCluster.Seed})"));
            var peaks = new List<(string Name, long Peak)>();
            foreach (var worker in workers)
            {
                var peak = await worker.PeakResidentBytesAsync();
                peaks.Add((worker.Name, peak));
                output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worker {worker.Name}: peak resident {peak >> 20} MiB"));
            }

            foreach (var worker in workers)
            {
                Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(30)));
            }

            // Nothing publishes any more: what is in the stream now is all there will be.
            await reader.ReadNewAsync();
            output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"final rows stored twice by the server (same id, same row): {reader.StoredRepeats}"));
            Assert.Equal(string.Empty, expected.Difference(actual));
            return peaks;
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    private static string Outputs(WorkerProcess[] workers)
        => string.Join('\n', workers.Select(static worker => $"--- {worker.Name}:\n{worker.Output}"));
}
