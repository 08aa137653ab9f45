using FsCheck;
using FsCheck.Fluent;
using PortMismatch.Detection.Tests.Oracle;

namespace PortMismatch.Detection.Tests.Aggregation;

public sealed class ListSink : IMismatchRowSink
{
    public List<MismatchRow> Rows { get; } = [];

    public void OnRow(MismatchRow row) => Rows.Add(row);
}

public readonly record struct RowKey(string Source, string Destination, string App, int Port);

public readonly record struct RowStats(long Count, long First, long Last);

public static class AggregationGenerators
{
    private static readonly MismatchEvaluator EscuEvaluator = new(RuleSet.Escu);

    private static readonly IPAddressValue[] Addresses =
    [
        IPAddressValue.None, IPAddressValue.Parse("10.0.0.1"), IPAddressValue.Parse("10.0.0.2"),
        IPAddressValue.Parse("192.0.2.66"), IPAddressValue.Parse("2001:db8::1"), IPAddressValue.Parse("::ffff:10.0.0.1"),
    ];

    /// <summary>Records concentrated on few keys, so that groups get several records; times span a few hours.</summary>
    public static Gen<TestRecord> Record() =>
        from record in Generators.Record()
        from source in Gen.Elements(Addresses)
        from destination in Gen.Elements(Addresses)
        from time in Gen.Choose(0, 4 * 3600).Select(s => 1_700_000_000_000_000L + (s * 1_000_000L) + s)
        select record with { Source = source, Destination = destination, TimestampMicroseconds = time };

    public static Arbitrary<TestRecord[]> Batches() => Arb.From(Gen.ArrayOf(Record()));

    /// <summary>One aggregator (the ESCU rules) reading the records in turn, completed: its rows, and it for its counters.</summary>
    public static (List<MismatchRow> Rows, MismatchAggregator Aggregator) Aggregate(IEnumerable<TestRecord> records, AggregatorOptions options)
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(EscuEvaluator, sink, options);
        foreach (var record in records)
        {
            record.Use((in FlowRecord r) => aggregator.Add(r));
        }

        aggregator.Complete();
        return (sink.Rows, aggregator);
    }

    /// <summary>The naive reference: LINQ GroupBy over the records the oracle selects (DETECTION.md section 6.3).</summary>
    public static Dictionary<RowKey, RowStats> Reference(IEnumerable<TestRecord> records, AppGrouping grouping)
    {
        var pairs = from record in records
                    where SplWhereOracle.Escu.IsSelected(record.Apps, record.DestinationPort)
                    from app in record.Apps
                    where app.Length > 0
                    where grouping == AppGrouping.AllValues || SplWhereOracle.Escu.IsSelectedValue(app, record.DestinationPort)
                    select (Key: new RowKey(Format(record.Source), Format(record.Destination), RowText(app), record.DestinationPort ?? 0), record.TimestampMicroseconds);
        return pairs.GroupBy(p => p.Key).ToDictionary(
            g => g.Key,
            g => new RowStats(g.Count(), g.Min(p => p.TimestampMicroseconds), g.Max(p => p.TimestampMicroseconds)));
    }

    /// <summary>Rows summed by key (partial rows of one key add up).</summary>
    public static Dictionary<RowKey, RowStats> Totals(IEnumerable<MismatchRow> rows) => rows
        .GroupBy(r => new RowKey(Format(r.SourceAddress), Format(r.DestinationAddress), r.App, r.DestinationPort))
        .ToDictionary(g => g.Key, g => new RowStats(g.Sum(r => r.Count), g.Min(r => r.FirstTimeMicroseconds), g.Max(r => r.LastTimeMicroseconds)));

    /// <summary>A value's text in rows (AppTextTests check that printing on its own; here it only names the groups).</summary>
    public static string RowText(string app) => Internal.AppText.FromUtf8(System.Text.Encoding.UTF8.GetBytes(app));

    public static string Format(IPAddressValue address) => address.HasValue ? address.ToString() : "null";

    public static bool SameAs(this Dictionary<RowKey, RowStats> actual, Dictionary<RowKey, RowStats> expected)
        => actual.Count == expected.Count && actual.All(pair => expected.TryGetValue(pair.Key, out var other) && other == pair.Value);

    public static string Describe(Dictionary<RowKey, RowStats> actual, Dictionary<RowKey, RowStats> expected)
        => $"actual {actual.Count} groups, expected {expected.Count}; first difference: "
           + (actual.FirstOrDefault(p => !expected.TryGetValue(p.Key, out var e) || e != p.Value) is var a && a.Key != default
               ? $"{a.Key} {a.Value} vs {(expected.TryGetValue(a.Key, out var e2) ? e2.ToString() : "missing")}"
               : expected.FirstOrDefault(p => !actual.ContainsKey(p.Key)).Key.ToString());
}
