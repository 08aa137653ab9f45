using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>
/// What one PAN-OS frame says: the optional syslog header, the CSV fields, and the TRAFFIC log's flow record (subtype
/// selection, addresses, ports, Generated Time in the reader's zone, NAT destination); counts every frame it is given and
/// reports the rejected and skipped ones. Where a frame ends is <see cref="SyslogFramer"/>'s business. Part of a
/// <see cref="PanOsReaderState"/>. Not thread-safe.
/// </summary>
internal sealed class TrafficDecoder
{
    // Fields 0..34 are located and kept; later ones are only checked for well-formed quoting.
    private const int FieldsKept = 35;
    private const int MinTrafficFields = 30;

    private static readonly IPAddressValue IPv4Any = IPAddressValue.FromIPv4(0);
    private static readonly IPAddressValue IPv6Any = IPAddressValue.FromBytes(new byte[16]);

    private readonly FieldRange[] _fields = new FieldRange[FieldsKept];
    private readonly PanOsTime _time;
    private readonly TimeZoneInfo _zone;
    private readonly Action<InputDiagnostic>? _diagnostics;
    private readonly int _maxLength;
    private readonly bool _useNatDestination;
    private readonly PanOsSubtypes _subtypes;
    private TimeZoneHints? _zoneHints;
    private byte[]? _valueScratch;

    public TrafficDecoder(PanOsReaderOptions options, InputCounters counters, Action<InputDiagnostic>? diagnostics, string? inputName)
    {
        _maxLength = options.MaxLineLength;
        _useNatDestination = options.UseNatDestination;
        _subtypes = options.Subtypes;
        _time = new PanOsTime(options.TimeZone);
        _zone = options.TimeZone;
        _diagnostics = diagnostics;
        InputName = inputName;
        Counters = counters;
    }

    public InputCounters Counters { get; }

    /// <summary>
    /// Gets or sets the latest Generated Time accepted, in Unix microseconds; a later log is rejected as <c>time-in-future</c>.
    /// A live source sets it from its clock for each datagram; files leave it at <see cref="long.MaxValue"/>.
    /// </summary>
    public long NotAfter { get; set; } = long.MaxValue;

    /// <summary>Gets or sets the receiving clock (Unix microseconds) that <see cref="NotAfter"/> was set from; live sources only.</summary>
    public long ReceivedAt { get; set; }

    public string? InputName { get; }

    /// <summary>Decodes one frame; counts it and reports it when it is rejected or skipped.</summary>
    /// <param name="frame">The frame without its line end.</param>
    /// <param name="lineNumber">Its 1-based line.</param>
    /// <param name="byteOffset">Its byte offset.</param>
    /// <param name="result">The record when accepted.</param>
    /// <returns>Whether the frame is an accepted TRAFFIC log.</returns>
    public bool TryDecode(ReadOnlySpan<byte> frame, long lineNumber, long byteOffset, out DecodedTraffic result)
    {
        result = default;
        Counters.CountRead();
        if (!Utf8.IsValid(frame))
        {
            return RejectInvalidUtf8(frame, lineNumber, byteOffset);
        }

        if (!SyslogHeader.TryParse(frame, out var csvStart, out var host, out var syslogTime))
        {
            return Reject(Reasons.BadSyslogHeader, lineNumber, byteOffset, "malformed syslog header", frame);
        }

        var csv = frame[csvStart..];
        var fields = _fields.AsSpan();
        switch (CsvFields.Split(csv, fields, out var count, out var errorAt))
        {
            case CsvStatus.UnterminatedQuote:
                return Reject(Reasons.UnterminatedQuote, lineNumber, byteOffset, "quoted field {0} is not closed", count, csv[Math.Min(errorAt, csv.Length)..]);
            case CsvStatus.BadQuote:
                return Reject(Reasons.BadQuote, lineNumber, byteOffset, "text after the closing quote of field {0}", count, csv[Math.Min(errorAt, csv.Length)..]);
        }

        if (count < 4)
        {
            return Reject(Reasons.TooFewFields, lineNumber, byteOffset, "{0} CSV field(s); a PAN-OS log has at least 4", count, csv);
        }

        var type = Raw(csv, 3);
        if (!type.SequenceEqual("TRAFFIC"u8) && !Ascii.EqualsIgnoreCase(type, "TRAFFIC"u8))
        {
            return Skip(Reasons.NotATrafficLog, lineNumber, byteOffset, "log type (field 3) is not TRAFFIC", type);
        }

        if (count < MinTrafficFields)
        {
            return Reject(Reasons.TooFewFields, lineNumber, byteOffset, "{0} CSV fields; a TRAFFIC log has at least 30", count, csv);
        }

        var subtypeText = Raw(csv, 4);
        var subtype = ClassifySubtype(subtypeText);
        if ((_subtypes & ToFlag(subtype)) == 0)
        {
            return Skip(Reasons.SubtypeNotSelected, lineNumber, byteOffset, "subtype (field 4) is not selected", subtypeText);
        }

        var generated = Raw(csv, 6);
        if (!_time.TryParse(generated, out var micros))
        {
            return Reject(Reasons.BadTimestamp, lineNumber, byteOffset, "Generated Time (field 6) is not a time", generated);
        }

        if (micros > NotAfter)
        {
            return RejectInFuture(micros, frame[host], lineNumber, byteOffset, generated);
        }

        if (!TryAddress(csv, 7, out var source))
        {
            return Reject(Reasons.BadAddress, lineNumber, byteOffset, "Source Address (field 7) is not an IP address", Raw(csv, 7));
        }

        if (!TryAddress(csv, 8, out var destination))
        {
            return Reject(Reasons.BadAddress, lineNumber, byteOffset, "Destination Address (field 8) is not an IP address", Raw(csv, 8));
        }

        var status = TryPort(Raw(csv, 24), out var sourcePort);
        if (status is not null)
        {
            return Reject(status, lineNumber, byteOffset, "Source Port (field 24) is not a port", Raw(csv, 24));
        }

        status = TryPort(Raw(csv, 25), out var destinationPort);
        if (status is not null)
        {
            return Reject(status, lineNumber, byteOffset, "Destination Port (field 25) is not a port", Raw(csv, 25));
        }

        if (_useNatDestination)
        {
            if (!TryAddress(csv, 10, out var natDestination))
            {
                return Reject(Reasons.BadAddress, lineNumber, byteOffset, "NAT Destination IP (field 10) is not an IP address", Raw(csv, 10));
            }

            if (natDestination.HasValue && natDestination != IPv4Any && natDestination != IPv6Any)
            {
                status = TryPort(Raw(csv, 27), out var natPort);
                if (status is not null)
                {
                    return Reject(status, lineNumber, byteOffset, "NAT Destination Port (field 27) is not a port", Raw(csv, 27));
                }

                destination = natDestination;
                destinationPort = natPort;
            }
        }

        if (!TryNumber(Raw(csv, 22), out var sessionId))
        {
            return Reject(Reasons.BadNumber, lineNumber, byteOffset, "Session ID (field 22) is not a number", Raw(csv, 22));
        }

        long? bytes = null;
        if (count > 31 && !TryNumber(Raw(csv, 31), out bytes))
        {
            return Reject(Reasons.BadNumber, lineNumber, byteOffset, "Bytes (field 31) is not a number", Raw(csv, 31));
        }

        long? packets = null;
        if (count > 34 && !TryNumber(Raw(csv, 34), out packets))
        {
            return Reject(Reasons.BadNumber, lineNumber, byteOffset, "Packets (field 34) is not a number", Raw(csv, 34));
        }

        var app = Value(csv, 14);
        Counters.CountAccepted();
        result = new DecodedTraffic
        {
            Flow = new FlowRecord
            {
                TimestampMicroseconds = micros,
                SourceAddress = source,
                DestinationAddress = destination,
                SourcePort = sourcePort,
                DestinationPort = destinationPort,
                Transport = ParseTransport(Raw(csv, 29)),
                Apps = app.IsEmpty ? AppValues.None : AppValues.FromValue(app),
                Bytes = bytes,
                Packets = packets,
            },
            Subtype = subtype,
            SubtypeText = subtypeText,
            SessionId = sessionId,
            HostName = frame[host],
            SyslogTimestamp = frame[syslogTime],
            LineNumber = lineNumber,
            ByteOffset = byteOffset,
        };
        return true;
    }

    internal static PanOsTrafficSubtype ClassifySubtype(ReadOnlySpan<byte> text) => text switch
    {
        _ when Ascii.EqualsIgnoreCase(text, "end"u8) => PanOsTrafficSubtype.End,
        _ when Ascii.EqualsIgnoreCase(text, "start"u8) => PanOsTrafficSubtype.Start,
        _ when Ascii.EqualsIgnoreCase(text, "drop"u8) => PanOsTrafficSubtype.Drop,
        _ when Ascii.EqualsIgnoreCase(text, "deny"u8) => PanOsTrafficSubtype.Deny,
        _ => PanOsTrafficSubtype.Other,
    };

    private static PanOsSubtypes ToFlag(PanOsTrafficSubtype subtype) => subtype switch
    {
        PanOsTrafficSubtype.Start => PanOsSubtypes.Start,
        PanOsTrafficSubtype.End => PanOsSubtypes.End,
        PanOsTrafficSubtype.Drop => PanOsSubtypes.Drop,
        PanOsTrafficSubtype.Deny => PanOsSubtypes.Deny,
        _ => PanOsSubtypes.Other,
    };

    private static Transport ParseTransport(ReadOnlySpan<byte> text)
    {
        if (!text.IsEmpty && text.Length <= 3 && text.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0)
        {
            var number = 0;
            foreach (var b in text)
            {
                number = (number * 10) + (b - '0');
            }

            return Transports.FromProtocolNumber(number);
        }

        return Transports.FromName(text);
    }

    // Returns null when the text is a port or empty (absent), else the reason.
    private static string? TryPort(ReadOnlySpan<byte> text, out ushort? port)
    {
        port = null;
        if (text.IsEmpty)
        {
            return null;
        }

        var value = 0;
        foreach (var b in text)
        {
            var digit = b - '0';
            if ((uint)digit > 9)
            {
                return Reasons.BadPort;
            }

            value = Math.Min((value * 10) + digit, 1_000_000);
        }

        if (value > ushort.MaxValue)
        {
            return Reasons.PortOutOfRange;
        }

        port = (ushort)value;
        return null;
    }

    private static bool TryNumber(ReadOnlySpan<byte> text, out long? number)
    {
        number = null;
        if (text.IsEmpty)
        {
            return true;
        }

        if (text.Length > 18)
        {
            return false;
        }

        long value = 0;
        foreach (var b in text)
        {
            var digit = b - '0';
            if ((uint)digit > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        number = value;
        return true;
    }

    private bool TryAddress(ReadOnlySpan<byte> csv, int index, out IPAddressValue address)
    {
        var text = Raw(csv, index);
        if (text.IsEmpty)
        {
            address = IPAddressValue.None;
            return true;
        }

        return IPAddressValue.TryParse(text, out address);
    }

    private ReadOnlySpan<byte> Raw(ReadOnlySpan<byte> csv, int index)
    {
        var field = _fields[index];
        return csv.Slice(field.Start, field.Length);
    }

    // The field's value with doubled quotes undone.
    private ReadOnlySpan<byte> Value(ReadOnlySpan<byte> csv, int index)
    {
        var field = _fields[index];
        var raw = csv.Slice(field.Start, field.Length);
        if (!field.HasEscapedQuotes)
        {
            return raw;
        }

        var scratch = _valueScratch ??= new byte[_maxLength];
        var length = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            scratch[length++] = raw[i];
            if (raw[i] == (byte)'"')
            {
                i++;
            }
        }

        return scratch.AsSpan(0, length);
    }

    private bool Reject(string reason, long lineNumber, long byteOffset, string message, ReadOnlySpan<byte> quoted)
        => Reject(reason, lineNumber, byteOffset, message, 0, quoted);

    // The message is a composite format with {0} = argument, formatted only when someone listens.
    private bool Reject(string reason, long lineNumber, long byteOffset, string message, int argument, ReadOnlySpan<byte> quoted)
    {
        Counters.CountRejected(reason);
        Report(RecordOutcome.Rejected, reason, lineNumber, byteOffset, message, argument, quoted);
        return false;
    }

    private bool RejectInFuture(long micros, ReadOnlySpan<byte> host, long lineNumber, long byteOffset, ReadOnlySpan<byte> generated)
    {
        Counters.CountRejected(Reasons.TimeInFuture);
        if (_diagnostics is not null)
        {
            var from = host.IsEmpty ? string.Empty : $" from host \"{InputText.Escape(host)}\"";
            var hint = string.Empty;
            if (PanOsTime.IsWithoutOffset(generated))
            {
                var quarters = (_zoneHints ??= new TimeZoneHints()).Observe(host, micros - ReceivedAt, ReceivedAt);
                hint = quarters == 0 ? hint : TimeZoneHints.Describe(quarters, _zone, micros);
            }

            var message = string.Create(CultureInfo.InvariantCulture, $"Generated Time (field 6) \"{InputText.Escape(generated)}\"{from} is {FlowTime.ToDateTimeOffset(micros):O}, more than the allowed clock skew ahead of the receiving clock (latest accepted {FlowTime.ToDateTimeOffset(NotAfter):O}){hint}");
            _diagnostics(new InputDiagnostic(RecordOutcome.Rejected, Reasons.TimeInFuture, message, InputName, lineNumber, byteOffset));
        }

        return false;
    }

    private bool RejectInvalidUtf8(ReadOnlySpan<byte> frame, long lineNumber, long byteOffset)
    {
        Counters.CountRejected(Reasons.InvalidUtf8);
        if (_diagnostics is not null)
        {
            var at = 0;
            while (at < frame.Length && Rune.DecodeFromUtf8(frame[at..], out _, out var consumed) == OperationStatus.Done)
            {
                at += consumed;
            }

            var message = string.Create(CultureInfo.InvariantCulture, $"invalid UTF-8 at byte {at} of the line: \"{InputText.Escape(frame.Slice(at, Math.Min(8, frame.Length - at)))}\"");
            _diagnostics(new InputDiagnostic(RecordOutcome.Rejected, Reasons.InvalidUtf8, message, InputName, lineNumber, byteOffset));
        }

        return false;
    }

    private bool Skip(string reason, long lineNumber, long byteOffset, string message, ReadOnlySpan<byte> quoted)
    {
        Counters.CountSkipped(reason);
        Report(RecordOutcome.Skipped, reason, lineNumber, byteOffset, message, 0, quoted);
        return false;
    }

    private void Report(RecordOutcome outcome, string reason, long lineNumber, long byteOffset, string message, int argument, ReadOnlySpan<byte> quoted)
    {
        if (_diagnostics is not null)
        {
            var text = string.Format(CultureInfo.InvariantCulture, message, argument);
            _diagnostics(new InputDiagnostic(outcome, reason, $"{text}: \"{InputText.Escape(quoted)}\"", InputName, lineNumber, byteOffset));
        }
    }
}
