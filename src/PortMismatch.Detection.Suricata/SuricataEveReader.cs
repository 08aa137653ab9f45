using System.Buffers;
using System.Runtime.CompilerServices;
using PortMismatch.Detection.Suricata.Internal;

namespace PortMismatch.Detection.Suricata;

/// <summary>
/// Reads flow records from Suricata EVE JSON text in memory (one event per line, as eve.json is written), one
/// <see cref="TryRead(out FlowRecord)"/> at a time, allocating nothing per record. <c>flow</c> and <c>netflow</c> events
/// become records; other events are skipped with reason <c>not-a-flow-event</c>. Rejected and skipped lines are
/// counted in <see cref="SuricataReaderState.Counters"/> and reported to its diagnostics callback; reading goes on after them.
/// </summary>
/// <remarks>
/// <para>
/// Feed an input in blocks by passing the same <see cref="SuricataReaderState"/> to a new reader per block with
/// <c>isFinalBlock: false</c>: a last line without a line feed is then left unconsumed (see <see cref="BytesConsumed"/>
/// and <see cref="Position"/>) for the next block, unless it is already longer than
/// <see cref="SuricataReaderOptions.MaxLineLength"/>, in which case it is rejected and its remainder skipped. With
/// <c>isFinalBlock: true</c> (the default) the last line is read whether or not a line feed ends it.
/// </para>
/// <para>
/// The record returned, and the app values in it, point into the input or the state's buffers: they are valid until the
/// next call.
/// </para>
/// </remarks>
public ref struct SuricataEveReader
{
    private readonly SuricataReaderState _state;
    private readonly EveLineParser _parser;
    private readonly bool _isFinalBlock;
    private readonly bool _isSequence;
    private readonly bool _fromSequence;

    // The unread bytes of the current span (span mode) or of the first segment of _rest (sequence mode).
    private ReadOnlySpan<byte> _span;

    // Sequence mode: the input from the start of the segment that _span is in; _spanStart bytes of it are consumed.
    private ReadOnlySequence<byte> _rest;
    private long _spanStart;
    private long _consumed;

    /// <summary>Creates a reader over the whole of an input, or its last piece, in one span.</summary>
    /// <param name="utf8">The text.</param>
    /// <param name="state">The state of the input this text belongs to.</param>
    public SuricataEveReader(ReadOnlySpan<byte> utf8, SuricataReaderState state)
        : this(utf8, state, isFinalBlock: true)
    {
    }

    /// <summary>Creates a reader over the whole of an input, or its last piece, in a sequence of buffers (a <c>PipeReader</c>'s).</summary>
    /// <param name="utf8">The text.</param>
    /// <param name="state">The state of the input this text belongs to.</param>
    public SuricataEveReader(ReadOnlySequence<byte> utf8, SuricataReaderState state)
        : this(utf8, state, isFinalBlock: true)
    {
    }

    /// <summary>Creates a reader over UTF-8 text in one span.</summary>
    /// <param name="utf8">The text, or the next piece of it.</param>
    /// <param name="state">The state of the input this text belongs to, carried from the previous piece.</param>
    /// <param name="isFinalBlock">Whether no input follows <paramref name="utf8"/> (then a last line without its line end is a line).</param>
    public SuricataEveReader(ReadOnlySpan<byte> utf8, SuricataReaderState state, bool isFinalBlock)
    {
        ArgumentNullException.ThrowIfNull(state);
        _state = state;
        _parser = state.Parser;
        _isFinalBlock = isFinalBlock;
        _span = utf8;
        _isSequence = false;
        _fromSequence = false;
        _rest = default;
        _spanStart = 0;
        _consumed = 0;
    }

    /// <summary>Creates a reader over UTF-8 text in a sequence of buffers (a <c>PipeReader</c>'s).</summary>
    /// <param name="utf8">The text, or the next piece of it.</param>
    /// <param name="state">The state of the input this text belongs to, carried from the previous piece.</param>
    /// <param name="isFinalBlock">Whether no input follows <paramref name="utf8"/> (then a last line without its line end is a line).</param>
    public SuricataEveReader(ReadOnlySequence<byte> utf8, SuricataReaderState state, bool isFinalBlock)
    {
        ArgumentNullException.ThrowIfNull(state);
        _state = state;
        _parser = state.Parser;
        _isFinalBlock = isFinalBlock;
        _isSequence = !utf8.IsSingleSegment;
        _fromSequence = true;
        _span = utf8.FirstSpan;
        _rest = utf8;
        _spanStart = 0;
        _consumed = 0;
    }

    /// <summary>Gets the number of bytes of this reader's input consumed so far.</summary>
    public readonly long BytesConsumed => _consumed;

    /// <summary>
    /// Gets the position in the sequence up to which the input is consumed (for <c>PipeReader.AdvanceTo</c>); the default
    /// position for a reader over a span (use <see cref="BytesConsumed"/>).
    /// </summary>
    public readonly SequencePosition Position => !_fromSequence ? default : _rest.GetPosition(_isSequence ? _spanStart : _consumed);

    /// <summary>Gets the state (counters, position).</summary>
    public readonly SuricataReaderState State => _state;

    /// <summary>Reads the next accepted record, counting rejected and skipped ones.</summary>
    /// <param name="record">The record, valid until the next call.</param>
    /// <returns><see langword="false"/> at the end of the input (or of this block).</returns>
    public bool TryRead(out FlowRecord record)
    {
        // The common case first: a whole line within the current span, nothing being discarded.
        var max = _state.MaxLineLength;
        while (!_state.IsDiscarding)
        {
            var at = _span.IndexOf((byte)'\n');
            if ((uint)at > (uint)max)
            {
                break; // no line feed here, or an over-long line: the general path below
            }

            var line = _span[..at];
            ConsumeInSpan(at + 1);
            if (_parser.ProcessLine(line, out record))
            {
                return true;
            }
        }

        while (NextLine(out var line))
        {
            if (_parser.ProcessLine(line, out record))
            {
                return true;
            }
        }

        record = default;
        return false;
    }

    /// <summary>Finds the next line that fits the limit; over-long lines are rejected and passed over here.</summary>
    private bool NextLine(out ReadOnlySpan<byte> line)
    {
        var max = _state.MaxLineLength;
        while (true)
        {
            line = default;
            if (_isSequence && _span.IsEmpty)
            {
                MoveToNextSegment();
            }

            var at = _span.IndexOf((byte)'\n');
            long length;
            bool hasFeed;
            var spansSegments = false;
            var remaining = default(ReadOnlySequence<byte>);
            if (at >= 0)
            {
                length = at;
                hasFeed = true;
            }
            else if (_isSequence && (remaining = _rest.Slice(_spanStart)).Length > _span.Length)
            {
                // The line continues in the next segment.
                spansSegments = true;
                var feed = remaining.PositionOf((byte)'\n');
                hasFeed = feed.HasValue;
                length = feed is { } end ? remaining.Slice(0, end).Length : remaining.Length;
            }
            else
            {
                length = _span.Length;
                hasFeed = false;
            }

            if (!hasFeed && length == 0)
            {
                return false;
            }

            var take = hasFeed ? length + 1 : length;
            if (_state.IsDiscarding)
            {
                // The rest of an over-long line that began in an earlier block.
                Consume(take, spansSegments, remaining, countLine: false);
                if (hasFeed || _isFinalBlock)
                {
                    _state.IsDiscarding = false;
                }

                if (!hasFeed)
                {
                    return false;
                }

                continue;
            }

            if (length > max)
            {
                Consume(take, spansSegments, remaining, countLine: true);
                _state.IsDiscarding = !hasFeed && !_isFinalBlock;
                _parser.RejectTooLong(length);
                continue;
            }

            if (!hasFeed && !_isFinalBlock)
            {
                return false; // an incomplete line: it is read with the next block
            }

            if (spansSegments)
            {
                var buffer = _state.LineBuffer((int)length);
                remaining.Slice(0, length).CopyTo(buffer);
                line = buffer;
            }
            else
            {
                line = _span[..(int)length];
            }

            Consume(take, spansSegments, remaining, countLine: true);
            return true;
        }
    }

    private void MoveToNextSegment()
    {
        var next = _rest.Slice(_spanStart);
        _rest = next;
        _spanStart = 0;
        _span = next.FirstSpan;
    }

    private void Consume(long bytes, bool spansSegments, ReadOnlySequence<byte> remaining, bool countLine)
    {
        if (countLine)
        {
            _state.StartLine(bytes);
        }
        else
        {
            _state.AddConsumed(bytes);
        }

        _consumed += bytes;
        if (spansSegments)
        {
            _rest = remaining.Slice(bytes);
            _spanStart = 0;
            _span = _rest.FirstSpan;
        }
        else
        {
            _spanStart += bytes;
            _span = _span[(int)bytes..];
        }
    }

    /// <summary>Consumes a line of the current span, line feed included (<see cref="Consume"/>'s common case).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ConsumeInSpan(int bytes)
    {
        _state.StartLine(bytes);
        _consumed += bytes;
        _spanStart += bytes;
        _span = _span[bytes..];
    }
}
