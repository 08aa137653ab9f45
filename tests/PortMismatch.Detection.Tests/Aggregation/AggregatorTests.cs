using System.Text;

namespace PortMismatch.Detection.Tests.Aggregation;

[Collection(Measurements.Collection)]
public sealed class AggregatorTests
{
    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    private static FlowRecord Record(byte[] apps, long time, int port, IPAddressValue source = default, IPAddressValue destination = default)
        => new()
        {
            TimestampMicroseconds = time,
            SourceAddress = source,
            DestinationAddress = destination,
            DestinationPort = (ushort)port,
            Transport = Transport.Tcp,
            Apps = AppValues.Split(apps, (byte)','),
        };

    [Fact]
    public void Adding_a_million_records_to_existing_groups_allocates_nothing()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink);
        var sources = Enumerable.Range(0, 64).Select(i => IPAddressValue.FromIPv4(0x0A000000u + (uint)i)).ToArray();
        var destination = IPAddressValue.Parse("2001:db8::66");
        var apps = new[] { "ssl"u8.ToArray(), "dns"u8.ToArray(), "http,ssl"u8.ToArray(), "tls"u8.ToArray() };

        void Run(int count)
        {
            for (var i = 0; i < count; i++)
            {
                aggregator.Add(Record(apps[i & 3], i, 4444 + ((i >> 6) & 7), sources[i & 63], destination));
            }
        }

        Run(10_000);
        var groups = aggregator.GroupCount;
        var allocated = Measurements.LeastAllocatedBytes(() => Run(1_000_000));

        Assert.Equal(0, allocated);
        Assert.Equal(groups, aggregator.GroupCount);
        Assert.True(groups > 100);
    }

    [Fact]
    public void Counts_stay_exact_in_a_table_filled_to_its_load_bound()
    {
        // As many groups as the bound allows: the table is 80 % full, so keys sit far from their home slots and share tags.
        const int Groups = 20_000;
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink, AggregatorOptions.Default with { MaxGroups = Groups });
        var ssl = "ssl"u8.ToArray();
        var destination = IPAddressValue.Parse("2001:db8::66");
        var random = new Random(7);
        var expected = new Dictionary<IPAddressValue, long>();
        for (var i = 0; i < 10 * Groups; i++)
        {
            var source = IPAddressValue.FromIPv4(0x0A000000u + (uint)(i < Groups ? i : random.Next(Groups)));
            expected[source] = expected.GetValueOrDefault(source) + 1;
            aggregator.Add(Record(ssl, i, 4444, source, destination));
        }

        aggregator.Complete();

        Assert.Equal(0, aggregator.EarlyEmissions);
        Assert.Equal(Groups, sink.Rows.Count);
        foreach (var row in sink.Rows)
        {
            Assert.Equal(expected[row.SourceAddress], row.Count);
        }
    }

    [Fact]
    public void A_group_costs_at_most_96_bytes_besides_interned_strings()
    {
        const int Groups = 200_000;
        var aggregator = new MismatchAggregator(Evaluator, new ListSink(), AggregatorOptions.Default with { MaxGroups = Groups });
        var ssl = "ssl"u8.ToArray();
        var destination = IPAddressValue.Parse("2001:db8::66");
        aggregator.Add(Record(ssl, 0, 4444, IPAddressValue.FromIPv4(1), destination));
        // The managed heap and the group tables' native entries.
        var before = GC.GetTotalMemory(forceFullCollection: true) + aggregator.TableEntryBytes;
        for (var i = 0; i < Groups; i++)
        {
            aggregator.Add(Record(ssl, i, 4444, IPAddressValue.FromIPv4((uint)i), destination));
        }

        var after = GC.GetTotalMemory(forceFullCollection: true) + aggregator.TableEntryBytes;
        var perGroup = (double)(after - before) / Groups;
        TestContext.Current.TestOutputHelper?.WriteLine($"{perGroup:F2} bytes per group");
        Assert.Equal(Groups, aggregator.GroupCount);
        Assert.True(perGroup <= 96, $"{perGroup:F1} bytes per group");
        GC.KeepAlive(aggregator);
    }

    [Fact]
    public void Default_grouping_keeps_only_the_mismatching_value_and_literal_grouping_keeps_all()
    {
        var mismatching = new ListSink();
        var all = new ListSink();
        var a = new MismatchAggregator(Evaluator, mismatching);
        var b = new MismatchAggregator(Evaluator, all, AggregatorOptions.Default with { Grouping = AppGrouping.AllValues });
        var record = "http,ssl"u8.ToArray();
        a.Add(Record(record, 1, 8080));
        b.Add(Record(record, 1, 8080));
        a.Complete();
        b.Complete();

        var row = Assert.Single(mismatching.Rows);
        Assert.Equal("ssl", row.App);
        Assert.Equal("escu-ssl", row.Rule!.Id);
        Assert.Equal(["http", "ssl"], all.Rows.Select(r => r.App).Order());
        Assert.Null(all.Rows.Single(r => r.App == "http").Rule);
    }

    [Fact]
    public void Grouping_compares_app_values_exactly_as_stats_does()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink);
        aggregator.Add(Record("DNS"u8.ToArray(), 1, 5353));
        aggregator.Add(Record("dns"u8.ToArray(), 2, 5353));
        aggregator.Add(Record("dns"u8.ToArray(), 3, 5353));
        aggregator.Complete();
        Assert.Equal([("DNS", 1L), ("dns", 2L)], sink.Rows.Select(r => (r.App, r.Count)).OrderBy(x => x.App, StringComparer.Ordinal));
    }

    [Fact]
    public void Absent_addresses_and_ports_group_and_print_as_the_search_does()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink);
        var record = new FlowRecord { TimestampMicroseconds = 1_700_000_000_123_456, Apps = AppValues.FromValue("dns"u8) };
        aggregator.Add(record);
        aggregator.Add(record);
        aggregator.Complete();
        var row = Assert.Single(sink.Rows);
        Assert.Equal("null,null,dns,0,2,2023-11-14T22:13:20,2023-11-14T22:13:20", row.ToString());
        Assert.Equal("dns on port 0 from null to null; expected ports 53", row.Message);
    }

    [Fact]
    public void A_row_says_what_was_found_and_what_was_expected()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink);
        aggregator.Add(Record("ssl"u8.ToArray(), 1, 4444, IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("192.0.2.66")));
        aggregator.Complete();
        var row = Assert.Single(sink.Rows);
        Assert.Equal("ssl on tcp/4444 from 10.1.0.13 to 192.0.2.66; expected ports 443, 8443", row.Message);
        Assert.Equal(25, row.RiskScore);
        Assert.Contains("T1571", row.Techniques);
    }

    [Fact]
    public void A_window_is_emitted_once_event_time_passes_its_end_plus_the_lateness()
    {
        var sink = new ListSink();
        var minute = 60_000_000L;
        var aggregator = new MismatchAggregator(Evaluator, sink, AggregatorOptions.Default with
        {
            Window = TimeSpan.FromMinutes(1),
            AllowedLateness = TimeSpan.FromSeconds(30),
        });
        var ssl = "ssl"u8.ToArray();
        aggregator.Add(Record(ssl, 10 * minute + 5, 4444));
        aggregator.Add(Record(ssl, (11 * minute) + (29 * 1_000_000), 4444)); // next window; first not yet due
        Assert.Empty(sink.Rows);
        aggregator.Add(Record(ssl, (10 * minute) + 7, 4444));                 // late but within the lateness: joins
        aggregator.Add(Record("tls"u8.ToArray(), (11 * minute) + (30 * 1_000_000), 4444)); // not selected, but moves event time
        var first = Assert.Single(sink.Rows);
        Assert.Equal((2L, 10 * minute, 11 * minute), (first.Count, first.WindowStartMicroseconds!.Value, first.WindowEndMicroseconds!.Value));

        aggregator.Add(Record(ssl, (10 * minute) + 9, 4444));                 // beyond the lateness: late, held in a late table
        aggregator.Add(Record(ssl, (10 * minute) + 8, 4444));                 // and counted with the first
        Assert.Equal(2, aggregator.LateRecords);
        Assert.Single(sink.Rows);

        aggregator.Add(Record(ssl, (12 * minute) + (30 * 1_000_000), 4444)); // closes 11 min, and the late table with it
        Assert.Equal(3, sink.Rows.Count);
        var late = sink.Rows.Single(r => r.IsLate);
        Assert.Equal((2L, 10 * minute, (10 * minute) + 8, (10 * minute) + 9), (late.Count, late.WindowStartMicroseconds!.Value, late.FirstTimeMicroseconds, late.LastTimeMicroseconds));
        Assert.False(late.IsPartial);

        aggregator.Complete();
        Assert.Equal(4, sink.Rows.Count);
        Assert.Equal(12 * minute, sink.Rows[^1].WindowStartMicroseconds);
        Assert.Equal(aggregator.ValuesCounted, sink.Rows.Sum(r => r.Count));
    }

    [Fact]
    public void Windows_align_to_the_epoch_also_before_it()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink, AggregatorOptions.Default with { Window = TimeSpan.FromHours(1) });
        aggregator.Add(Record("dns"u8.ToArray(), -1, 1));
        aggregator.Complete();
        Assert.Equal(-3_600_000_000L, Assert.Single(sink.Rows).WindowStartMicroseconds);
    }

    [Fact]
    public void A_flood_of_distinct_app_values_stays_within_the_bounds_and_loses_no_count()
    {
        var sink = new ListSink();
        var evaluator = new MismatchEvaluator(RuleSet.Escu);
        var aggregator = new MismatchAggregator(evaluator, sink, AggregatorOptions.Default with
        {
            Grouping = AppGrouping.AllValues,
            MaxAppValues = 1_000,
            MaxGroups = 5_000,
        });
        for (var i = 0; i < 100_000; i++)
        {
            var apps = Encoding.UTF8.GetBytes($"dns,flood-{i}");
            aggregator.Add(Record(apps, i, 5353));
        }

        Assert.True(aggregator.GroupCount <= 5_000);
        Assert.True(aggregator.AppTableFlushes > 0);
        aggregator.Complete();
        Assert.Equal(200_000, sink.Rows.Sum(r => r.Count));
        Assert.Equal(100_000, sink.Rows.Where(r => r.App == "dns").Sum(r => r.Count));
    }

    [Fact]
    public void At_the_group_bound_the_oldest_group_is_emitted_first()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink, AggregatorOptions.Default with { MaxGroups = 3 });
        var ssl = "ssl"u8.ToArray();
        for (var port = 1; port <= 3; port++)
        {
            aggregator.Add(Record(ssl, port, port));
        }

        aggregator.Add(Record(ssl, 10, 2));   // existing group: nothing emitted
        Assert.Equal(3, aggregator.GroupCount); // reading a counter applies the counts still in the prefetch pipeline
        Assert.Empty(sink.Rows);
        aggregator.Add(Record(ssl, 11, 4));   // new group: port 1, the oldest, goes out
        aggregator.Add(Record(ssl, 12, 5));   // then port 2, with both its records
        Assert.Equal(2, aggregator.EarlyEmissions);
        Assert.Equal([(1, 1L, true), (2, 2L, true)], sink.Rows.Select(r => (r.DestinationPort, r.Count, r.IsPartial)));
        Assert.Equal(3, aggregator.GroupCount);
    }

    [Fact]
    public void Evicting_and_creating_groups_for_a_long_time_keeps_the_table_consistent()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink, AggregatorOptions.Default with { MaxGroups = 100 });
        var ssl = "ssl"u8.ToArray();
        var random = new Random(7);
        var expected = new Dictionary<int, long>();
        for (var i = 0; i < 200_000; i++)
        {
            var port = random.Next(1, 400);
            expected[port] = expected.GetValueOrDefault(port) + 1;
            aggregator.Add(Record(ssl, i, port));
            Assert.True(aggregator.GroupCount <= 100);
        }

        aggregator.Complete();
        var actual = sink.Rows.GroupBy(r => r.DestinationPort).ToDictionary(g => g.Key, g => g.Sum(r => r.Count));
        Assert.Equal(expected.OrderBy(p => p.Key), actual.OrderBy(p => p.Key));
    }

    [Fact]
    public void Network_exemptions_of_a_rule_apply_to_the_rows()
    {
        var rule = new DetectionRule("dns", "dns off 53", ["dns"], PortSet.Of(53))
        {
            Exemptions = [new RuleExemption("our resolver answers mDNS") { SourceNetwork = IPNetworkValue.Parse("10.20.0.0/16"), DestinationPorts = PortSet.Of(5353) }],
        };
        var evaluator = new MismatchEvaluator(new RuleSet([rule]));
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(evaluator, sink);
        var dns = "dns"u8.ToArray();
        aggregator.Add(Record(dns, 1, 5353, IPAddressValue.Parse("10.20.1.1"), IPAddressValue.Parse("224.0.0.251"))); // exempt
        aggregator.Add(Record(dns, 2, 5353, IPAddressValue.Parse("10.21.1.1"), IPAddressValue.Parse("224.0.0.251"))); // other source
        aggregator.Add(Record(dns, 3, 8053, IPAddressValue.Parse("10.20.1.1"), IPAddressValue.Parse("198.51.100.77"))); // other port
        aggregator.Complete();
        Assert.Equal([("10.20.1.1", 8053), ("10.21.1.1", 5353)], sink.Rows.Select(r => (r.SourceAddress.ToString(), r.DestinationPort)).Order());
        Assert.Equal(2, aggregator.RecordsSelected);
    }

    [Fact]
    public void Disposing_frees_the_native_memory_of_every_table()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink, AggregatorOptions.Default with { Window = TimeSpan.FromSeconds(1) });
        var ssl = "ssl"u8.ToArray();
        for (var i = 0; i < 5_000; i++)
        {
            // Groups in five windows, each closed by the first record of the next but the last.
            aggregator.Add(Record(ssl, i / 1_000 * 1_000_000L, 4444, IPAddressValue.FromIPv4((uint)i), IPAddressValue.FromIPv4(7)));
        }

        Assert.True(aggregator.NativeBytes >= aggregator.TableEntryBytes && aggregator.TableEntryBytes >= 64 * 1_000, $"{aggregator.NativeBytes} bytes");
        aggregator.Complete();
        Assert.InRange(aggregator.NativeBytes, 0, 4096); // at most a small spare table stays for the next window

        aggregator.Dispose();
        Assert.Equal(0, aggregator.NativeBytes);
        Assert.Equal(5_000, sink.Rows.Sum(r => r.Count));
    }

    [Fact]
    public void Disposing_drops_the_groups_not_emitted_and_frees_their_memory()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Evaluator, sink);
        for (var i = 0; i < 1_000; i++)
        {
            aggregator.Add(Record("ssl"u8.ToArray(), i, 4444, IPAddressValue.FromIPv4((uint)i), IPAddressValue.FromIPv4(7)));
        }

        Assert.True(aggregator.NativeBytes > 64 * 1_000);
        aggregator.Dispose();
        Assert.Equal(0, aggregator.NativeBytes);
        Assert.Equal(0, aggregator.GroupCount);
        Assert.Empty(sink.Rows);
    }

    [Fact]
    public void Invalid_options_are_refused_with_the_option_named()
    {
        var sink = new ListSink();
        Assert.Contains("MaxGroups", Assert.Throws<ArgumentException>(() => new MismatchAggregator(Evaluator, sink, AggregatorOptions.Default with { MaxGroups = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("Window", Assert.Throws<ArgumentException>(() => new MismatchAggregator(Evaluator, sink, AggregatorOptions.Default with { Window = TimeSpan.Zero })).Message, StringComparison.Ordinal);
        Assert.Contains("AllowedLateness", Assert.Throws<ArgumentException>(() => new MismatchAggregator(Evaluator, sink, AggregatorOptions.Default with { AllowedLateness = TimeSpan.FromSeconds(-1) })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aggregators_with_different_rules_do_not_merge()
    {
        var a = new MismatchAggregator(Evaluator, new ListSink());
        var b = new MismatchAggregator(new MismatchEvaluator(new RuleSet([new DetectionRule("x", "x", ["x"], PortSet.Of(1))])), new ListSink());
        Assert.Throws<ArgumentException>(() => a.Merge(b));
    }

    [Theory]
    [InlineData(null, "2023-11-14T22:13:20")]
    [InlineData("America/New_York", "2023-11-14T17:13:20")]
    [InlineData("Asia/Kolkata", "2023-11-15T03:43:20")]
    public void Times_are_truncated_to_the_second_in_the_chosen_zone(string? zone, string expected)
        => Assert.Equal(expected, RowTime.Format(1_700_000_000_999_999, zone is null ? null : TimeZoneInfo.FindSystemTimeZoneById(zone)));
}
