using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// Partial rows on <c>findings.partial.&lt;p&gt;</c>: the sums of one (window, key) over one segment of one partition. A
/// row is one compact JSON object (<see cref="Write"/>, <see cref="TryRead"/>): <c>p</c> partition, <c>ws</c>/<c>we</c>
/// window start and end, <c>src</c>/<c>dst</c> (null when absent), <c>app</c>, <c>port</c>, <c>count</c>,
/// <c>first</c>/<c>last</c> (Unix microseconds), <c>tr</c> transports by name, <c>rule</c> (the rule id or null). A message
/// holds up to <see cref="NatsWorkerOptions.PartialRowsPerMessage"/> rows, one a line (<see cref="Pack"/>; a reader splits at '\n'):
/// a segment's rows in a few messages, not one message a row, which cost the worker, the server and the merger a
/// publish, an acknowledgement and a delivery per row.
/// </summary>
internal static class PartialRow
{
    /// <summary>A message ends at the row that takes it to this many bytes or more.</summary>
    public const int MaxMessageBytes = 64 * 1024;

    /// <summary>
    /// The messages of a segment's rows (in key order, so that the same rows give the same messages): up to
    /// <paramref name="rowsPerMessage"/> rows a message, one JSON object a line, a message ending once it holds
    /// <see cref="MaxMessageBytes"/> or more.
    /// </summary>
    public static List<byte[]> Pack(List<MismatchRow> rows, int partition, int rowsPerMessage)
    {
        var messages = new List<byte[]>();
        var output = new ArrayBufferWriter<byte>(4096);
        var inMessage = 0;
        foreach (var row in rows)
        {
            if (inMessage > 0)
            {
                output.Write("\n"u8);
            }

            Write(output, partition, row);
            if (++inMessage >= rowsPerMessage || output.WrittenCount >= MaxMessageBytes)
            {
                messages.Add(output.WrittenSpan.ToArray());
                output.ResetWrittenCount();
                inMessage = 0;
            }
        }

        if (inMessage > 0)
        {
            messages.Add(output.WrittenSpan.ToArray());
        }

        return messages;
    }

    /// <summary>Writes <paramref name="row"/> (with its window) of partition <paramref name="partition"/>.</summary>
    public static void Write(IBufferWriter<byte> output, int partition, MismatchRow row)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteNumber("p"u8, partition);
        json.WriteNumber("ws"u8, row.WindowStartMicroseconds ?? 0);
        json.WriteNumber("we"u8, row.WindowEndMicroseconds ?? 0);
        WriteAddress(json, "src"u8, row.SourceAddress);
        WriteAddress(json, "dst"u8, row.DestinationAddress);
        json.WriteString("app"u8, row.App);
        json.WriteNumber("port"u8, row.DestinationPort);
        json.WriteNumber("count"u8, row.Count);
        json.WriteNumber("first"u8, row.FirstTimeMicroseconds);
        json.WriteNumber("last"u8, row.LastTimeMicroseconds);
        json.WriteStartArray("tr"u8);
        foreach (var transport in row.Transports)
        {
            json.WriteStringValue(transport.ToName());
        }

        json.WriteEndArray();
        if (row.Rule is { } rule)
        {
            json.WriteString("rule"u8, rule.Id);
        }
        else
        {
            json.WriteNull("rule"u8);
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// Reads a partial row; the rule id is looked up in <paramref name="rules"/>. False for a payload that is not one (a
    /// foreign message on the subject, or a rule this worker's set does not have).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> utf8, RuleSet rules, out int partition, out MismatchRow? row)
    {
        partition = -1;
        row = null;
        long ws = 0, we = 0, count = 0, first = 0, last = 0;
        int port = -1;
        IPAddressValue src = default, dst = default;
        string? app = null, ruleId = null;
        var transports = 0;
        try
        {
            var json = new Utf8JsonReader(utf8);
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var name = json.ValueSpan;
                json.Read();
                if (name.SequenceEqual("p"u8))
                {
                    partition = json.GetInt32();
                }
                else if (name.SequenceEqual("ws"u8))
                {
                    ws = json.GetInt64();
                }
                else if (name.SequenceEqual("we"u8))
                {
                    we = json.GetInt64();
                }
                else if (name.SequenceEqual("src"u8))
                {
                    src = ReadAddress(ref json);
                }
                else if (name.SequenceEqual("dst"u8))
                {
                    dst = ReadAddress(ref json);
                }
                else if (name.SequenceEqual("app"u8))
                {
                    app = json.GetString();
                }
                else if (name.SequenceEqual("port"u8))
                {
                    port = json.GetInt32();
                }
                else if (name.SequenceEqual("count"u8))
                {
                    count = json.GetInt64();
                }
                else if (name.SequenceEqual("first"u8))
                {
                    first = json.GetInt64();
                }
                else if (name.SequenceEqual("last"u8))
                {
                    last = json.GetInt64();
                }
                else if (name.SequenceEqual("rule"u8))
                {
                    ruleId = json.TokenType == JsonTokenType.Null ? null : json.GetString();
                }
                else if (name.SequenceEqual("tr"u8))
                {
                    while (json.Read() && json.TokenType == JsonTokenType.String)
                    {
                        transports |= 1 << (int)Transports.FromName(json.ValueSpan);
                    }
                }
                else
                {
                    json.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        catch (FormatException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        DetectionRule? rule = null;
        if (ruleId is not null && (rule = rules.Find(ruleId)) is null)
        {
            return false;
        }

        if (partition < 0 || app is null || (uint)port > ushort.MaxValue || count <= 0 || we <= ws)
        {
            return false;
        }

        row = new MismatchRow(src, dst, app, port, count, first, last, rule, TransportList(transports))
        {
            WindowStartMicroseconds = ws,
            WindowEndMicroseconds = we,
        };
        return true;
    }

    /// <summary>The transports of a bit set (bit n for <see cref="Transport"/> n), in enum order.</summary>
    public static ImmutableArray<Transport> TransportList(int bits)
    {
        var list = ImmutableArray.CreateBuilder<Transport>();
        for (var t = Transport.Unknown; t <= Transport.Other; t++)
        {
            if ((bits & (1 << (int)t)) != 0)
            {
                list.Add(t);
            }
        }

        return list.DrainToImmutable();
    }

    /// <summary>The bit set of a row's transports.</summary>
    public static int TransportBits(ImmutableArray<Transport> transports)
    {
        var bits = 0;
        foreach (var t in transports)
        {
            bits |= 1 << (int)t;
        }

        return bits;
    }

    private static void WriteAddress(Utf8JsonWriter json, ReadOnlySpan<byte> name, IPAddressValue address)
    {
        if (!address.HasValue)
        {
            json.WriteNull(name);
            return;
        }

        Span<byte> text = stackalloc byte[64];
        if (!address.TryFormat(text, out var written))
        {
            throw new InvalidOperationException("an address longer than 64 bytes");
        }

        json.WriteString(name, text[..written]);
    }

    private static IPAddressValue ReadAddress(ref Utf8JsonReader json)
    {
        if (json.TokenType == JsonTokenType.Null)
        {
            return IPAddressValue.None;
        }

        if (json.TokenType != JsonTokenType.String || json.ValueIsEscaped || !IPAddressValue.TryParse(json.ValueSpan, out var address))
        {
            throw new FormatException("not an address");
        }

        return address;
    }
}
