using System.Diagnostics;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>
/// One file a <see cref="ZeekLogFollower"/> reads: its open stream (kept open after a rename, so a rotated log is finished
/// by its handle), its own reader state (each file begins with its own header), the bytes read but not yet a whole line,
/// and its first bytes, which identify it in a bookmark. Only whole lines are handed to the reader: a last line without
/// its line feed waits for it.
/// </summary>
internal sealed class FollowedFile : IDisposable
{
    private readonly Stream _stream;
    private readonly Stream? _owner;
    private readonly ZeekReaderState _state;
    private readonly byte[] _buffer;
    private readonly byte[] _prefix = new byte[FollowBookmark.PrefixCap];
    private int _prefixLength;
    private int _count;
    private long _offset;
    private long _lines;

    /// <param name="path">The file's name for diagnostics and the bookmark.</param>
    /// <param name="stream">The file's content, read from its start.</param>
    /// <param name="owner">The stream under <paramref name="stream"/> to dispose with it (the file under a decompressor), or null.</param>
    /// <param name="identity">The file's identity, or null (none on this machine, or a decompressed archive).</param>
    /// <param name="state">The reader state of this file, counting into the follower's counters.</param>
    public FollowedFile(string path, Stream stream, Stream? owner, FileIdentity? identity, ZeekReaderState state)
    {
        Path = path;
        _stream = stream;
        _owner = owner;
        Identity = identity;
        _state = state;

        // Longer than the longest line, so that a full buffer without a line feed is a line too long (the reader rejects
        // and skips it); at least 1 MiB so that a file being caught up is read in large batches, one bookmark write each.
        _buffer = new byte[(int)Math.Min(Array.MaxLength, Math.Max(1 << 20, (long)state.Options.MaxLineLength + 2))];
    }

    public string Path { get; }

    public FileIdentity? Identity { get; }

    /// <summary>Gets the offset just after the last whole line handed to the reader.</summary>
    public long Offset => _offset;

    /// <summary>Gets the offset of the next byte to read from the file.</summary>
    public long ReadPosition => _offset + _count;

    /// <summary>Gets the file's first bytes read so far (at most <see cref="FollowBookmark.PrefixCap"/>).</summary>
    public ReadOnlySpan<byte> Prefix => _prefix.AsSpan(0, _prefixLength);

    /// <summary>
    /// Places the reading at a bookmark's offset if this file is the bookmarked one: its first bytes hash as the bookmark
    /// says and it is at least that long. The header lines at the file's start are read again first (a resumed TSV file
    /// needs its <c>#fields</c>), and line numbers continue from the bookmark's.
    /// </summary>
    public bool TryResume(FollowBookmark bookmark)
    {
        var length = bookmark.PrefixLength;
        if (_stream.ReadAtLeast(_prefix.AsSpan(0, length), length, throwOnEndOfStream: false) < length
            || FollowBookmark.Hash(_prefix.AsSpan(0, length)) != bookmark.PrefixSha256)
        {
            return false;
        }

        _prefixLength = length;
        var skip = bookmark.Offset - length;
        if (_stream.CanSeek)
        {
            if (_stream.Length < bookmark.Offset)
            {
                return false;
            }

            _stream.Position = bookmark.Offset;
        }
        else
        {
            while (skip > 0)
            {
                var read = _stream.Read(_buffer, 0, (int)Math.Min(skip, _buffer.Length));
                if (read == 0)
                {
                    return false;
                }

                skip -= read;
            }
        }

        // The header block: the lines starting with '#' at the file's start (none in a JSON log).
        var header = 0;
        var headerLines = 0;
        while (header < length && _prefix[header] == (byte)'#')
        {
            var end = _prefix.AsSpan(header, length - header).IndexOf((byte)'\n');
            if (end < 0)
            {
                break;
            }

            header += end + 1;
            headerLines++;
        }

        if (header > 0)
        {
            var reader = new ZeekConnReader(_prefix.AsSpan(0, header), _state, isFinalBlock: false);
            while (reader.TryRead(out _))
            {
                // Header lines make no records.
            }
        }

        _state.PlaceInFile(bookmark.Offset - header, () => bookmark.Line - headerLines);
        _offset = bookmark.Offset;
        _lines = bookmark.Line;
        return true;
    }

    /// <summary>
    /// Reads what the file has now and hands its whole lines to the reader, batch by batch; before each batch is handed on,
    /// <paramref name="mark"/> is told the offset and line number after it (the bookmark), so that a kill can lose a batch
    /// but never count one twice. Stops at the end of the file or when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <returns>Whether any byte was read.</returns>
    public bool Pump(IFlowRecordSink sink, Action<FollowedFile, long, long>? mark, CancellationToken cancellationToken)
    {
        var any = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var read = Fill();
            any |= read > 0;
            Hand(sink, mark);
            if (read == 0)
            {
                break;
            }
        }

        return any;
    }

    /// <summary>
    /// Called when no more bytes will come (the file was rotated, replaced or truncated): a last line without its line feed
    /// was cut (a crash, a copy) and is counted as rejected with reason <c>unterminated-line</c>, not parsed; the bookmark
    /// moves past it first.
    /// </summary>
    public void Finish(Action<FollowedFile, long, long>? mark)
    {
        if (_count == 0 || _state.IsDiscarding)
        {
            // Nothing left, or the rest of an over-long line already rejected as line-too-long.
            return;
        }

        // Past the cut line first, so that a restart does not count it again.
        mark?.Invoke(this, _offset + _count, _lines + 1);
        _state.Counters.CountRead();
        _state.Counters.CountRejected(Reasons.UnterminatedLine);
        _state.Diagnostics?.Invoke(new InputDiagnostic(
            RecordOutcome.Rejected,
            Reasons.UnterminatedLine,
            $"the file ended inside a line ({_count} bytes without a line feed): cut by a crash or a copy",
            Path,
            _lines + 1,
            _offset));
        _offset += _count;
        _count = 0;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _owner?.Dispose();
    }

    private int Fill()
    {
        var total = 0;
        while (_count < _buffer.Length)
        {
            var position = ReadPosition;
            var read = _stream.Read(_buffer, _count, _buffer.Length - _count);
            if (read == 0)
            {
                break;
            }

            if (position < FollowBookmark.PrefixCap && position == _prefixLength)
            {
                var keep = (int)Math.Min(read, FollowBookmark.PrefixCap - position);
                _buffer.AsSpan(_count, keep).CopyTo(_prefix.AsSpan(_prefixLength));
                _prefixLength += keep;
            }

            _count += read;
            total += read;
        }

        return total;
    }

    private void Hand(IFlowRecordSink sink, Action<FollowedFile, long, long>? mark)
    {
        var span = _buffer.AsSpan(0, _count);
        var end = span.LastIndexOf((byte)'\n') + 1;
        if (end == 0)
        {
            if (_count < _buffer.Length)
            {
                return; // a partial line waits for its line feed
            }

            end = _count; // no line feed in a full buffer: a line too long, which the reader rejects and skips
        }
        else
        {
            mark?.Invoke(this, _offset + end, _lines + span[..end].Count((byte)'\n'));
        }

        var reader = new ZeekConnReader(span[..end], _state, isFinalBlock: false);
        while (reader.TryRead(out var record))
        {
            sink.OnRecord(record);
        }

        var consumed = (int)reader.BytesConsumed;
        Debug.Assert(consumed == end, "whole lines are consumed whole");
        _lines += span[..consumed].Count((byte)'\n');
        span[consumed..].CopyTo(_buffer);
        _count -= consumed;
        _offset += consumed;
    }
}
