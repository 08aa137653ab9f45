namespace PortMismatch.Detection.Tests.ResourceBounds;

/// <summary>
/// Windows under hostile or extreme time stamps: the open windows stay within <see cref="AggregatorOptions.MaxOpenWindows"/>
/// at a small cost each, and when event time is carried years ahead (two forged records that confirm each other), the
/// late records that follow are held as aggregated rows within the bounds, not one row each.
/// </summary>
[Collection(MeasurementCollection.Name)]
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
