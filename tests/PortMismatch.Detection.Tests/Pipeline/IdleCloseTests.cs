namespace PortMismatch.Detection.Tests.Pipeline;

/// <summary>
/// <see cref="DetectionPipelineOptions.IdleWindowClose"/> closes a window once no record has reached it for that long by
/// the processing clock, whatever the records' times: a live replay of old records gives the rows of a scan of them. The
/// clock is a <see cref="ManualTimeProvider"/>: the idle close ticks only when a test moves it, so nothing depends on how
/// fast the machine is.
/// </summary>
public sealed class IdleCloseTests
{
    /// <summary>A bound on a run that must end by itself: a hang fails the test instead of stalling the suite.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(1);

    /// <summary>More than any tick period of the idle clock (at most a second): one move of the clock closes what is idle.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private static readonly DetectionPipelineOptions OneMinuteIdleZero = new()
    {
        Aggregation = AggregatorOptions.Default with { Window = TimeSpan.FromMinutes(1) },
        IdleWindowClose = TimeSpan.Zero,
    };

    [Fact]
    public async Task A_live_replay_of_old_records_closes_idle_windows_and_has_no_late_rows()
    {
        // Two batches of 2023 records, ten minutes apart in event time. The source sends the second only once the first
        // one's windows have all been emitted, which here only the idle close does (its last windows are not due by event
        // time). Measured against the wall clock, every window of 2023 would be long closed, and the second batch late.
        const long start = 1_699_999_980_000_000;
        var first = PipelineTestData.Records(41, 200, start);
        var second = PipelineTestData.Records(42, 200, start + (10 * 60_000_000));
        var options = OneMinuteIdleZero;
        var firstSelected = Scan(first, options.Aggregation).Sum(r => r.Count);
        var output = new RowCollector();
        var clock = new ManualTimeProvider();
        using var pipeline = new DetectionPipeline(options, output, timeProvider: clock);
        var firstPushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sendSecond = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondPushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var counters = new InputCounters();
        var source = FlowSource.Create("udp://replay", counters, async (sink, ct) =>
        {
            PipelineTestData.Push(first, sink, counters);
            firstPushed.SetResult();
            await sendSecond.Task.WaitAsync(ct);
            PipelineTestData.Push(second, sink, counters);
            secondPushed.SetResult();
            await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default); // live: silent until the run stops
        });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = pipeline.RunAsync([source], cancel.Token);

        await firstPushed.Task.WaitAsync(Hang, TestContext.Current.CancellationToken);
        clock.Advance(Tick);
        await output.WaitUntilAsync(rows => rows.Sum(r => r.Count) == firstSelected).WaitAsync(Hang, TestContext.Current.CancellationToken);
        Assert.True(pipeline.GetCounters().RowsWritten > 0);

        sendSecond.SetResult();
        await secondPushed.Task.WaitAsync(Hang, TestContext.Current.CancellationToken);
        clock.Advance(Tick);
        var all = Scan([.. first, .. second], options.Aggregation);
        await output.WaitUntilAsync(rows => rows.Sum(r => r.Count) == all.Sum(r => r.Count)).WaitAsync(Hang, TestContext.Current.CancellationToken);
        await cancel.CancelAsync();
        var result = await run;

        Assert.Equal(400, result.Counters.Input.Read);
        Assert.Equal(0, result.Counters.LateRecords);
        Assert.DoesNotContain(output.Rows, r => r.IsLate || r.IsPartial);
        Assert.Equal(
            PipelineTestData.Sorted(all).Select(PipelineTestData.Describe),
            PipelineTestData.Sorted(output.Rows).Select(PipelineTestData.Describe));
        Assert.Equal(0, clock.ActiveTimers); // the idle clock's loop ended with the run
    }

    [Fact]
    public async Task A_quiet_live_source_gets_its_rows_without_stopping()
    {
        // Fifty records in one window and nothing after: no later record closes it; the processing clock does.
        var records = PipelineTestData.Records(13, 50).Select(r => r with { TimestampMicroseconds = 1_700_000_000_000_000 }).ToList();
        var output = new RowCollector();
        var clock = new ManualTimeProvider();
        using var pipeline = new DetectionPipeline(OneMinuteIdleZero, output, timeProvider: clock);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var pushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = pipeline.RunAsync([Live("udp://quiet", records, pushed)], cancel.Token);

        await pushed.Task.WaitAsync(Hang, TestContext.Current.CancellationToken);
        Assert.Empty(output.Rows); // the clock has not moved: nothing is idle yet
        clock.Advance(Tick);
        await output.WaitUntilAsync(rows => rows.Sum(r => r.Count) == records.Count(IsMismatch)).WaitAsync(Hang, TestContext.Current.CancellationToken);
        var beforeStop = pipeline.GetCounters();
        await cancel.CancelAsync();
        var result = await run;

        Assert.Equal(beforeStop.RecordsSelected, output.Rows.Sum(r => r.Count));
        Assert.Equal(result.Counters.RowsWritten, beforeStop.RowsWritten); // nothing was left for the final flush
    }

    [Fact]
    public async Task A_stalled_output_holds_one_tick_and_the_clock_starts_no_other()
    {
        // The output blocks in the idle close's first row (a pipe nobody reads). Ten more periods pass on the clock: no other
        // tick may start (each would hold a thread waiting for the worker, and could stamp an older time after a newer one).
        var records = PipelineTestData.Records(14, 30).Select(r => r with { TimestampMicroseconds = 1_700_000_000_000_000 }).ToList();
        var output = new StalledOutput();
        var clock = new ManualTimeProvider();
        using var pipeline = new DetectionPipeline(OneMinuteIdleZero, output, timeProvider: clock);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var pushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = pipeline.RunAsync([Live("udp://stalled", records, pushed)], cancel.Token);
        await pushed.Task.WaitAsync(Hang, TestContext.Current.CancellationToken);

        // Each move on a thread of its own, as a timer fires: the first one's tick runs there and stalls in the output. A
        // later move whose timer callback waited for the stalled tick would hang.
        Task Move() => Task.Run(() => clock.Advance(Tick), TestContext.Current.CancellationToken);
        var stalled = Move();
        await output.Entered.WaitAsync(Hang, TestContext.Current.CancellationToken);
        var reads = clock.TimestampReads;
        for (var i = 0; i < 10; i++)
        {
            await Move().WaitAsync(Hang, TestContext.Current.CancellationToken);
        }

        Assert.Equal(reads, clock.TimestampReads); // no tick read the time while one was stalled
        Assert.False(stalled.IsCompleted);
        output.Release();
        await stalled.WaitAsync(Hang, TestContext.Current.CancellationToken);
        await cancel.CancelAsync();
        var result = await run.WaitAsync(Hang, TestContext.Current.CancellationToken);

        Assert.Equal(1, output.MostAtOnce);
        Assert.Equal(result.Counters.RecordsSelected, output.CountSum);
        Assert.Equal(0, clock.ActiveTimers);
    }

    /// <summary>Blocks in its first row until released; counts calls and how many were ever inside at once.</summary>
    private sealed class StalledOutput : IMismatchRowSink
    {
        private readonly ManualResetEventSlim _released = new();
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inside;
        private int _mostAtOnce;
        private long _countSum;

        public Task Entered => _entered.Task;

        public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

        public long CountSum => Interlocked.Read(ref _countSum);

        public void Release() => _released.Set();

        public void OnRow(MismatchRow row)
        {
            var inside = Interlocked.Increment(ref _inside);
            InterlockedMax(ref _mostAtOnce, inside);
            _entered.TrySetResult();
            _released.Wait(Hang);
            Interlocked.Add(ref _countSum, row.Count);
            Interlocked.Decrement(ref _inside);
        }

        private static void InterlockedMax(ref int location, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref location)) < value && Interlocked.CompareExchange(ref location, value, seen) != seen)
            {
            }
        }
    }

    /// <summary>A live source: pushes its records, says so, then waits for the end of the run as a socket does.</summary>
    private static IFlowSource Live(string name, List<TestRecord> records, TaskCompletionSource pushed)
    {
        var counters = new InputCounters();
        return FlowSource.Create(name, counters, async (sink, ct) =>
        {
            PipelineTestData.Push(records, sink, counters);
            pushed.SetResult();
            await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
        });
    }

    private static bool IsMismatch(TestRecord record)
        => record.Use((in FlowRecord r) => new MismatchEvaluator(RuleSet.Escu).IsMismatch(r));

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
}
