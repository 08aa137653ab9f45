namespace PortMismatch.Detection.Tests.Pipeline;

/// <summary>
/// The output throws (a full disk): from a reader's thread, from the idle close's clock, or in the final merge. The run
/// is cancelled, every source stops, <see cref="DetectionPipeline.RunAsync"/> throws that very exception, no source is
/// blamed, and the counters still count everything read (the refused row as emitted, not written).
/// </summary>
public sealed class OutputFailureTests
{
    /// <summary>A bound on a run that must end by itself: a hang fails the test instead of stalling the suite.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(1);

    private static readonly AggregatorOptions OneMinute = AggregatorOptions.Default with { Window = TimeSpan.FromMinutes(1) };

    /// <summary>Throws on its <c>failAt</c>-th row, and counts every call.</summary>
    private sealed class FullDisk(int failAt) : IMismatchRowSink
    {
        private int _calls;

        public IOException Error { get; } = new("No space left on device");

        public int Calls => Volatile.Read(ref _calls);

        public void OnRow(MismatchRow row)
        {
            if (Interlocked.Increment(ref _calls) >= failAt)
            {
                throw Error;
            }
        }
    }

    /// <summary>A live source that reads nothing and runs until cancelled: it must be stopped by the failure.</summary>
    private static IFlowSource Idle(string name) => PipelineTestData.Source(name, [], live: true);

    [Fact]
    public async Task A_failure_on_a_readers_thread_stops_every_source_and_is_thrown_unchanged()
    {
        // 400 records a second apart in one-minute windows: the first window closes while the source is read.
        var records = PipelineTestData.Records(31, 400);
        var sink = new FullDisk(failAt: 1);
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Aggregation = OneMinute, MaxDegreeOfParallelism = 2 }, sink);

        var run = pipeline.RunAsync([PipelineTestData.Source("conn.log", records), Idle("udp://other")], TestContext.Current.CancellationToken);
        var thrown = await Assert.ThrowsAsync<IOException>(() => run.WaitAsync(Hang, TestContext.Current.CancellationToken));

        Assert.Same(sink.Error, thrown);
        Assert.Equal(1, sink.Calls); // nothing more reached the output
        var counters = pipeline.GetCounters();
        Assert.Equal(0, counters.SourcesFailed);
        Assert.Equal(1, counters.RowsEmitted);
        Assert.Equal(0, counters.RowsWritten);
        Assert.InRange(counters.Input.Read, 1, records.Count - 1); // up to the first close: the source stopped there
        Assert.True(counters.Input.IsBalanced);
    }

    [Fact]
    public async Task A_failure_in_the_idle_close_ends_the_run_instead_of_the_process()
    {
        // Thirty records in one window and nothing after: only the idle close (on its clock's thread) emits the row. The
        // clock moves when the test says, once every record is in.
        var records = PipelineTestData.Records(32, 30, startMicroseconds: 1_699_999_980_000_000); // 22:13:00 to 22:13:30
        var sink = new FullDisk(failAt: 1);
        var options = new DetectionPipelineOptions { Aggregation = OneMinute, IdleWindowClose = TimeSpan.Zero, MaxDegreeOfParallelism = 2 };
        var clock = new ManualTimeProvider();
        using var pipeline = new DetectionPipeline(options, sink, timeProvider: clock);
        var pushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var input = new InputCounters();
        var ipfix = FlowSource.Create("udp://ipfix", input, async (sink, ct) =>
        {
            PipelineTestData.Push(records, sink, input);
            pushed.SetResult();
            await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default); // live: silent until the run stops
        });

        var run = pipeline.RunAsync([ipfix, Idle("udp://syslog")], TestContext.Current.CancellationToken);
        await pushed.Task.WaitAsync(Hang, TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromSeconds(1));
        var thrown = await Assert.ThrowsAsync<IOException>(() => run.WaitAsync(Hang, TestContext.Current.CancellationToken));

        Assert.Same(sink.Error, thrown);
        Assert.Equal(1, sink.Calls);
        var counters = pipeline.GetCounters();
        Assert.Equal(0, counters.SourcesFailed);
        Assert.Equal(30, counters.Input.Read);
        Assert.Equal(1, counters.RowsEmitted);
        Assert.Equal(0, counters.RowsWritten);
    }

    [Theory]
    [InlineData(300, 3)]    // a few groups: merged and completed on the run's thread, row by row
    [InlineData(6_000, 1500)] // thousands of groups each: the last merge makes its rows on two threads, handed over in batches
    public async Task A_failure_in_the_final_merge_is_thrown_unchanged_and_the_refused_row_is_not_written(int perSource, int failAt)
    {
        var random = TestSeed.Random(20261209);
        List<TestRecord> Part(int count) => [.. Enumerable.Range(0, count).Select(i => new TestRecord(["ssl"], 4000 + random.Next(40), Transport.Tcp)
        {
            TimestampMicroseconds = 1_700_000_000_000_000 + (i * 1_000L),
            Source = IPAddressValue.FromIPv4(0x0A000000u + (uint)random.Next(200)),
            Destination = IPAddressValue.Parse("192.0.2.1"),
        })];
        var sink = new FullDisk(failAt);
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { MaxDegreeOfParallelism = 2 }, sink);

        var thrown = await Assert.ThrowsAsync<IOException>(() => pipeline.RunAsync(
            [PipelineTestData.Source("a", Part(perSource)), PipelineTestData.Source("b", Part(perSource))],
            TestContext.Current.CancellationToken).WaitAsync(Hang, TestContext.Current.CancellationToken));

        Assert.Same(sink.Error, thrown);
        Assert.Equal(failAt, sink.Calls);
        var counters = pipeline.GetCounters();
        Assert.Equal(2L * perSource, counters.Input.Read);
        Assert.Equal(2L * perSource, counters.RecordsSelected);
        Assert.Equal(2, counters.SourcesRead);
        Assert.Equal(0, counters.SourcesFailed);
        Assert.Equal(failAt - 1, counters.RowsWritten);
        Assert.Equal(failAt, counters.RowsEmitted);
    }

    [Fact]
    public async Task Sources_the_run_never_started_are_not_counted_as_read()
    {
        // One source at a time, with windows: the first source's first window close fails the output, and the run stops
        // before the other two start. The first counts as read (until the run stopped); the others do not.
        var sink = new FullDisk(failAt: 1);
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Aggregation = OneMinute, MaxDegreeOfParallelism = 1 }, sink);

        await Assert.ThrowsAsync<IOException>(() => pipeline.RunAsync(
            [PipelineTestData.Source("a", PipelineTestData.Records(33, 400)), PipelineTestData.Source("b", PipelineTestData.Records(34, 400)), PipelineTestData.Source("c", PipelineTestData.Records(35, 400))],
            TestContext.Current.CancellationToken).WaitAsync(Hang, TestContext.Current.CancellationToken));

        var counters = pipeline.GetCounters();
        Assert.Equal(1, counters.SourcesRead);
        Assert.Equal(0, counters.SourcesFailed);
        Assert.InRange(counters.Input.Read, 1, 399);
    }

    [Fact]
    public async Task After_a_failed_run_the_pipeline_runs_again()
    {
        var sink = new FullDisk(failAt: 1);
        using var pipeline = new DetectionPipeline(null, sink);
        await Assert.ThrowsAsync<IOException>(() => pipeline.RunAsync([PipelineTestData.Source("a", PipelineTestData.Records(1, 50))], TestContext.Current.CancellationToken));

        var result = await pipeline.RunAsync([PipelineTestData.Source("b", [])], TestContext.Current.CancellationToken);
        Assert.Equal(0, result.Counters.Input.Read);
        Assert.Equal(50, pipeline.GetCounters().Input.Read);
    }
}
