using System.Text;

namespace PortMismatch.Detection.Tests.Pipeline;

/// <summary>
/// <see cref="IMismatchRowSink.OnCompletedAsync"/>: called once per run, after the last row, with the run's final
/// counters; also when the run was cancelled or a source failed; never when the output itself failed.
/// </summary>
public sealed class SinkCompletionTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(1);

    private static readonly AggregatorOptions OneMinute = AggregatorOptions.Default with { Window = TimeSpan.FromMinutes(1) };

    /// <summary>Keeps the rows and each completion with the number of rows it had seen when it came.</summary>
    private sealed class CompletionRecorder(int failAt = int.MaxValue) : IMismatchRowSink
    {
        private readonly List<MismatchRow> _rows = [];

        public List<(DetectionCounters Counters, int RowsBefore)> Completions { get; } = [];

        public int Rows => _rows.Count;

        public void OnRow(MismatchRow row)
        {
            if (_rows.Count + 1 >= failAt)
            {
                throw new IOException("No space left on device");
            }

            _rows.Add(row);
        }

        public ValueTask OnCompletedAsync(DetectionCounters counters)
        {
            Completions.Add((counters, _rows.Count));
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task A_run_completes_the_output_once_after_its_last_row_with_the_final_counters()
    {
        var records = PipelineTestData.Records(41, 500);
        var sink = new CompletionRecorder();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Aggregation = OneMinute, MaxDegreeOfParallelism = 2 }, sink);

        var result = await pipeline.RunAsync(
            [PipelineTestData.Source("a", records[..250]), PipelineTestData.Source("b", records[250..])], TestContext.Current.CancellationToken);

        var (counters, rowsBefore) = Assert.Single(sink.Completions);
        Assert.True(sink.Rows > 0);
        Assert.Equal(sink.Rows, rowsBefore); // no row after the completion
        Assert.Equal(sink.Rows, counters.RowsWritten);
        Assert.Equal(records.Count, counters.Input.Read);
        Assert.Equal(2, counters.SourcesRead);
        Assert.Same(result.Counters, counters);
    }

    [Fact]
    public async Task Each_run_of_a_pipeline_completes_the_output_with_that_runs_counters()
    {
        var sink = new CompletionRecorder();
        using var pipeline = new DetectionPipeline(null, sink);
        await pipeline.RunAsync([PipelineTestData.Source("a", PipelineTestData.Records(42, 100))], TestContext.Current.CancellationToken);
        await pipeline.RunAsync([PipelineTestData.Source("b", PipelineTestData.Records(43, 30))], TestContext.Current.CancellationToken);

        Assert.Equal([100L, 30L], sink.Completions.Select(c => c.Counters.Input.Read));
    }

    [Fact]
    public async Task A_cancelled_live_run_writes_its_open_windows_then_completes_the_output()
    {
        var records = PipelineTestData.Records(44, 200);
        var sink = new CompletionRecorder();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Aggregation = OneMinute with { AllowedLateness = TimeSpan.FromDays(1) } }, sink);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var run = pipeline.RunAsync([PipelineTestData.Source("udp://live", records, live: true)], stop.Token);
        await Poll.UntilAsync(() => pipeline.GetCounters(), c => c.Input.Read == records.Count, "the live source's records");
        Assert.Equal(0, sink.Rows); // a day of lateness: every window is still open
        await stop.CancelAsync();
        var result = await run.WaitAsync(Hang, TestContext.Current.CancellationToken);

        Assert.True(result.Cancelled);
        var (counters, rowsBefore) = Assert.Single(sink.Completions);
        Assert.True(rowsBefore > 0);
        Assert.Equal(sink.Rows, rowsBefore);
        Assert.Equal(sink.Rows, counters.RowsWritten);
    }

    [Fact]
    public async Task A_source_that_throws_still_lets_the_output_complete_before_the_run_throws()
    {
        var sink = new CompletionRecorder();
        using var pipeline = new DetectionPipeline(null, sink);
        var bug = new InvalidOperationException("a bug in a source");
        var failing = FlowSource.Create("broken", new InputCounters(), (_, _) => throw bug);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(
            () => pipeline.RunAsync([PipelineTestData.Source("a", PipelineTestData.Records(45, 100)), failing], TestContext.Current.CancellationToken));

        Assert.Same(bug, thrown);
        var (counters, rowsBefore) = Assert.Single(sink.Completions);
        Assert.Equal(1, counters.SourcesFailed);
        Assert.Equal(sink.Rows, rowsBefore);
    }

    [Fact]
    public async Task An_output_that_failed_is_not_completed()
    {
        var sink = new CompletionRecorder(failAt: 2);
        using var pipeline = new DetectionPipeline(null, sink);

        await Assert.ThrowsAsync<IOException>(
            () => pipeline.RunAsync([PipelineTestData.Source("a", PipelineTestData.Records(46, 300))], TestContext.Current.CancellationToken));

        Assert.Empty(sink.Completions);
    }

    [Fact]
    public async Task A_writer_given_as_the_output_is_flushed_by_the_completion_without_being_disposed()
    {
        var records = PipelineTestData.Records(47, 300);
        using var stream = new MemoryStream();
        var writer = new JsonLinesRowWriter(stream);
        using var pipeline = new DetectionPipeline(null, new RowFilter(writer, AllowList.Empty));

        var result = await pipeline.RunAsync([PipelineTestData.Source("a", records)], TestContext.Current.CancellationToken);

        // Through the allow-list's filter to the writer, and out of the writer's buffer into the stream.
        Assert.True(result.Counters.RowsWritten > 0);
        var lines = Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(result.Counters.RowsWritten, lines.Length);
    }
}
