using System.Text;

namespace PortMismatch.Detection.Nats.Tests.Support;

/// <summary>Collects each record as a line of text (every field the detection uses), to compare two reads of the same input.</summary>
public sealed class RecordLines : IFlowRecordSink
{
    public List<string> Lines { get; } = [];

    public void OnRecord(in FlowRecord record)
    {
        var apps = new StringBuilder();
        foreach (var app in record.Apps)
        {
            apps.Append(Encoding.UTF8.GetString(app)).Append('|');
        }

        Lines.Add($"{record.TimestampMicroseconds} {record.SourceAddress} {record.SourcePort} {record.DestinationAddress} {record.DestinationPort} {record.Transport} {apps}");
    }
}

/// <summary>Collects rows as text, sorted, to compare two runs of the detection.</summary>
public sealed class RowLines : IMismatchRowSink
{
    private readonly List<string> _rows = [];

    public IReadOnlyList<string> Sorted => [.. _rows.Order(StringComparer.Ordinal)];

    public void OnRow(MismatchRow row)
    {
        lock (_rows)
        {
            _rows.Add(row.ToString());
        }
    }

    public static async Task<IReadOnlyList<string>> DetectAsync(params IFlowSource[] sources)
    {
        var rows = new RowLines();
        using var pipeline = new DetectionPipeline(null, rows);
        await pipeline.RunAsync(sources, TestContext.Current.CancellationToken);
        return rows.Sorted;
    }
}
