using System.Buffers;
using PortMismatch.Detection.PanOs.Internal;

namespace PortMismatch.Detection.PanOs;

/// <summary>
/// Reads PAN-OS TRAFFIC logs (syslog lines carrying CSV) from UTF-8 input in memory, one accepted record per
/// <see cref="TryRead(out FlowRecord)"/>. Framing: lines ending in LF or CRLF (the last may lack its line end) and
/// RFC 6587 octet-counted frames (<c>535 &lt;14&gt;1 ...</c>), mixed freely. Rejected and skipped lines are counted in the
/// state's <see cref="PanOsReaderState.Counters"/>, reported to its diagnostics callback, and passed over. Allocates
/// nothing per record.
/// </summary>
/// <remarks>
/// Like <c>Utf8JsonReader</c>, a reader reads one buffer and keeps what goes on in a <see cref="PanOsReaderState"/>: for
/// input that arrives in pieces, read a buffer with <c>isFinalBlock: false</c> until <see cref="TryRead(out FlowRecord)"/>
/// returns <see langword="false"/>, then make a new reader with the same state over the bytes after
/// <see cref="BytesConsumed"/> followed by the next ones. The record and the spans this reader exposes point into the input
/// (or into the state's scratch buffers) and are valid until the next call of <see cref="TryRead(out FlowRecord)"/>.
/// </remarks>
public ref struct PanOsTrafficReader
{
    private readonly PanOsReaderState _state;
    private readonly SyslogFramer _framer;
    private readonly TrafficDecoder _decoder;
    private readonly bool _isSequence;
    private readonly bool _isFinalBlock;
    private ReadOnlySpan<byte> _span;
    private ReadOnlySequence<byte> _sequence;
    private readonly long _start;
    private DecodedTraffic _current;

    /// <summary>Creates a reader over the whole of an input, or its last piece, in contiguous memory.</summary>
    /// <param name="utf8">The input.</param>
    /// <param name="state">The state of the input (options, position, counters), carried from the previous piece if any.</param>
    public PanOsTrafficReader(ReadOnlySpan<byte> utf8, PanOsReaderState state)
        : this(utf8, state, isFinalBlock: true)
    {
    }

    /// <summary>Creates a reader over the whole of an input, or its last piece, in segmented memory.</summary>
    /// <param name="utf8">The input.</param>
    /// <param name="state">The state of the input (options, position, counters), carried from the previous piece if any.</param>
    public PanOsTrafficReader(ReadOnlySequence<byte> utf8, PanOsReaderState state)
        : this(utf8, state, isFinalBlock: true)
    {
    }

    /// <summary>Creates a reader over contiguous UTF-8 input.</summary>
    /// <param name="utf8">The input, or the next piece of it.</param>
    /// <param name="state">The state of the input (options, position, counters), carried from the previous piece.</param>
    /// <param name="isFinalBlock">Whether no input follows <paramref name="utf8"/> (then a last line without its line end is a line).</param>
    public PanOsTrafficReader(ReadOnlySpan<byte> utf8, PanOsReaderState state, bool isFinalBlock)
    {
        ArgumentNullException.ThrowIfNull(state);
        _state = state;
        _framer = state.Framer;
        _decoder = state.Decoder;
        _start = state.Framer.BytesConsumed;
        _span = utf8;
        _isSequence = false;
        _isFinalBlock = isFinalBlock;
    }

    /// <summary>Creates a reader over segmented UTF-8 input (a line that spans segments is copied once into a scratch buffer).</summary>
    /// <param name="utf8">The input, or the next piece of it.</param>
    /// <param name="state">The state of the input (options, position, counters), carried from the previous piece.</param>
    /// <param name="isFinalBlock">Whether no input follows <paramref name="utf8"/> (then a last line without its line end is a line).</param>
    public PanOsTrafficReader(ReadOnlySequence<byte> utf8, PanOsReaderState state, bool isFinalBlock)
    {
        ArgumentNullException.ThrowIfNull(state);
        _state = state;
        _framer = state.Framer;
        _decoder = state.Decoder;
        _start = state.Framer.BytesConsumed;
        _sequence = utf8;
        _isSequence = true;
        _isFinalBlock = isFinalBlock;
    }

    /// <summary>Gets the state this reader reads with (its counters, position and options).</summary>
    public readonly PanOsReaderState State => _state;

    /// <summary>
    /// Gets how many bytes of this reader's input have been consumed: after <see cref="TryRead(out FlowRecord)"/> returned
    /// <see langword="false"/> on a block that is not final, the rest (an unfinished line) belongs in front of the next block.
    /// </summary>
    public readonly long BytesConsumed => _framer is null ? 0 : _framer.BytesConsumed - _start;

    /// <summary>Gets the 1-based line on which the current record starts.</summary>
    public readonly long LineNumber => _current.LineNumber;

    /// <summary>Gets the byte offset at which the current record (its line or octet-counted frame) starts.</summary>
    public readonly long ByteOffset => _current.ByteOffset;

    /// <summary>Gets the subtype of the current record (field 4).</summary>
    public readonly PanOsTrafficSubtype Subtype => _current.Subtype;

    /// <summary>Gets the subtype of the current record as written (field 4), for values <see cref="Subtype"/> calls <see cref="PanOsTrafficSubtype.Other"/>.</summary>
    public readonly ReadOnlySpan<byte> SubtypeText => _current.SubtypeText;

    /// <summary>Gets the Session ID of the current record (field 22), or <see langword="null"/> when empty.</summary>
    public readonly long? SessionId => _current.SessionId;

    /// <summary>Gets the host name of the current record's syslog header, or an empty span when there is none (or it is <c>-</c>).</summary>
    public readonly ReadOnlySpan<byte> SyslogHostName => _current.HostName;

    /// <summary>
    /// Gets the time of the current record's syslog header as written (<c>Nov 30 16:09:08</c> or an RFC 3339 time), or an
    /// empty span. The record's time is the CSV Generated Time, not this.
    /// </summary>
    public readonly ReadOnlySpan<byte> SyslogTimestamp => _current.SyslogTimestamp;

    /// <summary>Reads up to the next accepted TRAFFIC record, counting and reporting the lines passed over.</summary>
    /// <param name="record">The record, valid until the next call.</param>
    /// <returns><see langword="false"/> at the end of the input, or of a block that is not final (see <see cref="BytesConsumed"/>).</returns>
    public bool TryRead(out FlowRecord record)
    {
        if (_framer is null)
        {
            record = default;
            return false;
        }

        while (true)
        {
            FrameStatus status;
            ReadOnlySpan<byte> frame;
            if (_isSequence)
            {
                status = _framer.NextFrame(_sequence, _isFinalBlock, out frame, out var consumed);
                _sequence = _sequence.Slice(consumed);
            }
            else
            {
                status = _framer.NextFrame(_span, _isFinalBlock, out frame, out var advance);
                _span = _span[advance..];
            }

            if (status == FrameStatus.Frame)
            {
                if (_decoder.TryDecode(frame, _framer.FrameLineNumber, _framer.FrameByteOffset, out _current))
                {
                    record = _current.Flow;
                    return true;
                }
            }
            else if (status != FrameStatus.Consumed)
            {
                _current = default;
                record = default;
                return false;
            }
        }
    }
}
