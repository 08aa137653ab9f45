namespace PortMismatch.Detection.Tests.Pipeline;

/// <summary>Seeded record mixes and sources made of them.</summary>
internal static class PipelineTestData
{
    private static readonly string[] Apps = ["dns", "http", "ssl", "smtp", "ssh", "-"];
    private static readonly int[] Ports = [53, 80, 443, 25, 22, 8080, 5353, 4443];

    public static List<TestRecord> Records(int seed, int count, long startMicroseconds = 1_700_000_000_000_000)
    {
        var random = new Random(seed);
        var records = new List<TestRecord>(count);
        for (var i = 0; i < count; i++)
        {
            records.Add(new TestRecord([Apps[random.Next(Apps.Length)]], Ports[random.Next(Ports.Length)], Transport.Tcp)
            {
                TimestampMicroseconds = startMicroseconds + (i * 1_000_000L) + random.Next(1_000_000),
                Source = IPAddressValue.Parse($"10.0.0.{1 + random.Next(4)}"),
                Destination = IPAddressValue.Parse($"192.0.2.{1 + random.Next(3)}"),
            });
        }

        return records;
    }

    /// <summary>A source that counts each record as read and accepted and pushes it, then (optionally) waits for cancellation like a socket.</summary>
    public static IFlowSource Source(string name, IReadOnlyList<TestRecord> records, bool live = false, int rejected = 0)
    {
        var counters = new InputCounters();
        return FlowSource.Create(name, counters, async (sink, ct) =>
        {
            foreach (var record in records)
            {
                counters.CountRead();
                counters.CountAccepted();
                record.Use((in FlowRecord r) =>
                {
                    sink.OnRecord(r);
                    return 0;
                });
            }

            for (var i = 0; i < rejected; i++)
            {
                counters.CountRead();
                counters.CountRejected("test-bad-line");
            }

            if (live)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    // A live source returns normally when cancelled.
                }
            }
        });
    }

    public static List<MismatchRow> Sorted(IEnumerable<MismatchRow> rows)
    {
        var list = rows.ToList();
        list.Sort(MismatchRowComparer.Instance);
        return list;
    }

    public static string Describe(MismatchRow row) => FormattableString.Invariant(
        $"{row.WindowStartMicroseconds} {row.SourceAddress} {row.DestinationAddress} {row.App} {row.DestinationPort} {row.Count} {row.FirstTimeMicroseconds} {row.LastTimeMicroseconds} {row.Rule?.Id}");
}

/// <summary>Collects rows; the pipeline calls it from one thread at a time.</summary>
internal sealed class RowCollector : IMismatchRowSink
{
    public List<MismatchRow> Rows { get; } = [];

    public void OnRow(MismatchRow row) => Rows.Add(row);
}
