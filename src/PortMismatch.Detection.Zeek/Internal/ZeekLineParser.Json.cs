using System.Text.Json;
using PortMismatch.Detection.Internal;
using System.Text.Unicode;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>The JSON (<c>LogAscii::use_json</c>) record path: one object per line, read with <see cref="Utf8JsonReader"/>, no DOM.</summary>
internal sealed partial class ZeekLineParser
{
    private const int MaxShortValueLength = 128;
    private const long MillisecondThreshold = 100_000_000_000; // integer timestamps this large are JSON::TS_MILLIS

    // Joins the elements of an array service: the line is valid UTF-8 and an unescaped JSON string is too (an escaped lone
    // surrogate makes the line invalid), and 0xFF never occurs in UTF-8, so it cannot split an element.
    private const byte ArraySeparator = 0xFF;

    private static readonly JsonReaderOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    private byte[]? _jsonService;
    private byte[]? _jsonSpeculative;

    private enum JsonField
    {
        Unknown,
        Ts,
        OrigH,
        OrigP,
        RespH,
        RespP,
        Proto,
        Service,
        SpeculativeService,
        OrigBytes,
        RespBytes,
        OrigPackets,
        RespPackets,
        Path,
        Id,
        Uid,
    }

    /// <summary>The fields of one JSON record while it is being read; the first error is kept, the rest of the object still read.</summary>
    private ref struct JsonRecord
    {
        public bool HasTs;
        public long Micros;
        public IPAddressValue Source;
        public IPAddressValue Destination;
        public ushort? SourcePort;
        public ushort? DestinationPort;
        public Transport Transport;
        public ReadOnlySpan<byte> Uid;
        public ReadOnlySpan<byte> Service;
        public ReadOnlySpan<byte> Speculative;
        public byte ServiceSeparator;
        public byte SpeculativeSeparator;
        public long? Bytes;
        public long? Packets;
        public bool IsOtherPath;
        public string? PathName;
        public string? ErrorReason;
        public string? ErrorMessage;
    }

    private bool ParseJson(ReadOnlySpan<byte> line, out FlowRecord record)
    {
        record = default;
        Counters.CountRead();
        if (!Utf8.IsValid(line))
        {
            return Reject(Reasons.InvalidUtf8, "the line is not valid UTF-8:", line);
        }

        var fields = default(JsonRecord);
        try
        {
            var reader = new Utf8JsonReader(line, JsonOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Reject(Reasons.InvalidJson, "the line is not a JSON object:", line);
            }

            Span<byte> nameBuffer = stackalloc byte[32];
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = Classify(JsonText.PropertyName(in reader, nameBuffer), nested: false);
                reader.Read();
                ReadField(ref reader, field, ref fields, nameBuffer);
            }

            if (reader.Read())
            {
                return Reject(Reasons.InvalidJson, "content follows the JSON object:", line);
            }
        }
        catch (JsonException exception)
        {
            return _diagnostics is null
                ? Reject(Reasons.InvalidJson, string.Empty, default)
                : Reject(Reasons.InvalidJson, $"invalid JSON at byte {exception.BytePositionInLine}: {exception.Message}");
        }

        if (fields.IsOtherPath && !Options.AcceptAnyPath)
        {
            return Skip(Reasons.NotATrafficLog, fields.PathName);
        }

        if (fields.ErrorReason is not null)
        {
            return Reject(fields.ErrorReason, fields.ErrorMessage ?? string.Empty);
        }

        if (!fields.HasTs)
        {
            return _diagnostics is null
                ? Reject(Reasons.MissingTimestamp, string.Empty, default)
                : Reject(Reasons.MissingTimestamp, "the record has no ts");
        }

        if (!TryComposeApps(fields.Service, fields.ServiceSeparator, fields.Speculative, fields.SpeculativeSeparator, out var apps))
        {
            return Reject(Reasons.BadService, "service cannot be split into values:", fields.Service);
        }

        record = new FlowRecord
        {
            FlowId = fields.Uid,
            TimestampMicroseconds = fields.Micros,
            SourceAddress = fields.Source,
            DestinationAddress = fields.Destination,
            SourcePort = fields.SourcePort,
            DestinationPort = fields.DestinationPort,
            Transport = fields.Transport,
            Apps = apps,
            Bytes = fields.Bytes,
            Packets = fields.Packets,
        };
        Accept();
        return true;
    }

    private void ReadField(ref Utf8JsonReader reader, JsonField field, ref JsonRecord fields, scoped Span<byte> nameBuffer)
    {
        var token = reader.TokenType;
        if (token == JsonTokenType.Null)
        {
            return; // JSON null is Zeek's unset
        }

        Span<byte> valueBuffer = stackalloc byte[MaxShortValueLength];
        switch (field)
        {
            case JsonField.Ts:
                if (TryJsonTimestamp(ref reader, valueBuffer, out var micros))
                {
                    fields.HasTs = true;
                    fields.Micros = micros;
                }
                else
                {
                    Fail(ref fields, Reasons.BadTimestamp, "ts", " is not a timestamp:", ref reader, valueBuffer);
                }

                break;
            case JsonField.OrigH:
                ReadAddress(ref reader, ref fields, ref fields.Source, "id.orig_h", valueBuffer);
                break;
            case JsonField.RespH:
                ReadAddress(ref reader, ref fields, ref fields.Destination, "id.resp_h", valueBuffer);
                break;
            case JsonField.OrigP:
                ReadPort(ref reader, ref fields, ref fields.SourcePort, "id.orig_p", valueBuffer);
                break;
            case JsonField.RespP:
                ReadPort(ref reader, ref fields, ref fields.DestinationPort, "id.resp_p", valueBuffer);
                break;
            case JsonField.Proto:
                fields.Transport = token == JsonTokenType.String ? Transports.FromName(JsonText.ShortString(in reader, valueBuffer)) : Transport.Unknown;
                reader.Skip();
                break;
            case JsonField.Service:
                fields.Service = ReadSet(ref reader, ref _jsonService, out fields.ServiceSeparator);
                break;
            case JsonField.SpeculativeService:
                var speculative = ReadSet(ref reader, ref _jsonSpeculative, out var separator);
                if (Options.IncludeSpeculativeService)
                {
                    fields.Speculative = speculative;
                    fields.SpeculativeSeparator = separator;
                }

                break;
            case JsonField.OrigBytes or JsonField.RespBytes:
                ReadCount(ref reader, ref fields, ref fields.Bytes, valueBuffer);
                break;
            case JsonField.OrigPackets or JsonField.RespPackets:
                ReadCount(ref reader, ref fields, ref fields.Packets, valueBuffer);
                break;
            case JsonField.Path:
                if (token == JsonTokenType.String)
                {
                    var path = JsonText.ShortString(in reader, valueBuffer);
                    fields.IsOtherPath = !TsvSchema.IsConnPath(path);
                    fields.PathName = fields.IsOtherPath && _diagnostics is not null ? System.Text.Encoding.UTF8.GetString(path) : null;
                }

                break;
            case JsonField.Uid:
                // Zeek's uids are base62 (no escapes); an escaped or non-string uid is not one, and the record keeps none.
                if (token == JsonTokenType.String && !reader.ValueIsEscaped)
                {
                    fields.Uid = reader.ValueSpan;
                }
                else
                {
                    reader.Skip();
                }

                break;
            case JsonField.Id when token == JsonTokenType.StartObject:
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var inner = Classify(JsonText.PropertyName(in reader, nameBuffer), nested: true);
                    reader.Read();
                    ReadField(ref reader, inner, ref fields, nameBuffer);
                }

                break;
            default:
                reader.Skip();
                break;
        }
    }

    private static JsonField Classify(ReadOnlySpan<byte> name, bool nested)
    {
        if (nested)
        {
            return name.Length != 6 ? JsonField.Unknown
                : name.SequenceEqual("orig_h"u8) ? JsonField.OrigH
                : name.SequenceEqual("orig_p"u8) ? JsonField.OrigP
                : name.SequenceEqual("resp_h"u8) ? JsonField.RespH
                : name.SequenceEqual("resp_p"u8) ? JsonField.RespP
                : JsonField.Unknown;
        }

        return name.Length switch
        {
            2 when name.SequenceEqual("ts"u8) => JsonField.Ts,
            2 when name.SequenceEqual("id"u8) => JsonField.Id,
            3 when name.SequenceEqual("uid"u8) => JsonField.Uid,
            5 when name.SequenceEqual("proto"u8) => JsonField.Proto,
            5 when name.SequenceEqual("_path"u8) => JsonField.Path,
            7 when name.SequenceEqual("service"u8) => JsonField.Service,
            9 when name.SequenceEqual("id.orig_h"u8) => JsonField.OrigH,
            9 when name.SequenceEqual("id.orig_p"u8) => JsonField.OrigP,
            9 when name.SequenceEqual("id.resp_h"u8) => JsonField.RespH,
            9 when name.SequenceEqual("id.resp_p"u8) => JsonField.RespP,
            9 when name.SequenceEqual("orig_pkts"u8) => JsonField.OrigPackets,
            9 when name.SequenceEqual("resp_pkts"u8) => JsonField.RespPackets,
            10 when name.SequenceEqual("orig_bytes"u8) => JsonField.OrigBytes,
            10 when name.SequenceEqual("resp_bytes"u8) => JsonField.RespBytes,
            19 when name.SequenceEqual("speculative_service"u8) => JsonField.SpeculativeService,
            _ => JsonField.Unknown,
        };
    }

    /// <summary>
    /// Unescapes a string value. <see cref="Utf8JsonReader"/> accepts an escaped lone surrogate (<c>"\udd00"</c>) while
    /// reading but throws <see cref="InvalidOperationException"/> when unescaping it: the line is then invalid JSON.
    /// </summary>
    private static int CopyText(in Utf8JsonReader reader, Span<byte> buffer)
    {
        try
        {
            return reader.CopyString(buffer);
        }
        catch (InvalidOperationException exception)
        {
            throw new JsonException("a string holds an escaped lone surrogate", null, 0, reader.TokenStartIndex, exception);
        }
    }

    private static bool TryJsonTimestamp(ref Utf8JsonReader reader, scoped Span<byte> buffer, out long micros)
    {
        micros = 0;
        if (reader.TokenType == JsonTokenType.String)
        {
            return ZeekTime.TryParseTimestamp(JsonText.ShortString(in reader, buffer), out micros);
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            reader.Skip();
            return false;
        }

        var text = reader.ValueSpan;
        if (ZeekNumbers.TryParseCount(text, out var integer) == NumberStatus.Ok && integer >= MillisecondThreshold)
        {
            micros = integer * 1000; // JSON::TS_MILLIS
            return FlowTime.IsValid(micros) && integer <= FlowTime.MaxMicroseconds / 1000;
        }

        if (ZeekTime.TryParseEpochSeconds(text, out micros))
        {
            return true;
        }

        if (reader.TryGetDouble(out var seconds) && double.IsFinite(seconds)
            && seconds * 1e6 >= FlowTime.MinMicroseconds && seconds * 1e6 <= FlowTime.MaxMicroseconds)
        {
            micros = (long)Math.Floor(seconds * 1e6);
            return true;
        }

        return false;
    }

    private void ReadAddress(ref Utf8JsonReader reader, ref JsonRecord fields, ref IPAddressValue address, string name, scoped Span<byte> buffer)
    {
        if (reader.TokenType == JsonTokenType.String && IPAddressValue.TryParse(JsonText.ShortString(in reader, buffer), out var parsed))
        {
            address = parsed;
            return;
        }

        Fail(ref fields, Reasons.BadAddress, name, " is not an IP address:", ref reader, buffer);
    }

    private void ReadPort(ref Utf8JsonReader reader, ref JsonRecord fields, ref ushort? port, string name, scoped Span<byte> buffer)
    {
        var status = reader.TokenType switch
        {
            JsonTokenType.Number => ZeekNumbers.TryParsePort(reader.ValueSpan, out var value) is var s && s == NumberStatus.Ok ? Set(ref port, value) : s,
            JsonTokenType.String => ZeekNumbers.TryParsePort(JsonText.ShortString(in reader, buffer), out var value) is var s && s == NumberStatus.Ok ? Set(ref port, value) : s,
            _ => NumberStatus.NotANumber,
        };
        if (status == NumberStatus.OutOfRange)
        {
            Fail(ref fields, Reasons.PortOutOfRange, name, " is not in 0-65535:", ref reader, buffer);
        }
        else if (status != NumberStatus.Ok)
        {
            Fail(ref fields, Reasons.BadPort, name, " is not a port number:", ref reader, buffer);
        }

        static NumberStatus Set(ref ushort? port, ushort value)
        {
            port = value;
            return NumberStatus.Ok;
        }
    }

    private void ReadCount(ref Utf8JsonReader reader, ref JsonRecord fields, ref long? total, scoped Span<byte> buffer)
    {
        if (reader.TokenType == JsonTokenType.Number && ZeekNumbers.TryParseCount(reader.ValueSpan, out var value) == NumberStatus.Ok)
        {
            total = AddSaturating(total.GetValueOrDefault(), value);
            return;
        }

        Fail(ref fields, Reasons.BadNumber, "a byte or packet count", " is not a count:", ref reader, buffer);
    }

    /// <summary>
    /// Reads <c>service</c>: a string (<c>"ssl,http"</c>, split on its commas) or, from some pipelines, an array of strings,
    /// one value each: they are joined with <see cref="ArraySeparator"/>, which no unescaped JSON string holds.
    /// </summary>
    private ReadOnlySpan<byte> ReadSet(scoped ref Utf8JsonReader reader, ref byte[]? scratch, out byte separator)
    {
        separator = (byte)',';
        if (reader.TokenType == JsonTokenType.String)
        {
            if (!reader.ValueIsEscaped)
            {
                return reader.ValueSpan;
            }

            var buffer = Scratch(ref scratch, reader.ValueSpan.Length);
            return buffer[..CopyText(in reader, buffer)];
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return default;
        }

        // The array's text bounds the joined length, so one buffer of that size holds it.
        separator = ArraySeparator;
        var joined = Scratch(ref scratch, MaxLineLength);
        var length = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                reader.Skip();
                continue;
            }

            length += CopyText(in reader, joined[length..]);
            joined[length++] = ArraySeparator;
        }

        return joined[..length];
    }

    private static Span<byte> Scratch(ref byte[]? scratch, int length)
    {
        if (scratch is null || scratch.Length < length)
        {
            scratch = new byte[Math.Max(length, 256)];
        }

        return scratch.AsSpan(0, length);
    }

    private void Fail(ref JsonRecord fields, string reason, string subject, string problem, ref Utf8JsonReader reader, scoped Span<byte> buffer)
    {
        if (fields.ErrorReason is null)
        {
            fields.ErrorReason = reason;
            if (_diagnostics is not null)
            {
                var value = reader.TokenType is JsonTokenType.String or JsonTokenType.Number ? JsonText.ShortString(in reader, buffer) : "(a JSON container or literal)"u8;
                fields.ErrorMessage = $"{subject}{problem} '{InputText.Escape(value)}'";
            }
        }

        reader.Skip();
    }
}
