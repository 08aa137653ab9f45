using System.Diagnostics;
using PortMismatch.Detection.Nats.Tests.Support;

namespace PortMismatch.Detection.Nats.Tests;

/// <summary>
/// How many flow messages a second one worker and two workers (in this process) read from a single nats-server on this
/// machine, with the exactness of their final rows checked on the way. A measurement, printed; it asserts exactness only.
/// </summary>
[Collection(Measurements.Collection)]
public sealed class WorkerThroughputTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Workers_read_a_stream_at_a_measured_rate_and_stay_exact(int workers)
    {
        const int Records = 100_000;
        await using var harness = await WorkerHarness.StartAsync(Records, 777);
        var expected = harness.Expected();
        using var stop = new CancellationTokenSource();
        var running = new List<(NatsDetectionWorker Worker, Task Run)>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < workers; i++)
        {
            var worker = new NatsDetectionWorker(harness.Options($"w{i}") with { SegmentRecords = 50_000, SegmentTime = TimeSpan.FromSeconds(2), BatchSize = 1_000 });
            running.Add((worker, worker.RunAsync(stop.Token)));
        }

        await Poll.UntilAsync(() => running.Sum(r => r.Worker.MessagesRead) >= Records, () => $"{running.Sum(r => r.Worker.MessagesRead)} of {Records} read", TimeSpan.FromSeconds(120));
        var read = clock.Elapsed;
        await Poll.UntilAsync(() => WorkerHarness.Total(harness.FinalsAsync().GetAwaiter().GetResult().Sums) >= WorkerHarness.Total(expected), () => "final rows", TimeSpan.FromSeconds(60));
        var final = clock.Elapsed;
        await stop.CancelAsync();
        foreach (var (worker, run) in running)
        {
            await run.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            await worker.DisposeAsync();
        }

        WorkerHarness.AssertEqual(expected, (await harness.FinalsAsync()).Sums);
        TestContext.Current.SendDiagnosticMessage(
            $"{workers} worker(s): {Records:N0} messages read in {read.TotalSeconds:0.00} s = {Records / read.TotalSeconds:N0} messages/s; all final rows after {final.TotalSeconds:0.00} s (idle timeout 1 s)");
    }
}
