using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>
/// The state of one read: framing (lines or RFC 6587 octet counting, bounded length), decoding of a frame into a flow
/// record, counters and diagnostics. Shared by the synchronous reader and the asynchronous entry points. Not thread-safe.
/// </summary>
internal sealed class TrafficDecoder
{
    // Fields 0..34 are located and kept; later ones are only checked for well-formed quoting.
    private const int FieldsKept = 35;
    private const int MinTrafficFields = 30;

    // Octet-counting prefix: up to 9 digits, a space, then the message's "<".
    private const int MaxOctetDigits = 9;
    private const int OctetPeekLength = MaxOctetDigits + 2;

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
    private byte[]? _frameScratch;
    private byte[]? _valueScratch;

    // Where the next frame starts, and what is left of an over-long frame being skipped.
    private long _lineNumber = 1;
    private long _byteOffset;
    private bool _discardingLine;
    private long _discardBytes;

    // Where the frame being framed starts (for its diagnostics and the caller's).
    private long _frameLine;
    private long _frameOffset;

    public TrafficDecoder(PanOsReaderOptions? options, Action<InputDiagnostic>? diagnostics, string? inputName)
    {
        options ??= PanOsReaderOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxLineLength, PanOsReaderOptions.MinMaxLineLength, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxLineLength, PanOsReaderOptions.MaxMaxLineLength, nameof(options));
        ArgumentNullException.ThrowIfNull(options.TimeZone, nameof(options));
        ValidateClockSkew(options);
        _maxLength = options.MaxLineLength;
        _useNatDestination = options.UseNatDestination;
        _subtypes = options.Subtypes;
        _time = new PanOsTime(options.TimeZone);
        _zone = options.TimeZone;
        _diagnostics = diagnostics;
        InputName = inputName;
        Counters = new InputCounters();
    }

    public InputCounters Counters { get; }

    /// <summary>Refuses a negative <see cref="PanOsReaderOptions.MaxClockSkew"/> (as the IPFIX decoder does), for files too.</summary>
    public static void ValidateClockSkew(PanOsReaderOptions options)
    {
        if (options.MaxClockSkew < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxClockSkew, $"PanOsReaderOptions.MaxClockSkew is {options.MaxClockSkew}; it must not be negative.");
        }
    }

    /// <summary>
    /// Gets or sets the latest Generated Time accepted, in Unix microseconds; a later log is rejected as <c>time-in-future</c>.
    /// A live source sets it from its clock for each datagram; files leave it at <see cref="long.MaxValue"/>.
    /// </summary>
    public long NotAfter { get; set; } = long.MaxValue;

    /// <summary>Gets or sets the receiving clock (Unix microseconds) that <see cref="NotAfter"/> was set from; live sources only.</summary>
    public long ReceivedAt { get; set; }

    public string? InputName { get; }

    /// <summary>Gets the 1-based line of the frame that <c>NextFrame</c> last looked at.</summary>
    public long FrameLineNumber => _frameLine;

    /// <summary>Gets the byte offset of the frame that <c>NextFrame</c> last looked at.</summary>
    public long FrameByteOffset => _frameOffset;

    /// <summary>Ends a datagram that did not end in LF, so that the next datagram's message counts as the next line.</summary>
    public void EndUnterminatedMessage() => _lineNumber++;

    /// <summary>Finds the next frame in contiguous input.</summary>
    /// <param name="data">The unread input.</param>
    /// <param name="isFinal">Whether no input follows <paramref name="data"/>.</param>
    /// <param name="frame">The frame, without its line end, on <see cref="FrameStatus.Frame"/>.</param>
    /// <param name="advance">How many bytes of <paramref name="data"/> are consumed.</param>
    public FrameStatus NextFrame(ReadOnlySpan<byte> data, bool isFinal, out ReadOnlySpan<byte> frame, out int advance)
    {
        frame = default;
        advance = 0;
        if (data.IsEmpty)
        {
            return Finish(isFinal);
        }

        if (_discardBytes > 0)
        {
            var n = (int)Math.Min(data.Length, _discardBytes);
            _discardBytes -= n;
            _lineNumber += data[..n].Count((byte)'\n');
            return Consume(advance = n);
        }

        if (_discardingLine)
        {
            var lf = data.IndexOf((byte)'\n');
            if (lf < 0)
            {
                _discardingLine = !isFinal;
                return Consume(advance = data.Length);
            }

            _discardingLine = false;
            _lineNumber++;
            return Consume(advance = lf + 1);
        }

        _frameLine = _lineNumber;
        _frameOffset = _byteOffset;
        switch (OctetPrefix(data, !isFinal, out var length, out var prefixLength))
        {
            case PrefixKind.NeedMoreData:
                return FrameStatus.NeedMoreData;
            case PrefixKind.OctetCount:
                var total = (long)prefixLength + length;
                if (length > _maxLength)
                {
                    RejectTooLong(length);
                    var available = (int)Math.Min(total, data.Length);
                    _lineNumber += data[prefixLength..available].Count((byte)'\n');
                    _discardBytes = isFinal ? 0 : total - available;
                    return Consume(advance = available);
                }

                if (total > data.Length)
                {
                    if (!isFinal)
                    {
                        return FrameStatus.NeedMoreData;
                    }

                    RejectTruncated(length, data.Length - prefixLength);
                    _lineNumber += data[prefixLength..].Count((byte)'\n');
                    return Consume(advance = data.Length);
                }

                frame = data.Slice(prefixLength, length);
                advance = (int)total;
                return OctetFrame(ref frame, advance);
        }

        var window = data[..Math.Min(data.Length, _maxLength + 2)];
        var end = window.IndexOf((byte)'\n');
        if (end >= 0)
        {
            frame = data[..end];
            advance = end + 1;
            return LineFrame(ref frame, advance, terminated: true);
        }

        if (data.Length > _maxLength + 1)
        {
            RejectTooLong(-1);
            var next = data[window.Length..].IndexOf((byte)'\n');
            if (next >= 0)
            {
                _lineNumber++;
                return Consume(advance = window.Length + next + 1);
            }

            _discardingLine = !isFinal;
            return Consume(advance = data.Length);
        }

        if (!isFinal)
        {
            return FrameStatus.NeedMoreData;
        }

        frame = data;
        advance = data.Length;
        return LineFrame(ref frame, advance, terminated: false);
    }

    /// <summary>Finds the next frame in segmented input; a frame that spans segments is copied into a scratch buffer.</summary>
    /// <param name="data">The unread input.</param>
    /// <param name="isFinal">Whether no input follows <paramref name="data"/>.</param>
    /// <param name="frame">The frame, without its line end, on <see cref="FrameStatus.Frame"/>.</param>
    /// <param name="consumed">Where the unread input starts afterwards.</param>
    public FrameStatus NextFrame(ReadOnlySequence<byte> data, bool isFinal, out ReadOnlySpan<byte> frame, out SequencePosition consumed)
    {
        if (data.IsSingleSegment)
        {
            var status = NextFrame(data.FirstSpan, isFinal, out frame, out var advance);
            consumed = data.GetPosition(advance);
            return status;
        }

        // Most frames lie inside the first segment: frame there as if more input followed (it does), and fall back to the
        // segment-crossing path only when that needs more data.
        var firstStatus = NextFrame(data.FirstSpan, isFinal: false, out frame, out var firstAdvance);
        if (firstStatus is FrameStatus.Frame or FrameStatus.Consumed)
        {
            consumed = data.GetPosition(firstAdvance);
            return firstStatus;
        }

        frame = default;
        consumed = data.Start;
        if (_discardBytes > 0)
        {
            var n = Math.Min(data.Length, _discardBytes);
            _discardBytes -= n;
            var skipped = data.Slice(0, n);
            _lineNumber += CountLineFeeds(skipped);
            consumed = skipped.End;
            return Consume(n);
        }

        if (_discardingLine)
        {
            var lf = data.PositionOf((byte)'\n');
            if (lf is null)
            {
                _discardingLine = !isFinal;
                consumed = data.End;
                return Consume(data.Length);
            }

            _discardingLine = false;
            _lineNumber++;
            consumed = data.GetPosition(1, lf.Value);
            return Consume(data.Slice(0, consumed).Length);
        }

        _frameLine = _lineNumber;
        _frameOffset = _byteOffset;
        Span<byte> head = stackalloc byte[OctetPeekLength];
        var peekLength = (int)Math.Min(OctetPeekLength, data.Length);
        data.Slice(0, peekLength).CopyTo(head);
        var moreMayFollow = !isFinal || data.Length > peekLength;
        switch (OctetPrefix(head[..peekLength], moreMayFollow, out var length, out var prefixLength))
        {
            case PrefixKind.NeedMoreData:
                return FrameStatus.NeedMoreData;
            case PrefixKind.OctetCount:
                var total = (long)prefixLength + length;
                if (length > _maxLength)
                {
                    RejectTooLong(length);
                    var available = Math.Min(total, data.Length);
                    _lineNumber += CountLineFeeds(data.Slice(prefixLength, available - prefixLength));
                    _discardBytes = isFinal ? 0 : total - available;
                    consumed = data.GetPosition(available);
                    return Consume(available);
                }

                if (total > data.Length)
                {
                    if (!isFinal)
                    {
                        return FrameStatus.NeedMoreData;
                    }

                    RejectTruncated(length, data.Length - prefixLength);
                    _lineNumber += CountLineFeeds(data.Slice(prefixLength));
                    consumed = data.End;
                    return Consume(data.Length);
                }

                frame = Contiguous(data.Slice(prefixLength, length));
                consumed = data.GetPosition(total);
                return OctetFrame(ref frame, total);
        }

        var window = data.Slice(0, Math.Min(data.Length, _maxLength + 2));
        var end = window.PositionOf((byte)'\n');
        if (end is not null)
        {
            var line = data.Slice(0, end.Value);
            frame = Contiguous(line);
            consumed = data.GetPosition(1, end.Value);
            return LineFrame(ref frame, line.Length + 1, terminated: true);
        }

        if (data.Length > _maxLength + 1)
        {
            RejectTooLong(-1);
            var rest = data.Slice(window.End);
            var next = rest.PositionOf((byte)'\n');
            if (next is not null)
            {
                _lineNumber++;
                consumed = rest.GetPosition(1, next.Value);
                return Consume(data.Slice(0, consumed).Length);
            }

            _discardingLine = !isFinal;
            consumed = data.End;
            return Consume(data.Length);
        }

        if (!isFinal)
        {
            return FrameStatus.NeedMoreData;
        }

        frame = Contiguous(data);
        consumed = data.End;
        return LineFrame(ref frame, data.Length, terminated: false);
    }

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

    private static long CountLineFeeds(in ReadOnlySequence<byte> data)
    {
        long count = 0;
        foreach (var segment in data)
        {
            count += segment.Span.Count((byte)'\n');
        }

        return count;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept((byte)' ', (byte)'\t', (byte)'\r') < 0;

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

    private ReadOnlySpan<byte> Contiguous(ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            return data.FirstSpan;
        }

        // Callers pass at most max + 1 bytes (a line and its CR) or max bytes (an octet-counted frame).
        var scratch = _frameScratch ??= new byte[_maxLength + 2];
        data.CopyTo(scratch);
        return scratch.AsSpan(0, (int)data.Length);
    }

    private FrameStatus Finish(bool isFinal)
    {
        if (isFinal)
        {
            _discardingLine = false;
            _discardBytes = 0;
            return FrameStatus.End;
        }

        return FrameStatus.NeedMoreData;
    }

    private FrameStatus Consume(long advance)
    {
        _byteOffset += advance;
        return FrameStatus.Consumed;
    }

    private FrameStatus LineFrame(ref ReadOnlySpan<byte> frame, long advance, bool terminated)
    {
        if (!frame.IsEmpty && frame[^1] == (byte)'\r')
        {
            frame = frame[..^1];
        }

        if (frame.Length > _maxLength)
        {
            RejectTooLong(frame.Length);
            frame = default;
        }

        var status = frame.IsEmpty || IsBlank(frame) ? FrameStatus.Consumed : FrameStatus.Frame;
        if (terminated)
        {
            _lineNumber++;
        }

        _byteOffset += advance;
        return status;
    }

    private FrameStatus OctetFrame(ref ReadOnlySpan<byte> frame, long advance)
    {
        _lineNumber += frame.Count((byte)'\n');
        _byteOffset += advance;
        while (!frame.IsEmpty && (frame[^1] == (byte)'\n' || frame[^1] == (byte)'\r'))
        {
            frame = frame[..^1];
        }

        return frame.IsEmpty || IsBlank(frame) ? FrameStatus.Consumed : FrameStatus.Frame;
    }

    private enum PrefixKind
    {
        Line = 0,
        OctetCount = 1,
        NeedMoreData = 2,
    }

    // RFC 6587 octet counting: MSG-LEN SP SYSLOG-MSG, where MSG-LEN has no leading zero and SYSLOG-MSG starts with "<".
    private static PrefixKind OctetPrefix(ReadOnlySpan<byte> data, bool moreMayFollow, out int length, out int prefixLength)
    {
        length = 0;
        prefixLength = 0;
        if (data[0] is < (byte)'1' or > (byte)'9')
        {
            return PrefixKind.Line;
        }

        var i = 0;
        while (i < data.Length && i < MaxOctetDigits + 1 && (uint)(data[i] - '0') <= 9)
        {
            length = (length * 10) + (data[i] - '0');
            i++;
        }

        if (i > MaxOctetDigits)
        {
            length = 0;
            return PrefixKind.Line;
        }

        if (i + 2 > data.Length)
        {
            length = 0;
            var prefixSoFar = i == data.Length || data[i] == (byte)' ';
            return prefixSoFar && moreMayFollow ? PrefixKind.NeedMoreData : PrefixKind.Line;
        }

        if (data[i] != (byte)' ' || data[i + 1] != (byte)'<')
        {
            length = 0;
            return PrefixKind.Line;
        }

        prefixLength = i + 1;
        return PrefixKind.OctetCount;
    }

    private void RejectTooLong(long length)
    {
        Counters.CountRead();
        Counters.CountRejected(Reasons.LineTooLong);
        if (_diagnostics is not null)
        {
            var message = length >= 0
                ? string.Create(CultureInfo.InvariantCulture, $"the line or frame has {length} bytes; the maximum is {_maxLength}")
                : string.Create(CultureInfo.InvariantCulture, $"the line is longer than the maximum of {_maxLength} bytes");
            _diagnostics(new InputDiagnostic(RecordOutcome.Rejected, Reasons.LineTooLong, message, InputName, _frameLine, _frameOffset));
        }
    }

    private void RejectTruncated(long length, long available)
    {
        Counters.CountRead();
        Counters.CountRejected(Reasons.TruncatedFrame);
        _diagnostics?.Invoke(new InputDiagnostic(
            RecordOutcome.Rejected,
            Reasons.TruncatedFrame,
            string.Create(CultureInfo.InvariantCulture, $"the octet-counted frame announces {length} bytes but the input ends after {available}"),
            InputName,
            _frameLine,
            _frameOffset));
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
