using System.Buffers;
using PortMismatch.Detection.PanOs.Internal;

namespace PortMismatch.Detection.PanOs;

/// <summary>
/// Reads PAN-OS TRAFFIC logs (syslog lines carrying CSV) from a complete input in memory, one accepted record per
/// <see cref="TryRead(out FlowRecord)"/>. Framing: lines ending in LF or CRLF (the last may lack its line end) and
/// RFC 6587 octet-counted frames (<c>535 &lt;14&gt;1 ...</c>), mixed freely. Rejected and skipped lines are counted in
/// <see cref="Counters"/>, reported to the diagnostics callback, and passed over. Allocates nothing per record.
/// </summary>
/// <remarks>
/// The record and the spans this reader exposes point into the input (or into the reader's scratch buffers) and are
/// valid until the next call of <see cref="TryRead(out FlowRecord)"/>.
/// </remarks>
public ref struct PanOsTrafficReader
{
    private readonly TrafficDecoder _decoder;
    private readonly bool _isSequence;
    private ReadOnlySpan<byte> _span;
    private ReadOnlySequence<byte> _sequence;
    private DecodedTraffic _current;

    /// <summary>Creates a reader over contiguous UTF-8 input with the default options and no diagnostics callback.</summary>
    /// <param name="utf8Input">The whole input.</param>
    public PanOsTrafficReader(ReadOnlySpan<byte> utf8Input)
        : this(utf8Input, null, null, null)
    {
    }

    /// <summary>Creates a reader over segmented UTF-8 input with the default options and no diagnostics callback.</summary>
    /// <param name="utf8Input">The whole input.</param>
    public PanOsTrafficReader(ReadOnlySequence<byte> utf8Input)
        : this(utf8Input, null, null, null)
    {
    }

    /// <summary>Creates a reader over contiguous UTF-8 input.</summary>
    /// <param name="utf8Input">The whole input.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="PanOsReaderOptions.Default"/>.</param>
    /// <param name="diagnostics">Called for each rejected or skipped line, or <see langword="null"/>.</param>
    /// <param name="inputName">The input's name for diagnostics, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PanOsReaderOptions.MaxLineLength"/> is out of range or <see cref="PanOsReaderOptions.MaxClockSkew"/> is negative.</exception>
    public PanOsTrafficReader(ReadOnlySpan<byte> utf8Input, PanOsReaderOptions? options, Action<InputDiagnostic>? diagnostics, string? inputName)
    {
        _decoder = new TrafficDecoder(options, diagnostics, inputName);
        _span = utf8Input;
        _isSequence = false;
    }

    /// <summary>Creates a reader over segmented UTF-8 input (a line that spans segments is copied once into a scratch buffer).</summary>
    /// <param name="utf8Input">The whole input.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="PanOsReaderOptions.Default"/>.</param>
    /// <param name="diagnostics">Called for each rejected or skipped line, or <see langword="null"/>.</param>
    /// <param name="inputName">The input's name for diagnostics, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PanOsReaderOptions.MaxLineLength"/> is out of range or <see cref="PanOsReaderOptions.MaxClockSkew"/> is negative.</exception>
    public PanOsTrafficReader(ReadOnlySequence<byte> utf8Input, PanOsReaderOptions? options, Action<InputDiagnostic>? diagnostics, string? inputName)
    {
        _decoder = new TrafficDecoder(options, diagnostics, inputName);
        _sequence = utf8Input;
        _isSequence = true;
    }

    /// <summary>Gets what this reader has counted so far (<c>Read = Accepted + Rejected + Skipped</c> between calls).</summary>
    /// <remarks>A <see langword="default"/> reader has read nothing and returns empty counters.</remarks>
    public readonly InputCounters Counters => _decoder?.Counters ?? new InputCounters();

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
    /// <returns><see langword="false"/> at the end of the input.</returns>
    public bool TryRead(out FlowRecord record)
    {
        if (_decoder is null)
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
                status = _decoder.NextFrame(_sequence, isFinal: true, out frame, out var consumed);
                _sequence = _sequence.Slice(consumed);
            }
            else
            {
                status = _decoder.NextFrame(_span, isFinal: true, out frame, out var advance);
                _span = _span[advance..];
            }

            if (status == FrameStatus.Frame)
            {
                if (_decoder.TryDecode(frame, _decoder.FrameLineNumber, _decoder.FrameByteOffset, out _current))
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
