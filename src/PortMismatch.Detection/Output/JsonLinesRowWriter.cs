using System.Buffers;
using System.Text.Json;

namespace PortMismatch.Detection;

/// <summary>
/// Writes one JSON object per row and line. Field names are stable: <c>src_ip</c>, <c>dest_ip</c>, <c>app</c>,
/// <c>dest_port</c>, <c>count</c>, <c>firstTime</c>, <c>lastTime</c> (as the search prints them), <c>first_time_us</c>,
/// <c>last_time_us</c> (Unix microseconds), <c>transport</c> (array), <c>rule_id</c>, <c>rule_name</c>, <c>risk_score</c>,
/// <c>mitre_technique_id</c> (array), <c>message</c>, and when set <c>window_start</c>, <c>window_end</c>, <c>partial</c>, <c>late</c>, and with a first-seen store <c>first_seen</c>, <c>new</c>,
/// <c>days_seen</c> (the earlier UTC days the pair was seen on),
/// and last <c>evidence</c> when the row has some: <c>{"flows":n,"community_id":[{"value":..,"count":..}],"fields":{"tls.server_name":[...],...},"other":{"tls.server_name":n}}</c>
/// (<c>community_id</c> and <c>other</c> only when there are any).
/// </summary>
public sealed class JsonLinesRowWriter : RowWriter
{
    private readonly JsonWriterOptions _jsonOptions = new() { SkipValidation = true };

    /// <summary>Creates a writer over a stream with the default options.</summary>
    /// <param name="stream">The destination.</param>
    public JsonLinesRowWriter(Stream stream)
        : base(stream, null)
    {
    }

    /// <summary>Creates a writer over a buffer writer with the default options.</summary>
    /// <param name="output">The destination.</param>
    public JsonLinesRowWriter(IBufferWriter<byte> output)
        : base(output, null)
    {
    }

    /// <summary>Creates a writer over a stream.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    public JsonLinesRowWriter(Stream stream, RowWriterOptions? options)
        : base(stream, options)
    {
    }

    /// <summary>Creates a writer over a buffer writer.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    public JsonLinesRowWriter(IBufferWriter<byte> output, RowWriterOptions? options)
        : base(output, options)
    {
    }

    /// <inheritdoc/>
    protected override void WriteRow(IBufferWriter<byte> output, MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        using (var json = new Utf8JsonWriter(output, _jsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("src_ip"u8, MismatchRow.FormatAddress(row.SourceAddress));
            json.WriteString("dest_ip"u8, MismatchRow.FormatAddress(row.DestinationAddress));
            json.WriteString("app"u8, row.App);
            json.WriteNumber("dest_port"u8, row.DestinationPort);
            json.WriteNumber("count"u8, row.Count);
            json.WriteString("firstTime"u8, FormatTime(row.FirstTimeMicroseconds));
            json.WriteString("lastTime"u8, FormatTime(row.LastTimeMicroseconds));
            json.WriteNumber("first_time_us"u8, row.FirstTimeMicroseconds);
            json.WriteNumber("last_time_us"u8, row.LastTimeMicroseconds);
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
            if (row.WindowStartMicroseconds is { } start)
            {
                json.WriteString("window_start"u8, FormatTime(start));
            }

            if (row.WindowEndMicroseconds is { } end)
            {
                json.WriteString("window_end"u8, FormatTime(end));
            }

            if (row.IsPartial)
            {
                json.WriteBoolean("partial"u8, true);
            }

            if (row.IsLate)
            {
                json.WriteBoolean("late"u8, true);
            }

            if (row.FirstSeenMicroseconds is { } firstSeen)
            {
                json.WriteString("first_seen"u8, FormatTime(firstSeen));
                json.WriteBoolean("new"u8, row.IsNew);
                json.WriteNumber("days_seen"u8, row.EarlierDaysSeen ?? 0);
            }

            if (row.Evidence is { } evidence)
            {
                json.WritePropertyName("evidence"u8);
                evidence.WriteJson(json);
            }

            json.WriteEndObject();
        }

        WriteText(output, Options.NewLine);
    }
}
