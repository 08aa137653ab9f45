using PortMismatch.Detection;

namespace PortMismatch.Worker;

/// <summary>Appends each row to a JSON Lines file and flushes it, so that a log shipper sees findings as they are emitted.</summary>
internal sealed class JsonLinesFileSink(string path) : IMismatchRowSink, IDisposable
{
    private readonly JsonLinesRowWriter _writer = new(
        new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read),
        new RowWriterOptions { IncludeWindow = true });

    public void OnRow(MismatchRow row)
    {
        _writer.OnRow(row);
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();
}
