using System.Text.Json;
using System.Text.Unicode;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection.Suricata.Internal;

/// <summary>
/// Parses the lines of one EVE input into records: one JSON object per line, read with <see cref="Utf8JsonReader"/>, no
/// DOM (as the Zeek adapter reads Zeek's JSON). Counts each line in the state's counters and reports rejected and skipped
/// ones. One per state, holding the scratch buffers the records point into.
/// </summary>
internal sealed class EveLineParser
{
    // Suricata's protocol names are short; a longer app_proto is not one of them.
    private const int MaxAppLength = 64;
    private const int ValueBufferLength = 128;

    // Joins the app values: the line is valid UTF-8 and so is an unescaped JSON string, and 0xFF never occurs in UTF-8.
    private const byte AppSeparator = 0xFF;

    private static readonly JsonReaderOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    private readonly SuricataReaderState _state;
    private readonly Action<InputDiagnostic>? _diagnostics;
    private readonly ReplyPairing _pairing = new();

    // The app values of the current record, each in its slot (unescaped), then joined.
    private readonly byte[] _appSlots = new byte[AppSlotCount * MaxAppLength];
    private readonly byte[] _apps = new byte[AppSlotCount * (MaxAppLength + 1)];

    /// <summary>Creates the parser of <paramref name="state"/>'s input.</summary>
    public EveLineParser(SuricataReaderState state)
    {
        _state = state;
        _diagnostics = state.Diagnostics;
        Options = state.Options;
        Counters = state.Counters;
    }

    private const int AppSlotCount = 4;

    private enum Field
    {
        Unknown,
        Timestamp,
        EventType,
        FlowId,
        SourceIp,
        DestinationIp,
        SourcePort,
        DestinationPort,
        Proto,
        AppProto,
        AppProtoOrig,
        AppProtoToServer,
        AppProtoToClient,
        Flow,
        Netflow,
    }

    private enum EventKind
    {
        Missing,
        Flow,
        Netflow,
        Other,
    }

    // The slots of the app values, in the order they are joined: the protocol the port was chosen for first.
    private enum AppSlot
    {
        Proto = 0,
        Orig = 1,
        ToServer = 2,
        ToClient = 3,
    }

    private SuricataReaderOptions Options { get; }

    private InputCounters Counters { get; }

    /// <summary>The fields of one event while it is being read; the first error is kept, the rest of the object still read.</summary>
    private ref struct EveRecord
    {
        public EventKind Kind;
        public ReadOnlySpan<byte> EventType;
        public bool HasTimestamp;
        public long TimestampMicros;
        public bool HasFlowStart;
        public long FlowStartMicros;
        public bool HasNetflowStart;
        public long NetflowStartMicros;
        public bool HasFlowId;
        public long FlowId;
        public ReadOnlySpan<byte> FlowIdText;
        public bool HasSource;
        public bool HasDestination;
        public IPAddressValue Source;
        public IPAddressValue Destination;
        public ushort? SourcePort;
        public ushort? DestinationPort;
        public Transport Transport;
        public long? Bytes;
        public long? Packets;
        public long? NetflowBytes;
        public long? NetflowPackets;
        public int ProtoLength;
        public int OrigLength;
        public int ToServerLength;
        public int ToClientLength;
        public string? ErrorReason;
        public string? ErrorMessage;
    }

    /// <summary>Counts and reports a line longer than the limit.</summary>
    public void RejectTooLong(long length)
    {
        Counters.CountRead();
        if (_diagnostics is null)
        {
            Counters.CountRejected(Reasons.LineTooLong);
            return;
        }

        Reject(Reasons.LineTooLong, $"the line is longer than the limit of {Options.MaxLineLength} bytes ({length}{(_state.IsDiscarding ? "+" : string.Empty)} bytes)");
    }

    /// <summary>Handles one line (without its line feed). Returns whether it became <paramref name="record"/>.</summary>
    public bool ProcessLine(ReadOnlySpan<byte> line, out FlowRecord record)
    {
        record = default;
        if (_state.LineNumber == 1 && line.StartsWith("\uFEFF"u8))
        {
            line = line[3..];
        }

        if (line.IsEmpty || line.IndexOfAnyExcept(" \t\r"u8) < 0)
        {
            return false; // blank lines are not records
        }

        Counters.CountRead();
        if (!Utf8.IsValid(line))
        {
            return Reject(Reasons.InvalidUtf8, "the line is not valid UTF-8:", line);
        }

        var fields = default(EveRecord);
        fields.ProtoLength = fields.OrigLength = fields.ToServerLength = fields.ToClientLength = -1;
        Span<byte> buffer = stackalloc byte[ValueBufferLength];
        try
        {
            var reader = new Utf8JsonReader(line, JsonOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Reject(Reasons.InvalidJson, "the line is not a JSON object:", line);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = Classify(JsonText.PropertyName(in reader, buffer));
                reader.Read();
                ReadField(ref reader, field, ref fields, buffer);
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

        switch (fields.Kind)
        {
            case EventKind.Missing:
                return _diagnostics is null
                    ? Reject(Reasons.MissingEventType, string.Empty, default)
                    : Reject(Reasons.MissingEventType, "the object has no event_type: not an EVE event");
            case EventKind.Other:
                return Skip(Reasons.NotAFlowEvent, fields.EventType);
        }

        if (fields.ErrorReason is not null)
        {
            return Reject(fields.ErrorReason, fields.ErrorMessage ?? string.Empty);
        }

        // The flow's start, as Zeek's ts is the connection's first packet; the event's own timestamp (when it was logged,
        // at the flow's end) only where the start is absent.
        var hasStart = fields.Kind == EventKind.Netflow ? fields.HasNetflowStart : fields.HasFlowStart;
        var start = fields.Kind == EventKind.Netflow ? fields.NetflowStartMicros : fields.FlowStartMicros;
        if (!hasStart && !fields.HasTimestamp)
        {
            return _diagnostics is null
                ? Reject(Reasons.MissingTimestamp, string.Empty, default)
                : Reject(Reasons.MissingTimestamp, fields.Kind == EventKind.Flow ? "the event has neither flow.start nor timestamp" : "the event has neither netflow.start nor timestamp");
        }

        if (!fields.HasSource || !fields.HasDestination)
        {
            return _diagnostics is null
                ? Reject(Reasons.MissingAddress, string.Empty, default)
                : Reject(Reasons.MissingAddress, fields.HasSource ? "the event has no dest_ip" : "the event has no src_ip");
        }

        if (fields.Kind == EventKind.Netflow && fields.HasFlowId
            && _pairing.IsReply(fields.FlowId, fields.SourcePort.GetValueOrDefault(), fields.DestinationPort.GetValueOrDefault())
            && !Options.IncludeReplies)
        {
            return SkipReply(ref fields);
        }

        record = new FlowRecord
        {
            FlowId = fields.FlowIdText,
            TimestampMicroseconds = hasStart ? start : fields.TimestampMicros,
            SourceAddress = fields.Source,
            DestinationAddress = fields.Destination,
            SourcePort = fields.SourcePort,
            DestinationPort = fields.DestinationPort,
            Transport = fields.Transport,
            Apps = ComposeApps(ref fields),
            Bytes = fields.Kind == EventKind.Netflow ? fields.NetflowBytes : fields.Bytes,
            Packets = fields.Kind == EventKind.Netflow ? fields.NetflowPackets : fields.Packets,
        };
        Counters.CountAccepted();
        return true;
    }

    private static Field Classify(ReadOnlySpan<byte> name) => name.Length switch
    {
        4 when name.SequenceEqual("flow"u8) => Field.Flow,
        5 when name.SequenceEqual("proto"u8) => Field.Proto,
        6 when name.SequenceEqual("src_ip"u8) => Field.SourceIp,
        7 when name.SequenceEqual("dest_ip"u8) => Field.DestinationIp,
        7 when name.SequenceEqual("flow_id"u8) => Field.FlowId,
        7 when name.SequenceEqual("netflow"u8) => Field.Netflow,
        8 when name.SequenceEqual("src_port"u8) => Field.SourcePort,
        9 when name.SequenceEqual("timestamp"u8) => Field.Timestamp,
        9 when name.SequenceEqual("dest_port"u8) => Field.DestinationPort,
        9 when name.SequenceEqual("app_proto"u8) => Field.AppProto,
        10 when name.SequenceEqual("event_type"u8) => Field.EventType,
        12 when name.SequenceEqual("app_proto_ts"u8) => Field.AppProtoToServer,
        12 when name.SequenceEqual("app_proto_tc"u8) => Field.AppProtoToClient,
        14 when name.SequenceEqual("app_proto_orig"u8) => Field.AppProtoOrig,
        _ => Field.Unknown, // app_proto_expected too: a protocol expected after a change and not seen is not traffic seen
    };

    private void ReadField(ref Utf8JsonReader reader, Field field, ref EveRecord fields, scoped Span<byte> buffer)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        switch (field)
        {
            case Field.EventType:
                if (reader.TokenType == JsonTokenType.String)
                {
                    var name = JsonText.ShortString(in reader, buffer);
                    fields.Kind = name.SequenceEqual("flow"u8) ? EventKind.Flow : name.SequenceEqual("netflow"u8) ? EventKind.Netflow : EventKind.Other;
                    fields.EventType = fields.Kind == EventKind.Other ? reader.ValueSpan : default;
                }
                else
                {
                    fields.Kind = EventKind.Other;
                    reader.Skip();
                }

                break;
            case Field.Timestamp:
                ReadTime(ref reader, ref fields, ref fields.HasTimestamp, ref fields.TimestampMicros, "timestamp", buffer);
                break;
            case Field.FlowId:
                fields.HasFlowId = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out fields.FlowId);
                fields.FlowIdText = fields.HasFlowId ? reader.ValueSpan : default;
                break;
            case Field.SourceIp:
                fields.HasSource = ReadAddress(ref reader, ref fields, ref fields.Source, "src_ip", buffer);
                break;
            case Field.DestinationIp:
                fields.HasDestination = ReadAddress(ref reader, ref fields, ref fields.Destination, "dest_ip", buffer);
                break;
            case Field.SourcePort:
                ReadPort(ref reader, ref fields, ref fields.SourcePort, "src_port", buffer);
                break;
            case Field.DestinationPort:
                ReadPort(ref reader, ref fields, ref fields.DestinationPort, "dest_port", buffer);
                break;
            case Field.Proto:
                fields.Transport = reader.TokenType == JsonTokenType.String ? Transports.FromName(JsonText.ShortString(in reader, buffer)) : Transport.Unknown;
                reader.Skip();
                break;
            case Field.AppProto:
                ReadApp(ref reader, ref fields, ref fields.ProtoLength, AppSlot.Proto, "app_proto", buffer);
                break;
            case Field.AppProtoOrig:
                ReadApp(ref reader, ref fields, ref fields.OrigLength, AppSlot.Orig, "app_proto_orig", buffer);
                break;
            case Field.AppProtoToServer:
                ReadApp(ref reader, ref fields, ref fields.ToServerLength, AppSlot.ToServer, "app_proto_ts", buffer);
                break;
            case Field.AppProtoToClient:
                ReadApp(ref reader, ref fields, ref fields.ToClientLength, AppSlot.ToClient, "app_proto_tc", buffer);
                break;
            case Field.Flow or Field.Netflow when reader.TokenType == JsonTokenType.StartObject:
                ReadCounters(ref reader, ref fields, field == Field.Netflow, buffer);
                break;
            default:
                reader.Skip();
                break;
        }
    }

    // flow: {start, bytes_toserver, bytes_toclient, pkts_toserver, pkts_toclient, ...}; netflow: {start, bytes, pkts, ...}.
    private void ReadCounters(ref Utf8JsonReader reader, ref EveRecord fields, bool netflow, scoped Span<byte> buffer)
    {
        var owner = netflow ? "netflow." : "flow.";
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = JsonText.PropertyName(in reader, buffer);
            var isStart = name.SequenceEqual("start"u8);
            var isBytes = netflow ? name.SequenceEqual("bytes"u8) : name.SequenceEqual("bytes_toserver"u8) || name.SequenceEqual("bytes_toclient"u8);
            var isPackets = netflow ? name.SequenceEqual("pkts"u8) : name.SequenceEqual("pkts_toserver"u8) || name.SequenceEqual("pkts_toclient"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            if (isStart && netflow)
            {
                ReadTime(ref reader, ref fields, ref fields.HasNetflowStart, ref fields.NetflowStartMicros, "netflow.start", buffer);
            }
            else if (isStart)
            {
                ReadTime(ref reader, ref fields, ref fields.HasFlowStart, ref fields.FlowStartMicros, "flow.start", buffer);
            }
            else if (isBytes)
            {
                ReadCount(ref reader, ref fields, ref netflow ? ref fields.NetflowBytes : ref fields.Bytes, owner, buffer);
            }
            else if (isPackets)
            {
                ReadCount(ref reader, ref fields, ref netflow ? ref fields.NetflowPackets : ref fields.Packets, owner, buffer);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private void ReadTime(ref Utf8JsonReader reader, ref EveRecord fields, ref bool has, ref long micros, string name, scoped Span<byte> buffer)
    {
        if (reader.TokenType == JsonTokenType.String && SuricataTime.TryParse(JsonText.ShortString(in reader, buffer), out micros))
        {
            has = true;
            return;
        }

        Fail(ref fields, Reasons.BadTimestamp, name, " is not an ISO 8601 time with its offset:", ref reader, buffer);
    }

    private bool ReadAddress(ref Utf8JsonReader reader, ref EveRecord fields, ref IPAddressValue address, string name, scoped Span<byte> buffer)
    {
        if (reader.TokenType == JsonTokenType.String && IPAddressValue.TryParse(JsonText.ShortString(in reader, buffer), out var parsed))
        {
            address = parsed;
            return true;
        }

        Fail(ref fields, Reasons.BadAddress, name, " is not an IP address:", ref reader, buffer);
        return true; // present, though bad: the error above is the one reported
    }

    private void ReadPort(ref Utf8JsonReader reader, ref EveRecord fields, ref ushort? port, string name, scoped Span<byte> buffer)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
        {
            if (value is >= 0 and <= ushort.MaxValue)
            {
                port = (ushort)value;
                return;
            }

            Fail(ref fields, Reasons.PortOutOfRange, name, " is not in 0-65535:", ref reader, buffer);
            return;
        }

        Fail(ref fields, Reasons.BadPort, name, " is not a port number:", ref reader, buffer);
    }

    private void ReadCount(ref Utf8JsonReader reader, ref EveRecord fields, ref long? total, string owner, scoped Span<byte> buffer)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value >= 0)
        {
            var sum = total.GetValueOrDefault();
            total = sum > long.MaxValue - value ? long.MaxValue : sum + value;
            return;
        }

        Fail(ref fields, Reasons.BadNumber, $"a byte or packet count of {owner[..^1]}", " is not a count:", ref reader, buffer);
    }

    private void ReadApp(ref Utf8JsonReader reader, ref EveRecord fields, ref int length, AppSlot slot, string name, scoped Span<byte> buffer)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            Fail(ref fields, Reasons.BadAppProto, name, " is not a string:", ref reader, buffer);
            return;
        }

        var target = _appSlots.AsSpan((int)slot * MaxAppLength, MaxAppLength);
        if (!reader.ValueIsEscaped)
        {
            if (reader.ValueSpan.Length > MaxAppLength)
            {
                Fail(ref fields, Reasons.BadAppProto, name, $" is longer than {MaxAppLength} bytes, no Suricata protocol name:", ref reader, buffer);
                return;
            }

            reader.ValueSpan.CopyTo(target);
            length = reader.ValueSpan.Length;
            return;
        }

        if (!JsonText.TryCopy(in reader, target, out length))
        {
            length = -1;
            Fail(ref fields, Reasons.BadAppProto, name, $" is longer than {MaxAppLength} bytes, no Suricata protocol name:", ref reader, buffer);
        }
    }

    /// <summary>
    /// The app values: <c>app_proto_orig</c> when Suricata saw a protocol change (STARTTLS, HTTP CONNECT, an HTTP/1
    /// upgrade), then <c>app_proto</c> (after a change, the protocol the flow changed to); and <c>app_proto_ts</c> and
    /// <c>app_proto_tc</c>, which Suricata writes when the two directions were detected as different protocols. <c>failed</c>
    /// and <c>unknown</c> are no app; duplicates are dropped. Whether the protocol a flow changed to is a mismatch is the
    /// rules' to say, as for Zeek's <c>smtp,ssl</c>: a rule's upgrade-of relation (<c>DetectionRule.UpgradeOf</c>) expects TLS
    /// after STARTTLS on SMTP's own port, and a rule without one (ESCU's) judges every value alone.
    /// </summary>
    private AppValues ComposeApps(scoped ref EveRecord fields)
    {
        var joined = _apps.AsSpan();
        var length = 0;
        var count = 0;
        Append(AppSlot.Orig, fields.OrigLength, joined, ref length, ref count);
        Append(AppSlot.Proto, fields.ProtoLength, joined, ref length, ref count);
        Append(AppSlot.ToServer, fields.ToServerLength, joined, ref length, ref count);
        Append(AppSlot.ToClient, fields.ToClientLength, joined, ref length, ref count);
        return count switch
        {
            0 => AppValues.None,
            1 => AppValues.FromValue(joined[..(length - 1)]),
            _ => AppValues.Split(joined[..length], AppSeparator),
        };
    }

    private void Append(AppSlot slot, int valueLength, Span<byte> joined, ref int length, ref int count)
    {
        if (valueLength <= 0)
        {
            return;
        }

        var value = _appSlots.AsSpan((int)slot * MaxAppLength, valueLength);
        if (value.SequenceEqual("failed"u8) || value.SequenceEqual("unknown"u8))
        {
            return;
        }

        foreach (var existing in AppValues.Split(joined[..length], AppSeparator))
        {
            if (existing.SequenceEqual(value))
            {
                return;
            }
        }

        value.CopyTo(joined[length..]);
        length += valueLength;
        joined[length++] = AppSeparator;
        count++;
    }

    private void Fail(ref EveRecord fields, string reason, string subject, string problem, ref Utf8JsonReader reader, scoped Span<byte> buffer)
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

    private bool Reject(string reason, string what, ReadOnlySpan<byte> value)
    {
        if (_diagnostics is null)
        {
            Counters.CountRejected(reason);
            return false;
        }

        return Reject(reason, $"{what} '{InputText.Escape(value)}'");
    }

    private bool Reject(string reason, string message)
    {
        Counters.CountRejected(reason);
        _diagnostics?.Invoke(new InputDiagnostic(RecordOutcome.Rejected, reason, message, _state.InputName, _state.LineNumber, _state.LineOffset));
        return false;
    }

    private bool Skip(string reason, ReadOnlySpan<byte> eventType)
    {
        Counters.CountSkipped(reason);
        _diagnostics?.Invoke(new InputDiagnostic(
            RecordOutcome.Skipped,
            reason,
            $"a '{InputText.Escape(eventType)}' event, not flow or netflow",
            _state.InputName,
            _state.LineNumber,
            _state.LineOffset));
        return false;
    }

    private bool SkipReply(scoped ref EveRecord fields)
    {
        Counters.CountSkipped(Reasons.ReplyFlow);
        _diagnostics?.Invoke(new InputDiagnostic(
            RecordOutcome.Skipped,
            Reasons.ReplyFlow,
            $"the reply half of a netflow pair (flow_id {fields.FlowId}, source port {fields.SourcePort}, destination port {fields.DestinationPort})",
            _state.InputName,
            _state.LineNumber,
            _state.LineOffset));
        return false;
    }
}
