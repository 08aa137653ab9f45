using System.Text;

namespace PortMismatch.Detection.Zeek.Tests.Support;

/// <summary>A heap copy of a <see cref="FlowRecord"/> for assertions; app values joined with '|'.</summary>
public sealed record Row(long Time, string Source, string Destination, int? SourcePort, int? DestinationPort, Transport Transport, string Apps, long? Bytes, long? Packets)
{
    public static Row From(in FlowRecord record)
    {
        var apps = new List<string>();
        foreach (var value in record.Apps)
        {
            apps.Add(Encoding.UTF8.GetString(value));
        }

        return new Row(
            record.TimestampMicroseconds,
            record.SourceAddress.ToString(),
            record.DestinationAddress.ToString(),
            record.SourcePort,
            record.DestinationPort,
            record.Transport,
            string.Join('|', apps),
            record.Bytes,
            record.Packets);
    }
}

/// <summary>Collects rows from the push APIs.</summary>
public sealed class CollectingSink : IFlowRecordSink
{
    public List<Row> Rows { get; } = [];

    public void OnRecord(in FlowRecord record) => Rows.Add(Row.From(record));
}

/// <summary>The outcome of reading one input with the synchronous reader.</summary>
public sealed record ReadOutcome(List<Row> Rows, InputCounters Counters, List<InputDiagnostic> Diagnostics, ZeekReaderState State);

public static class ZeekInput
{
    public static ReadOutcome Read(string text, ZeekReaderOptions? options = null) => Read(Encoding.UTF8.GetBytes(text), options);

    public static ReadOutcome Read(byte[] utf8, ZeekReaderOptions? options = null)
    {
        var diagnostics = new List<InputDiagnostic>();
        var state = new ZeekReaderState(options, "test.log", diagnostics.Add);
        var rows = new List<Row>();
        var reader = new ZeekConnReader(utf8, state);
        while (reader.TryRead(out var record))
        {
            rows.Add(Row.From(record));
        }

        Assert.True(state.Counters.IsBalanced, state.Counters.ToString());
        Assert.Equal(state.Counters.Rejected + state.Counters.Skipped, diagnostics.Count);
        return new ReadOutcome(rows, state.Counters, diagnostics, state);
    }

    /// <summary>Reads the input in blocks cut at the given offsets, each through a new reader (isFinalBlock only for the last).</summary>
    public static ReadOutcome ReadInBlocks(byte[] utf8, IReadOnlyList<int> cuts, ZeekReaderOptions? options = null)
    {
        var diagnostics = new List<InputDiagnostic>();
        var state = new ZeekReaderState(options, "test.log", diagnostics.Add);
        var rows = new List<Row>();
        var pending = new List<byte>();
        var start = 0;
        var ends = cuts.Where(c => c > 0 && c < utf8.Length).Distinct().Order().Append(utf8.Length).ToList();
        foreach (var end in ends)
        {
            pending.AddRange(utf8.AsSpan(start, end - start).ToArray());
            start = end;
            var block = pending.ToArray();
            var reader = new ZeekConnReader(block, state, isFinalBlock: end == utf8.Length);
            while (reader.TryRead(out var record))
            {
                rows.Add(Row.From(record));
            }

            pending.RemoveRange(0, (int)reader.BytesConsumed);
        }

        Assert.True(state.Counters.IsBalanced, state.Counters.ToString());
        return new ReadOutcome(rows, state.Counters, diagnostics, state);
    }
}
