using System.Text;
using PortMismatch.Detection.Tests.Aggregation;
using PortMismatch.Detection.Tests.Pipeline;

namespace PortMismatch.Detection.Tests.Baseline;

public sealed class FirstSeenStoreTests : IDisposable
{
    private const long Day = 86_400_000_000;
    private const long Start = 1_700_006_400_000_000; // 2023-11-15T00:00:00Z, a day's start
    private readonly string _folder = Directory.CreateTempSubdirectory("pm-firstseen-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static MismatchRow Row(int source, int server, string app, int port, long first, long last, long count = 1)
        => new(IPAddressValue.Parse($"10.0.0.{source}"), IPAddressValue.Parse($"192.0.2.{server}"), app, port, count, first, last, null, [Transport.Tcp]);

    [Fact]
    public void Observations_match_a_set_of_days_per_pair_and_survive_a_reopen()
    {
        const int seed = 2301;
        var random = TestSeed.Random(seed);
        var path = Path.Combine(_folder, "store.bin");
        var firstSeen = new Dictionary<(int, int, int), long>();
        var days = new Dictionary<(int, int, int), SortedSet<long>>();
        var store = FirstSeenStore.Open(path);
        for (var i = 0; i < 2_000; i++)
        {
            // Rows in any order over 60 days, each within a day or across midnight.
            var key = (random.Next(3), random.Next(3), random.Next(2));
            var first = Start + (random.Next(60) * Day) + random.NextInt64(Day);
            var last = first + random.NextInt64(Day / 2);
            var row = Row(key.Item1 + 1, key.Item2 + 1, key.Item3 == 0 ? "ssl" : "http", 4444, first, last);

            var seen = days.TryGetValue(key, out var set) ? set : days[key] = [];
            var rowDay = Math.DivRem(last, Day, out _);
            var expectedEarlier = seen.Count(d => d < rowDay);
            var expectedNew = !firstSeen.TryGetValue(key, out var known) || known >= first;
            var expectedFirst = firstSeen.TryGetValue(key, out known) ? Math.Min(known, first) : first;

            var observation = store.Observe(row);
            Assert.True(
                new FirstSeenObservation(expectedFirst, expectedNew, expectedEarlier) == observation,
                $"seed {seed}, row {i}: expected {expectedFirst} {expectedNew} {expectedEarlier}, got {observation}");
            firstSeen[key] = expectedFirst;
            seen.Add(first / Day);
            seen.Add(rowDay);

            if (i == 1_000)
            {
                // Half-way, the store goes to disk and comes back: the rest must go on as if it had not.
                store.Save();
                store.Dispose();
                store = FirstSeenStore.Open(path);
            }
        }

        store.Save();
        store.Dispose();
        using var reopened = FirstSeenStore.Open(path);
        foreach (var (key, set) in days)
        {
            Assert.True(reopened.TryGetPair(IPAddressValue.Parse($"10.0.0.{key.Item1 + 1}"), IPAddressValue.Parse($"192.0.2.{key.Item2 + 1}"), 4444, key.Item3 == 0 ? "ssl" : "http", out var entry));
            Assert.Equal(firstSeen[key], entry.FirstSeenMicroseconds);
            Assert.Equal(set.Count, entry.DaysSeen);
        }

        Assert.Equal(days.Count + days.Keys.Select(k => (k.Item2, k.Item3)).Distinct().Count(), reopened.Count);
    }

    [Fact]
    public void A_damaged_truncated_or_foreign_file_is_a_typed_error_naming_it()
    {
        var path = Path.Combine(_folder, "store.bin");
        using (var store = FirstSeenStore.Open(path))
        {
            store.Observe(Row(1, 1, "ssl", 4444, Start, Start + 5));
            store.Save();
        }

        var good = File.ReadAllBytes(path);
        var cases = new List<(byte[] Bytes, FirstSeenStoreError Reason)>
        {
            (good[..^1], FirstSeenStoreError.Corrupt),
            (good[..30], FirstSeenStoreError.Corrupt),
            (Flip(good, 40), FirstSeenStoreError.Corrupt),
            (Flip(good, good.Length - 1), FirstSeenStoreError.Corrupt),
            (Flip(good, 8), FirstSeenStoreError.UnsupportedVersion),
            ("{\"not\": \"a store\"}"u8.ToArray(), FirstSeenStoreError.NotAStore),
            ([], FirstSeenStoreError.NotAStore),
        };
        foreach (var (bytes, reason) in cases)
        {
            File.WriteAllBytes(path, bytes);
            var error = Assert.Throws<FirstSeenStoreException>(() => FirstSeenStore.Open(path));
            Assert.Equal(reason, error.Reason);
            Assert.Equal(path, error.StorePath);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }

        static byte[] Flip(byte[] bytes, int at)
        {
            var copy = bytes.ToArray();
            copy[at] ^= 0x01;
            return copy;
        }
    }

    [Fact]
    public void A_second_holder_of_the_file_is_refused_until_the_first_is_disposed()
    {
        var path = Path.Combine(_folder, "store.bin");
        using (FirstSeenStore.Open(path))
        {
            var error = Assert.Throws<FirstSeenStoreException>(() => FirstSeenStore.Open(path));
            Assert.Equal(FirstSeenStoreError.Locked, error.Reason);
        }

        using var again = FirstSeenStore.Open(path);
        Assert.Equal(0, again.Count);
    }

    [Fact]
    public void The_bound_holds_and_evicts_the_least_recently_seen_counted()
    {
        using var store = FirstSeenStore.CreateInMemory(new FirstSeenStoreOptions { MaxEntries = 16 });
        for (var i = 0; i < 100; i++)
        {
            // Each row is a new pair and a new server (two entries), seen later than every earlier one.
            store.Observe(Row(1, 1, "ssl", 1000 + i, Start + i, Start + i));
            Assert.InRange(store.Count, 2, 16);
            Assert.Equal((2L * (i + 1)) - store.Count, store.Evictions);
        }

        // The newest row's entries are always kept; the oldest are gone.
        Assert.True(store.TryGetPair(IPAddressValue.Parse("10.0.0.1"), IPAddressValue.Parse("192.0.2.1"), 1099, "ssl", out _));
        Assert.True(store.TryGetServer(IPAddressValue.Parse("192.0.2.1"), 1099, "ssl", out _));
        Assert.False(store.TryGetPair(IPAddressValue.Parse("10.0.0.1"), IPAddressValue.Parse("192.0.2.1"), 1000, "ssl", out _));
    }

    [Fact]
    public async Task A_pipeline_suppresses_pairs_seen_on_enough_earlier_days_and_counts_them()
    {
        var path = Path.Combine(_folder, "store.bin");
        var records = PipelineTestData.Records(2302, 300);
        var expectedPerDay = new List<List<MismatchRow>>();
        var outputs = new List<(ListSink Sink, DetectionCounters Counters)>();
        for (var day = 0; day < 4; day++)
        {
            // The same traffic on four days; from the third on, the pairs were seen on two earlier days.
            var shifted = records.Select(r => r with { TimestampMicroseconds = r.TimestampMicroseconds + (day * Day) }).ToList();
            using var store = FirstSeenStore.Open(path);
            var sink = new ListSink();
            using var pipeline = new DetectionPipeline(DetectionPipelineOptions.Default with { FirstSeen = store, SuppressSeenOnDays = 2 }, sink);
            var result = await pipeline.RunAsync([PipelineTestData.Source("day", shifted)], TestContext.Current.CancellationToken);
            outputs.Add((sink, result.Counters));
        }

        // Without a store, the rows of one day: the counts to compare with.
        var plain = new ListSink();
        using (var pipeline = new DetectionPipeline(DetectionPipelineOptions.Default, plain))
        {
            await pipeline.RunAsync([PipelineTestData.Source("day", records)], TestContext.Current.CancellationToken);
        }

        Assert.NotEmpty(plain.Rows);
        var rows = plain.Rows.Count;
        Assert.Equal(rows, outputs[0].Sink.Rows.Count);
        Assert.All(outputs[0].Sink.Rows, r => Assert.True(r.IsNew && r.EarlierDaysSeen == 0 && r.FirstSeenMicroseconds == r.FirstTimeMicroseconds));
        Assert.All(outputs[1].Sink.Rows, r => Assert.True(!r.IsNew && r.EarlierDaysSeen == 1 && r.FirstSeenMicroseconds == r.FirstTimeMicroseconds - Day));
        Assert.Equal(rows, outputs[1].Sink.Rows.Count);
        foreach (var (sink, counters) in outputs.Skip(2))
        {
            Assert.Empty(sink.Rows);
            Assert.Equal(rows, counters.RowsSuppressedAsBaseline);
            Assert.Equal(counters.RowsEmitted, counters.RowsWritten + counters.RowsCombined + counters.RowsFilteredByEntry.Sum() + counters.RowsSuppressedAsBaseline);
            Assert.Contains($"suppressed as baseline {rows}", counters.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, outputs[1].Counters.RowsSuppressedAsBaseline);
    }

    [Fact]
    public void Json_lines_gain_first_seen_keys_only_with_a_store()
    {
        var row = Row(1, 2, "ssl", 4444, Start, Start + 10);
        var plain = Json(row);
        Assert.DoesNotContain("first_seen", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("\"new\"", plain, StringComparison.Ordinal);

        using var store = FirstSeenStore.CreateInMemory();
        var sink = new ListSink();
        var filter = new FirstSeenFilter(sink, store);
        filter.OnRow(Row(1, 2, "ssl", 4444, Start - Day, Start - Day));
        filter.OnRow(row);
        var annotated = Json(sink.Rows[1]);
        Assert.Equal(plain[..^2], annotated[..plain[..^2].Length]);
        Assert.EndsWith(",\"first_seen\":\"2023-11-14T00:00:00\",\"new\":false,\"days_seen\":1}\n", annotated, StringComparison.Ordinal);

        static string Json(MismatchRow row)
        {
            using var stream = new MemoryStream();
            using (var writer = new JsonLinesRowWriter(stream))
            {
                writer.OnRow(row);
            }

            return Encoding.UTF8.GetString(stream.ToArray());
        }
    }
}
