using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static PortMismatch.Detection.Tests.Aggregation.AggregationGenerators;

namespace PortMismatch.Detection.Tests.Aggregation;

/// <summary>DETECTION.md sections 4 and 6.3: the aggregator against a LINQ GroupBy over the oracle's selection.</summary>
public sealed class AggregatorProperties
{
    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    [Property(MaxTest = 1_000, Replay = Generators.Replay, Arbitrary = [typeof(AggregationGenerators)])]
    public Property Rows_equal_the_naive_reference_in_both_grouping_modes(TestRecord[] records)
    {
        var results = new List<Property>();
        foreach (var grouping in new[] { AppGrouping.MismatchingValues, AppGrouping.AllValues })
        {
            var (rows, _) = Aggregate(records, AggregatorOptions.Default with { Grouping = grouping });
            var expected = Reference(records, grouping);
            var actual = Totals(rows);
            var oneRowPerKey = rows.Count == actual.Count && rows.All(r => !r.IsPartial && !r.IsLate);
            results.Add((actual.SameAs(expected) && oneRowPerKey).Label($"{grouping}: {Describe(actual, expected)}"));
        }

        return results[0].And(results[1]);
    }

    [Property(MaxTest = 500, Replay = Generators.Replay, Arbitrary = [typeof(AggregationGenerators)])]
    public Property Rows_name_a_rule_only_for_values_that_break_it(TestRecord[] records)
    {
        var (rows, _) = Aggregate(records, AggregatorOptions.Default with { Grouping = AppGrouping.AllValues });
        return rows.All(row => row.Rule is null
                ? !Evaluator.TryMatch(System.Text.Encoding.UTF8.GetBytes(row.App), row.DestinationPort, Transport.Unknown, out _)
                : row.Rule.Apps.Any(a => DetectionRule.AsciiEqualsIgnoreCase(a, row.App)) && !row.Rule.ExpectedPorts.Contains(row.DestinationPort))
            .ToProperty();
    }

    public static Arbitrary<(TestRecord[], TestRecord[], TestRecord[])> Triples()
    {
        var batch = Gen.ArrayOf(Record());
        return Arb.From(from a in batch from b in batch from c in batch select (a, b, c));
    }

    [Property(MaxTest = 300, Replay = Generators.Replay, Arbitrary = [typeof(AggregatorProperties)])]
    public Property Merge_is_commutative_associative_and_equals_one_aggregate((TestRecord[] A, TestRecord[] B, TestRecord[] C) batches)
    {
        Dictionary<RowKey, RowStats> Merged(params TestRecord[][] order)
        {
            var sink = new ListSink();
            var target = new MismatchAggregator(Evaluator, sink);
            foreach (var batch in order)
            {
                var part = new MismatchAggregator(Evaluator, sink);
                foreach (var record in batch)
                {
                    record.Use((in FlowRecord r) => part.Add(r));
                }

                target.Merge(part);
                Assert.Equal(0, part.GroupCount);
            }

            target.Complete();
            return Totals(sink.Rows);
        }

        Dictionary<RowKey, RowStats> MergedTree()
        {
            // (A + B) + C built as A + (B + C).
            var sink = new ListSink();
            var a = new MismatchAggregator(Evaluator, sink);
            var bc = new MismatchAggregator(Evaluator, sink);
            var c = new MismatchAggregator(Evaluator, sink);
            foreach (var record in batches.A)
            {
                record.Use((in FlowRecord r) => a.Add(r));
            }

            foreach (var record in batches.B)
            {
                record.Use((in FlowRecord r) => bc.Add(r));
            }

            foreach (var record in batches.C)
            {
                record.Use((in FlowRecord r) => c.Add(r));
            }

            bc.Merge(c);
            a.Merge(bc);
            a.Complete();
            return Totals(sink.Rows);
        }

        var all = Totals(Aggregate(batches.A.Concat(batches.B).Concat(batches.C), AggregatorOptions.Default).Rows);
        var abc = Merged(batches.A, batches.B, batches.C);
        var cba = Merged(batches.C, batches.B, batches.A);
        var bac = Merged(batches.B, batches.A, batches.C);
        var tree = MergedTree();
        return (abc.SameAs(all) && cba.SameAs(all) && bac.SameAs(all) && tree.SameAs(all)).Label(Describe(abc, all));
    }

    public static Arbitrary<(TestRecord[], int, uint)> BoundedBatches() => Arb.From(
        from records in Gen.ArrayOf(Record())
        from bound in Gen.Choose(1, 8)
        from maxCount in Gen.Elements(1u, 2u, 3u, uint.MaxValue)
        select (records, bound, maxCount));

    [Property(MaxTest = 500, Replay = Generators.Replay, Arbitrary = [typeof(AggregatorProperties)])]
    public Property With_small_bounds_no_count_is_lost((TestRecord[] Records, int Bound, uint MaxCount) input)
    {
        var (rows, aggregator) = Aggregate(input.Records, AggregatorOptions.Default with { MaxGroups = input.Bound, MaxAppValues = 3, MaxCountPerGroup = input.MaxCount });
        var expected = Reference(input.Records, AppGrouping.MismatchingValues);
        var pairs = expected.Values.Sum(s => s.Count);
        return (rows.Sum(r => r.Count) == pairs
                && aggregator.ValuesCounted == pairs
                && Totals(rows).SameAs(expected)
                && aggregator.EarlyEmissions == rows.Count(r => r.IsPartial)
                && rows.All(r => r.Count <= input.MaxCount))
            .Label($"bound {input.Bound}: rows sum {rows.Sum(r => r.Count)}, pairs {pairs}, early {aggregator.EarlyEmissions}");
    }

    [Property(MaxTest = 3_000, Replay = Generators.Replay, Arbitrary = [typeof(AggregatorProperties)])]
    public Property Merging_into_a_full_app_table_loses_no_count((TestRecord[] Records, int Bound, uint MaxCount) input)
    {
        // Two apps at most: merging the other's groups flushes this app table (and renumbers its apps) part way through.
        var options = AggregatorOptions.Default with { MaxGroups = input.Bound, MaxAppValues = 2 };
        var sink = new ListSink();
        var target = new MismatchAggregator(Evaluator, sink, options);
        var other = new MismatchAggregator(Evaluator, sink, options);
        for (var i = 0; i < input.Records.Length; i++)
        {
            var into = i % 2 == 0 ? target : other;
            input.Records[i].Use((in FlowRecord r) => into.Add(r));
        }

        target.Merge(other);
        target.Complete();
        var expected = Reference(input.Records, AppGrouping.MismatchingValues);
        var pairs = expected.Values.Sum(s => s.Count);
        return (sink.Rows.Sum(r => r.Count) == pairs && Totals(sink.Rows).SameAs(expected))
            .Label($"bound {input.Bound}: rows sum {sink.Rows.Sum(r => r.Count)}, pairs {pairs}");
    }

    public static Arbitrary<(TestRecord[], AggregatorOptions)> MergeInputs() => Arb.From(
        from records in Gen.ArrayOf(Record())
        from groups in Gen.Elements(1, 8, 100_000, 100_000)
        from maxCount in Gen.Elements(2u, uint.MaxValue, uint.MaxValue)
        from apps in Gen.Elements(2, 65_536, 65_536)
        from grouping in Gen.Elements(AppGrouping.MismatchingValues, AppGrouping.AllValues)
        from minutes in Gen.Elements(0, 0, 0, 30)
        select (records, AggregatorOptions.Default with
        {
            MaxGroups = groups,
            MaxCountPerGroup = maxCount,
            MaxAppValues = apps,
            Grouping = grouping,
            Window = minutes == 0 ? null : TimeSpan.FromMinutes(minutes),
        }));

    [Property(MaxTest = 2_000, Replay = Generators.Replay, Arbitrary = [typeof(AggregatorProperties)])]
    public Property Merging_and_completing_on_two_threads_equals_merge_then_complete((TestRecord[] Records, AggregatorOptions Options) input)
    {
        // The same records split between two aggregators, twice: one pair merged and completed in turn, the other through
        // the two-thread path (from any size), which must emit the same rows in the same order and leave the same counters.
        (List<string> Rows, string Counters) Run(Action<MismatchAggregator, MismatchAggregator> finish)
        {
            var sink = new ListSink();
            var target = new MismatchAggregator(Evaluator, sink, input.Options);
            var other = new MismatchAggregator(Evaluator, sink, input.Options);
            for (var i = 0; i < input.Records.Length; i++)
            {
                var into = i % 3 == 0 ? target : other;
                input.Records[i].Use((in FlowRecord r) => into.Add(r));
            }

            finish(target, other);
            var rows = sink.Rows.Select(r => FormattableString.Invariant(
                $"{r.SourceAddress} {r.DestinationAddress} {r.App} {r.DestinationPort} {r.Count} {r.FirstTimeMicroseconds} {r.LastTimeMicroseconds} {r.Rule?.Name} {string.Join('+', r.Transports)} {r.IsPartial} {r.WindowStartMicroseconds}")).ToList();
            return (rows, FormattableString.Invariant(
                $"{target.RecordsAdded} {target.RecordsSelected} {target.ValuesCounted} {target.RowsEmitted} {target.EarlyEmissions} {target.AppTableFlushes} {target.LateRecords} {target.GroupCount} {target.Watermark} | {other.RecordsAdded} {other.RowsEmitted} {other.GroupCount}"));
        }

        var serial = Run((target, other) =>
        {
            target.Merge(other);
            target.Complete();
        });
        var parallel = Run((target, other) => target.MergeAndComplete(other, parallelFrom: 0));
        return (serial.Rows.SequenceEqual(parallel.Rows) && serial.Counters == parallel.Counters)
            .Label($"serial {serial.Rows.Count} rows [{serial.Counters}], two threads {parallel.Rows.Count} rows [{parallel.Counters}]");
    }

    public static Arbitrary<(TestRecord[], int, int)> WindowedBatches() => Arb.From(
        from records in Gen.ArrayOf(Record())
        from minutes in Gen.Elements(1, 5, 15, 60, 1440)
        from lateness in Gen.Elements(0, 60, 3600)
        select (records, minutes, lateness));

    [Property(MaxTest = 500, Replay = Generators.Replay, Arbitrary = [typeof(AggregatorProperties)])]
    public Property Windows_partition_the_counts((TestRecord[] Records, int Minutes, int LatenessSeconds) input)
    {
        var window = TimeSpan.FromMinutes(input.Minutes);
        var (rows, aggregator) = Aggregate(input.Records, AggregatorOptions.Default with
        {
            Window = window,
            AllowedLateness = TimeSpan.FromSeconds(input.LatenessSeconds),
        });
        var size = window.Ticks / 10;
        var inWindow = rows.All(r => r.WindowStartMicroseconds is { } s && s % size == 0 && r.WindowEndMicroseconds == s + size
                                     && r.FirstTimeMicroseconds >= s && r.LastTimeMicroseconds < s + size);
        var expectedPerWindow = input.Records
            .GroupBy(r => r.TimestampMicroseconds / size * size)
            .SelectMany(g => Reference(g, AppGrouping.MismatchingValues).Select(p => (Window: g.Key, p.Key, p.Value)))
            .ToDictionary(x => (x.Window, x.Key), x => x.Value);
        var actualPerWindow = rows
            .GroupBy(r => (r.WindowStartMicroseconds!.Value, new RowKey(Format(r.SourceAddress), Format(r.DestinationAddress), r.App, r.DestinationPort)))
            .ToDictionary(g => g.Key, g => new RowStats(g.Sum(r => r.Count), g.Min(r => r.FirstTimeMicroseconds), g.Max(r => r.LastTimeMicroseconds)));
        var same = actualPerWindow.Count == expectedPerWindow.Count && actualPerWindow.All(p => expectedPerWindow.TryGetValue(p.Key, out var e) && e == p.Value);
        var lateRows = rows.Count(r => r.IsLate);
        return (inWindow && same && (aggregator.LateRecords == 0) == (lateRows == 0))
            .Label($"window {input.Minutes} min, lateness {input.LatenessSeconds} s: in window {inWindow}, same {same}, late rows {lateRows}");
    }

    public static Arbitrary<(TestRecord[], TestRecord[], int, int, int, int)> BoundedWindowedBatches() => Arb.From(
        from records in Gen.ArrayOf(Record())
        from outliers in Gen.ArrayOf(from record in Record()
                                     from far in Gen.Choose(0, 2)
                                     from offset in Gen.Choose(0, 1_000_000)
                                     select record with
                                     {
                                         TimestampMicroseconds = far switch
                                         {
                                             0 => 253_402_300_000_000_000L - (offset * 60_000_000L), // the year 9999
                                             1 => 31_536_000_000_000L + (offset * 1_000_000L),        // 1971: late
                                             _ => record.TimestampMicroseconds + (offset * 60_000_000L), // up to two years ahead
                                         },
                                     })
        from minutes in Gen.Elements(1, 5, 60)
        from lateness in Gen.Elements(0, 60, 3600)
        from windows in Gen.Choose(1, 4)
        from groups in Gen.Elements(1, 3, 8, 100_000)
        select (records, outliers, minutes, lateness, windows, groups));

    [Property(MaxTest = 1_000, Replay = Generators.Replay, Arbitrary = [typeof(AggregatorProperties)])]
    public Property With_outliers_and_small_window_and_group_bounds_no_count_is_lost(
        (TestRecord[] Records, TestRecord[] Outliers, int Minutes, int LatenessSeconds, int MaxWindows, int MaxGroups) input)
    {
        // The outliers are spread through the records; every value still lands in exactly one row of its own window.
        var all = new List<TestRecord>(input.Records);
        for (var i = 0; i < input.Outliers.Length; i++)
        {
            all.Insert((int)((long)i * 7919 % (all.Count + 1)), input.Outliers[i]);
        }

        var window = TimeSpan.FromMinutes(input.Minutes);
        var (rows, aggregator) = Aggregate(all, AggregatorOptions.Default with
        {
            Window = window,
            AllowedLateness = TimeSpan.FromSeconds(input.LatenessSeconds),
            MaxOpenWindows = input.MaxWindows,
            MaxGroups = input.MaxGroups,
        });
        var size = window.Ticks / 10;
        var expected = all
            .GroupBy(r => r.TimestampMicroseconds - (((r.TimestampMicroseconds % size) + size) % size))
            .SelectMany(g => Reference(g, AppGrouping.MismatchingValues).Select(p => (Window: g.Key, p.Key, p.Value)))
            .ToDictionary(x => (x.Window, x.Key), x => x.Value);
        var actual = rows
            .GroupBy(r => (r.WindowStartMicroseconds!.Value, new RowKey(Format(r.SourceAddress), Format(r.DestinationAddress), r.App, r.DestinationPort)))
            .ToDictionary(g => g.Key, g => new RowStats(g.Sum(r => r.Count), g.Min(r => r.FirstTimeMicroseconds), g.Max(r => r.LastTimeMicroseconds)));
        var same = actual.Count == expected.Count && actual.All(p => expected.TryGetValue(p.Key, out var e) && e == p.Value);
        return (same
                && aggregator.ValuesCounted == rows.Sum(r => r.Count)
                && aggregator.EarlyEmissions == rows.Count(r => r.IsPartial)
                && (aggregator.LateRecords == 0) == !rows.Any(r => r.IsLate)
                && aggregator.GroupCount == 0 && aggregator.OpenWindowCount == 0)
            .Label($"window {input.Minutes} min, lateness {input.LatenessSeconds} s, {input.MaxWindows} windows, {input.MaxGroups} groups: same {same}, "
                   + $"rows sum {rows.Sum(r => r.Count)} of {aggregator.ValuesCounted}, early {aggregator.EarlyEmissions} vs {rows.Count(r => r.IsPartial)} partial");
    }

    public static Arbitrary<(int, int, int, int, int, int)> TableMemoryCases() => Arb.From(
        from seed in Gen.Choose(0, int.MaxValue)
        from minutes in Gen.Elements(1, 5)
        from lateness in Gen.Elements(0, 3600, 86_400)
        from windows in Gen.Elements(4, 50, 10_000)
        from groups in Gen.Elements(50, 300, 2_000)
        from apps in Gen.Elements(4, 65_536)
        select (seed, minutes, lateness, windows, groups, apps));

    [Property(MaxTest = 200, Replay = Generators.Replay, Arbitrary = [typeof(AggregatorProperties)])]
    public Property The_tables_never_take_more_than_twice_what_MaxGroups_needs_and_no_count_is_lost(
        (int Seed, int Minutes, int LatenessSeconds, int MaxWindows, int MaxGroups, int MaxApps) input)
    {
        // Many keys over a few hours in time order (with some out of order), late records years back that reopen windows
        // as late tables, far-future outliers, and app spellings that flush a small app table: groups are evicted,
        // windows drained, tables emptied. After every record the tables' entries stay within the bound.
        var random = new Random(input.Seed);
        var spellings = new[] { "ssl", "SSL", "Ssl", "sSl", "dns", "DNS", "http", "smtp" };
        var records = new List<TestRecord>(3_000);
        for (var i = 0; i < 3_000; i++)
        {
            var time = 1_700_000_000_000_000L + (i * 3_000_000L) - (random.Next(8) == 0 ? random.Next(600) * 1_000_000L : 0);
            time = random.Next(50) switch
            {
                0 => 31_536_000_000_000L + (random.Next(1_000) * 60_000_000L), // 1971
                1 => 253_402_300_000_000_000L - (random.Next(1_000) * 60_000_000L), // 9999
                _ => time,
            };
            records.Add(new TestRecord([spellings[random.Next(spellings.Length)]], 4000 + random.Next(3), Transport.Tcp)
            {
                TimestampMicroseconds = time,
                Source = IPAddressValue.FromIPv4(0x0A000000u + (uint)random.Next(5_000)),
                Destination = IPAddressValue.Parse("192.0.2.1"),
            });
        }

        var options = AggregatorOptions.Default with
        {
            Window = TimeSpan.FromMinutes(input.Minutes),
            AllowedLateness = TimeSpan.FromSeconds(input.LatenessSeconds),
            MaxOpenWindows = input.MaxWindows,
            MaxGroups = input.MaxGroups,
            MaxAppValues = input.MaxApps,
        };
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink, options);
        var worst = long.MinValue;
        foreach (var record in records)
        {
            record.Use((in FlowRecord r) => aggregator.Add(r));

            // Twice the slots of one table for MaxGroups groups, the first 8 slots of each open window and of the spare.
            var bound = 64L * ((2L * Internal.GroupTable.CapacityFor(input.MaxGroups)) + (8L * (aggregator.OpenWindowCount + 1)));
            worst = Math.Max(worst, aggregator.TableEntryBytes - bound);
        }

        aggregator.Complete();
        var expected = Reference(records, AppGrouping.MismatchingValues);
        return (worst <= 0
                && Totals(sink.Rows).SameAs(expected)
                && aggregator.ValuesCounted == sink.Rows.Sum(r => r.Count)
                && aggregator.EarlyEmissions == sink.Rows.Count(r => r.IsPartial)
                && aggregator.GroupCount == 0 && aggregator.OpenWindowCount == 0)
            .Label($"seed {input.Seed}, window {input.Minutes} min, lateness {input.LatenessSeconds} s, {input.MaxWindows} windows, "
                   + $"{input.MaxGroups} groups, {input.MaxApps} apps: at most {worst:N0} bytes past the bound, {Describe(Totals(sink.Rows), expected)}");
    }

    public static Arbitrary<(TestRecord[], TestRecord, int, int, int)> OrderedWithOneOutlier() => Arb.From(
        from records in Gen.ArrayOf(Record())
        from outlier in Record()
        from years in Gen.Choose(1, 7_900)
        from at in Gen.Choose(0, 1_000)
        from minutes in Gen.Elements(1, 5, 60)
        from lateness in Gen.Elements(0, 60, 3600)
        select (records, outlier with { TimestampMicroseconds = outlier.TimestampMicroseconds + (years * 31_557_600_000_000L) }, at, minutes, lateness));

    [Property(MaxTest = 1_000, Replay = Generators.Replay, Arbitrary = [typeof(AggregatorProperties)])]
    public Property One_record_years_ahead_changes_no_other_row((TestRecord[] Records, TestRecord Outlier, int At, int Minutes, int LatenessSeconds) input)
    {
        // Records in time order but for swaps of neighbours less than the lateness apart (gaps of any size: sparse and dense
        // stretches); the outlier anywhere. The rows of the others must be those of a run without it, in the same order.
        var lateness = input.LatenessSeconds * 1_000_000L;
        var ordered = input.Records.OrderBy(r => r.TimestampMicroseconds).ToList();
        for (var i = 1; i < ordered.Count; i += 3)
        {
            if (ordered[i].TimestampMicroseconds - ordered[i - 1].TimestampMicroseconds < lateness)
            {
                (ordered[i], ordered[i - 1]) = (ordered[i - 1], ordered[i]);
            }
        }

        var options = AggregatorOptions.Default with { Window = TimeSpan.FromMinutes(input.Minutes), AllowedLateness = TimeSpan.FromSeconds(input.LatenessSeconds) };
        static string Describe(MismatchRow r) => FormattableString.Invariant(
            $"{r.WindowStartMicroseconds} {r.SourceAddress} {r.DestinationAddress} {r.App} {r.DestinationPort} {r.Count} {r.FirstTimeMicroseconds} {r.LastTimeMicroseconds} {r.IsLate} {r.IsPartial}");
        var (expected, _) = Aggregate(ordered, options);
        var withOutlier = new List<TestRecord>(ordered);
        withOutlier.Insert(input.At % (ordered.Count + 1), input.Outlier);
        var (actual, _) = Aggregate(withOutlier, options);
        var others = actual.Where(r => r.FirstTimeMicroseconds != input.Outlier.TimestampMicroseconds).Select(Describe).ToList();
        return others.SequenceEqual(expected.Select(Describe))
            .Label($"window {input.Minutes} min, lateness {input.LatenessSeconds} s: {expected.Count} rows without the outlier, {others.Count} others with it");
    }
}
