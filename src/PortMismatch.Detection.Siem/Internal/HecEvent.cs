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
        json.WriteStartObject("event"u8);
        json.WriteString("src_ip"u8, Address(row.SourceAddress));
        json.WriteString("dest_ip"u8, Address(row.DestinationAddress));
        json.WriteString("app"u8, row.App);
        json.WriteNumber("dest_port"u8, row.DestinationPort);
        json.WriteNumber("count"u8, row.Count);
        json.WriteString("firstTime"u8, RowTime.Format(row.FirstTimeMicroseconds, null));
        json.WriteString("lastTime"u8, RowTime.Format(row.LastTimeMicroseconds, null));
        json.WriteStartArray("transport"u8);
        foreach (var transport in row.Transports)
        {
            json.WriteStringValue(transport.ToName());
        }

        json.WriteEndArray();
        if (row.Rule is { } rule)
        {
            json.WriteString("rule_id"u8, rule.Id);
            json.WriteString("rule_name"u8, rule.Name);
        }
        else
        {
            json.WriteNull("rule_id"u8);
            json.WriteNull("rule_name"u8);
        }

        json.WriteNumber("risk_score"u8, row.RiskScore);
        json.WriteStartArray("mitre_technique_id"u8);
        foreach (var technique in row.Techniques)
        {
            json.WriteStringValue(technique);
        }

        json.WriteEndArray();
        json.WriteString("message"u8, row.Message);
        json.WriteString("finding_id"u8, FindingId.Compute(row));
        if (row.WindowStartMicroseconds is { } start)
        {
            json.WriteString("window_start"u8, RowTime.Format(start, null));
        }

        if (row.WindowEndMicroseconds is { } end)
        {
            json.WriteString("window_end"u8, RowTime.Format(end, null));
        }

        if (row.IsPartial)
        {
            json.WriteBoolean("partial"u8, true);
        }

        if (row.IsLate)
        {
            json.WriteBoolean("late"u8, true);
        }

        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
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

    private static string Address(IPAddressValue address) => address.HasValue ? address.ToString() : "null";

    private static void WriteIfSet(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
