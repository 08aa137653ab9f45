namespace PortMismatch.Detection.Tests.Pipeline;

/// <summary>
/// <see cref="DetectionPipelineOptions.CombineRows"/>: the output receives final rows, each key once and sorted, equal to
/// summing by hand what the pipeline emits without the option; and each run frees its aggregators' native memory.
/// </summary>
public sealed class CombineRowsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Final_rows_are_the_emitted_rows_summed_by_key_and_sorted(bool windows)
    {
        // Several sources (the rows of one window from each), a group bound small enough for partial rows, an allow-list.
        var parts = Enumerable.Range(0, 5).Select(i => PipelineTestData.Records(20261203 + i, 600)).ToList();
        var allowList = AllowListJson.Parse("""{ "allow": [ { "comment": "one host", "source": "10.0.0.4/32" } ] }"""u8);
        var options = new DetectionPipelineOptions
        {
            MaxDegreeOfParallelism = 2,
            AllowList = allowList,
            Aggregation = AggregatorOptions.Default with { MaxGroups = 8, Window = windows ? TimeSpan.FromMinutes(2) : null },
        };

        var emitted = new RowCollector();
        DetectionResult plain;
        using (var pipeline = new DetectionPipeline(options, emitted))
        {
            plain = await pipeline.RunAsync(parts.Select((p, i) => PipelineTestData.Source($"part{i}", p)), TestContext.Current.CancellationToken);
        }

        var final = new RowCollector();
        DetectionResult combined;
        using (var pipeline = new DetectionPipeline(options with { CombineRows = true }, final))
        {
            combined = await pipeline.RunAsync(parts.Select((p, i) => PipelineTestData.Source($"part{i}", p)), TestContext.Current.CancellationToken);
        }

        var expected = SumByKey(emitted.Rows, options.Rules);
        Assert.True(emitted.Rows.Count > expected.Count, "the test needs rows to combine");
        Assert.Contains(emitted.Rows, row => row.IsPartial);
        Assert.Equal(expected, final.Rows.Select(Describe));
        Assert.Equal(PipelineTestData.Sorted(final.Rows), final.Rows); // already in order
        Assert.Equal(final.Rows.Count, final.Rows.Select(r => (r.WindowStartMicroseconds, r.SourceAddress, r.DestinationAddress, r.App, r.DestinationPort)).Distinct().Count());

        var counters = combined.Counters;
        Assert.Equal(plain.Counters.RecordsSelected, counters.RecordsSelected);
        // The allow-list sees the rows before they are summed (how many partial rows a run emits depends on which lane
        // reads which source, so the counts of two runs may differ; the final rows do not).
        Assert.True(counters.RowsFilteredByEntry[0] > 0);
        Assert.DoesNotContain(final.Rows, row => row.SourceAddress.Equals(IPAddressValue.Parse("10.0.0.4")));
        Assert.Equal(final.Rows.Count, counters.RowsWritten);
        Assert.True(counters.RowsCombined > 0);
        Assert.Equal(counters.RowsEmitted, counters.RowsWritten + counters.RowsCombined + counters.RowsFilteredByEntry.Sum());
        Assert.Equal(0, plain.Counters.RowsCombined);
        Assert.Equal(emitted.Rows.Sum(r => r.Count), final.Rows.Sum(r => r.Count)); // every record of the kept rows, once
    }

    [Fact]
    public async Task Summed_rows_keep_the_earliest_first_and_latest_last_time_every_transport_and_the_first_rule()
    {
        // The same key from two sources: different transports, times and (through the port) the same rule.
        var source = IPAddressValue.Parse("10.9.9.9");
        var destination = IPAddressValue.Parse("192.0.2.9");
        TestRecord Record(long seconds, Transport transport) => new(["dns"], 8053, transport)
        {
            TimestampMicroseconds = 1_700_000_000_000_000 + (seconds * 1_000_000),
            Source = source,
            Destination = destination,
        };

        var output = new RowCollector();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { MaxDegreeOfParallelism = 2, CombineRows = true }, output);
        var result = await pipeline.RunAsync(
            [PipelineTestData.Source("a", [Record(5, Transport.Udp), Record(9, Transport.Udp)]), PipelineTestData.Source("b", [Record(2, Transport.Tcp), Record(7, Transport.Tcp)])],
            TestContext.Current.CancellationToken);

        var row = Assert.Single(output.Rows);
        Assert.Equal(4, row.Count);
        Assert.Equal(1_700_000_002_000_000, row.FirstTimeMicroseconds);
        Assert.Equal(1_700_000_009_000_000, row.LastTimeMicroseconds);
        Assert.Equal([Transport.Tcp, Transport.Udp], row.Transports);
        Assert.NotNull(row.Rule);
        Assert.Equal(1, result.Counters.RowsWritten);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_run_frees_the_native_memory_of_its_aggregators_when_it_ends(bool combine)
    {
        var parts = Enumerable.Range(0, 2).Select(i => PipelineTestData.Records(20261204 + i, 2_000)).ToList();
        DetectionPipeline? pipeline = null;
        List<MismatchAggregator>? running = null;
        long bytesWhileRunning = 0;
        var output = new CallbackSink(_ =>
        {
            if (running is null && !combine)
            {
                running = [.. pipeline!.RunningAggregators()];
                bytesWhileRunning = running.Sum(a => a.NativeBytes);
            }
        });

        using (pipeline = new DetectionPipeline(new DetectionPipelineOptions { MaxDegreeOfParallelism = 2, CombineRows = combine }, output))
        {
            var sources = parts.Select((p, i) => PipelineTestData.Source($"part{i}", p, live: false)).ToList();
            if (combine)
            {
                // The rows wait for the end: look at the aggregators while the sources are still read.
                sources.Add(FlowSource.Create("probe", new InputCounters(), (sink, ct) =>
                {
                    PipelineTestData.Push(parts[0], sink, new InputCounters());
                    running = [.. pipeline!.RunningAggregators()];
                    bytesWhileRunning = running.Sum(a => a.NativeBytes);
                    return Task.CompletedTask;
                }));
            }

            _ = await pipeline.RunAsync(sources, TestContext.Current.CancellationToken);
        }

        Assert.NotNull(running);
        Assert.True(bytesWhileRunning > 0, $"{bytesWhileRunning} bytes while running");
        Assert.All(running, aggregator => Assert.Equal(0, aggregator.NativeBytes));
        Assert.Empty(pipeline.RunningAggregators());
    }

    /// <summary>The rows summed by (window, src_ip, dest_ip, app, dest_port) with LINQ, described in comparer order.</summary>
    private static List<string> SumByKey(List<MismatchRow> rows, RuleSet rules)
        => PipelineTestData.Sorted(rows
            .GroupBy(r => (r.WindowStartMicroseconds, r.SourceAddress, r.DestinationAddress, r.App, r.DestinationPort))
            .Select(g => new MismatchRow(
                g.Key.SourceAddress,
                g.Key.DestinationAddress,
                g.Key.App,
                g.Key.DestinationPort,
                g.Sum(r => r.Count),
                g.Min(r => r.FirstTimeMicroseconds),
                g.Max(r => r.LastTimeMicroseconds),
                g.Select(r => r.Rule).Where(r => r is not null).OrderBy(r => rules.Rules.IndexOf(r!)).FirstOrDefault(),
                [.. g.SelectMany(r => r.Transports).Distinct().Order()])
            {
                WindowStartMicroseconds = g.Key.WindowStartMicroseconds,
                WindowEndMicroseconds = g.First().WindowEndMicroseconds,
            }))
            .Select(Describe)
            .ToList();

    private static string Describe(MismatchRow row)
        => $"{PipelineTestData.Describe(row)} {string.Join('+', row.Transports)} {row.WindowEndMicroseconds}";

    private sealed class CallbackSink(Action<MismatchRow> onRow) : IMismatchRowSink
    {
        public void OnRow(MismatchRow row) => onRow(row);
    }
}
