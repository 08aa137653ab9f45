namespace PortMismatch.Detection.Tests.ResourceBounds;

/// <summary>
/// Windows under hostile or extreme time stamps: the open windows stay within <see cref="AggregatorOptions.MaxOpenWindows"/>
/// at a small cost each, and when event time is carried years ahead (two forged records that confirm each other), the
/// late records that follow are held as aggregated rows within the bounds, not one row each.
/// </summary>
[Collection(Measurements.Collection)]
public sealed class WindowFloodTests
{
    private const long Second = 1_000_000;
    private const long Start = 1_699_999_980 * Second;

    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    private sealed class Rows : IMismatchRowSink
    {
        public long Count { get; private set; }

        public long CountSum { get; private set; }

        public long Late { get; private set; }

        public long Partial { get; private set; }

        public void OnRow(MismatchRow row)
        {
            Count++;
            CountSum += row.Count;
            Late += row.IsLate ? 1 : 0;
            Partial += row.IsPartial ? 1 : 0;
        }
    }

    private static FlowRecord Record(long time, int key, byte[] app) => new()
    {
        TimestampMicroseconds = time,
        SourceAddress = IPAddressValue.FromIPv4(0x0A000000u + (uint)key),
        DestinationAddress = IPAddressValue.FromIPv4(0xC0000201u),
        DestinationPort = 4443,
        Transport = Transport.Tcp,
        Apps = AppValues.FromValue(app),
    };

    [Fact]
    public void A_record_a_second_with_one_second_windows_and_a_day_of_lateness_keeps_MaxOpenWindows_at_a_kilobyte_each()
    {
        // Every record opens a window that the lateness keeps open for a day: 30,000 of them would all stay open.
        const int Records = 30_000;
        var options = AggregatorOptions.Default with { Window = TimeSpan.FromSeconds(1), AllowedLateness = TimeSpan.FromDays(1) };
        var rows = new Rows();
        var aggregator = new MismatchAggregator(Evaluator, rows, options);
        var ssl = "ssl"u8.ToArray();
        aggregator.Add(Record(Start, 0, ssl));
        var before = GC.GetTotalMemory(forceFullCollection: true) + aggregator.TableEntryBytes;
        for (var i = 1; i < options.MaxOpenWindows; i++)
        {
            aggregator.Add(Record(Start + (i * Second), i % 50, ssl));
        }

        var perWindow = (double)(GC.GetTotalMemory(forceFullCollection: true) + aggregator.TableEntryBytes - before) / (options.MaxOpenWindows - 1);
        TestContext.Current.TestOutputHelper?.WriteLine($"{aggregator.OpenWindowCount:N0} open windows: {perWindow:F0} bytes each");
        Assert.Equal(options.MaxOpenWindows, aggregator.OpenWindowCount);
        Assert.True(perWindow <= 1_200, $"{perWindow:F0} bytes per open window");

        for (var i = options.MaxOpenWindows; i < Records; i++)
        {
            aggregator.Add(Record(Start + (i * Second), i % 50, ssl));
        }

        // Past the bound, each new window emits the oldest (the farthest from event time) early.
        Assert.Equal(options.MaxOpenWindows, aggregator.OpenWindowCount);
        Assert.Equal(Records - options.MaxOpenWindows, aggregator.WindowEvictions);
        Assert.Equal(Records - options.MaxOpenWindows, rows.Partial);
        aggregator.Complete();
        Assert.Equal(Records, rows.CountSum);
        Assert.Equal(Records, rows.Count);
        GC.KeepAlive(aggregator);
    }

    [Fact]
    public void A_flood_of_new_groups_every_second_with_a_day_of_lateness_keeps_the_tables_within_what_MaxGroups_needs()
    {
        // --window 1s --lateness 1d with 1,000 new groups a second and MaxGroups 10,000: past ten seconds every new group
        // evicts one of the oldest window, which the lateness keeps open for a day. Each window's table grows to 2,048 slots;
        // 300 drained windows left open at that size would take 300 x 128 KB of entries.
        const int MaxGroups = 10_000;
        const int GroupsPerSecond = 1_000;
        const int Seconds = 300;
        var options = AggregatorOptions.Default with
        {
            Window = TimeSpan.FromSeconds(1),
            AllowedLateness = TimeSpan.FromDays(1),
            MaxGroups = MaxGroups,
        };
        var rows = new Rows();
        var aggregator = new MismatchAggregator(Evaluator, rows, options);
        var ssl = "ssl"u8.ToArray();
        var maxBytes = 0L;
        var maxOverBound = long.MinValue;
        for (var i = 0; i < Seconds * GroupsPerSecond; i++)
        {
            aggregator.Add(Record(Start + (i / GroupsPerSecond * Second) + (i % GroupsPerSecond), i % GroupsPerSecond, ssl));
            if (i % 97 == 0)
            {
                var bytes = aggregator.TableEntryBytes;
                maxBytes = Math.Max(maxBytes, bytes);
                maxOverBound = Math.Max(maxOverBound, bytes - EntryBytesBound(MaxGroups, aggregator.OpenWindowCount));
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{aggregator.OpenWindowCount} windows open, at most {maxBytes:N0} bytes of entries; the bound for {MaxGroups:N0} groups is {EntryBytesBound(MaxGroups, 0):N0} + 512 a window");
        Assert.True(maxOverBound <= 0, $"{maxOverBound:N0} bytes over the bound");
        Assert.InRange(aggregator.GroupCount, 1, MaxGroups);
        Assert.InRange(aggregator.OpenWindowCount, MaxGroups / GroupsPerSecond, (MaxGroups / GroupsPerSecond) + 2); // drained windows are closed
        aggregator.Complete();
        Assert.Equal(Seconds * GroupsPerSecond, rows.CountSum);
        Assert.Equal(aggregator.EarlyEmissions, rows.Partial);
        Assert.InRange(aggregator.TableEntryBytes, 0, 512); // closed tables are freed; only a small spare is kept
    }

    [Fact]
    public void Old_windows_drained_in_turn_and_kept_active_do_not_keep_tables_sized_for_the_groups_they_lost()
    {
        // MaxGroups 1,000, one-minute windows kept open a day. Each round fills a window older than every other up to the
        // bound (nothing is evicted below it), then the window of the present, whose new groups evict the old window's
        // oldest groups (it is the farthest from event time) until ten are left. A record keeps each old window active and
        // the idle close then closes the present one. Every old window stays open with a table grown for the ~1,000
        // groups it once held: without a bound on all tables together, 30 rounds hold 30 such tables for 1,000 groups.
        const int MaxGroups = 1_000;
        const int Rounds = 30;
        const long Minute = 60 * Second;
        var options = AggregatorOptions.Default with
        {
            Window = TimeSpan.FromMinutes(1),
            AllowedLateness = TimeSpan.FromDays(1),
            MaxGroups = MaxGroups,
        };
        var rows = new Rows();
        var aggregator = new MismatchAggregator(Evaluator, rows, options);
        var ssl = "ssl"u8.ToArray();
        var added = 0L;
        var worst = long.MinValue;
        void Add(long time, int key)
        {
            aggregator.Add(Record(time, key, ssl));
            added++;
            worst = Math.Max(worst, aggregator.TableEntryBytes - EntryBytesBound(MaxGroups, aggregator.OpenWindowCount + 1));
        }

        var nextKey = 0;
        var lastKeys = new List<(long Time, int Key)>();
        Add(Start, nextKey++); // event time: the present
        for (var round = 1; round <= Rounds; round++)
        {
            aggregator.ProcessingTime = 2 * round;
            var old = Start - (round * Minute);
            var filled = 0;
            while (aggregator.GroupCount < MaxGroups)
            {
                Add(old, nextKey++);
                filled++;
            }

            lastKeys.Add((old, nextKey - 1));
            for (var i = 0; i < filled - 10; i++)
            {
                Add(Start, nextKey++);
            }

            aggregator.ProcessingTime = (2 * round) + 1;
            foreach (var (time, key) in lastKeys)
            {
                Add(time, key);
            }

            _ = aggregator.CloseIdleWindows(lastActiveBefore: (2 * round) + 1);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{aggregator.OpenWindowCount} windows open, {aggregator.TableEntryBytes:N0} bytes of entries, {aggregator.WindowEvictions} windows emitted early");
        Assert.True(worst <= 0, $"{worst:N0} bytes over the bound");
        Assert.Equal(Rounds, aggregator.OpenWindowCount);
        aggregator.Complete();
        Assert.Equal(added, rows.CountSum);
        Assert.Equal(aggregator.EarlyEmissions, rows.Partial);
    }

    /// <summary>
    /// The most entry bytes the aggregator's tables may take: twice the slots one table holding <paramref name="maxGroups"/>
    /// groups has (tables double as they grow, so groups spread over windows need up to that), and the first 8 slots of
    /// each open window (64 bytes a slot).
    /// </summary>
    private static long EntryBytesBound(int maxGroups, int openWindows) => 64L * ((2L * ((maxGroups * 5L / 4) + 1)) + (8L * openWindows));

    [Fact]
    public void After_two_forged_records_carry_event_time_to_9999_the_late_records_are_held_aggregated_and_bounded()
    {
        // Two records dated 9999 a second apart confirm each other: every record after them is late. 200,000 of them
        // over 500 keys and an hour of one-minute windows are held in late tables, within MaxGroups and MaxOpenWindows.
        const int Records = 200_000;
        var options = AggregatorOptions.Default with { Window = TimeSpan.FromMinutes(1), MaxGroups = 10_000, MaxOpenWindows = 100 };
        var rows = new Rows();
        var aggregator = new MismatchAggregator(Evaluator, rows, options);
        var ssl = "ssl"u8.ToArray();
        var tls = "tls"u8.ToArray();
        aggregator.Add(Record(Start, 0, ssl));
        aggregator.Add(Record(Start + Second, 0, ssl));
        aggregator.Add(Record(253_402_300_000 * Second, 0, tls));
        aggregator.Add(Record((253_402_300_000 * Second) + Second, 0, tls));
        Assert.True(aggregator.Watermark > 253_402_300_000 * Second);

        var maxGroups = 0;
        var maxWindows = 0;
        for (var i = 0; i < Records; i++)
        {
            aggregator.Add(Record(Start + (i * 18_000L), i % 500, ssl)); // an hour, in time order
            if (i % 1_000 == 0)
            {
                maxGroups = Math.Max(maxGroups, aggregator.GroupCount);
                maxWindows = Math.Max(maxWindows, aggregator.OpenWindowCount);
            }
        }

        Assert.Equal(Records, aggregator.LateRecords);
        Assert.InRange(maxGroups, 1, options.MaxGroups);
        Assert.InRange(maxWindows, 1, options.MaxOpenWindows);
        aggregator.Complete();
        Assert.Equal(Records + 2, rows.CountSum);
        Assert.InRange(rows.Count, 60 * 500, 61 * 500); // a row per key and minute, not one per record
        Assert.Equal(aggregator.EarlyEmissions, rows.Partial);
    }
}
