namespace PortMismatch.Detection.Tests.Pipeline;

/// <summary>
/// <see cref="DetectionPipelineOptions.IdleWindowClose"/> closes a window once no record has reached it for that long by
/// the processing clock, whatever the records' times: a live replay of old records gives the rows of a scan of them.
/// </summary>
public sealed class IdleCloseTests
{
    [Fact]
    public async Task A_live_replay_of_old_records_closes_idle_windows_and_has_no_late_rows()
    {
        // Two batches of 2023 records, ten minutes apart in event time. The source sends the second only once the first
        // one's windows have all been emitted, which here only the idle close does (its last windows are not due by event
        // time). Measured against the wall clock, every window of 2023 would be long closed, and the second batch late.
        const long start = 1_699_999_980_000_000;
        var first = PipelineTestData.Records(41, 200, start);
        var second = PipelineTestData.Records(42, 200, start + (10 * 60_000_000));
        var options = new DetectionPipelineOptions
        {
            Aggregation = AggregatorOptions.Default with { Window = TimeSpan.FromMinutes(1) },
            IdleWindowClose = TimeSpan.Zero,
        };
        var firstSelected = Scan(first, options.Aggregation).Sum(r => r.Count);
        var output = new RowCollector();
        using var pipeline = new DetectionPipeline(options, output);
        var firstClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var counters = new InputCounters();
        var source = FlowSource.Create("udp://replay", counters, async (sink, ct) =>
        {
            Push(first, sink, counters);
            await firstClosed.Task.WaitAsync(ct);
            Push(second, sink, counters);
            await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = pipeline.RunAsync([source], cancel.Token);

        await WaitUntil(() => pipeline.GetCounters().RowsWritten > 0 && Sum(output) == firstSelected);
        firstClosed.SetResult();
        await WaitUntil(() => pipeline.GetCounters().Input.Read == 400);
        await cancel.CancelAsync();
        var result = await run;

        Assert.Equal(0, result.Counters.LateRecords);
        Assert.DoesNotContain(output.Rows, r => r.IsLate || r.IsPartial);
        Assert.Equal(
            PipelineTestData.Sorted(Scan([.. first, .. second], options.Aggregation)).Select(PipelineTestData.Describe),
            PipelineTestData.Sorted(output.Rows).Select(PipelineTestData.Describe));
    }

    private static long Sum(RowCollector output)
    {
        lock (output)
        {
            return output.Rows.Sum(r => r.Count);
        }
    }

    private static void Push(List<TestRecord> records, IFlowRecordSink sink, InputCounters counters)
    {
        foreach (var record in records)
        {
            counters.CountRead();
            counters.CountAccepted();
            record.Use((in FlowRecord r) =>
            {
                sink.OnRecord(r);
                return 0;
            });
        }
    }

    /// <summary>The rows of one aggregator reading the records in turn, as a scan does.</summary>
    private static List<MismatchRow> Scan(List<TestRecord> records, AggregatorOptions options)
    {
        var rows = new RowCollector();
        var aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), rows, options);
        foreach (var record in records)
        {
            record.Use((in FlowRecord r) => aggregator.Add(r));
        }

        aggregator.Complete();
        return rows.Rows;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        // Polls a condition the run reaches by itself; the bound only turns a hang into a failure.
        for (var i = 0; i < 6_000 && !condition(); i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.True(condition(), "the run did not get there");
    }
}
