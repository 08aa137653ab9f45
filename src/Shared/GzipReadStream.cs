using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace PortMismatch.Detection.Internal;

/// <summary>Makes the exception an adapter throws for damaged gzip input (its own <see cref="InputFormatException"/>).</summary>
/// <param name="message">What is wrong and where, without the input's name.</param>
/// <param name="byteOffset">The offset in the compressed input.</param>
internal delegate Exception CompressedInputError(string message, long byteOffset);

/// <summary>
/// Decompresses gzip (RFC 1952), member after member, and refuses what <see cref="GZipStream"/> lets pass as a complete
/// input: a stream cut at a flush point, inside a block, inside a header or a trailer, bytes after the last member (all
/// read as a clean end by GZipStream), and it names what is wrong where GZipStream says "unsupported compression method"
/// for every damage (a CRC-32 or length mismatch, a bad header). Headers and trailers are read here, the deflate data by a
/// raw <see cref="DeflateStream"/> (native zlib), and the CRC-32 by <see cref="Crc32"/> (vectorized): the work GZipStream
/// does too, whose zlib computes the same CRC (GzipReadBenchmarks compares the two). Everything decompressed before the
/// damage has been returned when the adapter's exception is thrown, with an offset in the compressed input; every read
/// after that throws it again.
/// </summary>
/// <remarks>
/// A raw DeflateStream reads its input in chunks and does not say where in the last chunk the deflate data ended. It asks
/// for a chunk only when it has used up the one before and needs more, so the end is after the first byte of the last
/// chunk and at most at its end; the trailer is the first place there that holds the member's CRC-32 and length and is
/// followed by the end of the input or a gzip header (else the first place that holds them). The first 16 bytes of each
/// member's deflate data are given one at a time, so that a member that small, such as an empty one (whose trailer is
/// eight zero bytes, and whose deflate data may end in zeros too), has its end known exactly. Only deflate data made to
/// hold its own member's CRC-32 and length near its end, followed by what looks like a gzip header, can be misread: as
/// the members it was made to look like, as a crafted gzip file can say anything anyway.
/// <para>
/// The offset of an error is exact for an input that ends too early (the end of the input), a bad header field (the
/// field), a CRC-32 or length that does not match (the trailer's field) and bytes after the last member (where they
/// start), with one exception: when no place after the deflate data is followed by the end or a gzip header, the first
/// place that holds the member's CRC-32 and length is taken, and deflate data that ends in bytes equal to the start of
/// its own trailer (an empty member's deflate data longer than 17 bytes ending in zero bytes, which no gzip writer
/// makes) moves that place, and the offsets after it, earlier by as many bytes, never later. For corrupt deflate data
/// the offset is the start of the chunk (up to 8 KiB) in which the inflater found the data invalid: the damage lies
/// before the end of that chunk, and may lie before the offset, as damaged deflate data can decode into wrong bytes for
/// a while before it becomes invalid.
/// </para>
/// </remarks>
internal sealed class GzipReadStream : ReadOnlyStream
{
    private const int BufferSize = 64 * 1024;
    private const int MaxChunk = 16 * 1024; // the inflater asks for 8 KiB; the trailer search looks at one chunk
    private const int ByteByByte = 16;      // the first bytes of each member's deflate data are given one at a time
    private const int FixedHeaderLength = 10;
    private const int TrailerLength = 8;
    private const byte FlagHeaderCrc = 0x02;
    private const byte FlagExtra = 0x04;
    private const byte FlagName = 0x08;
    private const byte FlagComment = 0x10;
    private const byte ReservedFlags = 0xE0;

    private readonly Stream _source;
    private readonly bool _leaveOpen;
    private readonly CompressedInputError _error;
    private readonly Crc32 _crc = new();
    private readonly Crc32 _headerCrc = new();
    private readonly DeflateInput _deflateInput;
    private byte[] _buffer;
    private int _pos;          // the next unread byte of _buffer
    private int _end;          // the end of the bytes read into _buffer
    private long _bufferStart; // the offset in the compressed input of _buffer[0]
    private bool _sourceEnded;
    private State _state;
    private DeflateStream? _inflater;
    private long _memberStart;
    private long _memberSize;
    private long _dataStart;   // the offset of the member's deflate data
    private long _chunkStart;  // the last chunk given to the inflater, as offsets in the compressed input
    private long _chunkEnd;
    private bool _inflaterSawEnd;
    private int _membersRead;
    private Exception? _failure;

    /// <summary>Creates the stream.</summary>
    /// <param name="source">The compressed input, read from its current position (offsets count from there).</param>
    /// <param name="error">Makes the adapter's exception for damaged input.</param>
    /// <param name="leaveOpen">Whether disposing this stream leaves <paramref name="source"/> open.</param>
    public GzipReadStream(Stream source, CompressedInputError error, bool leaveOpen)
    {
        _source = source;
        _error = error;
        _leaveOpen = leaveOpen;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        _deflateInput = new DeflateInput(this);
    }

    private enum State
    {
        Header,
        Body,
        Trailer,
        Done,
    }

    // Both forms inflate straight into the caller's buffer; headers and trailers are read by the same code, synchronously here.
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (Completed(ToDeflateDataAsync(async: false, CancellationToken.None)))
        {
            int n;
            try
            {
                n = _inflater!.Read(buffer);
            }
            catch (InvalidDataException)
            {
                n = InflaterFailed();
            }

            if (Inflated(buffer, n))
            {
                return n;
            }
        }

        return 0;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => buffer.IsEmpty ? new ValueTask<int>(0) : ReadCoreAsync(buffer, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inflater?.Dispose();
            _inflater = null;
            _deflateInput.Dispose();
            ReturnBuffer();
            if (!_leaveOpen)
            {
                _source.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private async ValueTask<int> ReadCoreAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (await ToDeflateDataAsync(async: true, cancellationToken).ConfigureAwait(false))
        {
            int n;
            try
            {
                n = await _inflater!.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException)
            {
                n = InflaterFailed();
            }

            if (Inflated(destination.Span, n))
            {
                return n;
            }
        }

        return 0;
    }

    // Reads trailers and headers until the deflate data of a member is next; false at the clean end of the input.
    private async ValueTask<bool> ToDeflateDataAsync(bool async, CancellationToken cancellationToken)
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        while (true)
        {
            switch (_state)
            {
                case State.Body:
                    return true;
                case State.Trailer:
                    await ReadTrailerAsync(async, cancellationToken).ConfigureAwait(false);
                    _state = State.Header;
                    break;
                case State.Header:
                    if (!await ReadHeaderAsync(async, cancellationToken).ConfigureAwait(false))
                    {
                        _state = State.Done;
                        return false;
                    }

                    _state = State.Body;
                    break;
                default:
                    return false;
            }
        }
    }

    // Reads a member header; false at the clean end of the input (no byte after the last trailer).
    private async ValueTask<bool> ReadHeaderAsync(bool async, CancellationToken cancellationToken)
    {
        _memberStart = Offset(_pos);
        await FillToAsync(2, async, cancellationToken).ConfigureAwait(false);
        var available = _end - _pos;
        if (available == 0)
        {
            return false;
        }

        if (_buffer[_pos] != 0x1F || (available >= 2 && _buffer[_pos + 1] != 0x8B))
        {
            throw Fail(_membersRead == 0
                ? $"the input does not start with the gzip magic bytes 1f 8b (byte {_memberStart})"
                : $"unexpected data after the last gzip member at byte {_memberStart}: {Quote(_pos)}", _memberStart);
        }

        await NeedAsync(FixedHeaderLength, "first 10 bytes", async, cancellationToken).ConfigureAwait(false);
        var method = _buffer[_pos + 2];
        var flags = _buffer[_pos + 3];
        if (method != 8)
        {
            throw Fail($"the gzip member at byte {_memberStart} names compression method {method} (byte {_memberStart + 2}); only 8, deflate, exists", _memberStart + 2);
        }

        if ((flags & ReservedFlags) != 0)
        {
            throw Fail($"the gzip member at byte {_memberStart} sets reserved header flags 0x{flags & ReservedFlags:x2} (byte {_memberStart + 3}), which no gzip writer sets", _memberStart + 3);
        }

        _headerCrc.Reset();
        ConsumeHeader(FixedHeaderLength);
        if ((flags & FlagExtra) != 0)
        {
            await NeedAsync(2, "extra field", async, cancellationToken).ConfigureAwait(false);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_pos));
            ConsumeHeader(2);
            while (extraLength > 0)
            {
                await NeedAsync(1, "extra field", async, cancellationToken).ConfigureAwait(false);
                var n = Math.Min(extraLength, _end - _pos);
                ConsumeHeader(n);
                extraLength -= n;
            }
        }

        if ((flags & FlagName) != 0)
        {
            await SkipZeroTerminatedAsync("file name", async, cancellationToken).ConfigureAwait(false);
        }

        if ((flags & FlagComment) != 0)
        {
            await SkipZeroTerminatedAsync("comment", async, cancellationToken).ConfigureAwait(false);
        }

        if ((flags & FlagHeaderCrc) != 0)
        {
            await NeedAsync(2, "header CRC", async, cancellationToken).ConfigureAwait(false);
            var expected = (ushort)_headerCrc.GetCurrentHashAsUInt32();
            var stored = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_pos));
            if (stored != expected)
            {
                throw Fail($"the header CRC-16 of the gzip member at byte {_memberStart} is 0x{stored:x4} (byte {Offset(_pos)}), the header gives 0x{expected:x4}", Offset(_pos));
            }

            _pos += 2;
        }

        StartMember();
        return true;
    }

    private void ConsumeHeader(int count)
    {
        _headerCrc.Append(_buffer.AsSpan(_pos, count));
        _pos += count;
    }

    private async ValueTask SkipZeroTerminatedAsync(string what, bool async, CancellationToken cancellationToken)
    {
        while (true)
        {
            await NeedAsync(1, what, async, cancellationToken).ConfigureAwait(false);
            var zero = _buffer.AsSpan(_pos, _end - _pos).IndexOf((byte)0);
            if (zero >= 0)
            {
                ConsumeHeader(zero + 1);
                return;
            }

            ConsumeHeader(_end - _pos);
        }
    }

    private void StartMember()
    {
        _crc.Reset();
        _memberSize = 0;
        _dataStart = _chunkStart = _chunkEnd = Offset(_pos);
        _inflaterSawEnd = false;
        _inflater = new DeflateStream(_deflateInput, CompressionMode.Decompress, leaveOpen: true);
    }

    // The inflater threw: corrupt deflate data, unless it had asked for more input and there was none (a host that sets
    // System.IO.Compression.UseStrictValidation gets this for a cut stream, which Inflated reports).
    private int InflaterFailed() => _inflaterSawEnd
        ? 0
        : throw Fail($"the compressed data of the gzip member at byte {_memberStart} is corrupt (detected at byte {_chunkStart}, in the bytes {_chunkStart} to {_chunkEnd} given to the inflater)", _chunkStart);

    // Takes the n bytes the inflater wrote into output; at the end of the deflate data (n = 0) the trailer is next.
    private bool Inflated(ReadOnlySpan<byte> output, int n)
    {
        if (n > 0)
        {
            _crc.Append(output[..n]);
            _memberSize += n;
            return true;
        }

        if (_inflaterSawEnd)
        {
            // The inflater wanted more input and there was none: the deflate data is cut (mid-block or at a flush point).
            throw Fail($"the gzip stream ends before its trailer at byte {Offset(_end)} (cut inside the compressed data of the member at byte {_memberStart})", Offset(_end));
        }

        _state = State.Trailer;
        return false;
    }

    // The deflate data has ended somewhere in the last chunk given to the inflater: find the trailer that follows it.
    private async ValueTask ReadTrailerAsync(bool async, CancellationToken cancellationToken)
    {
        var crc = _crc.GetCurrentHashAsUInt32();
        var size = unchecked((uint)_memberSize);
        _inflater!.Dispose(); // the deflate data has ended: free zlib's state now, not at the next member
        _inflater = null;
        while (Offset(_end) < _chunkEnd + TrailerLength + 2 && !_sourceEnded)
        {
            await FillAsync(keepFrom: (int)(_chunkStart - _bufferStart), async, cancellationToken).ConfigureAwait(false);
        }

        // The inflater asked for the last chunk because its deflate data had not ended: it ends after the chunk's first byte.
        var first = (int)(_chunkStart - _bufferStart) + 1;
        var last = (int)(_chunkEnd - _bufferStart);
        var trailer = Find(first, last, crc, size, crcMustMatch: true, sizeMustMatch: true, mustContinue: true);
        if (trailer < 0)
        {
            trailer = Find(first, last, crc, size, crcMustMatch: true, sizeMustMatch: true, mustContinue: false);
        }

        if (trailer >= 0)
        {
            _pos = trailer + TrailerLength;
            _membersRead++;
            return;
        }

        // Not found: say what is most likely wrong. A trailer with one of its two values right was damaged in the other.
        var where = Find(first, last, crc, size, crcMustMatch: false, sizeMustMatch: true, mustContinue: false);
        if (where >= 0)
        {
            throw Fail($"CRC-32 mismatch in the gzip member at byte {_memberStart}: its trailer (byte {Offset(where)}) says 0x{BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(where)):x8}, the {_memberSize} decompressed bytes give 0x{crc:x8}", Offset(where));
        }

        where = Find(first, last, crc, size, crcMustMatch: true, sizeMustMatch: false, mustContinue: false);
        if (where >= 0)
        {
            throw Fail($"length mismatch in the gzip member at byte {_memberStart}: its trailer (byte {Offset(where + 4)}) says {BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(where + 4))} bytes, it decompresses to {_memberSize} (modulo 2^32: {size})", Offset(where + 4));
        }

        if (_sourceEnded)
        {
            // The input ends less than a trailer after some place the deflate data may end, with what is there matching.
            Span<byte> expected = stackalloc byte[TrailerLength];
            BinaryPrimitives.WriteUInt32LittleEndian(expected, crc);
            BinaryPrimitives.WriteUInt32LittleEndian(expected[4..], size);
            for (var p = Math.Max(first, _end - TrailerLength + 1); p <= Math.Min(last, _end); p++)
            {
                if (_buffer.AsSpan(p, _end - p).SequenceEqual(expected[..(_end - p)]))
                {
                    throw Fail(p == _end
                        ? $"the gzip stream ends before its trailer at byte {Offset(_end)} (the member at byte {_memberStart} has all its compressed data but no CRC-32 and length)"
                        : $"the gzip stream ends before its trailer at byte {Offset(_end)} (inside the trailer of the member at byte {_memberStart}, {_end - p} of its 8 bytes there)", Offset(_end));
                }
            }
        }

        throw Fail($"no gzip trailer follows the compressed data of the member at byte {_memberStart} (which ends between bytes {_chunkStart} and {_chunkEnd}): expected CRC-32 0x{crc:x8} and length {size}", _chunkStart);
    }

    // The first p in [first, last] with a whole trailer in the buffer whose required parts match, and that is followed by
    // the end of the input or a gzip header if mustContinue.
    private int Find(int first, int last, uint crc, uint size, bool crcMustMatch, bool sizeMustMatch, bool mustContinue)
    {
        for (var p = first; p <= last && p + TrailerLength <= _end; p++)
        {
            var span = _buffer.AsSpan(p, TrailerLength);
            if ((!crcMustMatch || BinaryPrimitives.ReadUInt32LittleEndian(span) == crc)
                && (!sizeMustMatch || BinaryPrimitives.ReadUInt32LittleEndian(span[4..]) == size)
                && (!mustContinue || Continues(p + TrailerLength)))
            {
                return p;
            }
        }

        return -1;
    }

    private bool Continues(int next) => next == _end
        ? _sourceEnded
        : _buffer[next] == 0x1F && (next + 1 == _end || _buffer[next + 1] == 0x8B);

    // Serves the inflater the next chunk of compressed data, remembering where it came from.
    private async ValueTask<int> ServeAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_pos == _end && !await FillAsync(keepFrom: _pos, async: true, cancellationToken).ConfigureAwait(false))
        {
            _inflaterSawEnd = true;
            return 0;
        }

        return Take(destination.Span);
    }

    private int Serve(Span<byte> destination)
    {
        if (_pos == _end && !Completed(FillAsync(keepFrom: _pos, async: false, CancellationToken.None)))
        {
            _inflaterSawEnd = true;
            return 0;
        }

        return Take(destination);
    }

    private int Take(Span<byte> destination)
    {
        var n = Offset(_pos) - _dataStart < ByteByByte ? 1 : Math.Min(Math.Min(destination.Length, MaxChunk), _end - _pos);
        _buffer.AsSpan(_pos, n).CopyTo(destination);
        _chunkStart = Offset(_pos);
        _pos += n;
        _chunkEnd = Offset(_pos);
        return n;
    }

    // Makes sure that count bytes of the current header part are buffered; throws if the input ends first.
    private async ValueTask NeedAsync(int count, string what, bool async, CancellationToken cancellationToken)
    {
        await FillToAsync(count, async, cancellationToken).ConfigureAwait(false);
        if (_end - _pos < count)
        {
            throw Fail($"the gzip stream ends before its trailer at byte {Offset(_end)} (the {what} of the header of the member at byte {_memberStart} is cut short)", Offset(_end));
        }
    }

    private async ValueTask FillToAsync(int count, bool async, CancellationToken cancellationToken)
    {
        while (_end - _pos < count && await FillAsync(keepFrom: _pos, async, cancellationToken).ConfigureAwait(false))
        {
        }
    }

    // Keeps the bytes from keepFrom on, moved to the front, and reads more after them; false at the end of the input.
    private async ValueTask<bool> FillAsync(int keepFrom, bool async, CancellationToken cancellationToken)
    {
        if (_sourceEnded)
        {
            return false;
        }

        if (keepFrom > 0)
        {
            _buffer.AsSpan(keepFrom, _end - keepFrom).CopyTo(_buffer);
            _bufferStart += keepFrom;
            _pos -= keepFrom;
            _end -= keepFrom;
        }

        var read = async
            ? await _source.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false)
            : _source.Read(_buffer.AsSpan(_end));
        _end += read;
        _sourceEnded = read == 0;
        return read > 0;
    }

    // The async methods here complete synchronously when called with async: false (the source is read with Read then).
    private static T Completed<T>(ValueTask<T> task) => task.IsCompleted ? task.Result : task.AsTask().GetAwaiter().GetResult();

    private long Offset(int index) => _bufferStart + index;

    private string Quote(int index) => InputText.Escape(_buffer.AsSpan(index, Math.Min(16, _end - index)));

    private Exception Fail(string message, long byteOffset)
    {
        _failure = _error(message, byteOffset);
        return _failure;
    }

    /// <summary>The inflater's input: the compressed bytes of the member being read, from the outer stream's buffer.</summary>
    private sealed class DeflateInput(GzipReadStream owner) : ReadOnlyStream
    {
        public override int Read(Span<byte> buffer) => owner.Serve(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => owner.ServeAsync(buffer, cancellationToken);
    }
}
