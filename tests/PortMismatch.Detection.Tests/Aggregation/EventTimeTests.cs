using static PortMismatch.Detection.Tests.Aggregation.AggregationGenerators;

namespace PortMismatch.Detection.Tests.Aggregation;

/// <summary>
/// Event time with records whose clocks are wrong: one record far in the future (or the past) must not change the other
/// records' rows; late records are counted together; open windows are bounded, and outlier windows go first.
/// </summary>
public sealed class EventTimeTests
{
    private const long Second = 1_000_000;
    private const long Minute = 60 * Second;
    private const long Start = 1_699_999_980_000_000; // 2023-11-14T22:13:00Z, a whole minute
    private const long Year9999 = 253_402_300_000 * Second;

    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    private static readonly AggregatorOptions Windowed = AggregatorOptions.Default with
    {
        Window = TimeSpan.FromMinutes(1),
        AllowedLateness = TimeSpan.FromSeconds(30),
    };

    /// <summary>
    /// An hour of records, a few a second, out of order by up to 40 s (so some are late, beyond the 30 s lateness), on
    /// twelve keys; a quarter are not mismatches (they move event time but make no row).
    /// </summary>
    private static List<TestRecord> Traffic(int seed, int count = 6_000, long from = Start)
    {
        var random = TestSeed.Random(seed);
        var records = new List<TestRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var time = from + (i * 600_000L) - (random.Next(10) == 0 ? random.Next(40) * Second : 0);
            records.Add(Mismatch(time, random.Next(12), random.Next(4) == 0 ? "tls" : "ssl"));
        }

        return records;
    }

    private static TestRecord Mismatch(long time, int key, string app = "ssl") => new([app], 4000 + (key % 4), Transport.Tcp)
    {
        TimestampMicroseconds = time,
        Source = IPAddressValue.FromIPv4(0x0A000000u + (uint)(key / 4)),
        Destination = IPAddressValue.Parse("192.0.2.1"),
    };

    private static string Describe(MismatchRow row) => FormattableString.Invariant(
        $"{row.WindowStartMicroseconds} {row.SourceAddress} {row.DestinationPort} {row.App} {row.Count} {row.FirstTimeMicroseconds} {row.LastTimeMicroseconds} late={row.IsLate} partial={row.IsPartial}");

    [Theory]
    [InlineData(0, "ssl")]     // the very first record, a mismatch
    [InlineData(0, "tls")]     // the very first record, not a mismatch: it only carries a time
    [InlineData(1_000, "ssl")]
    [InlineData(1_000, "tls")]
    [InlineData(5_999, "ssl")] // the last
    public void One_far_future_record_changes_no_other_row(int at, string app)
    {
        var traffic = Traffic(20261203);
        var (expected, plain) = Aggregate(traffic, Windowed);
        Assert.True(plain.LateRecords > 0, "the fixture must have late records of its own");

        var withOutlier = new List<TestRecord>(traffic);
        withOutlier.Insert(at, Mismatch(Year9999, 99, app));
        var (actual, aggregator) = Aggregate(withOutlier, Windowed);

        // The outlier's own row, if it is a mismatch, is the only difference; every other row is the same, in the same order.
        var outlierRows = actual.Where(r => r.FirstTimeMicroseconds == Year9999).ToList();
        Assert.Equal(app == "ssl" ? 1 : 0, outlierRows.Count);
        Assert.Equal(expected.Select(Describe), actual.Except(outlierRows).Select(Describe));
        Assert.Equal(plain.LateRecords, aggregator.LateRecords);
        Assert.True(aggregator.Watermark < Year9999);
    }

    [Fact]
    public void Far_future_records_spread_through_the_input_change_no_other_row_either()
    {
        // One every 500 records, each alone: a later one is more than a window plus the lateness below it, not its confirmation.
        var traffic = Traffic(20261204);
        var (expected, _) = Aggregate(traffic, Windowed);
        var withOutliers = new List<TestRecord>(traffic);
        for (var i = withOutliers.Count - 1; i > 0; i -= 500)
        {
            withOutliers.Insert(i, Mismatch(Year9999 - (i * Second), 99, "tls"));
        }

        var (actual, aggregator) = Aggregate(withOutliers, Windowed);
        Assert.Equal(expected.Select(Describe), actual.Select(Describe));
        Assert.Equal(12, aggregator.EventTimeJumpsHeld); // the twelve outliers; the first record (no event time yet) is not a jump
    }

    [Fact]
    public void A_real_jump_moves_event_time_once_the_next_record_confirms_it_whatever_outlier_waits()
    {
        // Traffic, a far-future record, then traffic again after a five-hour gap (more than a window plus the lateness).
        var before = Traffic(20261205, count: 600);
        var after = Traffic(20261206, count: 600, from: Start + (5 * 60 * Minute));
        var (expected, plain) = Aggregate(before.Concat(after), Windowed);

        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink, Windowed);
        foreach (var record in before.Append(Mismatch(Year9999, 99, "tls")).Append(after[0]))
        {
            record.Use((in FlowRecord r) => aggregator.Add(r));
        }

        // The first record after the gap waits: the outlier is not its confirmation, and it does not displace it.
        var lastBefore = before.Max(r => r.TimestampMicroseconds);
        Assert.Equal(lastBefore, aggregator.Watermark);
        after[1].Use((in FlowRecord r) => aggregator.Add(r));
        Assert.Equal(Math.Max(after[0].TimestampMicroseconds, after[1].TimestampMicroseconds), aggregator.Watermark);
        Assert.DoesNotContain(sink.Rows, r => r.WindowStartMicroseconds >= Start + (5 * 60 * Minute));
        Assert.Contains(sink.Rows, r => r.WindowStartMicroseconds == FloorToMinute(lastBefore)); // the gap closed the last window

        foreach (var record in after.Skip(2))
        {
            record.Use((in FlowRecord r) => aggregator.Add(r));
        }

        aggregator.Complete();
        Assert.Equal(expected.Select(Describe), sink.Rows.Select(Describe));
        Assert.Equal(plain.LateRecords, aggregator.LateRecords);
    }

    [Fact]
    public void Sparse_records_still_move_event_time_one_record_behind()
    {
        // A record every ten minutes with one-minute windows: each jumps, and each confirms the one before.
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink, Windowed);
        for (var i = 0; i < 20; i++)
        {
            Mismatch(Start + (i * 10 * Minute), i % 3).Use((in FlowRecord r) => aggregator.Add(r));
            Assert.Equal(i == 0 ? long.MinValue : Start + ((i - 1) * 10 * Minute), aggregator.Watermark);
        }

        Assert.Equal(18, sink.Rows.Count); // the windows of all but the last two records are closed
        Assert.Equal(19, aggregator.EventTimeJumpsHeld); // each record but the first, which has no event time to jump from
        aggregator.Complete();
        Assert.Equal(20, sink.Rows.Count);
        Assert.All(sink.Rows, r => Assert.False(r.IsLate || r.IsPartial));
    }

    /// <summary>Records 40 s apart from <see cref="Start"/> to 2 min: event time reaches Start + 2 min, and the first window is closed.</summary>
    private static MismatchAggregator PastTheFirstWindow(ListSink sink, AggregatorOptions options)
    {
        var aggregator = new MismatchAggregator(Evaluator, sink, options);
        for (var k = 0; k <= 3; k++)
        {
            Mismatch(Start + (k * 40 * Second), 1).Use((in FlowRecord r) => aggregator.Add(r));
        }

        Assert.Equal(Start + (2 * Minute), aggregator.Watermark);
        Assert.Equal(2L, Assert.Single(sink.Rows).Count);
        return aggregator;
    }

    [Fact]
    public void Late_records_of_a_window_make_one_late_row_per_key_not_one_row_each()
    {
        var sink = new ListSink();
        var aggregator = PastTheFirstWindow(sink, Windowed);

        // 1,000 records for the closed window, on two keys.
        for (var i = 0; i < 1_000; i++)
        {
            Mismatch(Start + (i * 1_000), i % 2).Use((in FlowRecord r) => aggregator.Add(r));
        }

        Assert.Equal(1_000, aggregator.LateRecords);
        Assert.Single(sink.Rows); // held, aggregated, until the next window closes
        Assert.Equal(2 + 2, aggregator.GroupCount); // the two open windows' groups and the two late ones

        Mismatch(Start + (210 * Second), 1).Use((in FlowRecord r) => aggregator.Add(r)); // closes two windows, and the late table
        var late = sink.Rows.Where(r => r.IsLate).OrderBy(r => r.DestinationPort).ToList();
        Assert.Equal([(4000, 500L, Start, Start + 998_000), (4001, 500L, Start + 1_000, Start + 999_000)], late.Select(r => (r.DestinationPort, r.Count, r.FirstTimeMicroseconds, r.LastTimeMicroseconds)));
        Assert.All(late, r => Assert.Equal(Start, r.WindowStartMicroseconds));
        Assert.All(late, r => Assert.False(r.IsPartial));

        aggregator.Complete();
        Assert.Equal(1_005, aggregator.ValuesCounted);
        Assert.Equal(aggregator.ValuesCounted, sink.Rows.Sum(r => r.Count));
    }

    [Fact]
    public void Late_rows_held_are_bounded_by_MaxGroups_and_add_up()
    {
        var sink = new ListSink();
        var aggregator = PastTheFirstWindow(sink, Windowed with { MaxGroups = 50 });
        var maxGroups = 0;
        for (var i = 0; i < 10_000; i++)
        {
            Mismatch(Start + (i % 60 * Second), i / 25).Use((in FlowRecord r) => aggregator.Add(r)); // 400 keys, 25 records each
            maxGroups = Math.Max(maxGroups, aggregator.GroupCount);
        }

        Assert.InRange(maxGroups, 1, 50);
        aggregator.Complete();
        Assert.Equal(10_004, sink.Rows.Sum(r => r.Count));
        Assert.Equal(10_000, sink.Rows.Where(r => r.IsLate).Sum(r => r.Count));
        Assert.Equal(aggregator.EarlyEmissions, sink.Rows.Count(r => r.IsPartial));
        Assert.InRange(sink.Rows.Count(r => r.IsLate), 400, 500); // a row or two per key, not one per record
    }

    [Fact]
    public void At_the_window_bound_the_windows_farthest_from_event_time_go_first()
    {
        // Four open windows at most; the present needs two (the current one, and the last until its lateness passes or a
        // late table for it). Records dated far ahead (each alone: well below the one before, so none confirms another)
        // and far behind (late: each reopens a window of 1971) try to take the others.
        var options = Windowed with { MaxOpenWindows = 4 };
        var traffic = Traffic(20261207, count: 2_000);
        var (expected, _) = Aggregate(traffic, options);
        Assert.DoesNotContain(expected, r => r.IsPartial);

        var mixed = new List<TestRecord>();
        for (var i = 0; i < traffic.Count; i++)
        {
            mixed.Add(traffic[i]);
            if (i % 10 == 5)
            {
                mixed.Add(Mismatch(i % 20 == 5 ? Year9999 - (i * 24 * 60 * Minute) : 31_536_000 * Second + (i * Minute), 99));
            }
        }

        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink, options);
        var maxOpen = 0;
        foreach (var record in mixed)
        {
            record.Use((in FlowRecord r) => aggregator.Add(r));
            maxOpen = Math.Max(maxOpen, aggregator.OpenWindowCount);
        }

        aggregator.Complete();
        Assert.Equal(4, maxOpen);
        Assert.True(aggregator.WindowEvictions > 0);
        var outliers = sink.Rows.Where(r => r.DestinationPort == 4003 && r.SourceAddress == IPAddressValue.FromIPv4(0x0A000018)).ToList();
        Assert.Equal(mixed.Count - traffic.Count, outliers.Sum(r => r.Count));
        Assert.Equal(expected.Select(Describe), sink.Rows.Except(outliers).Select(Describe)); // the present's rows: untouched
        Assert.Equal(aggregator.EarlyEmissions, sink.Rows.Count(r => r.IsPartial));
    }

    [Fact]
    public void A_record_for_a_window_farther_than_every_open_one_is_a_partial_row_of_its_own()
    {
        var options = Windowed with { MaxOpenWindows = 1 };
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink, options);
        Mismatch(Start, 0).Use((in FlowRecord r) => aggregator.Add(r));
        Mismatch(Start + Second, 0).Use((in FlowRecord r) => aggregator.Add(r));
        Mismatch(Start - (50 * Second), 2).Use((in FlowRecord r) => aggregator.Add(r)); // the window before: not late, farther
        Assert.Equal(1, aggregator.OpenWindowCount);
        var own = Assert.Single(sink.Rows);
        Assert.True(own.IsPartial);
        Assert.False(own.IsLate);
        Assert.Equal((1L, Start - Minute), (own.Count, own.WindowStartMicroseconds!.Value));
        Assert.Equal(1, aggregator.EarlyEmissions);

        Mismatch(Start + (80 * Second), 3).Use((in FlowRecord r) => aggregator.Add(r)); // the next window is nearer: the first goes
        Assert.Equal(1, aggregator.WindowEvictions);
        Assert.Equal([(1L, true), (2L, true)], sink.Rows.Select(r => (r.Count, r.IsPartial)).Order());

        aggregator.Complete();
        Assert.Equal(4, sink.Rows.Sum(r => r.Count));
        Assert.Equal(aggregator.EarlyEmissions, sink.Rows.Count(r => r.IsPartial));
    }

    [Fact]
    public void Merging_aggregators_with_late_tables_and_outliers_keeps_every_count()
    {
        var options = Windowed with { MaxOpenWindows = 3, MaxGroups = 20 };
        var sink = new ListSink();
        var a = new MismatchAggregator(Evaluator, sink, options);
        var b = new MismatchAggregator(Evaluator, sink, options);
        var records = Traffic(20261208, count: 3_000);
        for (var i = 0; i < records.Count; i++)
        {
            var into = i % 3 == 0 ? a : b;
            records[i].Use((in FlowRecord r) => into.Add(r));
            if (i % 100 == 0)
            {
                Mismatch(Year9999 - (i * Minute), 99).Use((in FlowRecord r) => into.Add(r));
            }
        }

        a.Merge(b);
        a.Complete();
        Assert.Equal(a.ValuesCounted, sink.Rows.Sum(r => r.Count));
        Assert.Equal(0, b.GroupCount);
        Assert.Equal(0, b.OpenWindowCount);
    }

    private static long FloorToMinute(long time) => time - (time % Minute);
}
