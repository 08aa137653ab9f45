using System.Diagnostics.Metrics;

namespace PortMismatch.Detection.Tests.Pipeline;

public sealed class DetectionPipelineTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 2)]
    [InlineData(7, 3)]
    public async Task Parallel_sources_give_the_rows_of_one_aggregator_reading_them_in_turn(int sourceCount, int parallelism)
    {
        const int seed = 20261126;
        var parts = Enumerable.Range(0, sourceCount).Select(i => PipelineTestData.Records(seed + i, 500)).ToList();

        var (expected, single) = ReadInTurn(parts);

        var actual = new RowCollector();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { MaxDegreeOfParallelism = parallelism }, actual);
        var result = await pipeline.RunAsync(parts.Select((p, i) => PipelineTestData.Source($"part{i}", p)), TestContext.Current.CancellationToken);

        Assert.Equal(
            PipelineTestData.Sorted(expected.Rows).Select(PipelineTestData.Describe),
            PipelineTestData.Sorted(actual.Rows).Select(PipelineTestData.Describe));
        Assert.NotEmpty(actual.Rows);
        Assert.Equal(sourceCount * 500L, result.Counters.Input.Read);
        Assert.True(result.Counters.Input.IsBalanced);
        Assert.Equal(single.RecordsSelected, result.Counters.RecordsSelected);
        Assert.Equal(expected.Rows.Count, result.Counters.RowsEmitted);
        Assert.Equal(result.Counters.RowsEmitted, result.Counters.RowsWritten);
        Assert.Equal(sourceCount, result.Counters.SourcesRead);
        Assert.False(result.Cancelled);
        Assert.Empty(result.Failures);
    }

    [Fact]
    public async Task A_slow_source_holds_only_its_lane_and_the_other_lane_reads_the_rest()
    {
        // Six sources, two lanes, no windows: the sources share the lanes' aggregators. The first source waits until the
        // other five are read, which only happens if the second lane takes them one after another as it finishes each.
        var parts = Enumerable.Range(0, 6).Select(i => PipelineTestData.Records(20261127 + i, 400)).ToList();
        var (expected, _) = ReadInTurn(parts);
        var othersDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = parts.Count - 1;
        var sources = new List<IFlowSource>();
        for (var i = 0; i < parts.Count; i++)
        {
            var inner = PipelineTestData.Source($"part{i}", parts[i]);
            var slow = i == 0;
            sources.Add(FlowSource.Create(inner.Name, inner.Counters, async (sink, ct) =>
            {
                if (slow)
                {
                    await othersDone.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
                }

                await inner.ReadAsync(sink, ct);
                if (!slow && Interlocked.Decrement(ref remaining) == 0)
                {
                    othersDone.SetResult();
                }
            }));
        }

        var actual = new RowCollector();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { MaxDegreeOfParallelism = 2 }, actual);
        var result = await pipeline.RunAsync(sources, TestContext.Current.CancellationToken);

        Assert.Empty(result.Failures);
        Assert.Equal(6, result.Counters.SourcesRead);
        Assert.Equal(6 * 400L, result.Counters.Input.Read);
        Assert.Equal(
            PipelineTestData.Sorted(expected.Rows).Select(PipelineTestData.Describe),
            PipelineTestData.Sorted(actual.Rows).Select(PipelineTestData.Describe));
    }

    [Fact]
    public async Task After_an_unexpected_failure_the_lanes_take_no_more_sources()
    {
        // Two lanes, eight sources. The first throws what is not an input error (a bug: the run fails); the second waits
        // until then, and a while longer, so that the loop has seen the failure before it would take the next source.
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = 0;
        var sources = new List<IFlowSource>
        {
            FlowSource.Create("bug", new InputCounters(), (_, _) =>
            {
                failed.SetResult();
                throw new InvalidOperationException("a bug");
            }),
            FlowSource.Create("waits", new InputCounters(), async (_, ct) =>
            {
                await failed.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
                await Task.Delay(200, ct); // the source's own timing: it is still busy when the failure is recorded
            }),
        };
        for (var i = 0; i < 6; i++)
        {
            var inner = PipelineTestData.Source($"later{i}", PipelineTestData.Records(20261129 + i, 10));
            sources.Add(FlowSource.Create(inner.Name, inner.Counters, async (sink, ct) =>
            {
                Interlocked.Increment(ref read);
                await inner.ReadAsync(sink, ct);
            }));
        }

        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { MaxDegreeOfParallelism = 2 }, new RowCollector());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.RunAsync(sources, TestContext.Current.CancellationToken));

        Assert.Equal("a bug", error.Message);
        Assert.Equal(0, Volatile.Read(ref read));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_source_that_throws_what_is_not_an_input_failure_stops_the_run_which_throws_it(bool windows)
    {
        // A source with a bug (or a live collector whose socket fails) beside a live source that reads until the run is
        // cancelled: the run stops, the rows of everything both read are still emitted, and RunAsync throws the exception.
        var liveRecords = PipelineTestData.Records(51, 30);
        var buggyRecords = PipelineTestData.Records(52, 20);
        var livePushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bug = new InvalidOperationException("a bug");
        var buggyCounters = new InputCounters();
        var buggy = FlowSource.Create("buggy", buggyCounters, async (sink, ct) =>
        {
            await livePushed.Task.WaitAsync(ct);
            PipelineTestData.Push(buggyRecords, sink, buggyCounters);
            throw bug;
        });
        var liveCounters = new InputCounters();
        var live = FlowSource.Create("udp://live", liveCounters, async (sink, ct) =>
        {
            PipelineTestData.Push(liveRecords, sink, liveCounters);
            livePushed.SetResult();
            await Task.Delay(Timeout.Infinite, ct); // live: silent until the run stops
        });
        var options = new DetectionPipelineOptions
        {
            MaxDegreeOfParallelism = 2,
            Aggregation = AggregatorOptions.Default with { Window = windows ? TimeSpan.FromMinutes(1) : null },
        };
        var output = new RowCollector();
        using var pipeline = new DetectionPipeline(options, output);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(
            () => pipeline.RunAsync([buggy, live], TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken));

        Assert.Same(bug, thrown);
        var counters = pipeline.GetCounters();
        Assert.Equal(50, counters.Input.Read);
        Assert.Equal(1, counters.SourcesFailed);
        Assert.Equal(1, counters.SourcesRead);
        Assert.True(counters.RecordsSelected > 0);
        Assert.Equal(counters.RecordsSelected, output.Rows.Sum(r => r.Count)); // what both read is in the rows
        Assert.Equal(counters.RowsEmitted, counters.RowsWritten);
    }

    [Fact]
    public async Task With_windows_sources_beyond_the_lanes_keep_aggregators_of_their_own_so_none_is_late()
    {
        // Five sources over the same 500 seconds, one-minute windows, no lateness allowed. Each is in time order, so none
        // of its records is late in an aggregator of its own; a shared aggregator would have seen later times first.
        var parts = Enumerable.Range(0, 5).Select(i => PipelineTestData.Records(20261128 + i, 500)).ToList();
        var options = new DetectionPipelineOptions
        {
            MaxDegreeOfParallelism = 2,
            Aggregation = AggregatorOptions.Default with { Window = TimeSpan.FromMinutes(1), AllowedLateness = TimeSpan.Zero },
        };
        var actual = new RowCollector();
        using var pipeline = new DetectionPipeline(options, actual);
        var result = await pipeline.RunAsync(parts.Select((p, i) => PipelineTestData.Source($"part{i}", p)), TestContext.Current.CancellationToken);

        Assert.Equal(0, result.Counters.LateRecords);
        Assert.Equal(result.Counters.RecordsSelected, actual.Rows.Sum(r => r.Count));
        Assert.True(actual.Rows.Select(r => r.WindowStartMicroseconds).Distinct().Count() > 5, "the fixture must span several windows");
    }

    [Fact]
    public async Task Two_large_sources_merged_on_two_threads_give_one_aggregators_rows_and_count_every_removal()
    {
        // Over a thousand groups in each source: the last merge and the completion build rows on two threads and hand
        // them to the allow-list and the output in batches.
        var random = new Random(20261127);
        List<TestRecord> Part(int count) => [.. Enumerable.Range(0, count).Select(i => new TestRecord([random.Next(3) switch { 0 => "http", 1 => "ssl", _ => "dns" }], 4000 + random.Next(40), Transport.Tcp)
        {
            TimestampMicroseconds = 1_700_000_000_000_000 + (i * 1_000L),
            Source = IPAddressValue.Parse(FormattableString.Invariant($"10.0.{random.Next(8)}.{1 + random.Next(250)}")),
            Destination = IPAddressValue.Parse(FormattableString.Invariant($"192.0.2.{1 + random.Next(4)}")),
        })];
        var parts = new[] { Part(6000), Part(6000) };
        var allowList = AllowListJson.Parse("""{ "allow": [ { "comment": "one subnet", "source": "10.0.3.0/24" } ] }"""u8);

        var (expected, single) = ReadInTurn(parts);

        var actual = new RowCollector();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { MaxDegreeOfParallelism = 2, AllowList = allowList }, actual);
        var result = await pipeline.RunAsync(parts.Select((p, i) => PipelineTestData.Source($"part{i}", p)), TestContext.Current.CancellationToken);

        var kept = expected.Rows.Where(r => allowList.IndexOfMatch(r) < 0).ToList();
        Assert.True(expected.Rows.Count > 2 * 1024, $"only {expected.Rows.Count} groups: the two-thread path is not taken");
        Assert.Equal(PipelineTestData.Sorted(kept).Select(PipelineTestData.Describe), PipelineTestData.Sorted(actual.Rows).Select(PipelineTestData.Describe));
        Assert.Equal(expected.Rows.Count, result.Counters.RowsEmitted);
        Assert.Equal(expected.Rows.Count - kept.Count, result.Counters.RowsFilteredByEntry[0]);
        Assert.True(result.Counters.RowsFilteredByEntry[0] > 0, "the allow-list entry matched nothing: the fixture does not test it");
        Assert.Equal(kept.Count, result.Counters.RowsWritten);
    }

    /// <summary>The reference: one aggregator reading every part in turn, completed.</summary>
    private static (RowCollector Rows, MismatchAggregator Aggregator) ReadInTurn(IEnumerable<List<TestRecord>> parts)
    {
        var rows = new RowCollector();
        var single = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), rows);
        foreach (var record in parts.SelectMany(p => p))
        {
            record.Use((in FlowRecord r) => single.Add(r));
        }

        single.Complete();
        return (rows, single);
    }

    [Fact]
    public async Task Allow_list_removals_are_counted_per_entry_and_rows_add_up()
    {
        var allowList = AllowListJson.Parse("""
            { "allow": [
              { "comment": "the DNS resolver on 5353", "app": "dns", "ports": [5353] },
              { "comment": "lab host", "source": "10.0.0.1/32" }
            ] }
            """u8);
        var output = new RowCollector();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { AllowList = allowList }, output);
        var result = await pipeline.RunAsync([PipelineTestData.Source("a", PipelineTestData.Records(7, 2000))], TestContext.Current.CancellationToken);

        var counters = result.Counters;
        Assert.True(counters.RowsFilteredByEntry[0] > 0, "no row matched the first entry: the fixture does not test it");
        Assert.True(counters.RowsFilteredByEntry[1] > 0, "no row matched the second entry: the fixture does not test it");
        Assert.Equal(counters.RowsEmitted, counters.RowsWritten + counters.RowsFilteredByEntry.Sum());
        Assert.Equal(counters.RowsWritten, output.Rows.Count);
        Assert.DoesNotContain(output.Rows, r => allowList.IndexOfMatch(r) >= 0);
    }

    [Fact]
    public async Task A_failing_source_is_reported_and_the_others_are_still_read()
    {
        var broken = FlowSource.Create("broken.log", new InputCounters(), (_, _) => throw new IOException("disk on fire"));
        var output = new RowCollector();
        using var pipeline = new DetectionPipeline(null, output);
        var result = await pipeline.RunAsync([broken, PipelineTestData.Source("good", PipelineTestData.Records(3, 300))], TestContext.Current.CancellationToken);

        var failure = Assert.Single(result.Failures);
        Assert.Equal("broken.log", failure.SourceName);
        Assert.IsType<IOException>(failure.Error);
        Assert.Equal(1, result.Counters.SourcesFailed);
        Assert.Equal(1, result.Counters.SourcesRead);
        Assert.Equal(300, result.Counters.Input.Read);
        Assert.NotEmpty(output.Rows);
    }

    [Fact]
    public async Task Cancelling_a_live_run_flushes_what_was_read()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var output = new RowCollector();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Aggregation = AggregatorOptions.Default with { Window = TimeSpan.FromMinutes(5) } }, output);
        var records = PipelineTestData.Records(11, 400);
        var run = pipeline.RunAsync([PipelineTestData.Source("udp://test", records, live: true)], cancel.Token);

        // The source keeps running: wait until every record is in, then stop it as Ctrl-C would.
        await Poll.UntilAsync(() => pipeline.GetCounters().Input.Read, read => read >= records.Count, $"records read of the live source's {records.Count}");

        await cancel.CancelAsync();
        var result = await run;

        Assert.True(result.Cancelled);
        Assert.Empty(result.Failures);
        Assert.Equal(result.Counters.RecordsSelected, output.Rows.Sum(r => (long)r.Count));
        Assert.True(output.Rows.Select(r => r.WindowStartMicroseconds).Distinct().Count() > 1, "400 s of records in 5-minute windows span several windows");
    }

    [Fact]
    public void Idle_close_needs_a_window()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionPipeline(new DetectionPipelineOptions { IdleWindowClose = TimeSpan.Zero }, new RowCollector()));

    [Fact]
    public async Task Only_one_run_at_a_time()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var pipeline = new DetectionPipeline(null, new RowCollector());
        var run = pipeline.RunAsync([PipelineTestData.Source("live", [], live: true)], cancel.Token);
        await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.RunAsync([], TestContext.Current.CancellationToken));
        await cancel.CancelAsync();
        await run;
        var again = await pipeline.RunAsync([PipelineTestData.Source("next", PipelineTestData.Records(1, 10))], TestContext.Current.CancellationToken);
        Assert.Equal(10, again.Counters.Input.Read);
        Assert.Equal(10, pipeline.GetCounters().Input.Read);
    }

    [Fact]
    public async Task The_meter_reports_the_counters_by_name_and_reason()
    {
        var allowList = AllowListJson.Parse("""{ "allow": [{ "comment": "lab host", "source": "10.0.0.1/32" }] }"""u8);
        using var meters = new TestMeterFactory();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { AllowList = allowList }, new RowCollector(), meters);
        var result = await pipeline.RunAsync(
            [PipelineTestData.Source("a", PipelineTestData.Records(5, 800), rejected: 3), PipelineTestData.Source("b", PipelineTestData.Records(6, 200))],
            TestContext.Current.CancellationToken);

        var seen = Observe(meters);
        var c = result.Counters;
        Assert.Equal(1003, seen["portmismatch.records.read"]);
        Assert.Equal(c.Input.Accepted, seen["portmismatch.records.accepted"]);
        Assert.Equal(3, seen["portmismatch.records.rejected[test-bad-line]"]);
        Assert.Equal(c.RecordsSelected, seen["portmismatch.records.selected"]);
        Assert.Equal(c.RowsEmitted, seen["portmismatch.rows.emitted"]);
        Assert.Equal(c.RowsWritten, seen["portmismatch.rows.written"]);
        Assert.Equal(c.RowsFilteredByEntry[0], seen["portmismatch.rows.filtered[0]"]);
        Assert.True(c.RowsFilteredByEntry[0] > 0);
        Assert.Equal(0, seen["portmismatch.sources.failed"]);
    }

    [Fact]
    public async Task Partial_rows_window_evictions_and_held_time_jumps_are_counted_on_the_meter_and_in_the_summary()
    {
        // One source with one-minute windows, two open at most, and records dated far ahead (each alone, well below the
        // one before, so none confirms another): each opens a window beside the present one, and the next one's window
        // evicts it, as partial rows. The pipeline's counters are the aggregator's.
        var records = PipelineTestData.Records(61, 600);
        for (var i = records.Count - 1; i > 0; i -= 100)
        {
            records.Insert(i, records[i] with { TimestampMicroseconds = 253_402_300_000_000_000L - (i * 86_400_000_000L) });
        }

        var aggregation = AggregatorOptions.Default with { Window = TimeSpan.FromMinutes(1), MaxOpenWindows = 2 };
        var expected = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), new RowCollector(), aggregation);
        foreach (var record in records)
        {
            record.Use((in FlowRecord r) => expected.Add(r));
        }

        expected.Complete();
        Assert.True(expected.EarlyEmissions > 0 && expected.WindowEvictions > 0 && expected.EventTimeJumpsHeld > 0, $"the fixture must reach every bound: {expected.EarlyEmissions} {expected.WindowEvictions} {expected.EventTimeJumpsHeld}");

        using var meters = new TestMeterFactory();
        var output = new RowCollector();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Aggregation = aggregation }, output, meters);
        var result = await pipeline.RunAsync([PipelineTestData.Source("a", records)], TestContext.Current.CancellationToken);

        var c = result.Counters;
        Assert.Equal(expected.EarlyEmissions, c.RowsPartial);
        Assert.Equal(output.Rows.Count(r => r.IsPartial), c.RowsPartial);
        Assert.Equal(expected.WindowEvictions, c.WindowEvictions);
        Assert.Equal(expected.EventTimeJumpsHeld, c.EventTimeJumpsHeld);
        Assert.Equal(6, c.EventTimeJumpsHeld); // the six records dated far ahead; not the first record
        var seen = Observe(meters);
        Assert.Equal(c.RowsPartial, seen["portmismatch.rows.partial"]);
        Assert.Equal(c.WindowEvictions, seen["portmismatch.windows.evicted"]);
        Assert.Equal(c.EventTimeJumpsHeld, seen["portmismatch.records.time_jumps_held"]);
        var summary = c.ToString();
        Assert.Contains(FormattableString.Invariant($"partial {c.RowsPartial};"), summary, StringComparison.Ordinal);
        Assert.Contains(FormattableString.Invariant($"time jumps held {c.EventTimeJumpsHeld}, windows evicted {c.WindowEvictions};"), summary, StringComparison.Ordinal);
        Assert.Equal(c.EventTimeJumpsHeld, pipeline.GetCounters().EventTimeJumpsHeld); // kept in the totals after the run
    }

    /// <summary>The measurements of the pipeline meters <paramref name="meters"/> made, summed by instrument and tag.</summary>
    private static Dictionary<string, long> Observe(TestMeterFactory meters)
    {
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Other pipelines in parallel tests publish instruments of the same name: listen to this one's meter only.
            if (instrument.Meter.Name == DetectionPipeline.MeterName && meters.Created.Contains(instrument.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                if (tag.Key is "reason" or "allow_list_entry")
                {
                    key += $"[{tag.Value}]";
                }
            }

            seen[key] = seen.GetValueOrDefault(key) + value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        public List<Meter> Created { get; } = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            Created.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in Created)
            {
                meter.Dispose();
            }
        }
    }
}
