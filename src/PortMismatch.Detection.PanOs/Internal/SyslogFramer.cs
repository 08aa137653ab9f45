using System.Buffers;
using System.Globalization;

namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>
/// Where one syslog message ends: LF or CRLF lines and RFC 6587 octet-counted frames, mixed freely, each bounded by
/// <see cref="PanOsReaderOptions.MaxLineLength"/> (an over-long one is counted as rejected and skipped to its end, also
/// across buffers). Keeps the line number and byte offset of the input; what a frame says is <see cref="TrafficDecoder"/>'s
/// business. Part of a <see cref="PanOsReaderState"/>. Not thread-safe.
/// </summary>
internal sealed class SyslogFramer
{
    // Octet-counting prefix: up to 9 digits, a space, then the message's "<".
    private const int MaxOctetDigits = 9;
    private const int OctetPeekLength = MaxOctetDigits + 2;

    private readonly InputCounters _counters;
    private readonly Action<InputDiagnostic>? _diagnostics;
    private readonly string? _inputName;
    private readonly int _maxLength;
    private byte[]? _frameScratch;

    // Where the next frame starts, and what is left of an over-long frame being skipped.
    private long _lineNumber = 1;
    private long _byteOffset;
    private bool _discardingLine;
    private long _discardBytes;

    // Where the frame being framed starts (for its diagnostics and the caller's).
    private long _frameLine;
    private long _frameOffset;

    public SyslogFramer(int maxLength, InputCounters counters, Action<InputDiagnostic>? diagnostics, string? inputName)
    {
        _maxLength = maxLength;
        _counters = counters;
        _diagnostics = diagnostics;
        _inputName = inputName;
    }

    /// <summary>Gets the 1-based line at which the next frame starts.</summary>
    public long LineNumber => _lineNumber;

    /// <summary>Gets the number of bytes framed so far (the byte offset of the next frame).</summary>
    public long BytesConsumed => _byteOffset;

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

        // A byte order mark at the start of the input is no part of the first line (a log saved by a Windows editor).
        if (_byteOffset == 0 && data.StartsWith("\uFEFF"u8))
        {
            return Consume(advance = 3);
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
        _counters.CountRead();
        _counters.CountRejected(Reasons.LineTooLong);
        if (_diagnostics is not null)
        {
            var message = length >= 0
                ? string.Create(CultureInfo.InvariantCulture, $"the line or frame has {length} bytes; the maximum is {_maxLength}")
                : string.Create(CultureInfo.InvariantCulture, $"the line is longer than the maximum of {_maxLength} bytes");
            _diagnostics(new InputDiagnostic(RecordOutcome.Rejected, Reasons.LineTooLong, message, _inputName, _frameLine, _frameOffset));
        }
    }

    private void RejectTruncated(long length, long available)
    {
        _counters.CountRead();
        _counters.CountRejected(Reasons.TruncatedFrame);
        _diagnostics?.Invoke(new InputDiagnostic(
            RecordOutcome.Rejected,
            Reasons.TruncatedFrame,
            string.Create(CultureInfo.InvariantCulture, $"the octet-counted frame announces {length} bytes but the input ends after {available}"),
            _inputName,
            _frameLine,
            _frameOffset));
    }
}
