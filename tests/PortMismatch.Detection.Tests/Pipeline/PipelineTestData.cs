namespace PortMismatch.Detection.Tests.Pipeline;

/// <summary>Seeded record mixes and sources made of them.</summary>
internal static class PipelineTestData
{
    private static readonly string[] Apps = ["dns", "http", "ssl", "smtp", "ssh", "-"];
    private static readonly int[] Ports = [53, 80, 443, 25, 22, 8080, 5353, 4443];

    public static List<TestRecord> Records(int seed, int count, long startMicroseconds = 1_700_000_000_000_000)
    {
        var random = TestSeed.Random(seed);
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

    /// <summary>Counts each record as read and accepted and pushes it, as a reader does.</summary>
    public static void Push(IEnumerable<TestRecord> records, IFlowRecordSink sink, InputCounters counters)
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
    }

    /// <summary>A source that counts each record as read and accepted and pushes it, then (optionally) waits for cancellation like a socket.</summary>
    public static IFlowSource Source(string name, IReadOnlyList<TestRecord> records, bool live = false, int rejected = 0)
    {
        var counters = new InputCounters();
        return FlowSource.Create(name, counters, async (sink, ct) =>
        {
            Push(records, sink, counters);
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

/// <summary>
/// Collects rows. The pipeline calls it from one thread at a time, but not always the test's: the rows are kept under a
/// lock, <see cref="Rows"/> is a copy, and <see cref="WaitUntilAsync"/> lets a test wait for rows without polling.
/// </summary>
internal sealed class RowCollector : IMismatchRowSink
{
    private readonly List<MismatchRow> _rows = [];
    private readonly List<(Func<IReadOnlyList<MismatchRow>, bool> Condition, TaskCompletionSource Reached)> _waiting = [];

    /// <summary>Gets a copy of the rows so far.</summary>
    public List<MismatchRow> Rows
    {
        get
        {
            lock (_rows)
            {
                return [.. _rows];
            }
        }
    }

    public void OnRow(MismatchRow row)
    {
        lock (_rows)
        {
            _rows.Add(row);
            _waiting.RemoveAll(w => w.Condition(_rows) && w.Reached.TrySetResult());
        }
    }

    /// <summary>Completes once the rows meet <paramref name="condition"/> (checked now and after every row).</summary>
    public Task WaitUntilAsync(Func<IReadOnlyList<MismatchRow>, bool> condition)
    {
        lock (_rows)
        {
            if (condition(_rows))
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((condition, reached));
            return reached.Task;
        }
    }
}
