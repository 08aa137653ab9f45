using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace PortMismatch.Detection.Siem.Internal;

/// <summary>
/// Formats a row as one event of HEC's JSON event protocol: <c>time</c> (lastTime, epoch seconds with six decimals),
/// the optional <c>host</c>, <c>source</c>, <c>sourcetype</c>, <c>index</c>, and <c>event</c> with the search's CIM field
/// names (as <see cref="JsonLinesRowWriter"/> writes them, times in UTC) and the finding id.
/// </summary>
internal sealed class HecEvent
{
    private static readonly JsonWriterOptions JsonOptions = new() { SkipValidation = true };

    private readonly SplunkHecOptions _options;
    private readonly ArrayBufferWriter<byte> _rowBuffer = new(1024);
    private readonly ArrayBufferWriter<byte> _eventBuffer = new(1024);
    private readonly RowWriterOptions _rowOptions = new() { NewLine = string.Empty, IncludeWindow = true };

    public HecEvent(SplunkHecOptions options) => _options = options;

    /// <summary>Writes the event of <paramref name="row"/> to <paramref name="output"/>.</summary>
    public void Write(IBufferWriter<byte> output, MismatchRow row)
    {
        using var json = new Utf8JsonWriter(output, JsonOptions);
        json.WriteStartObject();
        json.WritePropertyName("time"u8);
        Span<byte> seconds = stackalloc byte[32];
        json.WriteRawValue(seconds[..FormatEpochSeconds(row.LastTimeMicroseconds, seconds)], skipInputValidation: true);
        WriteIfSet(json, "host"u8, _options.Host);
        WriteIfSet(json, "source"u8, _options.Source);
        WriteIfSet(json, "sourcetype"u8, _options.SourceType);
        WriteIfSet(json, "index"u8, _options.Index);
        json.WritePropertyName("event"u8);
        json.WriteRawValue(EventObject(row), skipInputValidation: true);
        json.WriteEndObject();
        json.Flush();
    }

    /// <summary>
    /// The row as <see cref="JsonLinesRowWriter"/> writes it (in UTC, so the search's CIM names and forms), with
    /// <c>finding_id</c> added as its last field: one formatter for the row's fields, whichever way it leaves.
    /// </summary>
    private ReadOnlySpan<byte> EventObject(MismatchRow row)
    {
        _rowBuffer.ResetWrittenCount();
        using (var writer = new JsonLinesRowWriter(_rowBuffer, _rowOptions))
        {
            writer.OnRow(row);
        }

        var line = _rowBuffer.WrittenSpan;
        _eventBuffer.ResetWrittenCount();
        _eventBuffer.Write(line[..line.LastIndexOf((byte)'}')]); // the object without its closing brace
        _eventBuffer.Write(",\"finding_id\":\""u8);
        _eventBuffer.Write(System.Text.Encoding.UTF8.GetBytes(FindingId.Compute(row)));
        _eventBuffer.Write("\"}"u8);
        return _eventBuffer.WrittenSpan;
    }

    /// <summary>Formats Unix microseconds as epoch seconds with six decimals (<c>1700000000.250000</c>), the form of HEC's <c>time</c>.</summary>
    internal static int FormatEpochSeconds(long microseconds, Span<byte> destination)
    {
        var written = 0;
        var magnitude = (ulong)microseconds;
        if (microseconds < 0)
        {
            destination[written++] = (byte)'-';
            magnitude = (ulong)(-(microseconds + 1)) + 1;
        }

        var (whole, fraction) = Math.DivRem(magnitude, 1_000_000UL);
        _ = Utf8Formatter.TryFormat(whole, destination[written..], out var digits);
        written += digits;
        destination[written++] = (byte)'.';
        _ = Utf8Formatter.TryFormat(fraction, destination[written..], out digits, new StandardFormat('D', 6));
        return written + digits;
    }

    private static void WriteIfSet(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
